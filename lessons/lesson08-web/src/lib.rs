//! # Leçon 08 — le salon dans le navigateur, sur WebSocket
//!
//! Le salon de la leçon 05, ouvert au navigateur. Une page web (HTML, CSS et
//! JavaScript, rangés DANS le programme) ouvre un WebSocket : une connexion TCP
//! ordinaire, commencée par une requête HTTP qui demande à changer de protocole
//! (`Upgrade: websocket`), puis des trames dans les deux sens. Chaque trame porte
//! UNE ligne du protocole de la leçon 05 : la page est un client de plus, comme `nc`.
//!
//! - Lancer le serveur : `cargo run -p lesson08-web`
//! - Ouvrir <http://127.0.0.1:8080> dans un navigateur, et en même temps
//!   `nc 127.0.0.1 7777` dans un terminal : c'est le même salon.
//!
//! À observer : l'outil « Réseau » du navigateur (F12, filtre « WS ») montre la
//! requête `GET /ws`, la réponse `101 Switching Protocols` et chaque trame ; arrêtez
//! le serveur (Ctrl+C) : la page le dit et se reconnecte quand il revient.
//!
//! ## Organisation
//!
//! - [`serve`] (ici) : le salon de la leçon 05 et le serveur web, lancés ensemble ;
//! - `http.rs` : la boucle HTTP, avec un délai pour les en-têtes (*slowloris*) ;
//! - `web.rs` : les routes HTTP (la page, `/ws`) et le contrôle de l'`Origin` ;
//! - `bridge.rs` : la passerelle entre UN WebSocket et UNE connexion TCP au salon ;
//! - `static/` : la page, sa feuille de style et son script.

mod bridge;
mod http;
mod web;

use std::future::Future;
use std::io;
use std::time::Duration;

use lesson05_chat::{ChatServer, Config};
use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use http::HEADER_TIMEOUT;
pub use web::origin_allowed;

/// Adresse par défaut de la page et du WebSocket.
pub const DEFAULT_WEB_ADDR: &str = "127.0.0.1:8080";

/// Taille maximale d'un message WebSocket reçu, en octets (la plus grande valeur de
/// `--max-line` de la leçon 05). Au-delà, la connexion est fermée (code 1009) ; en
/// deçà, c'est le salon qui juge la ligne, avec sa propre limite.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Tampon d'envoi du noyau pour chaque navigateur, comme la leçon 05 pour chaque
/// client : fixe, sinon le noyau l'agrandit jusqu'à plusieurs Mio, qu'un navigateur
/// qui ne lit plus immobiliserait hors de la file du salon (voir `bridge.rs`).
const SEND_BUFFER: usize = 64 * 1024;

/// Temps laissé aux passerelles pour transmettre les derniers mots du salon à
/// l'arrêt.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

// ANCHOR: serve
/// Sert la page et `/ws` sur `web`, et le salon de la leçon 05 sur `chat`, jusqu'à
/// ce que `shutdown` se termine.
///
/// Un seul salon : chaque WebSocket devient une connexion TCP au salon, exactement
/// comme celle de `nc`. Le salon ne sait pas qu'un navigateur est au bout, et chacune
/// de ses règles (pseudos, commandes, débit, file d'envoi en octets) s'applique donc
/// aux deux sortes de clients.
pub async fn serve(
    web: TcpListener,
    chat: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let room = ChatServer::new(config)?;
    let stop = CancellationToken::new();
    // Les tâches des connexions HTTP et des passerelles : attendues à l'arrêt.
    let tasks = TaskTracker::new();
    let app = web::router(room.clone(), tasks.clone());
    let http = http::serve_http(web, app, stop.clone(), tasks.clone());
    let signal = async {
        shutdown.await;
        stop.cancel();
    };
    let (http, chat, ()) =
        tokio::join!(http, room.run(chat, stop.clone().cancelled_owned()), signal);
    // Le salon a dit au revoir à chacun et fermé ses connexions : les passerelles
    // transmettent ces derniers mots aux navigateurs, en un temps borné.
    tasks.close();
    let _ = tokio::time::timeout(CLOSE_GRACE, tasks.wait()).await;
    http.and(chat)
}
// ANCHOR_END: serve

// ANCHOR: tune
/// Règle la socket d'un navigateur : pas d'algorithme de Nagle (une trame part tout
/// de suite) et un tampon d'envoi fixe.
fn tune(stream: &mut TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = SockRef::from(&*stream).set_send_buffer_size(SEND_BUFFER);
}
// ANCHOR_END: tune
