//! La file d'envoi d'un client et son écrivain : ce qui attend de partir vers sa
//! socket, compté en OCTETS.
//!
//! ## Qu'est-ce qu'un client « trop lent » ?
//!
//! Un client dont la socket est engorgée : le noyau refuse d'accepter plus d'octets
//! pour lui parce que ses tampons sont pleins, et ce qui attend dans notre file
//! grossit. Compter les LIGNES d'une file ne dit pas cela : quand le serveur lui-même
//! est occupé (une rafale, un processeur partagé), les files de clients qui lisent
//! parfaitement se remplissent aussi, et on déconnecterait des innocents. On compte
//! donc les octets que le noyau n'a pas encore acceptés, avec deux seuils, comme la
//! SendQ des serveurs IRC ou le `client-output-buffer-limit` de Redis :
//!
//! - la **limite dure** ([`HARD_LIMIT`], 1 Mio) : la dépasser en ajoutant une ligne
//!   déconnecte le client tout de suite, la mémoire du serveur reste bornée ;
//! - la **limite douce** ([`SOFT_LIMIT`], 64 Kio) : le client est déconnecté si sa
//!   file reste au-dessus pendant [`SOFT_TIMEOUT`] (10 s) ALORS QUE le noyau refuse
//!   ses octets. Un client qui lit, même lentement, fait redescendre sa file et n'est
//!   jamais déconnecté parce que le serveur a eu un coup de chaud.
//!
//! Chaque ligne compte `len + 32` octets (les 32 représentent la tenue du compte :
//! pointeur, place dans la file) tant que le noyau ne l'a pas acceptée en entier.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Limite douce par défaut, en octets.
pub const SOFT_LIMIT: usize = 64 * 1024;

/// Limite dure par défaut, en octets.
pub const HARD_LIMIT: usize = 1024 * 1024;

/// Temps passé au-dessus de la limite douce, socket engorgée, avant la déconnexion.
pub const SOFT_TIMEOUT: Duration = Duration::from_secs(10);

/// Ce que coûte une ligne en plus de ses octets : la tenue du compte.
pub const LINE_OVERHEAD: usize = 32;

/// Un lot d'écriture ne dépasse pas cette taille (sauf une ligne seule plus grande) :
/// le compte d'octets suit ce que le noyau a vraiment accepté, à un lot près.
const BATCH_BYTES: usize = 16 * 1024;

/// Une ligne prête à envoyer (éventuellement plusieurs lignes d'écran). `Arc` :
/// diffusée à cent clients, elle n'est pas copiée cent fois ; chaque file ne reçoit
/// qu'un pointeur vers la même ligne.
pub type Line = Arc<str>;

/// Les seuils d'une file (les tests en prennent de plus petits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub soft_limit: usize,
    pub hard_limit: usize,
    pub soft_timeout: Duration,
}

// ANCHOR: outbox
/// La file d'envoi d'un client, partagée entre trois threads : le hub y dépose,
/// l'écrivain y prend, le lecteur du client y regarde combien de ses réponses
/// attendent.
pub struct Outbox {
    budget: Budget,
    state: Mutex<State>,
    /// Réveille l'écrivain : une ligne est arrivée, ou la file est fermée.
    ready: Condvar,
    /// Réveille le lecteur : la file est redescendue sous la limite douce, ou elle
    /// est fermée.
    drained: Condvar,
}

struct State {
    lines: VecDeque<Line>,
    /// Octets comptés : les lignes en file ET le lot que l'écrivain est en train
    /// d'écrire.
    bytes: usize,
    /// Depuis quand la file est au-dessus de la limite douce avec une socket
    /// engorgée.
    backed_up_since: Option<Instant>,
    /// Plus rien ne sera ajouté ; l'écrivain vide ce qui reste, puis ferme.
    closed: bool,
    /// À l'arrêt du serveur : l'heure après laquelle on n'essaie plus de vider.
    flush_deadline: Option<Instant>,
}

