//! Ce que toutes les connexions partagent : les inscrits, les salons, et le portier
//! de la leçon 05 (`lesson05_chat::admission`), qui compte les places et retient
//! chaque adresse.
//!
//! Chaque opération (inscrire, renommer, rejoindre un salon, diffuser, retirer) se
//! fait d'un bloc, verrou tenu : les autres la voient entière ou pas du tout. Le
//! verrou est celui de la bibliothèque standard, jamais tenu pendant un `.await` :
//! on n'y fait que des opérations immédiates (mettre une ligne dans une file).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use course_kit::log;
use tokio_util::sync::CancellationToken;

use lesson05_chat::admission::Connections;
use lesson05_chat::connection::Outbox;

use crate::message::{self, casefold};
use crate::server::Config;

// ANCHOR: shared
/// Ce que toutes les connexions partagent.
pub(crate) struct Shared {
    pub(crate) config: Config,
    state: Mutex<State>,
    /// Les places (au total, par adresse, au rythme des arrivées), les essais de
    /// `OPER` de chaque adresse, les tâches des connexions et l'arrêt : ceux de la
    /// leçon 05 (`lesson05_chat::admission`).
    pub(crate) connections: Connections,
    /// Connexions pas encore inscrites (`LUSERS`, `253`).
    pub(crate) unregistered: AtomicUsize,
    /// L'heure de démarrage (RPL_CREATED, `003`).
    pub(crate) created: SystemTime,
}

/// L'état du réseau (un seul serveur), protégé par un verrou.
#[derive(Default)]
pub(crate) struct State {
    /// Les inscrits, par numéro de connexion.
    pub(crate) users: HashMap<u64, User>,
    /// Pseudo (en minuscules RFC 1459, voir `casefold`) → numéro de connexion.
    pub(crate) nicks: HashMap<String, u64>,
    /// Les salons, par nom en minuscules.
    pub(crate) channels: HashMap<String, Channel>,
    /// Les derniers partis ou renommés, le plus récent devant (`WHOWAS`), au plus
    /// [`WHOWAS_LEN`].
    pub(crate) whowas: VecDeque<Whowas>,
    /// Le plus grand nombre d'inscrits vu en même temps (`LUSERS`).
    pub(crate) max_users: usize,
}

/// Combien d'anciens pseudos `WHOWAS` retient : la mémoire reste bornée.
pub(crate) const WHOWAS_LEN: usize = 100;

/// Un ancien pseudo, pour `WHOWAS`.
pub(crate) struct Whowas {
    pub(crate) nick: String,
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) realname: String,
}

impl Whowas {
    pub(crate) fn of(user: &User) -> Whowas {
        Whowas {
            nick: user.nick.clone(),
            user: user.user.clone(),
            host: user.host.clone(),
            realname: user.realname.clone(),
        }
    }
}

/// Un inscrit, vu par les autres connexions.
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) nick: String,
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) realname: String,
    /// Sa SendQ, bornée en OCTETS (voir `connection.rs`).
    pub(crate) outbox: Outbox,
    /// Annuler ce jeton termine sa connexion (`KILL`, SendQ dépassée).
    pub(crate) cancel: CancellationToken,
    /// Mode `+i` : invisible pour `WHO` de ceux qui ne partagent aucun salon.
    pub(crate) invisible: bool,
    /// Mode `+o` : opérateur du serveur (`OPER`).
    pub(crate) oper: bool,
    pub(crate) away: Option<String>,
    /// Les salons où il est, par nom en minuscules.
    pub(crate) channels: BTreeSet<String>,
    /// Inscrit depuis (secondes Unix), et dernier message (pour `WHOIS`).
    pub(crate) signon: u64,
    pub(crate) last_message: Instant,
}

impl User {
    /// `alice!alice@127.0.0.1` : le préfixe de tout ce qu'il envoie.
    pub(crate) fn mask(&self) -> String {
        format!("{}!{}@{}", self.nick, self.user, self.host)
    }
}

