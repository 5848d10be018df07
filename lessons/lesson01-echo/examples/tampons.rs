//! Essai : combien d'octets le noyau accepte-t-il avant qu'un `write` bloque ?
//!
//! Un `write` ne fait que COPIER les octets dans le tampon d'envoi du noyau. Si le
//! pair ne lit pas, ils s'accumulent dans son tampon de réception, puis dans notre
//! tampon d'envoi ; quand les deux sont pleins, `write` bloque (ou rend `WouldBlock`
//! en mode non bloquant). On mesure cette capacité avec les tampons par défaut, puis
//! avec SO_SNDBUF et SO_RCVBUF fixés à 64 Kio.
//!
//! `cargo run -p lesson01-echo --example tampons`

use std::io::{self, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};

use socket2::SockRef;

/// Taille demandée pour les deux tampons dans la seconde mesure.
const SMALL: usize = 64 * 1024;

fn main() -> io::Result<()> {
    for requested in [None, Some(SMALL)] {
        let (accepted, send, receive) = fill(requested)?;
        let what = match requested {
            None => "tampons par défaut".to_string(),
            Some(size) => format!("{} Kio demandés", size / 1024),
        };
        println!(
            "{what} : {} Kio acceptés avant que write bloque",
            accepted / 1024
        );
        println!(
            "    (SO_SNDBUF annoncé : {send} octets, SO_RCVBUF annoncé : {receive} octets)"
        );
    }
    Ok(())
}

// ANCHOR: fill
/// Écrit sans jamais lire de l'autre côté, jusqu'à `WouldBlock` ; rend les octets
/// acceptés et les tailles de tampon que le noyau annonce.
fn fill(requested: Option<usize>) -> io::Result<(usize, usize, usize)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut sender = TcpStream::connect(listener.local_addr()?)?;
    let (receiver, _) = listener.accept()?; // gardé ouvert, jamais lu
    if let Some(size) = requested {
        // Posées ici après la poignée de main : la taille s'applique tout de suite,
        // mais le facteur d'échelle de la fenêtre, négocié dans le SYN, ne
        // change plus. Un vrai serveur les pose sur la socket d'écoute, avant
        // listen().
        SockRef::from(&sender).set_send_buffer_size(size)?;
        SockRef::from(&receiver).set_recv_buffer_size(size)?;
    }
    sender.set_nonblocking(true)?;
    let chunk = [0u8; 4096];
    let mut accepted = 0;
    loop {
        match sender.write(&chunk) {
            Ok(written) => accepted += written,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    let send = SockRef::from(&sender).send_buffer_size()?;
    let receive = SockRef::from(&receiver).recv_buffer_size()?;
    Ok((accepted, send, receive))
}
// ANCHOR_END: fill