/// Le verdict du hub en déposant une ligne.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Limite dure dépassée, ou limite douce tenue trop longtemps : à déconnecter.
    TooSlow,
}

impl Outbox {
    pub fn new(budget: Budget) -> Self {
        Outbox {
            budget,
            state: Mutex::new(State {
                lines: VecDeque::new(),
                bytes: 0,
                backed_up_since: None,
                closed: false,
                flush_deadline: None,
            }),
            ready: Condvar::new(),
            drained: Condvar::new(),
        }
    }

    /// Dépose une ligne SANS JAMAIS ATTENDRE : le hub sert tout le salon, il ne peut
    /// pas s'arrêter pour un client. Le budget en octets décide si ce client est
    /// trop lent.
    pub fn push(&self, line: Line) -> Pushed {
        let mut state = self.lock();
        if state.closed {
            // client sur le départ : la ligne n'a plus de destinataire
            return Pushed::Queued;
        }
        let cost = line.len() + LINE_OVERHEAD;
        let over_hard = state.bytes + cost > self.budget.hard_limit;
        let soft_expired = state
            .backed_up_since
            .is_some_and(|since| since.elapsed() >= self.budget.soft_timeout);
        if over_hard || soft_expired {
            return Pushed::TooSlow;
        }
        state.bytes += cost;
        state.lines.push_back(line);
        // L'écrivain n'attend que devant une file vide : inutile de le réveiller (un
        // appel système) pour chacune des lignes d'une rafale.
        if state.lines.len() == 1 {
            self.ready.notify_one();
        }
        Pushed::Queued
    }

