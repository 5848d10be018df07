//! # Exercice 13 — un relais TCP (proxy) et un répartiteur de charge
//!
//! L'« API Gateway » et le « Load Balancer » du cours (document 03) : le relais
//! accepte un client, ouvre une connexion vers un serveur de l'arrière-plan
//! (« backend ») et copie les octets dans les deux sens. Le répartiteur choisit ce
//! backend à tour de rôle.
//!
//! Le proxy du cours ferme les DEUX sockets dès qu'un sens se termine : une réponse
//! encore en route est alors perdue. Ici, la fin d'un sens est transmise
//! (`shutdown(Write)`) et l'autre sens continue jusqu'à sa propre fin.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Copie `client → backend` et `backend → client` en même temps, jusqu'à ce que les
/// deux sens soient terminés. Renvoie
/// `(octets client→backend, octets backend→client)`.
///
/// À faire : un thread par sens (ou un thread de plus et le thread courant) ; quand
/// un sens lit la fin du flux, il appelle `shutdown(Shutdown::Write)` sur la socket
/// de destination pour transmettre la fin au pair, puis s'arrête. Une erreur dans un
/// sens met fin au relais.
///
/// Indice : `try_clone()` donne une deuxième poignée sur la même socket ; `io::copy`
/// fait la boucle de copie. Leçon `lessons/lesson03-threads`, chapitre
/// `book/src/exercices/ex13-relais-tcp.md`.
#[allow(unused_variables)]
pub fn relay(client: TcpStream, backend: TcpStream) -> io::Result<(u64, u64)> {
    todo!("ex13 : copier dans les deux sens, transmettre les fins de flux")
}

/// Choix des backends à tour de rôle (« round-robin »).
// Les champs sont une suggestion : changez-les si vous voulez (retirez alors ce
// `allow`).
#[allow(dead_code)]
pub struct RoundRobin {
    backends: Vec<SocketAddr>,
    next: usize,
}

impl RoundRobin {
    #[allow(unused_variables)]
    pub fn new(backends: Vec<SocketAddr>) -> Self {
        todo!("ex13 : retenir la liste et commencer au premier")
    }

    /// Le backend suivant : le 1er, le 2e, ..., le dernier, puis de nouveau le 1er.
    /// `None` s'il n'y a aucun backend.
    pub fn next_backend(&mut self) -> Option<SocketAddr> {
        todo!("ex13 : rendre le backend courant et avancer d'un cran")
    }
}

/// Le répartiteur : pour chaque client accepté, choisir le backend suivant, s'y
/// connecter (délai : 2 s) et relayer dans un thread. Si le backend est injoignable,
/// fermer la connexion de CE client seulement ; le répartiteur continue. Ne rend la
/// main qu'en cas d'erreur fatale.
#[allow(unused_variables)]
pub fn serve_proxy(
    listener: TcpListener,
    backends: Vec<SocketAddr>,
) -> io::Result<()> {
    todo!("ex13 : accepter, choisir un backend, relayer dans un thread")
}
