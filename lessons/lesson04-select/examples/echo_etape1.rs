//! Leçon 04, étape 1 : la plus courte boucle d'événements qui fasse un écho.
//!
//! Un seul thread, une seule attente (`poll`) pour toutes les sockets. Cette version
//! marche pour de petites lignes ; l'étape 2 montre ce qu'elle perd quand le noyau
//! refuse d'écrire.
//!
//! `cargo run -p lesson04-select --example echo_etape1` (écoute sur 127.0.0.1:7777)

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// Le jeton de la socket d'écoute ; les clients reçoivent les suivants.
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
    println!("Étape 1 : écho en écoute sur {addr} (Ctrl+C pour l'arrêter).");
    serve(listener)
}

// ANCHOR: serve
/// La boucle : attendre, puis traiter chaque événement, pour toujours.
pub fn serve(mut listener: TcpListener) -> io::Result<()> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut clients: HashMap<Token, TcpStream> = HashMap::new();
    let mut next_token = 1;
    let mut events = Events::with_capacity(128);
    loop {
        // Le seul endroit où le thread dort : jusqu'à ce qu'une socket au moins soit
        // prête.
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                // Par front : un seul événement pour peut-être plusieurs clients en
                // attente. On accepte donc jusqu'à WouldBlock.
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
                            clients.insert(token, stream);
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(err),
                    }
                }
            } else if let Some(stream) = clients.get_mut(&event.token()) {
                if !echo_what_arrived(stream) {
                    // Fin de flux ou erreur : retirer la socket la ferme (Drop).
                    clients.remove(&event.token());
                }
            }
        }
    }
}

/// Lit tout ce qui est arrivé (jusqu'à WouldBlock) et le renvoie. Rend `false` quand
/// la connexion est finie.
fn echo_what_arrived(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return false,
            // DÉFAUT de cette étape : `write` peut n'accepter qu'une partie des
            // octets, ou rendre WouldBlock si le client ne lit pas. Ce
            // qui n'est pas accepté est perdu.
            Ok(received) => {
                if stream.write(&buffer[..received]).is_err() {
                    return false;
                }
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}
// ANCHOR_END: serve

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::time::Duration;

    #[test]
    fn une_petite_ligne_revient() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || serve(listener));
        let mut client = std::net::TcpStream::connect(addr)?;
        client.set_read_timeout(Some(Duration::from_secs(5)))?;
        client.write_all(b"bonjour\n")?;
        let mut line = String::new();
        io::BufReader::new(client).read_line(&mut line)?;
        assert_eq!(line, "bonjour\n", "l'écho doit revenir à l'identique");
        Ok(())
    }
}
