//! Ce que toutes les connexions partagent : les inscrits, l'historique, et le portier
//! (`admission.rs`), qui compte les places et retient chaque adresse.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::admission::Connections;
use crate::connection::Outbox;
use crate::history::History;
use crate::protocol::{Departure, departure};
use crate::rate_limit::LogThrottle;
use crate::server::Config;

// ANCHOR: shared
/// Ce que toutes les connexions partagent.
pub(crate) struct Shared {
    pub(crate) config: Config,
    state: Mutex<State>,
    /// Les places (`--max-clients` au total, `--max-per-address` par adresse), les
    /// tâches des connexions et l'arrêt (`admission.rs`).
    pub(crate) connections: Connections,
    /// Les journaux des connexions refusées et des mauvais mots de passe, limités à
    /// une ligne par seconde chacun.
    pub(crate) refusals_log: Mutex<LogThrottle>,
    pub(crate) oper_log: Mutex<LogThrottle>,
}

/// L'état du salon, protégé par un verrou.
///
/// Le serveur du document 01 (§ 6) modifie sa liste `clients` depuis plusieurs
/// threads sans verrou, et le document 04 (§ 2.2) remarque que deux messages peuvent
/// alors être traités en même temps sur une liste pas à jour. Ici, chaque opération
/// sur l'état (inscrire, renommer, diffuser, retirer) se fait d'un bloc, verrou
/// tenu : les autres la voient entière ou pas du tout.
///
/// `std::sync::Mutex` et non celui de tokio : on ne garde jamais le verrou pendant un
/// `.await` (on n'y fait que des opérations immédiates : mettre une ligne dans une
/// file), et le verrou de la bibliothèque standard est alors le plus rapide. Le
/// compilateur y veille : son gardien (`MutexGuard`) n'est pas `Send`, et
/// `tokio::spawn` refuse une tâche qui le garderait d'un `.await` à l'autre.
pub(crate) struct State {
    /// Les inscrits, rangés par pseudo en minuscules (voir `nick_key`).
    pub(crate) users: HashMap<String, User>,
    pub(crate) history: History,
}

/// Un inscrit, vu par les autres connexions.
pub(crate) struct User {
    /// Numéro unique de la connexion : distingue « alice » d'une nouvelle « alice »
    /// arrivée après le départ de la première.
    pub(crate) id: u64,
    /// Le pseudo tel qu'il l'a écrit (avec ses majuscules).
    pub(crate) nick: String,
    /// Sa file d'envoi, bornée en OCTETS (voir `connection.rs`).
    pub(crate) outbox: Outbox,
    pub(crate) operator: bool,
    /// Annuler ce jeton termine sa connexion (expulsion, client trop lent).
    pub(crate) cancel: CancellationToken,
}

impl Shared {
    pub(crate) fn new(config: Config, history: History) -> Shared {
        Shared {
            connections: Connections::new(config.max_clients, config.max_per_address),
            config,
            state: Mutex::new(State {
                users: HashMap::new(),
                history,
            }),
            refusals_log: Mutex::new(LogThrottle::default()),
            oper_log: Mutex::new(LogThrottle::default()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Un verrou « empoisonné » signale qu'une tâche a paniqué en le tenant.
        // L'état reste cohérent ici (chaque modification est faite d'un
        // bloc), on continue donc à servir.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: shared

// ANCHOR: broadcast
impl State {
    /// Met `line` dans la file de chaque inscrit, sauf `except`.
    ///
    /// On n'attend jamais : mettre une ligne dans une file est immédiat. La ligne est
    /// mise en forme une fois (`Arc<str>`) et PARTAGÉE par toutes les files, sans
    /// copie. Un inscrit dont la file dépasse sa limite dure ne lit plus depuis
    /// longtemps : il est déconnecté, et les autres en sont prévenus… par une
    /// diffusion, qui peut à son tour trouver une file pleine. D'où une liste de
    /// travail plutôt qu'un appel récursif : chaque inscrit n'est retiré qu'une
    /// fois, la boucle s'arrête donc toujours.
    pub(crate) fn broadcast(&mut self, line: &Arc<str>, except: Option<u64>) {
        let mut work = VecDeque::from([(Arc::clone(line), except)]);
        while let Some((line, except)) = work.pop_front() {
            let too_slow: Vec<String> = self
                .users
                .iter()
                .filter(|(_, user)| {
                    Some(user.id) != except && !user.outbox.push(&line)
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in too_slow {
                if let Some(user) = self.users.remove(&key) {
                    warn!(
                        "{} : file d'envoi au-delà de la limite dure, déconnecté(e)",
                        user.nick
                    );
                    user.cancel.cancel();
                    work.push_back((
                        departure(&user.nick, &Departure::TooSlow).into(),
                        None,
                    ));
                }
            }
        }
    }

    /// Envoie une ligne à un seul inscrit (message privé) ; le déconnecte si sa file
    /// déborde.
    pub(crate) fn send_to(&mut self, key: &str, line: String) {
        let line: Arc<str> = line.into();
        let overflow = self
            .users
            .get(key)
            .is_some_and(|user| !user.outbox.push(&line));
        if let Some(user) = overflow.then(|| self.users.remove(key)).flatten() {
            warn!(
                "{} : file d'envoi au-delà de la limite dure, déconnecté(e)",
                user.nick
            );
            user.cancel.cancel();
            self.broadcast(&departure(&user.nick, &Departure::TooSlow).into(), None);
        }
    }
}

// ANCHOR_END: broadcast