    /// Ferme la file : l'écrivain envoie ce qui reste puis ferme la connexion. Un
    /// client parti sans lire la fin a `soft_timeout` pour la lire : un écrivain
    /// ne reste jamais bloqué indéfiniment pour un client qui n'est plus dans le
    /// salon.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        let deadline = Instant::now() + self.budget.soft_timeout;
        state.flush_deadline.get_or_insert(deadline);
        drop(state);
        self.ready.notify_all();
        self.drained.notify_all();
    }

    /// Arrêt du serveur : une dernière ligne (l'avis d'arrêt), puis fermeture ; ce
    /// qui n'est pas parti à `deadline` est abandonné.
    pub fn close_with(&self, last: Line, deadline: Instant) {
        let mut state = self.lock();
        if !state.closed {
            state.bytes += last.len() + LINE_OVERHEAD;
            state.lines.push_back(last);
        }
        state.closed = true;
        state.flush_deadline = Some(deadline);
        drop(state);
        self.ready.notify_all();
        self.drained.notify_all();
    }

    /// Attend (lecteur du client) que ses réponses en attente repassent sous la
    /// limite douce : tant qu'il ne lit pas ce qu'on lui a déjà répondu, on ne
    /// lit plus ce qu'il envoie.
    pub fn wait_until_drained(&self) {
        let mut state = self.lock();
        while state.bytes > self.budget.soft_limit && !state.closed {
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Des compteurs et une file restent cohérents même si un thread a paniqué.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: outbox

// ANCHOR: writer
/// Pourquoi l'écrivain s'est arrêté avant d'avoir tout écrit.
enum Stop {
    /// Socket engorgée au-delà du budget : client trop lent.
    TooSlow,
    /// Arrêt du serveur : l'échéance pour vider la file est passée.
    Deadline,
    /// Connexion rompue (RST, ou coupée par le hub).
    Broken,
}

impl Outbox {
    /// Prochain lot à écrire : attend qu'il y ait au moins une ligne. `None` : file
    /// fermée et vide (ou échéance passée), tout ce qui était prévu est parti.
    fn next_batch(&self) -> Option<Vec<Line>> {
        let mut state = self.lock();
        while state.lines.is_empty() && !state.closed {
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state
            .flush_deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return None;
        }
        let mut batch = Vec::new();
        let mut size = 0;
        while let Some(line) = state.lines.front() {
            if !batch.is_empty() && size + line.len() > BATCH_BYTES {
                break;
            }
            size += line.len();
            batch.extend(state.lines.pop_front());
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// Le noyau a accepté tout le lot : ses octets ne comptent plus.
    fn sent(&self, batch: &[Line]) {
        let mut state = self.lock();
        let cost: usize = batch.iter().map(|line| line.len() + LINE_OVERHEAD).sum();
        state.bytes = state.bytes.saturating_sub(cost);
        if state.bytes <= self.budget.soft_limit {
            // le seul endroit où le chronomètre est remis à zéro
            state.backed_up_since = None;
            self.drained.notify_all();
        }
    }

    /// Le noyau refuse nos octets depuis `since` (une écriture bloquée jusqu'à son
    /// délai).
    fn refused(&self, since: Instant) -> Result<(), Stop> {
        let mut state = self.lock();
        if state.bytes > self.budget.soft_limit {
            // Le chronomètre part au premier refus au-dessus de la limite douce, et
            // continue.
            let started = *state.backed_up_since.get_or_insert(since);
            if started.elapsed() >= self.budget.soft_timeout {
                return Err(Stop::TooSlow);
            }
        }
        match state.flush_deadline {
            Some(deadline) if Instant::now() >= deadline => Err(Stop::Deadline),
            _ => Ok(()),
        }
    }
}

/// Le rythme auquel un écrivain bloqué fait le point : sa socket a un délai
/// d'écriture de cette durée, pour qu'une écriture bloquée rende la main et que le
/// chronomètre de la limite douce (ou l'échéance de l'arrêt) soit vérifié.
pub fn write_poll(budget: &Budget) -> Duration {
    (budget.soft_timeout / 4)
        .clamp(Duration::from_millis(10), Duration::from_millis(250))
}

/// L'écrivain d'un client : vide sa file sur la socket, lot par lot.
///
/// C'est le seul thread qui écrit sur cette socket : deux lignes ne peuvent pas s'y
/// mélanger. S'il est bloqué parce que le client ne lit plus, il est le seul à
/// attendre. `too_slow` prévient le hub quand le budget de ce client est dépassé.
pub fn write_queued(stream: &TcpStream, outbox: &Outbox, too_slow: impl FnOnce()) {
    let mut bytes = Vec::new();
    while let Some(batch) = outbox.next_batch() {
        // Un seul appel système (souvent un seul paquet) pour tout le lot, au lieu
        // d'un par ligne : sous forte charge, cela change tout.
        bytes.clear();
        for line in &batch {
            bytes.extend_from_slice(line.as_bytes());
        }
        match write_batch(stream, &bytes, outbox) {
            Ok(()) => outbox.sent(&batch),
            Err(Stop::TooSlow) => {
                too_slow();
                // Couper réveille aussi le lecteur, qui annoncera le départ au hub.
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Err(Stop::Deadline) => break,
            Err(Stop::Broken) => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
    // Tout est parti (ou l'échéance de l'arrêt est passée) : on ferme notre sens
    // d'envoi. Le client reçoit un FIN après la dernière ligne, comme une fin de
    // fichier.
    let _ = stream.shutdown(Shutdown::Write);
}

/// Écrit tout `bytes`. Une écriture qui dépasse le délai de la socket (`WouldBlock`
/// sous Unix, `TimedOut` sous Windows) veut dire : le noyau refuse, la socket est
/// engorgée.
fn write_batch(
    mut stream: &TcpStream,
    bytes: &[u8],
    outbox: &Outbox,
) -> Result<(), Stop> {
    let mut written = 0;
    while written < bytes.len() {
        let started = Instant::now();
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(Stop::Broken),
            Ok(accepted) => written += accepted,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if is_timeout(&err) => outbox.refused(started)?,
            Err(_) => return Err(Stop::Broken),
        }
    }
    Ok(())
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
// ANCHOR_END: writer