/// Un salon. Le premier arrivé en est l'opérateur ; le dernier parti le détruit.
#[derive(Default)]
pub(crate) struct Channel {
    pub(crate) name: String,
    pub(crate) topic: Option<Topic>,
    /// Les membres, par numéro de connexion (l'ordre de `NAMES` et de `WHO`).
    pub(crate) members: BTreeMap<u64, Member>,
    pub(crate) modes: ChannelModes,
    /// Les bannissements (`+b`), au plus [`MAX_BANS`].
    pub(crate) bans: Vec<Ban>,
    /// Invités (`INVITE`) : peuvent entrer malgré `+i`.
    pub(crate) invited: HashSet<u64>,
    pub(crate) created: u64,
}

/// Au plus tant de masques bannis par salon : la mémoire reste bornée.
pub(crate) const MAX_BANS: usize = 50;

/// Un masque banni (`*!*@10.0.0.*`), qui l'a posé et quand.
pub(crate) struct Ban {
    pub(crate) mask: String,
    pub(crate) who: String,
    pub(crate) time: u64,
}

pub(crate) struct Topic {
    pub(crate) text: String,
    pub(crate) who: String,
    pub(crate) time: u64,
}

/// Les droits d'un membre dans un salon : `@` opérateur, `+` voix.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Member {
    pub(crate) op: bool,
    pub(crate) voice: bool,
}

impl Member {
    /// Le préfixe affiché devant le pseudo (`NAMES`, `WHOIS`).
    pub(crate) fn prefix(self) -> &'static str {
        match (self.op, self.voice) {
            (true, _) => "@",
            (false, true) => "+",
            _ => "",
        }
    }
}

/// Les modes d'un salon (`CHANMODES=b,k,l,imnst`).
#[derive(Debug, Default)]
pub(crate) struct ChannelModes {
    /// `+i` : sur invitation seulement.
    pub(crate) invite_only: bool,
    /// `+m` : seuls les opérateurs et les voix parlent.
    pub(crate) moderated: bool,
    /// `+n` : pas de message de l'extérieur.
    pub(crate) no_external: bool,
    /// `+t` : seuls les opérateurs changent le sujet.
    pub(crate) topic_ops: bool,
    /// `+s` : secret, absent de `LIST`, `NAMES` et `WHOIS` pour les non-membres.
    pub(crate) secret: bool,
    /// `+k` : la clé à donner avec `JOIN`.
    pub(crate) key: Option<String>,
    /// `+l` : nombre de membres au plus.
    pub(crate) limit: Option<usize>,
}

impl ChannelModes {
    /// `+ntk clé` (la clé n'est montrée qu'aux membres).
    pub(crate) fn describe(&self, show_key: bool) -> Vec<String> {
        let mut flags = String::from("+");
        let mut params = Vec::new();
        for (on, c) in [
            (self.invite_only, 'i'),
            (self.moderated, 'm'),
            (self.no_external, 'n'),
            (self.secret, 's'),
            (self.topic_ops, 't'),
        ] {
            if on {
                flags.push(c);
            }
        }
        if let Some(key) = &self.key {
            flags.push('k');
            params.push(if show_key { key.clone() } else { "*".into() });
        }
        if let Some(limit) = self.limit {
            flags.push('l');
            params.push(limit.to_string());
        }
        params.insert(0, flags);
        params
    }
}

