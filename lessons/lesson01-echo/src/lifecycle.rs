//! Provoquer, pour les voir, les différentes fins d'une connexion TCP.
//!
//! Le serveur d'écho normal attend que le client ferme : c'est le client qui envoie
//! le premier FIN, et c'est donc lui qui passe par l'état TIME_WAIT. Les variantes
//! ci-dessous renversent les rôles ou coupent brutalement, pour qu'on puisse observer
//! chaque cas avec `tcpdump` et `ss` (voir le chapitre « Découpage, délais,
//! fermeture » et `scripts/captures.sh`).

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use socket2::SockRef;

/// Comment le serveur termine une connexion (option `--fermeture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ending {
    /// Le serveur renvoie tout jusqu'à ce que le client ferme : le FIN du client part
    /// le premier, TIME_WAIT est côté client. C'est le comportement normal.
    #[default]
    ClientFirst,
    /// Après avoir renvoyé la première ligne, le serveur ferme le premier : son FIN
    /// part d'abord, et c'est LUI qui garde la connexion en TIME_WAIT (60 s sous
    /// Linux).
    ServerFirst,
    /// Après la première ligne, le serveur ferme avec `SO_LINGER` à 0 : le noyau
    /// jette ce qui n'est pas parti et envoie un RST au lieu d'un FIN. Pas de
    /// TIME_WAIT, mais le client voit « connexion réinitialisée ».
    Reset,
    /// Le serveur attend que des octets arrivent, ne les lit pas et ferme : fermer
    /// une socket dont le tampon de réception n'est pas vide envoie un RST (les
    /// octets non lus sont perdus, le pair doit le savoir).
    Unread,
}

// ANCHOR: finish
/// Sert un client selon `ending` ; renvoie le nombre d'octets renvoyés.
pub fn serve_client(stream: TcpStream, ending: Ending) -> io::Result<u64> {
    match ending {
        Ending::ClientFirst => crate::echo(stream),
        Ending::ServerFirst => echo_one_line(&stream),
        Ending::Reset => {
            let sent = echo_one_line(&stream)?;
            // SO_LINGER activé avec un délai nul : close() n'attend rien et n'envoie
            // pas de FIN, mais un RST. À réserver aux connexions qu'on
            // veut vraiment interrompre.
            SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            Ok(sent)
        }
        Ending::Unread => {
            // peek() attend des octets sans les retirer du tampon : ils resteront non
            // lus.
            let mut first = [0u8; 1];
            stream.peek(&mut first)?;
            Ok(0)
        }
    }
    // Ici `stream` est détruit : close(). Selon le cas, le noyau envoie un FIN ou un
    // RST.
}
// ANCHOR_END: finish

/// Renvoie la première ligne reçue (au plus 4 Kio), puis rend la main sans lire la
/// suite.
fn echo_one_line(mut stream: &TcpStream) -> io::Result<u64> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    // Un octet à la fois : on ne doit rien lire au-delà de la fin de ligne.
    while line.len() < 4096 && line.last() != Some(&b'\n') {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => line.push(byte[0]),
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    stream.write_all(&line)?;
    Ok(line.len() as u64)
}
