//! Outils partagés par tous les tests des exercices : délais, sockets de test, faux flux en
//! mémoire, threads surveillés.
//!
//! Ce fichier sert aux DEUX crates : `exercises` (le travail de l'étudiant) et `solutions`
//! (les corrigés, qui l'incluent par chemin). Une seule source de vérité pour les tests.

#![allow(dead_code)] // chaque exercice n'utilise qu'une partie de ces outils

use std::any::Any;
use std::cell::RefCell;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Délai de lecture/écriture des sockets de test : largement assez sur la boucle locale,
/// assez court pour qu'une implémentation bloquée fasse échouer le test sans le figer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Signature commune de tous les tests : une erreur d'entrée-sortie fait échouer le test.
pub type TestFn = fn() -> io::Result<()>;

/// Déclare la liste `TESTS` d'un fichier de tests : `tests![test_a, test_b];`.
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub const TESTS: &[(&str, crate::common::TestFn)] =
            &[$((stringify!($name), $name as crate::common::TestFn)),*];
    };
}

/// Un serveur de test sur un port libre de la boucle locale (port 0 : le noyau choisit).
pub fn local_listener() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Connexion cliente avec délais : un serveur cassé fait échouer le test, jamais bloquer.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    with_timeouts(&stream)?;
    Ok(stream)
}

pub fn with_timeouts(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))
}

/// Une paire de sockets TCP connectées l'une à l'autre (client, côté serveur), avec délais.
pub fn socket_pair() -> io::Result<(TcpStream, TcpStream)> {
    let (listener, addr) = local_listener()?;
    let client = connect(addr)?;
    let (server, _) = listener.accept()?;
    with_timeouts(&server)?;
    Ok((client, server))
}

/// Lit une ligne (jusqu'à `\n` compris) octet par octet, sans rien lire au-delà.
/// Renvoie une chaîne vide si la connexion est fermée avant.
pub fn read_line(stream: &mut impl Read) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(timeout_hint(err, "en attendant une ligne")),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Transforme l'erreur de délai (WouldBlock sous Unix, TimedOut sous Windows) en message clair.
pub fn timeout_hint(err: io::Error, what: &str) -> io::Error {
    if is_timeout(&err) {
        io::Error::new(
            ErrorKind::TimedOut,
            format!(
                "rien reçu {what} pendant {TIMEOUT:?} : avez-vous oublié flush, ou la réponse ?"
            ),
        )
    } else {
        err
    }
}

/// Le même, pour UDP : pas de flux ni de `flush`, un datagramme part ou se perd.
pub fn udp_timeout_hint(err: io::Error, what: &str) -> io::Error {
    if is_timeout(&err) {
        io::Error::new(
            ErrorKind::TimedOut,
            format!(
                "aucun datagramme reçu {what} pendant {TIMEOUT:?} : la réponse part-elle avec \
                 send_to vers l'adresse que recv_from a rendue ?"
            ),
        )
    } else {
        err
    }
}

pub fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Des octets reconnaissables (pas seulement des zéros) pour vérifier l'intégrité.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// Threads surveillés
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// Nom du test en cours dans ce thread, pour attribuer les paniques (voir `grade.rs`).
    static CURRENT_TRIAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn set_current_trial(name: Option<String>) {
    CURRENT_TRIAL.with(|trial| *trial.borrow_mut() = name);
}

pub fn current_trial() -> Option<String> {
    CURRENT_TRIAL.with(|trial| trial.borrow().clone())
}

/// Un thread lancé par un test, qu'on attend avec un délai.
pub struct Spawned<T> {
    result: mpsc::Receiver<thread::Result<T>>,
}

/// Lance `work` dans un thread qui hérite du nom du test (ses paniques lui sont attribuées).
pub fn spawn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Spawned<T> {
    let trial = current_trial();
    let (sender, result) = mpsc::channel();
    thread::spawn(move || {
        set_current_trial(trial);
        let outcome = panic::catch_unwind(panic::AssertUnwindSafe(work));
        let _ = sender.send(outcome);
    });
    Spawned { result }
}

