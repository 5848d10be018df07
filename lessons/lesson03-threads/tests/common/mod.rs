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
use lesson03_threads::{ChatConfig, StopSignal, listen, serve_chat_until, set_logging};
use socket2::{Domain, Protocol, Socket, Type};

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
    /// Les lignes suivantes de sa sortie standard, au fil de l'eau.
    later_lines: Receiver<String>,
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
        let (later, later_lines) = crossbeam_channel::unbounded();
        thread::spawn(move || {
            // On lit TOUTE la sortie : un tube plein bloquerait le serveur.
            let mut stdout = BufReader::new(stdout);
            let first_line = read_line(&mut stdout);
            if keep_reading {
                let _ = lines.send(first_line);
                for line in stdout.lines().map_while(Result::ok) {
                    let _ = later.send(line);
                }
            } else {
                drop(stdout); // tube fermé AVANT que le test ne continue
                let _ = lines.send(first_line);
            }
        });
        let mut server = RunningServer {
            child,
            first_line: String::new(),
            later_lines,
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

impl RunningServer {
    /// Envoie SIGTERM (comme `kill` ou un gestionnaire de services), attend la fin du
    /// programme (au plus TIMEOUT, sinon on le tue) ; renvoie son code de sortie et ce qu'il a
    /// affiché après sa première ligne.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> io::Result<(Option<i32>, String)> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        assert!(status.success(), "kill -TERM a échoué");
        let deadline = Instant::now() + TIMEOUT;
        let code = loop {
            if let Some(status) = self.child.try_wait()? {
                break status.code();
            }
            if Instant::now() > deadline {
                self.child.kill()?;
                break None;
            }
            // Ce n'est pas une synchronisation : on surveille un processus avec une échéance.
            thread::sleep(Duration::from_millis(20));
        };
        // Le programme est terminé : son tube de sortie se ferme, le thread lecteur aussi.
        let mut output = String::new();
        while let Ok(line) = self.later_lines.recv_timeout(TIMEOUT) {
            output.push_str(&line);
            output.push('\n');
        }
        Ok((code, output))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Démarre un vrai serveur de chat sur un port libre, dans ce processus.
pub fn start_chat(config: ChatConfig) -> io::Result<SocketAddr> {
    let (addr, _done) = start_chat_until(config, &StopSignal::new())?;
    Ok(addr)
}

/// Comme `start_chat`, arrêtable par `stop` ; le canal renvoyé reçoit le résultat de
/// `serve_chat_until` quand le serveur s'est arrêté.
pub fn start_chat_until(
    config: ChatConfig,
    stop: &StopSignal,
) -> io::Result<(SocketAddr, Receiver<io::Result<()>>)> {
    set_logging(false); // des dizaines de serveurs dans ce processus : pas de journal
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    let stop = stop.clone();
    let done = spawn_with_deadline(move || serve_chat_until(listener, config, &stop));
    Ok((addr, done))
}

/// Une connexion qui lira peu : un petit tampon de réception, réglé AVANT connect() pour que
/// la fenêtre TCP annoncée au serveur soit petite. Ses tampons se remplissent vite.
pub fn connect_small_window(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_recv_buffer_size(4096)?;
    connect_socket(socket, addr)
}

/// Une connexion qui envoie beaucoup mais garde peu d'avance : un petit tampon d'envoi.
/// Quand le serveur la freine, ses `write` attendent au lieu de remplir des mégaoctets de
/// tampons ; elle s'arrête donc vite quand on le lui demande.
pub fn connect_small_send_buffer(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_send_buffer_size(16 * 1024)?;
    connect_socket(socket, addr)
}

fn connect_socket(socket: Socket, addr: SocketAddr) -> io::Result<TcpStream> {
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Un participant du chat : sa connexion, et son nom vu par le serveur (`[adresse locale]`).
pub struct Chatter {
    pub addr: SocketAddr,
    pub name: String,
    pub reader: BufReader<TcpStream>,
}

impl Chatter {
    /// Se connecte et lit le message de bienvenue : après lui, le hub connaît ce client.
    pub fn join(addr: SocketAddr) -> io::Result<Chatter> {
        Chatter::join_with(connect(addr)?)
    }

    /// Trois participants qui ont chacun lu l'annonce de l'arrivée des suivants : le salon
    /// est au calme, la prochaine ligne lue par chacun sera la suite du test.
    pub fn three(addr: SocketAddr) -> io::Result<[Chatter; 3]> {
        let mut alice = Chatter::join(addr)?;
        let mut bob = Chatter::join(addr)?;
        let carol = Chatter::join(addr)?;
        alice.expect_join_of(&bob)?;
        alice.expect_join_of(&carol)?;
        bob.expect_join_of(&carol)?;
        Ok([alice, bob, carol])
    }

    /// Comme `join`, avec une connexion déjà ouverte.
    pub fn join_with(stream: TcpStream) -> io::Result<Chatter> {
        let addr = stream.local_addr()?;
        let mut chatter = Chatter {
            addr,
            name: format!("[{addr}]"),
            reader: BufReader::new(stream),
        };
        let welcome = chatter.read_line()?;
        assert!(
            welcome.starts_with(&format!("*** Bienvenue, {} !", chatter.name)),
            "le nouveau venu doit être accueilli, reçu : {welcome:?}"
        );
        Ok(chatter)
    }

    pub fn say(&mut self, text: &str) -> io::Result<()> {
        self.send(format!("{text}\n").as_bytes())
    }

    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    pub fn read_line(&mut self) -> io::Result<String> {
        read_line(&mut self.reader)
    }

    /// Lit la ligne suivante et vérifie qu'elle vaut `expected`.
    pub fn expect(&mut self, expected: &str, why: &str) -> io::Result<()> {
        let line = self.read_line()?;
        assert_eq!(line, expected, "{why}");
        Ok(())
    }

    /// Lit l'annonce de l'arrivée de `other`.
    pub fn expect_join_of(&mut self, other: &Chatter) -> io::Result<()> {
        self.expect(
            &format!("*** {} a rejoint le salon.\n", other.name),
            "annonce d'une arrivée",
        )
    }
}
