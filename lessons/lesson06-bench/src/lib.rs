//! # Leçon 06 — mesurer : threads, boucle d'événements, tokio, face à la limite
//!
//! Les leçons 03, 04 et 05 résolvent le même problème (servir beaucoup de clients) de trois
//! façons : un thread par client, une boucle `epoll` avec mio, des tâches tokio. Ce banc
//! d'essai les soumet aux MÊMES charges et mesure ce qui compte sur une petite machine :
//!
//! - le **temps CPU du serveur par message** (écho) et **par livraison** (chat), lu dans
//!   `/proc/<pid>/stat` : le débit brut, lui, mesure surtout le générateur de charge quand
//!   les deux partagent deux cœurs ;
//! - le **débit soutenu** d'un chat en boucle ouverte : le plus haut palier sans perte avec
//!   une latence p99 sous 50 ms ;
//! - la **mémoire par connexion inactive** (VmRSS) et le nombre de threads.
//!
//! Chaque chiffre se lit face à une référence : un écho epoll minimal sur un seul thread
//! (voir [`reference`]), la limite physique de la machine.
//!
//! - Tout mesurer (quelques minutes) : `cargo run --release -p lesson06-bench`
//! - Passage rapide (moins d'une minute) : `cargo run --release -p lesson06-bench -- --quick`
//!
//! À observer : le coût d'un thread par client (mémoire, changements de contexte), ce
//! qu'économise une boucle d'événements, pourquoi tokio est proche de la boucle écrite à la
//! main, et pourquoi la diffusion d'un chat est bornée par les appels système (regrouper
//! les lignes d'un client en une seule écriture change tout).

pub mod capacity;
pub mod chat;
pub mod echo;
pub mod lessons;
pub mod reference;
pub mod report;
pub mod servers;
pub mod suite;
pub mod system;
pub mod targets;

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// File d'attente des connexions : assez longue pour des rafales de centaines de connexions.
pub const BACKLOG: i32 = 1024;

/// Socket d'écoute des serveurs du banc (même recette que la leçon 01, backlog plus long).
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