impl<T> Spawned<T> {
    /// Attend la fin du thread au plus `timeout`. Une panique du thread (un `todo!()` par
    /// exemple) est relancée dans le test ; un dépassement devient une erreur `TimedOut`.
    pub fn join_within(self, timeout: Duration, what: &str) -> io::Result<T> {
        match self.result.recv_timeout(timeout) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) => panic::resume_unwind(payload),
            Err(_) => Err(io::Error::new(
                ErrorKind::TimedOut,
                format!(
                    "{what} : toujours pas fini après {timeout:?} (une attente sans fin, ou une \
                     boucle qui ne s'arrête pas ?)"
                ),
            )),
        }
    }

    /// Le thread s'est-il déjà terminé (sans attendre) ? Utile pour un serveur qui ne doit
    /// jamais s'arrêter : `None` s'il tourne encore.
    pub fn try_finished(&self) -> Option<thread::Result<T>> {
        self.result.try_recv().ok()
    }
}

impl<T> Spawned<io::Result<T>> {
    /// Pour un serveur qui ne répond plus : s'il s'est déjà arrêté, pourquoi, en une phrase à
    /// ajouter au message du test (`None` s'il tourne encore).
    pub fn stopped_hint(&self, function: &str) -> Option<String> {
        Some(match self.try_finished()? {
            Ok(Ok(_)) => format!(
                "{function} a rendu Ok et s'est arrêté : un serveur ne s'arrête jamais de \
                 lui-même, sa boucle d'accept doit continuer"
            ),
            Ok(Err(err)) => format!(
                "{function} s'est arrêté en rendant l'erreur « {err} » : l'erreur d'UN client \
                 (un `?` dans la boucle d'accept, par exemple) ne doit pas arrêter le serveur ; \
                 affichez-la et passez au client suivant"
            ),
            Err(payload) => format!("{function} a paniqué : {}", panic_message(payload.as_ref())),
        })
    }
}

/// Le texte d'une panique, quel que soit son type.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panique sans message".to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Faux flux en mémoire : ils forcent les cas limites de façon déterministe
// ---------------------------------------------------------------------------------------------

/// Un lecteur qui ne rend jamais plus de `chunk` octets par `read()`, et peut intercaler des
/// erreurs `Interrupted`, comme une socket sous charge ou interrompue par un signal.
pub struct ChunkedReader {
    data: Vec<u8>,
    position: usize,
    chunk: usize,
    interrupt_every: Option<usize>,
    strict: bool,
    pub reads: usize,
    /// Nombre de `read()` qui ont rendu 0 : garde-fou contre une boucle sans fin.
    end_reads: usize,
    /// Après les données : `None` = fin de flux (0 octet), sinon cette erreur.
    pub then_error: Option<ErrorKind>,
}

impl ChunkedReader {
    pub fn new(data: &[u8], chunk: usize) -> Self {
        ChunkedReader {
            data: data.to_vec(),
            position: 0,
            chunk,
            interrupt_every: None,
            strict: false,
            reads: 0,
            end_reads: 0,
            then_error: None,
        }
    }

    /// Un appel à `read()` sur `n` renvoie `Interrupted` (le 1er, le (n+1)e, ...).
    pub fn interrupting(mut self, n: usize) -> Self {
        self.interrupt_every = Some(n);
        self
    }

    /// Interdit `read_exact()` : pour les exercices qui consistent à l'écrire à la main.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    pub fn remaining(&self) -> &[u8] {
        &self.data[self.position..]
    }
}

