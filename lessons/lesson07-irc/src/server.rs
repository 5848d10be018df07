//! Le serveur : ses réglages, la socket d'écoute, la boucle d'acceptation, l'accueil
//! (ou le refus) de chaque nouveau venu, et l'arrêt propre. La même charpente que la
//! leçon 05 : seul le protocole parlé sur chaque connexion change.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use course_kit::log;
use lesson05_chat::admission::{Place, Refusal};
use lesson05_chat::server::{accept_until, tune};
use tokio::net::{TcpListener, TcpStream};

use crate::connection::handle_connection;
use crate::message::build_error;
use crate::state::Shared;

/// Taille de la file d'attente des connexions établies mais pas encore acceptées.
pub const BACKLOG: i32 = 1024;

// ANCHOR: config
/// Nom du serveur par défaut : il préfixe chaque réponse (`:cours.irc 001 …`).
/// Un nom avec un point, comme un nom d'hôte : c'est ainsi qu'un client distingue
/// un serveur d'un pseudo dans un préfixe.
pub const DEFAULT_NAME: &str = "cours.irc";
/// Connexions ouvertes au maximum, inscrites ou non.
pub const DEFAULT_MAX_CLIENTS: usize = 200;
/// Connexions au maximum depuis une même adresse.
pub const DEFAULT_MAX_PER_ADDRESS: usize = 64;
/// Jetons de commande par seconde (une commande coûte 1 jeton, 4 pour les
/// commandes qui font une longue réponse), par rafales d'une seconde.
pub const DEFAULT_MAX_RATE: u32 = 100;
/// Délai pour s'inscrire (`NICK` et `USER`).
pub const DEFAULT_REGISTER_TIMEOUT: Duration = Duration::from_secs(30);
/// Silence après lequel le serveur envoie `PING`.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(120);
/// Délai de réponse à ce `PING`, après quoi la connexion est fermée.
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(60);
/// Temps qu'une ligne venue d'un autre client attend que d'autres la rejoignent,
/// pour partir avec elles d'une seule écriture (voir `Output::with_flush_delay`) :
/// invisible dans une conversation, et dans un salon animé, plusieurs fois moins
/// d'appels système et de segments TCP.
pub const DEFAULT_FLUSH_DELAY: Duration = Duration::from_millis(25);
/// Salons au plus par client (`CHANLIMIT=#:20`).
pub const MAX_CHANNELS_PER_USER: usize = 20;

/// Les réglages du serveur. `Config::default()` donne ceux de la ligne de commande.
#[derive(Debug, Clone)]
pub struct Config {
    /// Le nom du serveur, préfixe de ses réponses.
    pub name: String,
    /// Le message du jour (`MOTD`), ligne par ligne ; sans lui, `422`.
    pub motd: Option<Vec<String>>,
    /// Le mot de passe du serveur, vérifié par `PASS` (aucun par défaut).
    pub password: Option<String>,
    /// Le nom et le mot de passe de `OPER` ; sans eux, personne n'est opérateur.
    pub oper: Option<(String, String)>,
    pub max_clients: usize,
    pub max_per_address: usize,
    /// Jetons par seconde (0 : pas de limite). Au-delà, le client est ralenti.
    pub max_rate: u32,
    /// Octets en attente au-delà desquels on ne lit plus le client, et au-delà
    /// desquels il est déconnecté si sa socket reste engorgée `backed_up_timeout`.
    pub soft_limit: usize,
    /// Octets en attente au-delà desquels il est déconnecté sur-le-champ.
    pub hard_limit: usize,
    pub backed_up_timeout: Duration,
    /// Regroupement des envois : une ligne attend au plus ce temps que d'autres la
    /// rejoignent (zéro : chaque ligne part seule, tout de suite).
    pub flush_delay: Duration,
    pub register_timeout: Duration,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// Temps laissé à chaque client pour recevoir ses dernières lignes.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: DEFAULT_NAME.to_owned(),
            motd: None,
            password: None,
            oper: None,
            max_clients: DEFAULT_MAX_CLIENTS,
            max_per_address: DEFAULT_MAX_PER_ADDRESS,
            max_rate: DEFAULT_MAX_RATE,
            soft_limit: 64 * 1024,
            hard_limit: 1024 * 1024,
            backed_up_timeout: Duration::from_secs(10),
            flush_delay: DEFAULT_FLUSH_DELAY,
            register_timeout: DEFAULT_REGISTER_TIMEOUT,
            ping_interval: DEFAULT_PING_INTERVAL,
            ping_timeout: DEFAULT_PING_TIMEOUT,
            shutdown_grace: Duration::from_secs(1),
        }
    }
}
// ANCHOR_END: config

/// La socket d'écoute : celle de la leçon 05 (donc de la leçon 01), confiée à
/// tokio. Doit être appelée depuis le runtime tokio.
pub use lesson05_chat::listen;

// ANCHOR: accept_loop
/// Sert les clients de `listener` avec `config` jusqu'à ce que `shutdown` se
/// termine (Ctrl+C dans le programme, un signal dans les tests), puis ferme
/// proprement.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let shared = Arc::new(Shared::new(config));
    let admit = |stream, peer| admit(&shared, stream, peer);
    accept_until(&listener, shutdown, admit, |trouble| log!("{trouble}")).await;
    drop(listener);
    stop(&shared).await;
    Ok(())
}
// ANCHOR_END: accept_loop

// ANCHOR: admit
/// Donne une place au nouveau venu s'il en reste (au total et pour son adresse) et
/// lance sa tâche. Sinon, `ERROR :…` et la connexion est fermée.
fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let place = match reserve(shared, peer.ip()) {
        Ok(place) => place,
        Err(refusal) => {
            // La socket est neuve, son tampon d'envoi vide : cette écriture non
            // bloquante passe d'un coup. Puis `stream` est détruit : fermeture.
            let _ = stream.try_write(build_error(&refusal).as_bytes());
            return;
        }
    };
    // Les réglages TCP des clients de la leçon 05 : sans Nagle, un tampon d'envoi
    // fixe, le keepalive.
    let _ = tune(&stream);
    let task_shared = Arc::clone(shared);
    shared.connections.spawn(place, |cancel| {
        handle_connection(stream, peer, task_shared, cancel)
    });
}

/// Réserve une place auprès du portier de la leçon 05 (au total, par adresse, et au
/// rythme des arrivées), ou dit pourquoi c'est impossible.
fn reserve(shared: &Shared, ip: IpAddr) -> Result<Place, String> {
    shared.connections.doorman.reserve(ip).map_err(|refusal| match refusal {
        Refusal::ServerFull(max) => {
            format!(
                "Serveur complet ({max} connexions au maximum) : réessayez plus tard."
            )
        }
        Refusal::AddressFull(max) => {
            format!("Trop de connexions depuis votre adresse ({max} au maximum).")
        }
        Refusal::TooFast => "Connexions trop rapprochées depuis votre adresse : \
                             réessayez dans 1 min."
            .to_owned(),
    })
}
// ANCHOR_END: admit

// ANCHOR: stop
/// Arrêt propre : chaque connexion reçoit une notice et `ERROR`, puis on attend (un
/// temps borné) qu'elles soient toutes fermées.
async fn stop(shared: &Shared) {
    log!("arrêt du serveur : on prévient les clients");
    let delay = shared.config.shutdown_grace + Duration::from_secs(1);
    if !shared.connections.stop(delay).await {
        log!("des connexions ne se sont pas fermées à temps");
    }
}
// ANCHOR_END: stop
