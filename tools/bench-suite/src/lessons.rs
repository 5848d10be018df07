//! Les serveurs des leçons 03, 04 et 05, appelés par leur bibliothèque dans le processus
//! enfant (commande cachée `serve`).
//!
//! Réglages du banc : jusqu'à 20 000 clients partout ; pas de limite de débit par client
//! (`max_rate = 0`, sinon on mesurerait la limite elle-même) ; pour la leçon 05, autant de
//! connexions par adresse que de clients (tout le banc vient de 127.0.0.1) et un délai
//! d'inscription long (les connexions inactives du scénario capacité ne donnent pas de pseudo).
//! Tout le reste (longueur de ligne, files bornées…) garde les valeurs par défaut des leçons.

use std::io;
use std::net::TcpListener;
use std::time::Duration;

use crate::servers::Server;

/// Nombre de clients accepté par chaque serveur pendant le banc.
pub const MAX_CLIENTS: usize = 20_000;

/// Fait tourner le serveur d'une leçon sur `listener`. Ne revient qu'en cas d'erreur.
pub fn serve(server: Server, listener: TcpListener) -> io::Result<()> {
    match server {
        Server::Lesson03Echo => lesson03_threads::serve_echo(listener, MAX_CLIENTS),
        Server::Lesson03Chat => {
            let config = lesson03_threads::ChatConfig {
                max_clients: MAX_CLIENTS,
                max_rate: 0,
                ..Default::default()
            };
            lesson03_threads::serve_chat(listener, config)
        }
        Server::Lesson04Echo => lesson04_select::serve_echo(listener, lesson04_config()),
        Server::Lesson04Chat => lesson04_select::serve_chat(listener, lesson04_config()),
        Server::Lesson05Chat => serve_lesson05(listener),
        other => Err(io::Error::other(format!(
            "{} n'est pas un serveur de leçon",
            other.name()
        ))),
    }
}

fn lesson04_config() -> lesson04_select::Config {
    lesson04_select::Config {
        max_clients: MAX_CLIENTS,
        max_rate: 0,
        ..Default::default()
    }
}

fn serve_lesson05(listener: TcpListener) -> io::Result<()> {
    let config = lesson05_chat::Config {
        max_clients: MAX_CLIENTS,
        max_per_address: MAX_CLIENTS,
        max_rate: 0,
        register_timeout: Duration::from_secs(600),
        ..Default::default()
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            lesson05_chat::serve(listener, config, std::future::pending()).await
        })
}
