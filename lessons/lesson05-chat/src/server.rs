//! Le serveur du salon : ses réglages, la socket d'écoute, la boucle d'acceptation,
//! l'accueil (ou le refus) de chaque nouveau venu, et l'arrêt propre.
//!
//! Trois règles font sa robustesse, chacune expliquée là où elle s'applique :
//! 1. tout est borné, en octets : les connexions (par adresse et au total), la
//!    longueur des lignes (le découpeur), la file d'envoi de chaque client,
//!    l'historique en mémoire et sur le disque ;
//! 2. personne n'attend personne : on ne fait jamais `.await` en tenant un verrou, et
//!    un client trop rapide est ralenti (on cesse de le lire) au lieu de ralentir les
//!    autres ;
//! 3. chaque fin de connexion passe par le même chemin (`Session::leave`), si bien
//!    que les autres sont prévenus exactement une fois, quelle que soit la raison du
//!    départ.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lesson01_echo::{ListenOptions, listen_with};
use socket2::{SockRef, TcpKeepalive};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tracing::{debug, info, warn};

use crate::admission::{Place, Refusal};
use crate::connection::handle_connection;
use crate::history::History;
use crate::protocol;
use crate::state::Shared;

/// Taille de la file d'attente des connexions établies mais pas encore acceptées.
pub const BACKLOG: i32 = 1024;

/// Tampon d'envoi du noyau pour chaque client (voir `tune`).
const SEND_BUFFER: usize = 64 * 1024;

// ANCHOR: config
// Les réglages par défaut, écrits une seule fois : `Config::default()` et l'aide de
// la ligne de commande (`main.rs`) les lisent ici.

/// Connexions ouvertes au maximum, inscrites ou non.
pub const DEFAULT_MAX_CLIENTS: usize = 200;
/// Connexions au maximum depuis une même adresse : assez pour une classe derrière une
/// box.
pub const DEFAULT_MAX_PER_ADDRESS: usize = 64;
/// Messages publics gardés et rejoués aux nouveaux venus.
pub const DEFAULT_HISTORY: usize = 100;
/// Taille du fichier d'historique au-delà de laquelle il est réécrit (1 Mio).
pub const DEFAULT_HISTORY_FILE_MAX: u64 = 1024 * 1024;
/// Longueur maximale d'une ligne reçue, en octets.
pub const DEFAULT_MAX_LINE: usize = 1024;
/// Lignes par seconde permises à chaque client.
pub const DEFAULT_MAX_RATE: u32 = 100;
/// Délai pour donner son pseudo.
pub const DEFAULT_REGISTER_TIMEOUT: Duration = Duration::from_secs(30);
/// Silence après lequel un inscrit est déconnecté.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Les réglages du serveur. `Config::default()` donne ceux de la ligne de commande.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connexions ouvertes au maximum, inscrites ou non.
    pub max_clients: usize,
    /// Connexions ouvertes au maximum depuis une même adresse (un /64 en IPv6).
    /// Assez pour une classe entière derrière la box ou le NAT d'un
    /// établissement.
    pub max_per_address: usize,
    /// Messages publics gardés en mémoire (et rejoués aux nouveaux venus).
    pub history_len: usize,
    /// Fichier où chaque message public est ajouté (JSON lines), relu au démarrage.
    pub history_file: Option<PathBuf>,
    /// Taille maximale de ce fichier, en octets : au-delà, il est réécrit avec
    /// seulement les `history_len` derniers messages (compaction).
    pub history_file_max: u64,
    /// Mot de passe de `/oper` ; sans lui, personne ne peut devenir opérateur.
    pub oper_password: Option<String>,
    /// Longueur maximale d'une ligne reçue, en octets.
    pub max_line: usize,
    /// Lignes par seconde qu'un client peut envoyer (0 : pas de limite). Au-delà, il
    /// est ralenti : on cesse de le lire.
    pub max_rate: u32,
    /// Octets en attente pour un client au-delà desquels on cesse de le lire, et
    /// au-delà desquels il est déconnecté si sa socket reste engorgée
    /// `backed_up_timeout`.
    pub soft_limit: usize,
    /// Octets en attente pour un client au-delà desquels il est déconnecté
    /// sur-le-champ.
    pub hard_limit: usize,
    /// Durée d'engorgement tolérée au-delà de `soft_limit`.
    pub backed_up_timeout: Duration,
    /// Délai pour donner son pseudo, après quoi la connexion est fermée.
    pub register_timeout: Duration,
    /// Un inscrit qui n'envoie plus rien pendant ce délai est déconnecté (sa place
    /// se libère).
    pub idle_timeout: Duration,
    /// Temps laissé à chaque client pour recevoir ses derniers messages à la
    /// fermeture.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_per_address: DEFAULT_MAX_PER_ADDRESS,
            history_len: DEFAULT_HISTORY,
            history_file: None,
            history_file_max: DEFAULT_HISTORY_FILE_MAX,
            oper_password: None,
            max_line: DEFAULT_MAX_LINE,
            max_rate: DEFAULT_MAX_RATE,
            soft_limit: 64 * 1024,
            hard_limit: 1024 * 1024,
            backed_up_timeout: Duration::from_secs(10),
            register_timeout: DEFAULT_REGISTER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            shutdown_grace: Duration::from_secs(1),
        }
    }
}
// ANCHOR_END: config

