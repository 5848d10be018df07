//! Ce que toutes les connexions partagent : les inscrits, l'historique, et ce que le
//! serveur retient de chaque adresse (connexions ouvertes, arrivées récentes, essais
//! de `/oper`).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::connection::Outbox;
use crate::history::History;
use crate::protocol::{Departure, departure};
use crate::rate_limit::{LogThrottle, OperGuard, TokenBucket};
use crate::server::Config;

// ANCHOR: shared
/// Ce que toutes les connexions partagent.
pub(crate) struct Shared {
    pub(crate) config: Config,
    state: Mutex<State>,
    addresses: Mutex<AddressBook>,
    /// Une place par connexion ouverte : `--max-clients` places au total.
    pub(crate) connections: Arc<Semaphore>,
    /// Annulé à l'arrêt du serveur ; le jeton de chaque connexion en est un enfant.
    pub(crate) shutdown: CancellationToken,
    /// Les tâches des connexions : à l'arrêt, on attend qu'elles soient toutes
    /// finies.
    pub(crate) tasks: TaskTracker,
    pub(crate) next_id: AtomicU64,
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
            connections: Arc::new(Semaphore::new(config.max_clients)),
            config,
            state: Mutex::new(State {
                users: HashMap::new(),
                history,
            }),
            addresses: Mutex::new(AddressBook::default()),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            next_id: AtomicU64::new(1),
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

    pub(crate) fn addresses(&self) -> MutexGuard<'_, AddressBook> {
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

// ANCHOR: addresses
/// Ce que le serveur retient d'une adresse.
#[derive(Debug)]
pub(crate) struct AddressInfo {
    /// Connexions ouvertes depuis cette adresse.
    pub(crate) connections: usize,
    /// Arrivées récentes : une adresse qui se connecte et se déconnecte en boucle
    /// ferait pleuvoir les « a rejoint » / « a quitté » chez tout le monde.
    pub(crate) arrivals: TokenBucket,
    /// Les essais manqués de `/oper`, toutes connexions de l'adresse confondues.
    pub(crate) oper: OperGuard,
}

/// Les adresses connues. Bornées elles aussi : on oublie une adresse dès qu'elle n'a
/// plus de connexion et plus rien à retenir.
#[derive(Debug, Default)]
pub(crate) struct AddressBook {
    pub(crate) entries: HashMap<IpAddr, AddressInfo>,
}

/// La clé d'une adresse. Une adresse IPv4 vue à travers une écoute double pile
/// (`::ffff:192.168.1.20`) est ramenée à l'IPv4 ; une adresse IPv6 est ramenée à son
/// préfixe /64, car un seul abonné dispose d'ordinaire d'un /64 entier : sans cela,
/// il aurait des milliards d'adresses pour contourner chaque limite.
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

impl AddressBook {
    /// La fiche de `key`, créée au besoin (avec un seau d'arrivées plein).
    pub(crate) fn entry(
        &mut self,
        key: IpAddr,
        config: &Config,
        now: Instant,
    ) -> &mut AddressInfo {
        if self.entries.len() > 4 * config.max_clients {
            self.forget_idle(now);
        }
        self.entries.entry(key).or_insert_with(|| AddressInfo {
            connections: 0,
            // Une classe entière derrière la même adresse peut arriver d'un coup ;
            // ensuite, une arrivée toutes les deux secondes.
            arrivals: TokenBucket::new(config.max_per_address as f64, 0.5, now),
            oper: OperGuard::default(),
        })
    }

    /// Oublie les adresses sans connexion qui n'ont plus rien à retenir.
    fn forget_idle(&mut self, now: Instant) {
        self.entries.retain(|_, info| {
            info.connections > 0
                || !info.arrivals.is_full(now)
                || !info.oper.is_clear(now)
        });
    }

    /// Une connexion de `key` se termine.
    pub(crate) fn release(&mut self, key: IpAddr) {
        if let Some(info) = self.entries.get_mut(&key) {
            info.connections = info.connections.saturating_sub(1);
        }
    }
}
// ANCHOR_END: addresses

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_adresses_ipv6_comptent_par_prefixe_64_et_les_ipv4_mappees_comme_ipv4() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.168.1.20"), key("192.168.1.20"));
        assert_eq!(key("127.0.0.1"), "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
