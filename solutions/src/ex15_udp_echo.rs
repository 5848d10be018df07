//! # Exercice 15 — l'écho en UDP (solution)
//!
//! Pas de `listen`, pas d'`accept`, pas de connexion : une seule socket reçoit les
//! datagrammes de tout le monde, chacun avec l'adresse de son expéditeur. Rien ne
//! signale une perte : c'est le client qui borne son attente et le dit à l'appelant
//! (`Ok(None)`).

use std::io::{self, ErrorKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Taille du tampon de réception : un datagramme UDP sur IPv4 fait au plus 65 507
/// octets.
pub const MAX_DATAGRAM: usize = 65_507;

// ANCHOR: serve_udp_echo
/// Renvoie chaque datagramme reçu à son expéditeur, pour toujours.
pub fn serve_udp_echo(socket: UdpSocket) -> io::Result<()> {
    // Un tampon plus petit que le datagramme le TRONQUE sans erreur : on prend le
    // maximum.
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, sender) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            // Sous Windows, un « ICMP port unreachable » provoqué par un ancien
            // client ressort ici : ce n'est pas une raison pour arrêter
            // le serveur.
            Err(err) if is_transient(&err) => continue,
            Err(err) => return Err(err),
        };
        // Chaque réponse part vers l'adresse de SON datagramme : pas de socket par
        // client.
        if let Err(err) = socket.send_to(&buffer[..len], sender) {
            eprintln!("réponse à {sender} impossible : {err}");
        }
    }
}
// ANCHOR_END: serve_udp_echo

fn is_transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Interrupted
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionRefused
    )
}

// ANCHOR: udp_request
/// Envoie `payload` et attend la réponse du serveur au plus `timeout` : `Ok(None)` si
/// rien n'arrive (perte du datagramme ou de sa réponse).
pub fn udp_request(
    server: SocketAddr,
    payload: &[u8],
    timeout: Duration,
) -> io::Result<Option<Vec<u8>>> {
    // Un port libre sur la même famille que le serveur ; sur la boucle locale si le
    // serveur y est, pour ne pas s'exposer au réseau.
    let ip = match server.ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let socket = UdpSocket::bind((ip, 0))?;
    // Trop gros pour un datagramme ? send_to le refuse : l'erreur remonte à
    // l'appelant.
    socket.send_to(payload, server)?;

    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        socket.set_read_timeout(Some(remaining))?;
        match socket.recv_from(&mut buffer) {
            Ok((len, from)) if from == server => {
                return Ok(Some(buffer[..len].to_vec()));
            }
            // N'importe qui peut envoyer un datagramme à notre port : on l'ignore.
            Ok(_) => continue,
            // Délai expiré : WouldBlock sous Unix, TimedOut sous Windows.
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            // « Port injoignable » : personne n'écoute, la réponse ne viendra jamais.
            Err(err) if is_transient(&err) => return Ok(None),
            Err(err) => return Err(err),
        }
    }
}
// ANCHOR_END: udp_request
