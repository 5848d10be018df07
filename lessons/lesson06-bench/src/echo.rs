//! Charge d'écho en boucle FERMÉE : chaque connexion a exactement un message en vol.
//! Elle envoie une ligne, attend son écho complet, vérifie qu'il est identique, puis
//! envoie la suivante. Le débit mesure donc le temps d'aller-retour, et le serveur
//! n'est jamais submergé : c'est la charge d'un client interactif.
//!
//! Un seul thread (une boucle mio) simule toutes les connexions, pour laisser l'autre cœur
//! au serveur.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::system;

/// Les paramètres d'une mesure d'écho.
#[derive(Debug, Clone, Copy)]
pub struct EchoLoad {
    /// Nombre de connexions simultanées, chacune avec un message en vol.
    pub connections: usize,
    /// Taille de chaque ligne, fin de ligne comprise.
    pub line_len: usize,
    /// Chauffe : connexions établies, caches et allocateur du serveur « chauds ».
    pub warmup: Duration,
    /// Fenêtre mesurée, après la chauffe.
    pub measure: Duration,
}

/// Ce qu'a mesuré une charge d'écho (sur la fenêtre mesurée seulement).
#[derive(Debug, Clone)]
pub struct EchoOutcome {
    /// Échos complets et identiques reçus pendant la fenêtre.
    pub messages: u64,
    /// Durée exacte de la fenêtre.
    pub window: Duration,
    /// Aller-retour, en nanosecondes.
    pub latency: Histogram<u64>,
    /// Temps CPU du serveur pendant la fenêtre, si le système le dit.
    pub server_cpu: Option<Duration>,
    /// Échos différents de la ligne envoyée (doit rester à 0).
    pub corrupted: u64,
    /// Connexions fermées par le serveur pendant la mesure (doit rester à 0).
    pub closed: u64,
}

impl EchoOutcome {
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// Temps CPU du serveur par message, en microsecondes.
    pub fn cpu_per_message_us(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.messages > 0).then(|| cpu.as_secs_f64() * 1e6 / self.messages as f64)
    }
}

/// Une connexion du générateur.
struct Connection {
    stream: TcpStream,
    /// La ligne en vol (celle dont on attend l'écho).
    line: Vec<u8>,
    sent_at: Instant,
    /// Octets de la ligne pas encore écrits (le tampon d'envoi était plein).
    unsent_from: usize,
    /// Octets reçus de l'écho en cours.
    received: Vec<u8>,
    seq: u64,
    open: bool,
}

/// Une ligne de `len` octets, reconnaissable : `~connexion:numéro~xxxx…\n`.
fn make_line(line: &mut Vec<u8>, connection: usize, seq: u64, len: usize) {
    line.clear();
    let _ = write!(line, "~{connection}:{seq}~");
    line.resize(len.max(line.len() + 1) - 1, b'x');
    line.push(b'\n');
}

/// Histogramme de latences en nanosecondes, de 1 ns à 10 min, 3 chiffres significatifs.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000_000, 3).expect("bornes d'histogramme valides")
}

/// Ouvre `count` connexions vers `addr`, en mode non bloquant, TCP_NODELAY activé.
///
/// TCP_NODELAY désactive l'algorithme de Nagle : sans lui, une petite écriture peut attendre
/// jusqu'à 40 ms l'accusé de réception de la précédente, et l'on mesurerait ce délai.
pub fn connect_many(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpStream>> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        let stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        streams.push(TcpStream::from_std(stream));
    }
    Ok(streams)
}

