//! # Exercice 08 — fermer proprement (solution)
//!
//! Le `graceful_shutdown` du document 03 : FIN d'abord, vidange, puis close. Le
//! Python affichait le délai dépassé et continuait comme si de rien n'était ; ici
//! l'appelant reçoit une erreur `TimedOut` et peut décider.

use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

// ANCHOR: graceful_close
/// Ferme poliment `stream` et renvoie le nombre d'octets reçus pendant la vidange.
pub fn graceful_close(mut stream: TcpStream, timeout: Duration) -> io::Result<u64> {
    // 1. Notre FIN : le pair lira 0 octet, mais SON sens d'envoi reste ouvert.
    stream.shutdown(Shutdown::Write)?;
    // 2. On lit jusqu'à SON FIN. Fermer avec des données non lues dans notre tampon
    //    de réception ferait envoyer un RST au lieu d'un FIN, et le pair pourrait
    //    perdre la fin de ce que nous lui avions envoyé. Le délai porte sur la
    //    vidange ENTIÈRE : un pair qui envoie un octet de temps en temps ne doit pas
    //    nous retenir indéfiniment (le Python, avec settimeout, l'aurait attendu pour
    //    toujours).
    let deadline = Instant::now() + timeout;
    let mut drained = 0;
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(timed_out(timeout));
        }
        stream.set_read_timeout(Some(remaining))?;
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(drained),
            Ok(received) => drained += received as u64,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            // Le délai se manifeste par WouldBlock sous Unix, TimedOut sous Windows.
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out(timeout));
            }
            Err(err) => return Err(err),
        }
    }
    // 3. En sortant, `stream` est détruit : close() libère la socket.
}
// ANCHOR_END: graceful_close

fn timed_out(timeout: Duration) -> io::Error {
    io::Error::new(
        ErrorKind::TimedOut,
        format!("le pair n'a pas fermé sa moitié de la connexion en {timeout:?}"),
    )
}
