//! Outils partagés par les tests : connexions avec délais, clavier et écran simulés,
//! lancement du vrai programme avec une échéance.
//!
//! Chaque fichier de tests n'utilise qu'une partie de ces outils : sans `allow(dead_code)`,
//! le compilateur signalerait les autres comme inutilisés dans chaque fichier.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

/// Délai maximal de chaque attente : un serveur cassé fait échouer un test, jamais bloquer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// L'adresse de tous les tests : la boucle locale, port choisi par le noyau.
pub fn any_local_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Se connecte, avec des délais sur la connexion, les lectures et les écritures.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Lit une ligne entière (jusqu'au `\n` inclus) ; une fermeture donne une chaîne vide.
pub fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Un clavier simulé : chaque `Vec<u8>` envoyé dans le canal est « tapé » ; fermer le canal
/// revient à Ctrl+D. Tant que le canal reste ouvert et vide, la lecture attend, comme un
/// utilisateur qui réfléchit.
pub struct Keyboard {
    keys: Receiver<Vec<u8>>,
    pending: io::Cursor<Vec<u8>>,
}

impl Keyboard {
    pub fn new() -> (Sender<Vec<u8>>, BufReader<Keyboard>) {
        let (typing, keys) = crossbeam_channel::unbounded();
        let keyboard = Keyboard {
            keys,
            pending: io::Cursor::new(Vec::new()),
        };
        (typing, BufReader::new(keyboard))
    }
}

impl Read for Keyboard {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let read = self.pending.read(buffer)?;
            if read > 0 || buffer.is_empty() {
                return Ok(read);
            }
            match self.keys.recv() {
                Ok(typed) => self.pending = io::Cursor::new(typed),
                Err(_) => return Ok(0), // canal fermé : fin de l'entrée
            }
        }
    }
}

/// Un écran simulé : tout ce qui y est écrit part dans un canal, que le test lit avec un délai.
pub struct Screen(pub Sender<Vec<u8>>);

impl Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        // Le test a pu se terminer : ce qu'on affiche ensuite n'intéresse plus personne.
        let _ = self.0.send(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Ce qu'un écran simulé a affiché jusqu'ici.
pub struct Shown {
    pub text: String,
    chunks: Receiver<Vec<u8>>,
}

impl Shown {
    pub fn new() -> (Screen, Shown) {
        let (sender, chunks) = crossbeam_channel::unbounded();
        let shown = Shown {
            text: String::new(),
            chunks,
        };
        (Screen(sender), shown)
    }

    /// Attend que l'écran affiche `expected` (au plus TIMEOUT) ; renvoie tout ce qui est affiché.
    pub fn wait_for(&mut self, expected: &str) -> &str {
        let deadline = Instant::now() + TIMEOUT;
        while !self.text.contains(expected) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!(
                    "l'écran devait afficher « {expected} », il affiche : {:?}",
                    self.text
                ),
            }
        }
        &self.text
    }

    /// Ajoute ce qui a été affiché entre-temps, sans attendre.
    pub fn collect(&mut self) -> &str {
        for chunk in self.chunks.try_iter() {
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
        &self.text
    }
}

/// Attend la fin d'un thread au plus TIMEOUT, via un canal (un `join()` pourrait bloquer).
pub fn spawn_with_deadline<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Receiver<T> {
    let (done, result) = crossbeam_channel::bounded(1);
    thread::spawn(move || {
        let _ = done.send(work());
    });
    result
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lesson03-threads"))
}

/// Lance le vrai programme et attend sa fin, au plus TIMEOUT (sinon on le tue).
pub fn run_binary(args: &[&str]) -> io::Result<Output> {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            break;
        }
        // Ce n'est pas une synchronisation : on surveille un processus avec une échéance.
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output()
}

/// Un serveur lancé comme un vrai programme, tué quand le test se termine (même en échec).
pub struct RunningServer {
    child: Child,
    pub first_line: String,
}

impl RunningServer {
    /// Lance le programme et attend (au plus TIMEOUT) la première ligne de sa sortie standard.
    pub fn start(args: &[&str]) -> io::Result<RunningServer> {
        Self::spawn(args, true)
    }

    /// Comme `start`, mais ferme le tube de sortie juste après la première ligne, comme le
    /// ferait `… | head -1` : chaque écriture suivante du serveur échoue (« broken pipe »).
    pub fn start_then_close_stdout(args: &[&str]) -> io::Result<RunningServer> {
        Self::spawn(args, false)
    }

    fn spawn(args: &[&str], keep_reading: bool) -> io::Result<RunningServer> {
        let mut child = binary()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout est redirigé");
        let (lines, first) = crossbeam_channel::bounded(1);
        thread::spawn(move || {
            // On lit TOUTE la sortie : un tube plein bloquerait le serveur.
            let mut stdout = BufReader::new(stdout);
            let first_line = read_line(&mut stdout);
            if keep_reading {
                let _ = lines.send(first_line);
                let _ = io::copy(&mut stdout, &mut io::sink());
            } else {
                drop(stdout); // tube fermé AVANT que le test ne continue
                let _ = lines.send(first_line);
            }
        });
        let mut server = RunningServer {
            child,
            first_line: String::new(),
        };
        server.first_line = match first.recv_timeout(TIMEOUT) {
            Ok(line) => line?,
            Err(_) => return Err(io::Error::other("le serveur n'a rien affiché à temps")),
        };
        Ok(server)
    }

    /// L'adresse annoncée dans « … en écoute sur ADRESSE (… ».
    pub fn announced_addr(&self) -> SocketAddr {
        let after = self
            .first_line
            .split("en écoute sur ")
            .nth(1)
            .unwrap_or_else(|| panic!("adresse absente de {:?}", self.first_line));
        let addr = after.split_whitespace().next().unwrap_or_default();
        addr.parse()
            .unwrap_or_else(|_| panic!("adresse illisible dans {:?}", self.first_line))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
