//! L'entrée et la sortie des connexions : le portier (qui peut entrer, et ce que le
//! serveur retient de chaque adresse : connexions ouvertes, arrivées récentes,
//! essais de `/oper`), puis les tâches des connexions admises et leur arrêt.
//!
//! Rien ici ne sait rien du salon : la leçon 07 (IRC) l'emprunte tel quel, avec ses
//! limites, pour son propre serveur.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::rate_limit::{OperAttempt, OperGuard, TokenBucket};

// ANCHOR: reserve
/// Pourquoi une connexion est refusée. Chaque serveur l'écrit à sa façon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Toutes les places sont prises (la limite totale).
    ServerFull(usize),
    /// Toutes les places de cette adresse sont prises.
    AddressFull(usize),
    /// Cette adresse arrive trop souvent (elle se reconnecte en boucle).
    TooFast,
}

/// Les places du serveur : un sémaphore pour le total, et une fiche par adresse.
#[derive(Debug)]
pub struct Doorman {
    max_clients: usize,
    max_per_address: usize,
    /// Une place par connexion ouverte : `max_clients` places au total.
    connections: Arc<Semaphore>,
    addresses: Mutex<AddressBook>,
}

/// La place d'une connexion : une place du total, et une de son adresse. La rendre
/// (la détruire) libère les deux.
#[derive(Debug)]
pub struct Place {
    doorman: Arc<Doorman>,
    address: IpAddr,
    _total: OwnedSemaphorePermit,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.doorman.addresses().release(self.address);
    }
}

impl Doorman {
    pub fn new(max_clients: usize, max_per_address: usize) -> Doorman {
        Doorman {
            max_clients,
            max_per_address,
            connections: Arc::new(Semaphore::new(max_clients)),
            addresses: Mutex::new(AddressBook::new(max_clients, max_per_address)),
        }
    }

    /// Réserve une place pour une connexion venue de `ip`, ou dit pourquoi c'est
    /// impossible.
    pub fn reserve(self: &Arc<Self>, ip: IpAddr) -> Result<Place, Refusal> {
        let Ok(total) = Arc::clone(&self.connections).try_acquire_owned() else {
            return Err(Refusal::ServerFull(self.max_clients));
        };
        let address = address_key(ip);
        let mut addresses = self.addresses();
        let info = addresses.entry(address, Instant::now());
        if info.connections >= self.max_per_address {
            return Err(Refusal::AddressFull(self.max_per_address));
        }
        if info.arrivals.take(Instant::now()).is_err() {
            return Err(Refusal::TooFast);
        }
        info.connections += 1;
        drop(addresses);
        Ok(Place {
            doorman: Arc::clone(self),
            address,
            _total: total,
        })
    }

    /// Un essai de `/oper` depuis `ip`, compté sur la fiche de l'adresse (toutes ses
    /// connexions confondues, voir `OperGuard`).
    pub fn try_oper(
        &self,
        ip: IpAddr,
        now: Instant,
        is_right: impl FnOnce() -> bool,
    ) -> OperAttempt {
        let mut addresses = self.addresses();
        addresses
            .entry(address_key(ip), now)
            .oper
            .attempt(now, is_right)
    }