impl Read for ChunkedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if let Some(every) = self.interrupt_every {
            if self.reads % every == 1 || every == 1 {
                return Err(io::Error::new(ErrorKind::Interrupted, "signal reçu"));
            }
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let end = self
            .data
            .len()
            .min(self.position + self.chunk.min(buf.len()));
        if self.position == end {
            if let Some(kind) = self.then_error {
                return Err(io::Error::new(kind, "erreur simulée après les données"));
            }
        }
        let count = end - self.position;
        if count == 0 {
            self.end_reads += 1;
            // Comme le garde-fou de `ChunkedWriter` : une boucle qui ignore `Ok(0)` échoue
            // vite, au lieu d'occuper un cœur jusqu'à la fin de la correction.
            if self.end_reads > 1000 {
                panic!(
                    "read() a déjà rendu 0 (fin du flux) mille fois : la boucle s'arrête-t-elle sur Ok(0) ?"
                );
            }
        }
        buf[..count].copy_from_slice(&self.data[self.position..end]);
        self.position = end;
        Ok(count)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if self.strict {
            panic!(
                "n'appelez pas read_exact() : l'exercice consiste justement à l'écrire avec read()"
            );
        }
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(count) => filled += count,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}

/// Un écrivain qui n'accepte que `max_per_write` octets par `write()`, peut renvoyer
/// `Interrupted`, puis `Ok(0)` ou une erreur après `capacity` octets.
pub struct ChunkedWriter {
    pub written: Vec<u8>,
    max_per_write: usize,
    interrupt_every: Option<usize>,
    strict: bool,
    pub writes: usize,
    capacity: Option<(usize, Option<ErrorKind>)>,
}

impl ChunkedWriter {
    pub fn new(max_per_write: usize) -> Self {
        ChunkedWriter {
            written: Vec::new(),
            max_per_write,
            interrupt_every: None,
            strict: false,
            writes: 0,
            capacity: None,
        }
    }

    pub fn interrupting(mut self, n: usize) -> Self {
        self.interrupt_every = Some(n);
        self
    }

    /// Interdit `write_all()` : pour l'exercice qui consiste à l'écrire à la main.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Après `bytes` octets, `write()` renvoie `Ok(0)` (`None`) ou l'erreur donnée.
    pub fn full_after(mut self, bytes: usize, error: Option<ErrorKind>) -> Self {
        self.capacity = Some((bytes, error));
        self
    }
}

impl Write for ChunkedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if self.writes > 1_000_000 {
            panic!("plus d'un million d'appels à write() : la boucle ne s'arrête-t-elle jamais ?");
        }
        if let Some(every) = self.interrupt_every {
            if self.writes % every == 1 || every == 1 {
                return Err(io::Error::new(ErrorKind::Interrupted, "signal reçu"));
            }
        }
        let mut count = buf.len().min(self.max_per_write);
        if let Some((capacity, error)) = self.capacity {
            let room = capacity.saturating_sub(self.written.len());
            if room == 0 {
                return match error {
                    Some(kind) => Err(io::Error::new(kind, "erreur simulée")),
                    None => Ok(0),
                };
            }
            count = count.min(room);
        }
        self.written.extend_from_slice(&buf[..count]);
        Ok(count)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        if self.strict {
            panic!(
                "n'appelez pas write_all() : l'exercice consiste justement à l'écrire avec write()"
            );
        }
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(count) => buf = &buf[count..],
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}
pub mod harness;

/// Un flux qui n'en finit pas : toujours le même octet, jamais de fin de ligne ni de fin.
///
/// Il panique après [`ENDLESS_LIMIT`] octets : un lecteur qui accumule sans borne (le défaut
/// même que le test cherche) échoue avec un message clair au lieu d'épuiser la mémoire de la
/// machine (le thread d'un test en retard continue de tourner après l'échéance).
pub struct Endless {
    byte: u8,
    served: usize,
}

/// Au-delà de ce nombre d'octets servis, [`Endless`] arrête le test.
pub const ENDLESS_LIMIT: usize = 64 * 1024 * 1024;

impl Endless {
    pub fn new(byte: u8) -> Self {
        Endless { byte, served: 0 }
    }
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.served >= ENDLESS_LIMIT {
            panic!(
                "déjà {} Mio lus sans un seul \\n : la mémoire du lecteur n'est pas bornée",
                ENDLESS_LIMIT >> 20
            );
        }
        buf.fill(self.byte);
        self.served += buf.len();
        Ok(buf.len())
    }
}
