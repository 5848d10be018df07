//! Capacité : combien coûte une connexion qui ne fait rien ?
//!
//! On ouvre des milliers de connexions inactives, chacune ayant échangé une ligne
//! (pour que le serveur ait vraiment créé son état : thread, tâche, tampons), puis on
//! lit la mémoire résidente (VmRSS) et le nombre de threads du serveur. Un serveur à
//! un thread par client paie une pile par connexion ; une boucle d'événements ne paie
//! que ses tampons.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use lesson06_bench::Scenario;
use lesson06_bench::system::{MemoryUse, memory_use};

/// Connexions ouvertes puis vérifiées par lots : le backlog du serveur ne déborde
/// pas.
const BATCH: usize = 250;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Le résultat d'une mesure de capacité.
#[derive(Debug, Clone)]
pub struct CapacityOutcome {
    /// Connexions établies ET servies (elles ont reçu leur réponse).
    pub connected: usize,
    /// Mémoire du serveur avant la première connexion.
    pub before: Option<MemoryUse>,
    /// Mémoire du serveur avec toutes les connexions ouvertes.
    pub after: Option<MemoryUse>,
    /// Pourquoi on s'est arrêté avant `target`, en français.
    pub stopped_by: Option<String>,
}

impl CapacityOutcome {
    /// Octets de mémoire résidente par connexion.
    pub fn bytes_per_connection(&self) -> Option<f64> {
        let (before, after) = (self.before?, self.after?);
        (self.connected > 0).then(|| {
            after.rss_bytes.saturating_sub(before.rss_bytes) as f64
                / self.connected as f64
        })
    }
}

/// Ouvre `target` connexions inactives vers le serveur `pid` à `addr`, qui parle
/// `speaks`.
pub fn run_capacity(
    addr: SocketAddr,
    target: usize,
    speaks: Scenario,
    pid: Option<u32>,
) -> CapacityOutcome {
    let before = pid.and_then(memory_use);
    let mut streams: Vec<TcpStream> = Vec::with_capacity(target);
    // Connexions vérifiées : celles d'un lot interrompu sont peut-être établies (le
    // noyau termine la poignée de main seul, dans la file d'attente), pas
    // forcément servies.
    let mut served = 0;
    let mut stopped_by = None;
    while served < target && stopped_by.is_none() {
        let batch = BATCH.min(target - served);
        match open_batch(addr, batch, speaks, &mut streams) {
            Ok(()) => served = streams.len(),
            Err(err) => stopped_by = Some(explain(&err, served)),
        }
    }
    let mut after = pid.and_then(memory_use);
    if after.is_none() && stopped_by.is_some() {
        // Sans descripteur libre, même /proc/<pid>/status ne s'ouvre plus : on en
        // rend quelques-uns avant de relire.
        streams.truncate(streams.len().saturating_sub(16));
        after = pid.and_then(memory_use);
    }
    CapacityOutcome {
        connected: served.min(streams.len()),
        before,
        after,
        stopped_by,
    }
}

/// Ouvre `count` connexions, puis vérifie que le serveur répond sur chacune : l'écho
/// revient, ou le chat envoie sa première ligne (« *** Bienvenue » des leçons 03 et
/// 04, la question du pseudo de la leçon 05). Le serveur a donc bien accepté la
/// connexion et créé son état.
fn open_batch(
    addr: SocketAddr,
    count: usize,
    speaks: Scenario,
    streams: &mut Vec<TcpStream>,
) -> io::Result<()> {
    let first = streams.len();
    for _ in 0..count {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    if speaks == Scenario::Echo {
        for stream in &mut streams[first..] {
            stream.write_all(b"x\n")?;
        }
    }
    for stream in &mut streams[first..] {
        read_line(stream)?;
    }
    Ok(())
}

fn read_line(stream: &mut TcpStream) -> io::Result<()> {
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte)? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "le serveur a fermé la connexion",
                ));
            }
            _ if byte[0] == b'\n' => return Ok(()),
            _ => {}
        }
    }
}

fn explain(err: &io::Error, opened: usize) -> String {
    let reason = match err.raw_os_error() {
        Some(code) if code == EMFILE => {
            "trop de fichiers ouverts dans le générateur (limite RLIMIT_NOFILE)".to_string()
        }
        _ => match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                "le serveur ne répond plus (délai de 10 s dépassé)".to_string()
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                "le serveur a fermé la connexion (limite de clients, de fichiers ou de threads ?)"
                    .to_string()
            }
            _ => format!("erreur : {err}"),
        },
    };
    format!("arrêt après {opened} connexions : {reason}")
}

#[cfg(unix)]
const EMFILE: i32 = libc::EMFILE;
#[cfg(not(unix))]
const EMFILE: i32 = 24;
