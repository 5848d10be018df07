//! # Exercice 07 — connexion avec délai et contrôle de santé (solution)
//!
//! Le `check_server_health` du document 03 ne vérifiait que la connexion, et avec un
//! `except:` nu qui avalait jusqu'aux erreurs de programmation. Ici on vérifie que le
//! service RÉPOND (`PING` → `PONG`), chaque étape bornée par le délai, et on vérifie
//! tous les serveurs en parallèle.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

/// État d'un serveur vu par le contrôle de santé.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Le serveur a accepté la connexion et répondu `PONG` à temps.
    Up,
    /// Connexion refusée, délai dépassé ou mauvaise réponse.
    Down,
}

// ANCHOR: connect_with_timeout
/// Se connecte en au plus `timeout`, et borne aussi chaque lecture et écriture.
pub fn connect_with_timeout(
    addr: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    // Sans délai, connect() vers une machine muette attend les réémissions du SYN :
    // plus d'une minute sous Linux.
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    // Une connexion établie ne garantit rien : un serveur figé ne répondra jamais.
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}
// ANCHOR_END: connect_with_timeout

// ANCHOR: check_health
/// `Up` si le serveur répond `PONG` à `PING` dans le délai, `Down` sinon.
pub fn check_health(addr: SocketAddr, timeout: Duration) -> Health {
    match ping(addr, timeout) {
        Ok(true) => Health::Up,
        // Refus, délai, mauvaise réponse : pour un répartiteur, c'est pareil, le
        // serveur ne doit plus recevoir de clients.
        Ok(false) | Err(_) => Health::Down,
    }
}

fn ping(addr: SocketAddr, timeout: Duration) -> io::Result<bool> {
    let mut stream = connect_with_timeout(addr, timeout)?;
    stream.write_all(b"PING\n")?;
    let mut reply = String::new();
    // `take` borne la lecture : un serveur bavard sans `\n` ne remplit pas notre
    // mémoire.
    BufReader::new(stream.take(64)).read_line(&mut reply)?;
    Ok(reply == "PONG\n")
}
// ANCHOR_END: check_health

// ANCHOR: check_all
/// Vérifie tous les serveurs en même temps ; résultats dans l'ordre de `addrs`.
pub fn check_all(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Vec<(SocketAddr, Health)> {
    // Des threads « scopés » peuvent emprunter `addrs` : ils sont tous joints avant
    // la fin du bloc. Le temps total est celui du serveur le plus lent, pas la
    // somme.
    thread::scope(|scope| {
        let checks: Vec<_> = addrs
            .iter()
            .map(|&addr| scope.spawn(move || (addr, check_health(addr, timeout))))
            .collect();
        checks
            .into_iter()
            .zip(addrs)
            .map(|(check, &addr)| check.join().unwrap_or((addr, Health::Down)))
            .collect()
    })
}
// ANCHOR_END: check_all