/// Mesure l'écho de `addr` sous la charge `load`. `server_pid` sert à lire son temps CPU.
/// Échoue (en français) si aucun écho n'arrive de toute la fenêtre mesurée.
pub fn run_echo(
    addr: SocketAddr,
    load: EchoLoad,
    server_pid: Option<u32>,
) -> io::Result<EchoOutcome> {
    let mut poll = Poll::new()?;
    let mut connections = Vec::with_capacity(load.connections);
    for (index, mut stream) in connect_many(addr, load.connections)?
        .into_iter()
        .enumerate()
    {
        poll.registry().register(
            &mut stream,
            Token(index),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        connections.push(Connection {
            stream,
            line: Vec::with_capacity(load.line_len),
            sent_at: Instant::now(),
            unsent_from: 0,
            received: Vec::with_capacity(load.line_len),
            seq: 0,
            open: true,
        });
    }
    let start = Instant::now();
    for (index, connection) in connections.iter_mut().enumerate() {
        send_next(connection, index, load.line_len);
    }
    let window_start = start + load.warmup;
    let window_end = window_start + load.measure;
    let mut outcome = EchoOutcome {
        messages: 0,
        window: load.measure,
        latency: new_histogram(),
        server_cpu: None,
        corrupted: 0,
        closed: 0,
    };
    let mut cpu_at_start = None;
    let mut measuring = false;
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let now = Instant::now();
        if !measuring && now >= window_start {
            measuring = true;
            cpu_at_start = server_pid.and_then(system::cpu_time);
            outcome.window = Duration::ZERO;
        }
        if now >= window_end {
            // Un serveur bloqué ne fait pas pendre la mesure (la fenêtre est bornée), mais
            // zéro écho en toute une fenêtre n'est pas un débit de 0 : c'est une panne.
            if outcome.messages == 0 {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!(
                        "aucun écho reçu en {} ms : le serveur ne répond plus",
                        load.measure.as_millis()
                    ),
                ));
            }
            outcome.window = now - window_start;
            let cpu_at_end = server_pid.and_then(system::cpu_time);
            if let (Some(begin), Some(end)) = (cpu_at_start, cpu_at_end) {
                outcome.server_cpu = Some(end.saturating_sub(begin));
            }
            return Ok(outcome);
        }
        let next_boundary = if measuring { window_end } else { window_start };
        let timeout = next_boundary
            .saturating_duration_since(now)
            .min(Duration::from_millis(50));
        match poll.poll(&mut events, Some(timeout)) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            other => other?,
        }
        for event in &events {
            let index = event.token().0;
            let connection = &mut connections[index];
            if !connection.open {
                continue;
            }
            flush(connection);
            receive(
                connection,
                index,
                &load,
                &mut buffer,
                measuring,
                &mut outcome,
            );
        }
    }
}

/// Prépare et envoie la ligne suivante de cette connexion.
fn send_next(connection: &mut Connection, index: usize, line_len: usize) {
    connection.seq += 1;
    make_line(&mut connection.line, index, connection.seq, line_len);
    connection.unsent_from = 0;
    connection.received.clear();
    connection.sent_at = Instant::now();
    flush(connection);
}

fn flush(connection: &mut Connection) {
    while connection.open && connection.unsent_from < connection.line.len() {
        match connection
            .stream
            .write(&connection.line[connection.unsent_from..])
        {
            Ok(written) => connection.unsent_from += written,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => connection.open = false,
        }
    }
}

// ANCHOR: closed_loop
fn receive(
    connection: &mut Connection,
    index: usize,
    load: &EchoLoad,
    buffer: &mut [u8],
    measuring: bool,
    outcome: &mut EchoOutcome,
) {
    loop {
        let received = match connection.stream.read(buffer) {
            Ok(0) => {
                connection.open = false;
                outcome.closed += 1;
                return;
            }
            Ok(received) => received,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                connection.open = false;
                outcome.closed += 1;
                return;
            }
        };
        connection.received.extend_from_slice(&buffer[..received]);
        // Un seul message en vol : l'écho complet fait exactement la longueur de la ligne.
        if connection.received.len() >= connection.line.len() {
            if connection.received != connection.line {
                outcome.corrupted += 1;
            }
            if measuring {
                outcome.messages += 1;
                let nanos = connection.sent_at.elapsed().as_nanos() as u64;
                let _ = outcome.latency.record(nanos.max(1));
            }
            send_next(connection, index, load.line_len);
        }
    }
}

// ANCHOR_END: closed_loop

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_ligne_a_exactement_la_taille_demandee() {
        let mut line = Vec::new();
        for len in [16, 64, 512] {
            make_line(&mut line, 999, 123_456, len);
            assert_eq!(line.len(), len, "la ligne doit faire {len} octets");
            assert_eq!(line.last(), Some(&b'\n'), "la ligne finit par \\n");
        }
    }
}
