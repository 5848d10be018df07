//! Faire travailler un thread sans jamais figer le test.
//!
//! `thread::spawn(…).join()` attend sans fin : contre un serveur bloqué, le test ne
//! se terminerait jamais. Ici, le résultat arrive par un canal, qu'on attend avec une
//! échéance.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use crate::TIMEOUT;

/// Un travail lancé dans son propre thread par [`background`], qu'on attend avec une
/// échéance.
pub struct Background<T> {
    result: Receiver<thread::Result<T>>,
}

/// Lance `work` dans un thread et rend de quoi l'attendre plus tard
/// ([`Background::join`]). Le test continue pendant ce temps : il peut par exemple
/// lire ce que `work` envoie.
pub fn background<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Background<T> {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        // Une panique du travail (une assertion, un `todo!()`) est rapportée au test.
        let _ = done.send(panic::catch_unwind(AssertUnwindSafe(work)));
    });
    Background { result }
}

/// Fait `work` dans un thread et rend son résultat ; le test échoue, en nommant
/// `what`, si le travail n'est pas fini après [`TIMEOUT`].
#[track_caller]
pub fn with_deadline<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    background(work).join(what)
}

impl<T> Background<T> {
    /// Attend la fin du travail, au plus [`TIMEOUT`] ; voir
    /// [`Background::join_within`].
    #[track_caller]
    pub fn join(self, what: &str) -> T {
        self.join_within(TIMEOUT, what)
    }

    /// Attend la fin du travail, au plus `timeout`, et rend son résultat. S'il a
    /// paniqué, la panique continue dans le test ; s'il n'a pas fini, le test
    /// échoue en nommant `what`. (Le thread, lui, ne peut pas être arrêté : il
    /// finira avec le programme de test.)
    #[track_caller]
    pub fn join_within(self, timeout: Duration, what: &str) -> T {
        match self.result.recv_timeout(timeout) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => panic::resume_unwind(panic),
            Err(_) => {
                panic!("{what} : pas fini après {timeout:?} (une attente sans fin ?)")
            }
        }
    }

    /// Le résultat si le travail est déjà fini, sans attendre : `None` s'il tourne
    /// encore (utile pour vérifier qu'un serveur ne s'est PAS arrêté).
    pub fn try_join(&self) -> Option<T> {
        match self.result.try_recv() {
            Ok(Ok(value)) => Some(value),
            Ok(Err(panic)) => panic::resume_unwind(panic),
            Err(_) => None,
        }
    }
}
