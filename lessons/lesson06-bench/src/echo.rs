//! Scénario « echo » : la boucle FERMÉE.
//!
//! Chaque connexion a exactement un message en vol : elle envoie une ligne, attend
//! son écho complet, vérifie qu'il est identique, et seulement alors envoie la
//! suivante. C'est la charge d'un client interactif, et le client ATTEND le serveur :
//! si le serveur ralentit, les clients ralentissent avec lui. Avec N connexions,
//! l'aller-retour vaut à peu près N divisé par le débit : la latence mesure surtout
//! la file que le test a construite.
//!
//! Pire : si le serveur se fige une seconde, chaque connexion n'a qu'UN message en
//! retard et n'envoie rien entre-temps : la mesure « oublie » ce qu'un vrai client
//! aurait envoyé pendant la panne. C'est l'omission coordonnée, qu'évite la boucle
//! ouverte du chat.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Poll};

use crate::net::{connect_all, receive_available, register, send_pending};
use crate::stats::{Latencies, Progress};
use crate::system::cpu_time;

/// Une charge d'écho : `connections` connexions, des lignes de `line_len` octets, une
/// chauffe non comptée (le temps que tampons et processeur se mettent en régime),
/// puis `duration`.
#[derive(Debug, Clone, Copy)]
pub struct EchoLoad {
    pub connections: usize,
    pub line_len: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Ce qu'a mesuré une charge, sur la fenêtre : échos complets, durée, allers-retours,
/// échos faux (un serveur rapide mais faux n'est pas rapide), connexions fermées, CPU
/// du serveur.
#[derive(Clone, Default)]
pub struct EchoOutcome {
    pub round_trips: u64,
    pub window: Duration,
    pub latency: Latencies,
    pub corrupted: u64,
    pub closed: u64,
    pub server_cpu: Option<Duration>,
}

impl EchoOutcome {
    pub fn round_trips_per_second(&self) -> f64 {
        self.round_trips as f64 / self.window.as_secs_f64().max(1e-9)
    }
}

/// Une connexion : sa ligne (`~numéro~xxxx…\n`), ce qui n'en est pas encore parti, ce
/// qui en est revenu, l'heure de l'envoi.
struct Connection {
    stream: TcpStream,
    line: Vec<u8>,
    unsent: Vec<u8>,
    received: Vec<u8>,
    sent_at: Instant,
    open: bool,
}

impl Connection {
    fn send_line(&mut self) {
        self.unsent.clone_from(&self.line);
        self.received.clear();
        self.sent_at = Instant::now();
        self.open &= send_pending(&mut self.stream, &mut self.unsent).is_ok();
    }
}

/// Mesure l'écho du serveur à `addr` sous la charge `load`, et son temps CPU si l'on
/// connaît son `pid`. Échoue (en français) si aucun écho n'arrive de toute la fenêtre
/// mesurée.
pub fn run_echo(
    addr: SocketAddr,
    load: EchoLoad,
    pid: Option<u32>,
    progress: &mut dyn FnMut(&Progress),
) -> io::Result<EchoOutcome> {
    let mut poll = Poll::new()?;
    let mut connections = Vec::with_capacity(load.connections);
    for (index, mut stream) in
        connect_all(addr, load.connections)?.into_iter().enumerate()
    {
        register(&poll, &mut stream, index)?;
        let mut line = format!("~{index}~").into_bytes();
        line.resize(load.line_len.max(line.len() + 1) - 1, b'x');
        line.push(b'\n');
        let (unsent, received, sent_at) = (Vec::new(), Vec::new(), Instant::now());
        connections.push(Connection {
            stream,
            line,
            unsent,
            received,
            sent_at,
            open: true,
        });
    }
    connections.iter_mut().for_each(Connection::send_line);
    let (start, mut echoed, mut outcome) =
        (Instant::now(), 0, EchoOutcome::default());
    // `Some(…)` dès que la fenêtre a commencé : le temps CPU du serveur à cet
    // instant.
    let (window_start, mut cpu_at_start) = (start + load.warmup, None);
    let (mut events, mut buffer) =
        (Events::with_capacity(1024), vec![0u8; 64 * 1024]);
    // ANCHOR: closed_loop
    // La fenêtre est bornée : un serveur bloqué ne fait pas pendre la mesure.
    while start.elapsed() < load.warmup + load.duration {
        let measuring = Instant::now() >= window_start;
        if measuring && cpu_at_start.is_none() {
            cpu_at_start = Some(pid.and_then(cpu_time));
        }
        match poll.poll(&mut events, Some(Duration::from_millis(50))) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            other => other?,
        }
        for event in &events {
            let connection = &mut connections[event.token().0];
            let Connection {
                stream,
                line,
                unsent,
                received,
                sent_at,
                open,
            } = connection;
            if !*open {
                continue;
            }
            // La fin d'une ligne coupée, s'il en reste.
            let written = send_pending(stream, unsent);
            let read =
                receive_available(stream, &mut buffer, |data| received.extend(data));
            if written.is_err() || read.is_err() {
                (*open, outcome.closed) = (false, outcome.closed + 1);
                continue;
            }
            // Pas encore complet ? TCP a pu couper l'écho en morceaux : on attend la
            // suite.
            if received.len() < line.len() {
                continue;
            }
            outcome.corrupted += u64::from(received != line);
            if measuring {
                outcome.round_trips += 1;
                outcome.latency.record(sent_at.elapsed());
            }
            // L'écho complet est là : alors, et alors seulement, la ligne suivante
            // part.
            echoed += 1;
            connection.send_line();
        }
        // Chaque connexion a une ligne en vol : une de plus envoyée que revenue.
        let sent = echoed + connections.len() as u64;
        progress(&Progress::since(start, sent, echoed));
    }
    // ANCHOR_END: closed_loop
    outcome.window = window_start.elapsed();
    if let (Some(Some(begin)), Some(end)) = (cpu_at_start, pid.and_then(cpu_time)) {
        outcome.server_cpu = Some(end.saturating_sub(begin));
    }
    if outcome.round_trips == 0 {
        // Zéro écho en toute une fenêtre n'est pas un débit de 0 : c'est une panne.
        let millis = load.duration.as_millis();
        let message =
            format!("aucun écho reçu en {millis} ms : le serveur ne répond plus");
        return Err(io::Error::new(ErrorKind::TimedOut, message));
    }
    Ok(outcome)
}
