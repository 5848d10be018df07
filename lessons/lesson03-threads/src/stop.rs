//! L'arrêt demandé : par Ctrl+C ou SIGTERM dans le programme, par un test dans les
//! tests.
//!
//! Sans rien faire, Ctrl+C tue le processus sur-le-champ : le noyau ferme les
//! sockets, et les clients voient la connexion coupée sans savoir pourquoi. Ici,
//! l'arrêt est une DEMANDE : le serveur prévient chacun, vide ce qui reste à envoyer
//! (une seconde au plus), ferme proprement (FIN), et seulement ensuite le programme
//! se termine.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

// ANCHOR: stop_signal
/// Une demande d'arrêt, partagée entre threads : on la clone, l'un appelle
/// [`stop`](Self::stop), les autres la voient ([`is_stopped`](Self::is_stopped)) ou
/// l'attendent ([`wait`](Self::wait)).
#[derive(Clone, Default)]
pub struct StopSignal {
    shared: Arc<(Mutex<bool>, Condvar)>,
}

impl StopSignal {
    pub fn new() -> Self {
        StopSignal::default()
    }

    /// Un signal déclenché par Ctrl+C (SIGINT) ou SIGTERM (celui de `kill` et des
    /// gestionnaires de services). `ctrlc` fait la même chose sous Linux, macOS et
    /// Windows : le signal réveille un thread à lui, qui appelle notre fonction
    /// comme du code ordinaire (pas de restrictions de gestionnaire de signal
    /// Unix à respecter).
    pub fn from_ctrl_c() -> io::Result<StopSignal> {
        let stop = StopSignal::new();
        let handler = stop.clone();
        ctrlc::set_handler(move || handler.stop()).map_err(io::Error::other)?;
        Ok(stop)
    }

    /// Demande l'arrêt ; réveille tous ceux qui l'attendent.
    pub fn stop(&self) {
        let (stopped, changed) = &*self.shared;
        *lock(stopped) = true;
        changed.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *lock(&self.shared.0)
    }

    /// Attend que l'arrêt soit demandé.
    pub fn wait(&self) {
        let (stopped, changed) = &*self.shared;
        let mut guard = lock(stopped);
        while !*guard {
            guard = changed.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
    }
}
// ANCHOR_END: stop_signal

/// Un booléen reste valable même si un thread a paniqué en tenant le verrou.
fn lock(stopped: &Mutex<bool>) -> MutexGuard<'_, bool> {
    stopped.lock().unwrap_or_else(PoisonError::into_inner)
}
