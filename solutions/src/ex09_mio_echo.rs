//! # Exercice 09 — un écho sur une boucle d'événements mio (solution)
//!
//! Un seul thread sert tous les clients. Le serveur `select` du TP (document 04, §
//! 1.2) renvoyait les données avec `sclient.sendall(data)` : `sclient` est la
//! variable du DERNIER `accept()`, pas la socket qui vient de parler. Ici chaque
//! connexion a son jeton, et l'écho repart sur la socket de ce jeton. Et `sendall`
//! sur une socket en attente bloquait tout le serveur ; ici ce qui ne peut pas être
//! écrit attend dans le tampon de la connexion.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpListener;

use mio::net::{TcpListener as MioListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

/// Le jeton de la socket d'écoute ; les clients reçoivent 1, 2, 3...
const LISTENER: Token = Token(0);

/// Au-delà de ce nombre d'octets en attente d'écriture, on cesse de lire ce client :
/// un client qui envoie sans jamais lire ne doit pas remplir notre mémoire.
const MAX_PENDING: usize = 64 * 1024;

/// Une connexion et les octets d'écho qu'elle n'a pas encore pu écrire.
struct Connection {
    stream: TcpStream,
    pending: Vec<u8>,
    peer_closed: bool,
}

// ANCHOR: event_loop
/// Sert un écho à tous les clients sur UN thread, pour toujours.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    // mio exige une socket non bloquante : accept() et read() rendront WouldBlock au
    // lieu d'attendre.
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut connections: HashMap<Token, Connection> = HashMap::new();
    let mut next_token = 1;
    let mut events = Events::with_capacity(256);
    loop {
        // Le seul appel bloquant du serveur : « réveille-moi quand une socket est
        // prête ».
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                accept_all(
                    &listener,
                    poll.registry(),
                    &mut connections,
                    &mut next_token,
                );
                continue;
            }
            // C'est LA connexion de ce jeton qui est prête : c'est à elle qu'on
            // répond.
            let keep = match connections.get_mut(&token) {
                Some(connection) => connection.drive().unwrap_or(false),
                None => continue,
            };
            if !keep {
                if let Some(mut connection) = connections.remove(&token) {
                    let _ = poll.registry().deregister(&mut connection.stream);
                }
            }
        }
    }
}
// ANCHOR_END: event_loop

/// Accepte TOUTES les connexions en attente : mio prévient une fois (sur front), pas
/// une fois par connexion.
fn accept_all(
    listener: &MioListener,
    registry: &Registry,
    connections: &mut HashMap<Token, Connection>,
    next_token: &mut usize,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, _peer)) => {
                let token = Token(*next_token);
                *next_token += 1;
                // Lisible ET inscriptible, une fois pour toutes : les événements
                // arrivent sur front (« c'est devenu prêt »), donc
                // pas de réveil inutile.
                let interest = Interest::READABLE | Interest::WRITABLE;
                if let Err(err) = registry.register(&mut stream, token, interest) {
                    eprintln!("impossible de surveiller un nouveau client : {err}");
                    continue;
                }
                connections.insert(
                    token,
                    Connection {
                        stream,
                        pending: Vec::new(),
                        peer_closed: false,
                    },
                );
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => {
                eprintln!("accept() a échoué : {err} ; on continue.");
                return;
            }
        }
    }
}

// ANCHOR: drive
impl Connection {
    /// Avance autant que possible sans bloquer. Rend `false` quand la connexion est
    /// finie.
    fn drive(&mut self) -> io::Result<bool> {
        let mut buffer = [0u8; 4096];
        loop {
            // D'abord vider l'écho en attente, jusqu'à ce que le noyau dise
            // « plein ».
            while !self.pending.is_empty() {
                match self.stream.write(&self.pending) {
                    Ok(0) => return Err(ErrorKind::WriteZero.into()),
                    Ok(written) => {
                        self.pending.drain(..written);
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                }
            }
            if self.peer_closed {
                // Le client a fini d'envoyer : on garde la connexion le temps de tout
                // renvoyer.
                return Ok(!self.pending.is_empty());
            }
            if self.pending.len() >= MAX_PENDING {
                return Ok(true); // en pause : on attend l'événement WRITABLE
            }
            match self.stream.read(&mut buffer) {
                Ok(0) => self.peer_closed = true,
                Ok(received) => self.pending.extend_from_slice(&buffer[..received]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }
}
// ANCHOR_END: drive
