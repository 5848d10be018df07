//! Outils partagés par les tests de la leçon 04 : vrais serveurs sur 127.0.0.1, port 0.
//! Chaque socket a un délai maximal : un serveur cassé fait échouer un test, jamais bloquer.

#![allow(dead_code)] // chaque fichier de tests n'utilise qu'une partie de ces outils

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use lesson04_select::{
    Config, Shutdown, listen, serve_chat, serve_chat_until, serve_echo, serve_echo_until,
};

pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Démarre un vrai serveur d'écho sur un port libre choisi par le noyau (port 0).
/// Le thread du serveur tourne jusqu'à la fin du programme de test.
pub fn start_echo(config: Config) -> io::Result<SocketAddr> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_echo(listener, config));
    Ok(addr)
}

/// Démarre un vrai serveur de chat sur un port libre.
pub fn start_chat(config: Config) -> io::Result<SocketAddr> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_chat(listener, config));
    Ok(addr)
}

/// Un serveur lancé avec une poignée d'arrêt : `stopped` reçoit son résultat quand il rend
/// la main.
pub struct Stoppable {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
    pub stopped: Receiver<io::Result<()>>,
}

impl Stoppable {
    /// Attend (au plus TIMEOUT) que le serveur rende la main, et vérifie qu'il l'a fait sans erreur.
    pub fn assert_stops(&self) {
        let result = self
            .stopped
            .recv_timeout(TIMEOUT)
            .expect("le serveur doit rendre la main après l'arrêt");
        assert!(result.is_ok(), "arrêt sans erreur : {result:?}");
    }
}

/// Démarre un serveur de chat qu'on pourra arrêter (comme Ctrl+C).
pub fn start_stoppable_chat(config: Config) -> io::Result<Stoppable> {
    start_stoppable(move |listener, shutdown| serve_chat_until(listener, config, &shutdown))
}

/// Démarre un serveur d'écho qu'on pourra arrêter (comme Ctrl+C).
pub fn start_stoppable_echo(config: Config) -> io::Result<Stoppable> {
    start_stoppable(move |listener, shutdown| serve_echo_until(listener, config, &shutdown))
}

fn start_stoppable(
    serve: impl FnOnce(std::net::TcpListener, Shutdown) -> io::Result<()> + Send + 'static,
) -> io::Result<Stoppable> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    let handle = shutdown.clone();
    let (done, stopped) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(serve(listener, handle));
    });
    Ok(Stoppable {
        addr,
        shutdown,
        stopped,
    })
}

/// Un client qui ne lit jamais, avec un tout petit tampon de réception pour qu'il sature vite.
pub fn join_without_reading(addr: SocketAddr) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
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
    /// Se connecte et lit la ligne de bienvenue : ensuite, le serveur le connaît à coup sûr.
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

    /// Le prochain message d'un participant, en sautant les annonces « *** ».
    pub fn message(&mut self) -> io::Result<String> {
        loop {
            let line = self.line()?;
            if !line.starts_with("***") {
                return Ok(line);
            }
        }
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

/// Une entrée « clavier » pilotée par le test : chaque `Vec<u8>` envoyé dans le canal est
/// lu comme si l'utilisateur l'avait tapé ; elle bloque tant que rien n'est envoyé, et se
/// termine quand l'émetteur est détruit.
pub struct ChannelInput {
    chunks: Receiver<Vec<u8>>,
    current: io::Cursor<Vec<u8>>,
}

pub fn channel_input() -> (Sender<Vec<u8>>, BufReader<ChannelInput>) {
    let (sender, chunks) = mpsc::channel();
    let input = ChannelInput {
        chunks,
        current: io::Cursor::new(Vec::new()),
    };
    (sender, BufReader::new(input))
}

impl Read for ChannelInput {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let read = self.current.read(buffer)?;
            if read > 0 {
                return Ok(read);
            }
            match self.chunks.recv() {
                Ok(chunk) => self.current = io::Cursor::new(chunk),
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Une sortie « écran » qui transmet chaque écriture au test par un canal.
pub struct ChannelOutput(pub Sender<Vec<u8>>);

impl Write for ChannelOutput {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let _ = self.0.send(data.to_vec());
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Accumule ce qui arrive sur `screen` jusqu'à voir `needle` (échoue après TIMEOUT).
pub fn screen_until(screen: &Receiver<Vec<u8>>, seen: &mut String, needle: &str) {
    while !seen.contains(needle) {
        match screen.recv_timeout(TIMEOUT) {
            Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => panic!("{needle:?} n'est jamais apparu à l'écran ; affiché : {seen:?}"),
        }
    }
}