// ANCHOR: listen
/// Crée la socket d'écoute comme la leçon 01 (chaque étape y est expliquée), avec
/// une file d'attente plus longue, puis la confie à tokio. Doit être appelée depuis
/// le runtime tokio.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let options = ListenOptions {
        backlog: BACKLOG,
        ..ListenOptions::default()
    };
    let listener = listen_with(addr, options)?;
    // tokio attend une socket non bloquante : c'est sa boucle d'événements qui
    // attendra.
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}
// ANCHOR_END: listen

/// Le serveur, prêt à servir : l'historique est chargé. Une copie (`clone`) désigne
/// le même salon.
#[derive(Clone)]
pub struct ChatServer {
    shared: Arc<Shared>,
}

/// Crée le serveur avec `config` et sert les clients de `listener` jusqu'à ce que
/// `shutdown` se termine (Ctrl+C dans le programme, un signal dans les tests).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    ChatServer::new(config)?.run(listener, shutdown).await
}

impl ChatServer {
    /// Prépare le serveur. Échoue si le fichier d'historique ne peut être ouvert.
    pub fn new(config: Config) -> io::Result<ChatServer> {
        let history = match &config.history_file {
            Some(path) => {
                History::open(config.history_len, path, config.history_file_max)?
            }
            None => History::in_memory(config.history_len),
        };
        if !history.is_empty() {
            info!("{} messages rechargés depuis l'historique", history.len());
        }
        Ok(ChatServer {
            shared: Arc::new(Shared::new(config, history)),
        })
    }

    // ANCHOR: accept_loop
    /// Accepte les clients jusqu'à ce que `shutdown` se termine, puis ferme
    /// proprement.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let shared = self.shared;
        let admit = |stream, peer| admit(&shared, stream, peer);
        accept_until(&listener, shutdown, admit, |trouble| warn!("{trouble}")).await;
        drop(listener); // plus de nouvelles connexions : le noyau les refusera
        stop(&shared).await;
        Ok(())
    }
    // ANCHOR_END: accept_loop

    /// Fait entrer dans le salon une connexion établie ailleurs que sur sa socket
    /// d'écoute, au nom de `peer`. La leçon 08 y passe chaque navigateur : ses
    /// limites (places par adresse, arrivées, `/oper`) comptent alors l'adresse du
    /// navigateur, et non celle de la passerelle, la même pour tous.
    pub fn admit(&self, stream: TcpStream, peer: SocketAddr) {
        admit(&self.shared, stream, peer);
    }
}

