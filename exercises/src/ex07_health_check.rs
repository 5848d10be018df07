//! # Exercice 07 — se connecter avec un délai, vérifier la santé d'un serveur
//!
//! Un `connect()` vers une machine qui ne répond pas peut attendre plus d'une
//! minute ; un `read()` vers un serveur figé, pour toujours. Un client sérieux borne
//! chaque étape. On s'en sert pour un « health check », comme les répartiteurs de
//! charge (document 03) : le serveur est-il vivant, et répond-il ?

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// État d'un serveur vu par le contrôle de santé.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Le serveur a accepté la connexion et répondu `PONG` à temps.
    Up,
    /// Connexion refusée, délai dépassé ou mauvaise réponse.
    Down,
}

/// Se connecte à `addr` en au plus `timeout`, et règle sur la socket obtenue des
/// délais de lecture et d'écriture égaux à `timeout`.
///
/// Indice : `TcpStream::connect_timeout`, `set_read_timeout`, `set_write_timeout` (la
/// leçon `lessons/lesson03-threads` en règle un), chapitre
/// `book/src/exercices/ex07-connexion-et-sante.md`.
#[allow(unused_variables)]
pub fn connect_with_timeout(
    addr: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    todo!("ex07 : connect_timeout puis délais de lecture et d'écriture")
}

/// Contrôle de santé : se connecter avec [`connect_with_timeout`], envoyer `PING\n`,
/// lire une ligne ; `Health::Up` seulement si la réponse est exactement `PONG\n`.
///
/// Toute erreur (refus, délai, réponse différente, connexion fermée) donne
/// `Health::Down`, jamais une panique. Chaque étape (connexion, envoi, lecture)
/// attend au plus `timeout`.
///
/// Notion réseau : « le port est ouvert » ne veut pas dire « le service répond ».
#[allow(unused_variables)]
pub fn check_health(addr: SocketAddr, timeout: Duration) -> Health {
    todo!("ex07 : PING, attendre PONG, Down à la moindre erreur")
}

/// Vérifie tous les serveurs EN MÊME TEMPS et rend leurs états dans l'ordre de
/// `addrs`.
///
/// Dix serveurs figés ne doivent pas coûter dix fois le délai : un thread par
/// serveur.
///
/// Indice : `std::thread::scope` ; leçon `lessons/lesson03-threads`.
#[allow(unused_variables)]
pub fn check_all(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Vec<(SocketAddr, Health)> {
    todo!("ex07 : un contrôle par thread, résultats dans l'ordre")
}
