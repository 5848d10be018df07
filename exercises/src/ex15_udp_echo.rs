//! # Exercice 15 — l'écho en UDP
//!
//! Le « serveur en UDP » suggéré par le document 01. UDP n'a pas de connexion :
//! chaque datagramme voyage seul, avec l'adresse de son expéditeur, et peut se perdre
//! sans que personne ne prévienne. C'est donc au client de ne pas attendre
//! indéfiniment, et de dire clairement à l'appelant « pas de réponse ».

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Taille du tampon de réception : un datagramme UDP sur IPv4 fait au plus 65 507
/// octets. Un tampon plus petit TRONQUE les datagrammes plus longs, sans erreur.
pub const MAX_DATAGRAM: usize = 65_507;

/// Renvoie chaque datagramme reçu à son expéditeur, pour toujours.
///
/// À faire : `recv_from` rend les octets ET l'adresse de l'expéditeur ; `send_to` à
/// cette adresse. Une erreur sur un datagramme (par exemple un « ICMP port
/// unreachable » d'un ancien client, signalé sous Windows comme `ConnectionReset`) ne
/// doit pas arrêter le serveur.
///
/// Indice : leçon `lessons/lesson01-echo` (la version TCP), chapitre
/// `book/src/exercices/ex15-echo-udp.md`.
#[allow(unused_variables)]
pub fn serve_udp_echo(socket: UdpSocket) -> io::Result<()> {
    todo!("ex15 : recv_from puis send_to à l'expéditeur, en boucle")
}

/// Envoie `payload` au serveur depuis une socket sur un port libre (`127.0.0.1:0`, ou
/// `[::1]:0` si le serveur est en IPv6) et attend la réponse au plus `timeout`.
///
/// - `Ok(Some(réponse))` : la réponse du serveur (les datagrammes venant d'une AUTRE
///   adresse que le serveur sont ignorés) ;
/// - `Ok(None)` : rien reçu à temps, le datagramme ou sa réponse s'est perdu ;
/// - `Err(...)` : une vraie erreur (datagramme trop gros, etc.).
///
/// Attention : sous Unix un délai expiré donne `WouldBlock`, sous Windows `TimedOut`.
#[allow(unused_variables)]
pub fn udp_request(
    server: SocketAddr,
    payload: &[u8],
    timeout: Duration,
) -> io::Result<Option<Vec<u8>>> {
    todo!("ex15 : send_to, puis recv_from avec délai ; None si rien n'arrive")
}
