//! Outils propres aux tests de la leçon 04 : vrais serveurs sur 127.0.0.1, port 0, et
//! un participant du chat. Les outils généraux (délais, lancement du programme,
//! clavier et écran simulés) viennent du crate `test-kit`. Chaque socket a un délai
//! maximal : un serveur cassé fait échouer un test, jamais bloquer.

#![allow(dead_code)] // chaque fichier de tests n'utilise qu'une partie de ces outils

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use lesson04_select::{
    Config, Shutdown, listen, serve_chat, serve_chat_until, serve_echo,
    serve_echo_until,
};
use test_kit::{Background, MAX_LINES, TIMEOUT, background, connect};

/// Démarre un vrai serveur d'écho sur un port libre choisi par le noyau (port 0).
/// Le thread du serveur tourne jusqu'à la fin du programme de test.
pub fn start_echo(config: Config) -> io::Result<SocketAddr> {
    // Des dizaines de serveurs dans ce processus : pas de journal.
    course_kit::journal::set_enabled(false);
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_echo(listener, config));
    Ok(addr)
}

/// Démarre un vrai serveur de chat sur un port libre.
pub fn start_chat(config: Config) -> io::Result<SocketAddr> {
    course_kit::journal::set_enabled(false);
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_chat(listener, config));
    Ok(addr)
}

/// Un serveur lancé avec une poignée d'arrêt.
pub struct Stoppable {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
    serving: Background<io::Result<()>>,
}

impl Stoppable {
    /// Attend (au plus TIMEOUT) que le serveur rende la main, et vérifie qu'il l'a
    /// fait sans erreur.
    #[track_caller]
    pub fn assert_stops(self) {
        let result = self
            .serving
            .join("le serveur doit rendre la main après l'arrêt");
        assert!(result.is_ok(), "arrêt sans erreur : {result:?}");
    }
}

/// Démarre un serveur de chat qu'on pourra arrêter (comme Ctrl+C).
pub fn start_stoppable_chat(config: Config) -> io::Result<Stoppable> {
    start_stoppable(move |listener, shutdown| {
        serve_chat_until(listener, config, &shutdown)
    })
}

/// Démarre un serveur d'écho qu'on pourra arrêter (comme Ctrl+C).
pub fn start_stoppable_echo(config: Config) -> io::Result<Stoppable> {
    start_stoppable(move |listener, shutdown| {
        serve_echo_until(listener, config, &shutdown)
    })
}

fn start_stoppable(
    serve: impl FnOnce(std::net::TcpListener, Shutdown) -> io::Result<()> + Send + 'static,
) -> io::Result<Stoppable> {
    course_kit::journal::set_enabled(false);
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    let handle = shutdown.clone();
    let serving = background(move || serve(listener, handle));
    Ok(Stoppable {
        addr,
        shutdown,
        serving,
    })
}

/// Un client qui ne lit jamais, avec un tout petit tampon de réception pour qu'il
/// sature vite.
pub fn join_without_reading(addr: SocketAddr) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Un participant de chat piloté par le test.
pub struct Chatter {
    pub reader: BufReader<TcpStream>,
    pub writer: TcpStream,
    /// Son adresse telle que le serveur l'affiche : « [127.0.0.1:54321] ».
    pub name: String,
}

impl Chatter {
    /// Se connecte et lit la ligne de bienvenue : ensuite, le serveur le connaît à
    /// coup sûr.
    pub fn join(addr: SocketAddr) -> io::Result<Chatter> {
        let writer = connect(addr)?;
        let name = format!("[{}]", writer.local_addr()?);
        let mut chatter = Chatter {
            reader: BufReader::new(writer.try_clone()?),
            writer,
            name,
        };
        let welcome = chatter.line()?;
        assert!(
            welcome.starts_with("*** Bienvenue") && welcome.contains(&chatter.name),
            "la première ligne doit souhaiter la bienvenue à {} : {welcome:?}",
            chatter.name
        );
        Ok(chatter)
    }

    pub fn say(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_all(text.as_bytes())
    }

    /// La prochaine ligne reçue, quelle qu'elle soit (erreur si rien dans le délai).
    pub fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        if self.reader.read_until(b'\n', &mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "le serveur a fermé la connexion",
            ));
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Le prochain message d'un participant, en sautant les annonces « *** » (au plus
    /// `MAX_LINES` : un serveur qui n'envoie que des annonces fait échouer le test).
    pub fn message(&mut self) -> io::Result<String> {
        let mut skipped = Vec::new();
        for _ in 0..MAX_LINES {
            let line = self.line()?;
            if !line.starts_with("***") {
                return Ok(line);
            }
            skipped.push(line);
        }
        panic!(
            "aucun message parmi {MAX_LINES} lignes, toutes des annonces ; les dernières : {:?}",
            &skipped[skipped.len() - 5..]
        );
    }

    /// Lit jusqu'à une ligne qui contient `needle` (au plus `limit` lignes).
    pub fn wait_for(&mut self, needle: &str, limit: usize) -> io::Result<String> {
        for _ in 0..limit {
            let line = self.line()?;
            if line.contains(needle) {
                return Ok(line);
            }
        }
        panic!("aucune ligne contenant {needle:?} parmi les {limit} reçues");
    }
}
