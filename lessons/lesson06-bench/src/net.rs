//! Les connexions du générateur : non bloquantes, sans Nagle, dans une seule boucle
//! mio.
//!
//! Pourquoi mio, et non un thread par connexion ou tokio ? Le générateur partage la
//! machine avec le serveur mesuré : il doit dépenser le moins de CPU possible pour ne
//! jamais être ce qui limite. Une boucle d'événements sur UN thread (celle de la
//! leçon 04) fait vivre des centaines de connexions sans changement de contexte et
//! laisse l'autre cœur au serveur.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Interest, Poll, Token};

/// Ouvre une connexion vers `addr` (10 s au plus), avec TCP_NODELAY : sans lui,
/// l'algorithme de Nagle retiendrait une petite écriture jusqu'à l'accusé de
/// réception de la précédente (40 ms), et l'on mesurerait ce délai.
pub fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
    let stream =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Rend une connexion non bloquante, prête pour la boucle mio.
pub fn nonblocking(stream: std::net::TcpStream) -> io::Result<TcpStream> {
    stream.set_nonblocking(true)?;
    Ok(TcpStream::from_std(stream))
}

/// Ouvre `count` connexions vers `addr`, non bloquantes.
pub fn connect_all(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpStream>> {
    (0..count).map(|_| nonblocking(connect(addr)?)).collect()
}

/// Confie la connexion `index` à la boucle : mio dira quand elle peut être lue ou
/// écrite.
pub fn register(poll: &Poll, stream: &mut TcpStream, index: usize) -> io::Result<()> {
    let interest = Interest::READABLE | Interest::WRITABLE;
    poll.registry().register(stream, Token(index), interest)
}

/// Écrit ce que le noyau accepte de `pending`, et retire ces octets du début. Tampon
/// d'envoi plein (`WouldBlock`) : le reste attend que mio signale la socket
/// inscriptible (WRITABLE). C'est ainsi que TCP ralentit un émetteur trop rapide (la
/// contre-pression), sans rien perdre.
pub fn send_pending(stream: &mut TcpStream, pending: &mut Vec<u8>) -> io::Result<()> {
    let mut written = 0;
    while written < pending.len() {
        match stream.write(&pending[written..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(count) => written += count,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    pending.drain(..written);
    Ok(())
}

/// Lit tout ce qui est arrivé (jusqu'à `WouldBlock`) : un événement mio ne dit
/// qu'« il y a du nouveau », une seule fois. Une fermeture par le serveur devient
/// `UnexpectedEof`.
pub fn receive_available(
    stream: &mut TcpStream,
    buffer: &mut [u8],
    mut on_data: impl FnMut(&[u8]),
) -> io::Result<()> {
    loop {
        match stream.read(buffer) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(count) => on_data(&buffer[..count]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}
