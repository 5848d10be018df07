//! Outils propres aux tests de cette leçon : un vrai serveur de chat dans ce
//! processus, des connexions aux petits tampons, un participant du chat. Les outils
//! généraux (délais, lancement du programme, clavier et écran simulés) viennent du
//! crate `test-kit`.
//!
//! Chaque fichier de tests n'utilise qu'une partie de ces outils : sans
//! `allow(dead_code)`, le compilateur signalerait les autres comme inutilisés dans
//! chaque fichier.
#![allow(dead_code)]

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

use lesson03_threads::{ChatConfig, StopSignal, listen, serve_chat_until};
use socket2::{Domain, Protocol, Socket, Type};
use test_kit::{Background, TIMEOUT, background, connect, read_line};

/// Le programme de la leçon, tel que les étudiants le lancent.
pub const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson03-threads");

/// L'adresse de tous les tests : la boucle locale, port choisi par le noyau.
pub fn any_local_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Démarre un vrai serveur de chat sur un port libre, dans ce processus.
pub fn start_chat(config: ChatConfig) -> io::Result<SocketAddr> {
    let (addr, _done) = start_chat_until(config, &StopSignal::new())?;
    Ok(addr)
}

/// Comme `start_chat`, arrêtable par `stop` ; on attend le résultat de
/// `serve_chat_until` avec `join` (borné) une fois le serveur arrêté.
pub fn start_chat_until(
    config: ChatConfig,
    stop: &StopSignal,
) -> io::Result<(SocketAddr, Background<io::Result<()>>)> {
    // Des dizaines de serveurs dans ce processus : pas de journal.
    course_kit::journal::set_enabled(false);
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    let stop = stop.clone();
    let done = background(move || serve_chat_until(listener, config, &stop));
    Ok((addr, done))
}

/// Une connexion qui lira peu : un petit tampon de réception, réglé AVANT connect()
/// pour que la fenêtre TCP annoncée au serveur soit petite. Ses tampons se
/// remplissent vite.
pub fn connect_small_window(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_recv_buffer_size(4096)?;
    connect_socket(socket, addr)
}

/// Une connexion qui envoie beaucoup mais garde peu d'avance : un petit tampon
/// d'envoi. Quand le serveur la freine, ses `write` attendent au lieu de remplir des
/// mégaoctets de tampons ; elle s'arrête donc vite quand on le lui demande.
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

/// Un participant du chat : sa connexion, et son nom vu par le serveur
/// (`[adresse locale]`).
pub struct Chatter {
    pub addr: SocketAddr,
    pub name: String,
    pub reader: BufReader<TcpStream>,
}

impl Chatter {
    /// Se connecte et lit le message de bienvenue : après lui, le hub connaît ce
    /// client.
    pub fn join(addr: SocketAddr) -> io::Result<Chatter> {
        Chatter::join_with(connect(addr)?)
    }

    /// Trois participants qui ont chacun lu l'annonce de l'arrivée des suivants : le
    /// salon est au calme, la prochaine ligne lue par chacun sera la suite du
    /// test.
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
