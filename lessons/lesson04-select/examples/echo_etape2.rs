//! Leçon 04, étape 2 : garder ce que le noyau refuse, et attendre WRITABLE pour
//! l'envoyer.
//!
//! À l'étape 1, un `write` partiel perdait la fin de l'écho. Ici, chaque connexion
//! garde les octets que le noyau n'a pas encore acceptés (`pending`), et on demande à
//! `poll` de nous prévenir quand la socket redevient inscriptible. C'est l'« état
//! explicite » d'une boucle d'événements : ce que le thread de la leçon 03 gardait
//! sur sa pile, on le range ici.
//!
//! Il reste un défaut, corrigé par la leçon elle-même (`src/echo.rs`) : un client qui
//! envoie sans jamais lire fait grossir `pending` sans limite. La leçon cesse alors
//! de le lire.
//!
//! `cargo run -p lesson04-select --example echo_etape2` (écoute sur 127.0.0.1:7777)

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

const LISTENER: Token = Token(0);

fn main() -> io::Result<()> {
    // L'adresse d'écoute en argument (127.0.0.1:7777 par défaut).
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_string());
    let addr = addr.parse().map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            format!("adresse invalide : « {addr} »"),
        )
    })?;
    let listener = TcpListener::bind(addr)?;
    println!("Étape 2 : écho en écoute sur {addr} (Ctrl+C pour l'arrêter).");
    serve(listener)
}

// ANCHOR: connection
/// Ce que la boucle doit retenir d'un client entre deux événements.
struct Connection {
    stream: TcpStream,
    /// L'écho que le noyau n'a pas encore accepté.
    pending: Vec<u8>,
    /// Le client a fermé son sens d'envoi : on finit d'envoyer, puis on ferme.
    finished: bool,
}
// ANCHOR_END: connection

pub fn serve(mut listener: TcpListener) -> io::Result<()> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut clients: HashMap<Token, Connection> = HashMap::new();
    let mut next_token = 1;
    let mut events = Events::with_capacity(128);
    loop {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(next_token);
                            next_token += 1;
                            poll.registry().register(
                                &mut stream,
                                token,
                                Interest::READABLE,
                            )?;
                            let connection = Connection {
                                stream,
                                pending: Vec::new(),
                                finished: false,
                            };
                            clients.insert(token, connection);
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(err),
                    }
                }
            } else if let Some(connection) = clients.get_mut(&event.token()) {
                if !on_event(poll.registry(), event.token(), connection) {
                    clients.remove(&event.token());
                }
            }
        }
    }
}

// ANCHOR: on_event
/// Un événement pour un client : lire ce qui est arrivé, envoyer ce qui peut l'être,
/// puis dire à `poll` ce qu'on attend maintenant. Rend `false` quand la connexion est
/// finie.
fn on_event(registry: &Registry, token: Token, connection: &mut Connection) -> bool {
    if !connection.finished && !read_into_pending(connection) {
        return false;
    }
    // Écrire ce que le noyau accepte ; garder le reste pour le prochain WRITABLE.
    while !connection.pending.is_empty() {
        match connection.stream.write(&connection.pending) {
            Ok(0) => return false,
            Ok(written) => {
                connection.pending.drain(..written);
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    if connection.finished && connection.pending.is_empty() {
        return false; // tout l'écho est parti : on ferme
    }
    // Par front, mio ne redonnera WRITABLE que quand la place revient : on le demande
    // tant qu'il reste des octets, et on ne lit plus un client qui a fini
    // d'envoyer.
    let interest = match (connection.finished, connection.pending.is_empty()) {
        (false, true) => Interest::READABLE,
        (false, false) => Interest::READABLE | Interest::WRITABLE,
        (true, _) => Interest::WRITABLE,
    };
    registry
        .reregister(&mut connection.stream, token, interest)
        .is_ok()
}
// ANCHOR_END: on_event

/// Lit jusqu'à WouldBlock et ajoute tout à `pending`. Rend `false` sur une erreur.
fn read_into_pending(connection: &mut Connection) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        match connection.stream.read(&mut buffer) {
            Ok(0) => {
                connection.finished = true;
                return true;
            }
            Ok(received) => connection.pending.extend_from_slice(&buffer[..received]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Shutdown;
    use std::time::Duration;

    /// Un mébioctet envoyé d'un coup revient entier : rien n'est perdu quand le noyau
    /// refuse une partie de l'écho (ce que l'étape 1 ne garantissait pas).
    #[test]
    fn un_mebioctet_revient_entier() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || serve(listener));
        let mut client = std::net::TcpStream::connect(addr)?;
        client.set_read_timeout(Some(Duration::from_secs(5)))?;
        client.set_write_timeout(Some(Duration::from_secs(5)))?;
        let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        let mut writer = client.try_clone()?;
        let sent = payload.clone();
        let sender = std::thread::spawn(move || -> io::Result<()> {
            writer.write_all(&sent)?;
            writer.shutdown(Shutdown::Write)
        });
        let mut received = Vec::new();
        client.read_to_end(&mut received)?;
        sender.join().expect("le thread d'envoi a paniqué")?;
        assert_eq!(received.len(), payload.len(), "tout l'écho doit revenir");
        assert!(received == payload, "l'écho doit être identique à l'envoi");
        Ok(())
    }
}
