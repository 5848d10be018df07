//! Le client qui ne lit jamais : il se connecte au salon, puis laisse ses tampons se
//! remplir. Un serveur qui l'attend bloque tout le monde ; un serveur à files bornées
//! finit par le déconnecter ; un serveur à files non bornées grossit.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lesson06_bench::chat::{ChatLoad, ChatRoom};
use lesson06_bench::stats::Progress;

/// Le client muet a le plus petit tampon de réception possible, fixé AVANT la
/// connexion (la fenêtre TCP annoncée en dépend) : il sature vite. Il donne un pseudo
/// (leçon 05 ; ailleurs, c'est une ligne de chat comme une autre), puis ne lit plus
/// jamais rien.
pub fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_recv_buffer_size(1)?;
    socket.connect_timeout(&addr.into(), Duration::from_secs(10))?;
    socket.set_tcp_nodelay(true)?;
    let mut stream: std::net::TcpStream = socket.into();
    stream.write_all(b"muet\n")?;
    Ok(stream)
}

/// Remplit les tampons du client muet : environ 2 Mio de longues lignes diffusées par
/// le salon. Entre son tampon de réception et le tampon d'envoi du serveur vers lui,
/// le noyau garde environ 1,6 Mo en boucle locale : il faut les remplir pour que le
/// test ait un sens. Les lignes partent par rafales de 64, chacune attendue chez tous
/// avant la suivante : les clients qui lisent ne prennent jamais de retard. Renvoie
/// `false` si une rafale n'est pas arrivée en entier (le serveur est bloqué) ou si le
/// délai est dépassé.
pub fn fill(chat: &mut ChatRoom, timeout: Duration) -> io::Result<bool> {
    const LINE_LEN: usize = 800; // Sous la limite de 1 024 octets des leçons.
    let lines = (2 * 1024 * 1024 / LINE_LEN) as u64;
    let deadline = Instant::now() + timeout;
    let mut sent = 0;
    while sent < lines {
        if Instant::now() > deadline {
            return Ok(false);
        }
        let outcome =
            chat.run(ChatLoad::burst(64, LINE_LEN), None, &mut |_: &Progress| {})?;
        if !outcome.is_complete() {
            return Ok(false);
        }
        sent += outcome.sent;
    }
    Ok(true)
}
