//! # Exercice 13 — un relais TCP et un répartiteur de charge (solution)
//!
//! L'« API Gateway » et le « Load Balancer » du document 03. Le `forward` du Python
//! fermait les DEUX sockets dès qu'un sens atteignait la fin : une requête HTTP/1.0
//! suivie d'un `shutdown(SHUT_WR)` perdait sa réponse. Ici la fin d'un sens est
//! transmise par `shutdown(Write)` et l'autre sens continue. Et le `handle` du
//! répartiteur n'était jamais écrit (« similaire à l'exemple précédent ») : le voici.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Délai de connexion à un backend : au-delà, il est considéré comme injoignable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

// ANCHOR: relay
/// Copie dans les deux sens en même temps, jusqu'à la fin des deux sens.
/// Rend `(octets client→backend, octets backend→client)`.
pub fn relay(client: TcpStream, backend: TcpStream) -> io::Result<(u64, u64)> {
    // Deux poignées par socket : chaque sens a son lecteur et son écrivain.
    let client_reader = client.try_clone()?;
    let backend_reader = backend.try_clone()?;
    // Un sens dans un thread « scopé », l'autre dans le thread courant : les deux
    // copies avancent en même temps, sinon une conversation (requête, réponse,
    // requête...) se bloquerait au premier échange.
    thread::scope(|scope| {
        let upstream = scope.spawn(|| pipe(client_reader, backend));
        let downstream = pipe(backend_reader, client);
        let upstream = upstream.join().unwrap_or_else(|_| {
            Err(io::Error::other("le thread de copie a paniqué"))
        });
        Ok((upstream?, downstream?))
    })
}

/// Copie `from` vers `to` jusqu'à la fin de `from`, puis transmet cette fin.
fn pipe(mut from: TcpStream, mut to: TcpStream) -> io::Result<u64> {
    match io::copy(&mut from, &mut to) {
        Ok(copied) => {
            // Le pair de `to` lira 0 octet : « la requête est finie ». L'autre sens,
            // lui, continue. Il peut déjà être fermé : ce n'est pas une
            // erreur.
            let _ = to.shutdown(Shutdown::Write);
            Ok(copied)
        }
        Err(err) => {
            // Une erreur dans un sens met fin au relais : on débloque aussi l'autre
            // sens, qui attendrait sinon des octets qui ne viendront
            // plus.
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            Err(err)
        }
    }
}
// ANCHOR_END: relay

// ANCHOR: round_robin
/// Choix des backends à tour de rôle (« round-robin »).
pub struct RoundRobin {
    backends: Vec<SocketAddr>,
    next: usize,
}

impl RoundRobin {
    pub fn new(backends: Vec<SocketAddr>) -> Self {
        RoundRobin { backends, next: 0 }
    }

    /// Le backend suivant, ou `None` s'il n'y en a aucun (le `% len` du Python
    /// divisait par zéro dans ce cas).
    pub fn next_backend(&mut self) -> Option<SocketAddr> {
        let backend = *self.backends.get(self.next)?;
        self.next = (self.next + 1) % self.backends.len();
        Some(backend)
    }
}
// ANCHOR_END: round_robin

// ANCHOR: serve_proxy
/// Le répartiteur : chaque client est relayé vers le backend suivant, dans son
/// thread.
pub fn serve_proxy(
    listener: TcpListener,
    backends: Vec<SocketAddr>,
) -> io::Result<()> {
    let mut round_robin = RoundRobin::new(backends);
    loop {
        let (client, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(err) => {
                eprintln!("accept() a échoué : {err} ; on continue.");
                continue;
            }
        };
        let Some(backend_addr) = round_robin.next_backend() else {
            eprintln!("aucun backend configuré : connexion de {peer} fermée");
            continue;
        };
        // La connexion au backend se fait dans le thread du client : un backend lent
        // ne retarde pas l'accueil des clients suivants.
        thread::spawn(move || {
            match TcpStream::connect_timeout(&backend_addr, CONNECT_TIMEOUT) {
                Ok(backend) => {
                    if let Err(err) = relay(client, backend) {
                        eprintln!(
                            "relais {peer} ↔ {backend_addr} interrompu : {err}"
                        );
                    }
                }
                // `client` est détruit ici : sa connexion est fermée, les autres
                // continuent.
                Err(err) => eprintln!(
                    "backend {backend_addr} injoignable pour {peer} : {err}"
                ),
            }
        });
    }
}
// ANCHOR_END: serve_proxy
