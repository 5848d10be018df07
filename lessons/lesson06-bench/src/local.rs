//! Sans `--addr`, le banc lance le serveur d'une leçon dans son processus, sur un
//! port libre de 127.0.0.1. Le comparatif (`tools/bench-suite`) appelle [`serve`]
//! dans un processus enfant.
//!
//! Réglages : ceux des leçons, sauf la limite de débit par client, levée (sinon on
//! mesurerait la limite elle-même), et jusqu'à 20 000 clients ; la leçon 05 laisse
//! dix minutes pour donner son pseudo (les connexions inactives du comparatif n'en
//! donnent pas).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use crate::Scenario;

/// Les leçons dont le banc sait lancer le serveur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lesson {
    L03,
    L04,
    L05,
}

pub const MAX_CLIENTS: usize = 20_000;

/// Fait tourner le serveur de `lesson` pour `scenario` sur `listener`, jusqu'à une
/// erreur.
pub fn serve(
    lesson: Lesson,
    scenario: Scenario,
    listener: TcpListener,
) -> io::Result<()> {
    course_kit::journal::set_enabled(false); // Le journal des leçons se mêlerait au rapport.
    let mut lesson03 = lesson03_threads::ChatConfig::default();
    (lesson03.max_clients, lesson03.max_rate) = (MAX_CLIENTS, 0);
    let mut lesson04 = lesson04_select::Config::default();
    (lesson04.max_clients, lesson04.max_rate) = (MAX_CLIENTS, 0);
    match (lesson, scenario) {
        (Lesson::L03, Scenario::Echo) => {
            lesson03_threads::serve_echo(listener, MAX_CLIENTS)
        }
        (Lesson::L03, Scenario::Chat) => {
            lesson03_threads::serve_chat(listener, lesson03)
        }
        (Lesson::L04, Scenario::Echo) => {
            lesson04_select::serve_echo(listener, lesson04)
        }
        (Lesson::L04, Scenario::Chat) => {
            lesson04_select::serve_chat(listener, lesson04)
        }
        (Lesson::L05, Scenario::Chat) => serve_lesson05(listener),
        (Lesson::L05, Scenario::Echo) => {
            Err(io::Error::other("la leçon 05 n'a pas d'écho"))
        }
    }
}

/// Les réglages de la leçon 05 pour le banc (voir plus haut) ; le comparatif s'en
/// sert aussi pour le salon de la leçon 08.
pub fn lesson05_config() -> lesson05_chat::Config {
    let mut config = lesson05_chat::Config::default();
    (config.max_clients, config.max_per_address, config.max_rate) =
        (MAX_CLIENTS, MAX_CLIENTS, 0);
    config.register_timeout = Duration::from_secs(600);
    config
}

fn serve_lesson05(listener: TcpListener) -> io::Result<()> {
    let config = lesson05_config();
    // La leçon 05 vit dans tokio : son propre runtime, dans le thread qui la fait
    // tourner.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        lesson05_chat::serve(listener, config, std::future::pending()).await
    })
}

/// Lance ce serveur dans un thread de ce processus, sur un port libre de 127.0.0.1,
/// et rend son adresse. Le serveur vit jusqu'à la fin du processus.
pub fn start(lesson: Lesson, scenario: Scenario) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || serve(lesson, scenario, listener));
    Ok(addr)
}