// ANCHOR: accept_until
/// Accepte les connexions de `listener` jusqu'à ce que `shutdown` se termine, et
/// confie chacune à `admit`. Les serveurs des leçons 07 (IRC) et 08 (HTTP)
/// l'empruntent.
///
/// `select!` attend la première de deux choses : un nouveau client, ou l'arrêt. Une
/// erreur d'`accept` n'arrête jamais le serveur : un client parti avant qu'on
/// l'accepte n'est rien de grave ; le plus souvent, c'est « trop de fichiers
/// ouverts », et la connexion attend dans le backlog. On le dit au journal
/// (`trouble`), puis une petite pause laisse des connexions se fermer, au lieu de
/// tourner à vide.
pub async fn accept_until(
    listener: &TcpListener,
    shutdown: impl Future<Output = ()>,
    mut admit: impl FnMut(TcpStream, SocketAddr),
    mut trouble: impl FnMut(&str),
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => admit(stream, peer),
            Err(err) if err.kind() == io::ErrorKind::ConnectionAborted => {}
            Err(err) => {
                trouble(&format!(
                    "accept() a échoué : {err} ; nouvel essai dans 100 ms"
                ));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
// ANCHOR_END: accept_until

// ANCHOR: admit
/// Donne une place au nouveau venu s'il en reste (au total et pour son adresse), et
/// lance sa tâche. Sinon, une phrase d'explication et la connexion est fermée.
fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    if shared.connections.is_stopping() {
        return; // le serveur s'arrête : la connexion est simplement fermée
    }
    let place = match reserve(shared, peer.ip()) {
        Ok(place) => place,
        Err(refusal) => {
            let now = Instant::now();
            let log = shared
                .refusals_log
                .lock()
                .map_or(None, |mut log| log.allow(now));
            if let Some(suppressed) = log {
                warn!(
                    "connexion de {peer} refusée ({suppressed} autres refus tus \
                     depuis)"
                );
            }
            // La socket est neuve, son tampon d'envoi vide : cette écriture non
            // bloquante passe d'un coup. Puis `stream` est détruit et la
            // connexion fermée.
            let _ = stream.try_write(refusal.as_bytes());
            return;
        }
    };
    if let Err(err) = tune(&stream) {
        debug!("réglage de la socket de {peer} impossible : {err}");
    }
    // La tâche reçoit son jeton d'annulation ; la place est rendue à sa fin.
    let task_shared = Arc::clone(shared);
    shared.connections.spawn(place, |cancel| {
        handle_connection(stream, peer, task_shared, cancel)
    });
}

/// Réserve une place pour une connexion venue de `ip` (voir `admission.rs`), ou dit
/// pourquoi c'est impossible, en une phrase pour le client.
fn reserve(shared: &Shared, ip: IpAddr) -> Result<Place, String> {
    shared
        .connections
        .doorman
        .reserve(ip)
        .map_err(|refusal| match refusal {
            Refusal::ServerFull(max) => protocol::server_full(max),
            Refusal::AddressFull(max) => protocol::address_full(max),
            Refusal::TooFast => protocol::address_too_fast(),
        })
}

/// Règle la socket d'un client (la leçon 07 fait de même pour les siens).
pub fn tune(stream: &TcpStream) -> io::Result<()> {
    // Sans TCP_NODELAY, l'algorithme de Nagle retient les petits paquets en attendant
    // l'accusé de réception du précédent : une ligne de chat attendrait au moins 40
    // ms.
    stream.set_nodelay(true)?;
    let socket = SockRef::from(stream);
    // Un tampon d'envoi FIXE : laissé à lui-même, le noyau l'agrandit jusqu'à
    // plusieurs Mio par connexion, et un client qui ne lit pas immobiliserait
    // autant de mémoire du noyau. 64 Kio suffisent largement à un salon, et ce
    // qui ne tient pas reste dans NOTRE file, comptée en octets (voir
    // `connection.rs`).
    socket.set_send_buffer_size(SEND_BUFFER)?;
    // Keepalive : un client dont la machine s'est éteinte (connexion « à moitié
    // ouverte ») ne prévient pas. Après 60 s de silence, le noyau sonde ; sans
    // réponse, la lecture échoue et la connexion est nettoyée comme les autres.
    let keepalive = TcpKeepalive::new().with_time(Duration::from_secs(60));
    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    let keepalive = keepalive.with_interval(Duration::from_secs(10));
    socket.set_tcp_keepalive(&keepalive)
}
// ANCHOR_END: admit

// ANCHOR: stop
/// Arrêt propre : chaque client reçoit une notice, puis on attend (un temps borné)
/// que toutes les connexions soient fermées, et l'historique est écrit sur le disque.
async fn stop(shared: &Shared) {
    info!("arrêt du serveur : on prévient les clients");
    // Annule le jeton de chaque connexion : chacune met la notice d'arrêt dans sa
    // file et l'envoie en au plus `shutdown_grace`, même si son client ne lit
    // pas.
    let delay = shared.config.shutdown_grace + Duration::from_secs(1);
    if !shared.connections.stop(delay).await {
        warn!("des connexions ne se sont pas fermées à temps");
    }
    // L'historique s'écrit dans un thread à lui ; on attend qu'il ait tout écrit,
    // sans bloquer le runtime (un disque lent ne doit pas figer l'arrêt au-delà
    // du délai).
    let history = shared.lock().history.close();
    let flushed = tokio::task::spawn_blocking(history);
    match timeout(Duration::from_secs(5), flushed).await {
        Ok(Ok(Ok(()))) => info!("historique sauvegardé"),
        Ok(Ok(Err(err))) => {
            warn!("l'historique n'a pas pu être écrit sur le disque : {err}")
        }
        _ => warn!("l'historique n'a pas fini de s'écrire à temps"),
    }
}
// ANCHOR_END: stop
