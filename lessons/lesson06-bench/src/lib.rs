//! # Leçon 06 — mesurer un serveur : un générateur de charge
//!
//! Un générateur de charge applique UN scénario à UN serveur, dans l'esprit de wrk2 :
//! `echo`, la boucle FERMÉE ([`echo`]), ou `chat`, la boucle OUVERTE ([`chat`]), où
//! chaque message a deux latences côte à côte : depuis l'heure PRÉVUE (corrigée) et
//! depuis l'envoi réel.
//!
//! Lancer : `cargo run --release -p lesson04-select -- chat` dans un terminal, puis
//! `cargo run --release -p lesson06-bench -- --addr 127.0.0.1:7777 --pid <PID>` dans
//! un autre. Sans `--addr`, le banc lance lui-même le serveur d'une leçon
//! ([`local`]).
//!
//! À observer : le p99 quand on double `--rate`, l'écart entre les deux latences
//! quand le serveur ne suit plus, le temps CPU du serveur par livraison.
//!
//! Les modules forment un arbre : [`echo`] et [`chat`] s'appuient sur [`net`] (les
//! connexions), [`stats`] (les latences) et [`system`] (ce que le noyau sait du
//! serveur).

pub mod chat;
pub mod echo;
pub mod local;
pub mod net;
pub mod stats;
pub mod system;

/// Les deux scénarios du banc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Echo,
    Chat,
}
