//! Arrêter proprement une boucle d'événements depuis un AUTRE thread (Ctrl+C, un
//! test).

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{EVENTS_CAPACITY, READ_BUFFER_SIZE, READS_PER_WAKEUP, wait_for_events};

/// Après la demande d'arrêt, on laisse au plus ce délai aux clients pour recevoir ce
/// qui les attend (dont l'annonce de l'arrêt) ; ensuite on ferme quand même.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

// ANCHOR: shutdown
/// Une poignée d'arrêt, à cloner et à donner au gestionnaire de Ctrl+C ou à un test.
///
/// La boucle dort dans `poll` : changer un booléen ne la réveillerait pas.
/// `mio::Waker` est fait pour cela : c'est un faux événement (un `eventfd` sous
/// Linux) que n'importe quel thread peut déclencher, et que `poll` rend comme une
/// socket prête.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    /// Posé par le serveur quand il démarre ; absent tant qu'aucune boucle n'attend.
    waker: Mutex<Option<mio::Waker>>,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Demande l'arrêt : le serveur prévient ses clients, vide leurs envois (au plus
    /// `SHUTDOWN_GRACE`), ferme et rend la main. On peut l'appeler depuis n'importe
    /// quel thread.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        let waker = self
            .inner
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(waker) = waker.as_ref() {
            // Si le réveil échoue, la boucle verra quand même la demande à son
            // prochain tour.
            let _ = waker.wake();
        }
    }

    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Inscrit le réveil d'une boucle d'événements. Une demande faite AVANT reste
    /// valable : la boucle consulte `is_requested` à chaque tour, y compris le
    /// premier.
    pub(crate) fn attach(
        &self,
        registry: &mio::Registry,
        token: mio::Token,
    ) -> io::Result<()> {
        let waker = mio::Waker::new(registry, token)?;
        *self
            .inner
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(waker);
        Ok(())
    }
}
// ANCHOR_END: shutdown

/// Une connexion que l'on ferme poliment : ce qu'il faut savoir faire pour elle.
pub(crate) trait Closing {
    fn stream(&mut self) -> &mut mio::net::TcpStream;
    /// Envoie ce qui attend ; `Ok(true)` quand tout est parti.
    fn send_pending(&mut self) -> io::Result<bool>;
}

// ANCHOR: close_all
/// La fin du serveur : envoie à chacun ce qui l'attend, puis ferme son sens d'envoi
/// (FIN), pendant au plus `SHUTDOWN_GRACE`. Ceux qui ne lisent pas sont fermés à
/// l'échéance.
///
/// Pourquoi lire encore ? Sous Linux, fermer une socket dont des octets reçus n'ont
/// pas été lus envoie un RST au lieu d'un FIN, et le client peut perdre ce qu'on
/// venait de lui envoyer (l'annonce de l'arrêt !). On lit donc et l'on jette ce qu'il
/// envoie encore, jusqu'à ce qu'il ferme à son tour (lecture de 0 octet).
pub(crate) fn close_all<C: Closing>(
    poll: &mut mio::Poll,
    connections: HashMap<mio::Token, C>,
) -> io::Result<()> {
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    let mut events = mio::Events::with_capacity(EVENTS_CAPACITY);
    let mut scratch = vec![0u8; READ_BUFFER_SIZE];
    // Pour chaque connexion : a-t-on déjà envoyé notre FIN ?
    let mut closing: HashMap<_, _> = connections
        .into_iter()
        .map(|(token, connection)| (token, (connection, false)))
        .collect();
    // Au premier tour, tout le monde ; ensuite, ceux que `poll` signale.
    let mut ready: Vec<mio::Token> = closing.keys().copied().collect();
    loop {
        for token in ready.drain(..) {
            let Some((connection, fin_sent)) = closing.get_mut(&token) else {
                continue;
            };
            if close_step(poll.registry(), token, connection, fin_sent, &mut scratch)
            {
                // Détruite ici : la socket est fermée.
                closing.remove(&token);
            }
        }
        let now = Instant::now();
        if closing.is_empty() || now >= deadline {
            // Les retardataires sont fermés en sortant (leur FIN part après ce que le
            // noyau a déjà accepté pour eux).
            return Ok(());
        }
        wait_for_events(poll, &mut events, Some(deadline - now))?;
        ready.extend(events.iter().map(|event| event.token()));
    }
}

/// Fait avancer la fermeture d'une connexion ; `true` quand elle est terminée.
fn close_step<C: Closing>(
    registry: &mio::Registry,
    token: mio::Token,
    connection: &mut C,
    fin_sent: &mut bool,
    scratch: &mut [u8],
) -> bool {
    if !*fin_sent {
        match connection.send_pending() {
            Err(_) => return true,
            Ok(false) => {
                // Le noyau refuse la suite : on sera prévenu quand la place
                // reviendra.
                let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
                return registry
                    .reregister(connection.stream(), token, interest)
                    .is_err();
            }
            Ok(true) => {
                let _ = connection.stream().shutdown(std::net::Shutdown::Write);
                *fin_sent = true;
            }
        }
    }
    discard_input(connection.stream(), scratch)
}

/// Lit et jette ce qui est arrivé ; `true` quand le client a fermé (ou que la
/// connexion a échoué). Au plus quelques lectures : l'échéance de `close_all` borne
/// le reste.
fn discard_input(stream: &mut mio::net::TcpStream, scratch: &mut [u8]) -> bool {
    for _ in 0..READS_PER_WAKEUP {
        match stream.read(scratch) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return false,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return true,
        }
    }
    false
}
// ANCHOR_END: close_all