    fn addresses(&self) -> MutexGuard<'_, AddressBook> {
        // Un verrou « empoisonné » : une tâche a paniqué en le tenant. Chaque
        // modification de la fiche se fait d'un bloc, on continue donc à servir.
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: reserve

// ANCHOR: connections
/// Les connexions d'un serveur : les places (le portier), l'arrêt, les tâches en
/// cours, et le numéro de la prochaine.
///
/// Chaque connexion reçoit un **jeton d'annulation** enfant de celui de l'arrêt :
/// annuler le parent (Ctrl+C) les annule toutes, annuler un enfant (une expulsion,
/// un client trop lent) n'annule que lui.
#[derive(Debug)]
pub struct Connections {
    pub doorman: Arc<Doorman>,
    shutdown: CancellationToken,
    /// Les tâches des connexions : à l'arrêt, on attend qu'elles soient finies.
    tasks: TaskTracker,
    next_id: AtomicU64,
}

impl Connections {
    pub fn new(max_clients: usize, max_per_address: usize) -> Connections {
        Connections {
            doorman: Arc::new(Doorman::new(max_clients, max_per_address)),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// Vrai dès que l'arrêt a commencé.
    pub fn is_stopping(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// Un numéro unique pour une nouvelle connexion : il distingue « alice » d'une
    /// nouvelle « alice » arrivée après le départ de la première.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Lance `connection(jeton)` dans une tâche suivie ; la place est rendue quand
    /// la connexion est vraiment finie.
    pub fn spawn<F>(
        &self,
        place: Place,
        connection: impl FnOnce(CancellationToken) -> F,
    ) where
        F: Future<Output = ()> + Send + 'static,
    {
        let task = connection(self.shutdown.child_token());
        self.tasks.spawn(async move {
            task.await;
            drop(place);
        });
    }

    /// L'arrêt : annule chaque connexion (chacune envoie ses derniers mots), puis
    /// attend leur fin, au plus `delay`. Faux si certaines ne se sont pas fermées
    /// à temps.
    pub async fn stop(&self, delay: Duration) -> bool {
        self.shutdown.cancel();
        self.tasks.close();
        timeout(delay, self.tasks.wait()).await.is_ok()
    }
}
// ANCHOR_END: connections

// ANCHOR: addresses
/// Ce que le serveur retient d'une adresse.
#[derive(Debug)]
struct AddressInfo {
    /// Connexions ouvertes depuis cette adresse.
    connections: usize,
    /// Arrivées récentes : une adresse qui se connecte et se déconnecte en boucle
    /// ferait pleuvoir les « a rejoint » / « a quitté » chez tout le monde.
    arrivals: TokenBucket,
    /// Les essais manqués de `/oper`, toutes connexions de l'adresse confondues.
    oper: OperGuard,
}

/// Les adresses connues. Bornées elles aussi : on oublie une adresse dès qu'elle n'a
/// plus de connexion et plus rien à retenir.
#[derive(Debug)]
struct AddressBook {
    entries: HashMap<IpAddr, AddressInfo>,
    max_clients: usize,
    max_per_address: usize,
}

/// La clé d'une adresse. Une adresse IPv4 vue à travers une écoute double pile
/// (`::ffff:192.168.1.20`) est ramenée à l'IPv4 ; une adresse IPv6 est ramenée à son
/// préfixe /64, car un seul abonné dispose d'ordinaire d'un /64 entier : sans cela,
/// il aurait des milliards d'adresses pour contourner chaque limite.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

impl AddressBook {
    fn new(max_clients: usize, max_per_address: usize) -> AddressBook {
        AddressBook {
            entries: HashMap::new(),
            max_clients,
            max_per_address,
        }
    }

    /// La fiche de `key`, créée au besoin (avec un seau d'arrivées plein).
    fn entry(&mut self, key: IpAddr, now: Instant) -> &mut AddressInfo {
        if self.entries.len() > 4 * self.max_clients {
            self.forget_idle(now);
        }
        // Une classe entière derrière la même adresse peut arriver d'un coup ;
        // ensuite, une arrivée toutes les deux secondes.
        let burst = self.max_per_address as f64;
        self.entries.entry(key).or_insert_with(|| AddressInfo {
            connections: 0,
            arrivals: TokenBucket::new(burst, 0.5, now),
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
    fn release(&mut self, key: IpAddr) {
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

    #[test]
    fn le_portier_compte_les_places_par_adresse_et_au_total() {
        let doorman = Arc::new(Doorman::new(3, 2));
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = doorman.reserve(a).unwrap();
        let _second = doorman.reserve(a).unwrap();
        assert_eq!(doorman.reserve(a).unwrap_err(), Refusal::AddressFull(2));
        let _third = doorman.reserve(b).unwrap();
        assert_eq!(doorman.reserve(b).unwrap_err(), Refusal::ServerFull(3));
        drop(first); // une place rendue libère le total ET l'adresse :
        // `a` n'est plus « complète », mais ses deux arrivées ont vidé son seau.
        assert_eq!(doorman.reserve(a).unwrap_err(), Refusal::TooFast);
        assert!(
            doorman.reserve(b).is_ok(),
            "une place du total s'est libérée"
        );
    }

    #[test]
    fn une_adresse_qui_revient_en_boucle_est_freinee() {
        let doorman = Arc::new(Doorman::new(100, 3));
        let ip = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            drop(doorman.reserve(ip).unwrap()); // arrive et repart aussitôt
        }
        assert_eq!(doorman.reserve(ip).unwrap_err(), Refusal::TooFast);
    }
}