/// L'heure, en secondes Unix.
pub(crate) fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Shared {
    pub(crate) fn new(config: Config) -> Shared {
        Shared {
            connections: Connections::new(config.max_clients, config.max_per_address),
            config,
            state: Mutex::new(State::default()),
            unregistered: AtomicUsize::new(0),
            created: SystemTime::now(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Un verrou « empoisonné » : une tâche a paniqué en le tenant. Chaque
        // modification se fait d'un bloc, l'état reste cohérent : on continue.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: shared

// ANCHOR: deliver
impl State {
    /// Le numéro de l'inscrit qui porte ce pseudo (sans tenir compte de la casse).
    pub(crate) fn find(&self, nick: &str) -> Option<u64> {
        self.nicks.get(&casefold(nick)).copied()
    }

    /// Met `line` dans la file de chacun de `targets`.
    ///
    /// On n'attend jamais. Un destinataire dont la file dépasserait sa limite dure
    /// ne lit plus depuis longtemps : il est retiré (il reçoit en dernier
    /// `ERROR :SendQ exceeded`, qu'il ne lira sans doute jamais), et ceux qui
    /// partagent un salon avec lui reçoivent son `QUIT`… par une diffusion, qui peut
    /// à son tour trouver une file pleine. D'où une liste de travail plutôt qu'un
    /// appel récursif : chaque inscrit n'est retiré qu'une fois, la boucle s'arrête
    /// toujours.
    pub(crate) fn deliver(&mut self, targets: &[u64], line: &Arc<str>) {
        let mut work = VecDeque::from([(targets.to_vec(), Arc::clone(line))]);
        while let Some((targets, line)) = work.pop_front() {
            let too_slow: Vec<u64> = targets
                .into_iter()
                .filter(|id| {
                    self.users.get(id).is_some_and(|u| !u.outbox.push(&line))
                })
                .collect();
            for id in too_slow {
                if let Some(user) = self.users.get(&id) {
                    log!("{} : SendQ dépassée, déconnecté(e)", user.nick);
                    user.outbox
                        .push_last(message::build_error("SendQ exceeded"));
                }
                if let Some((others, quit)) = self.remove(id, "SendQ exceeded") {
                    work.push_back((others, quit));
                }
            }
        }
    }

    /// Envoie à un seul inscrit.
    pub(crate) fn send(&mut self, id: u64, line: &Arc<str>) {
        self.deliver(&[id], line);
    }

    /// Les membres de tous les salons de `id`, sans doublon, `id` exclu : ceux qui
    /// doivent voir son changement de pseudo ou son départ.
    pub(crate) fn neighbours(&self, id: u64) -> Vec<u64> {
        let Some(user) = self.users.get(&id) else {
            return Vec::new();
        };
        let mut ids: BTreeSet<u64> = BTreeSet::new();
        for key in &user.channels {
            if let Some(channel) = self.channels.get(key) {
                ids.extend(channel.members.keys());
            }
        }
        ids.remove(&id);
        ids.into_iter().collect()
    }

    /// Retire `id` de l'état (salons compris), annule sa connexion, et rend ceux à
    /// prévenir avec la ligne `QUIT` à leur envoyer. `None` s'il était déjà parti :
    /// les autres sont donc prévenus exactement une fois.
    pub(crate) fn remove(
        &mut self,
        id: u64,
        reason: &str,
    ) -> Option<(Vec<u64>, Arc<str>)> {
        let others = self.neighbours(id);
        let user = self.users.remove(&id)?;
        self.nicks.remove(&casefold(&user.nick));
        self.remember(Whowas::of(&user));
        for key in &user.channels {
            let empty = self.channels.get_mut(key).is_some_and(|channel| {
                channel.members.remove(&id);
                channel.members.is_empty()
            });
            if empty {
                self.channels.remove(key);
            }
        }
        user.cancel.cancel();
        let quit = message::build(&user.mask(), "QUIT", &[], Some(reason));
        Some((others, quit))
    }

    /// Garde un pseudo qu'on vient de quitter, pour `WHOWAS`.
    pub(crate) fn remember(&mut self, entry: Whowas) {
        if self.whowas.len() == WHOWAS_LEN {
            self.whowas.pop_back();
        }
        self.whowas.push_front(entry);
    }

    /// Retire `id` et prévient ceux qui partagent un salon avec lui.
    pub(crate) fn quit(&mut self, id: u64, reason: &str) {
        if let Some((others, quit)) = self.remove(id, reason) {
            self.deliver(&others, &quit);
        }
    }
}
// ANCHOR_END: deliver
