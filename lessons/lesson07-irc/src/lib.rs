//! # Leçon 07 — parler un vrai protocole : IRC
//!
//! Le salon de la leçon 05 parlait un protocole à lui, que seuls `nc` et son propre
//! client savaient parler. Ce serveur parle **IRC** (RFC 1459, RFC 2812) : irssi,
//! WeeChat, HexChat, n'importe quelle bibliothèque IRC le rejoignent sans
//! modification, et la suite de conformité du domaine (irctest) le juge.
//!
//! - Lancer le serveur : `cargo run -p lesson07-irc` (sur 127.0.0.1:6667)
//! - Le rejoindre : `irssi -c 127.0.0.1 -p 6667 -n alice`, ou à la main avec
//!   `nc -C 127.0.0.1 6667` puis `NICK alice` et `USER alice 0 * :Alice`
//!
//! À observer : chaque réponse du serveur commence par son nom
//! (`:cours.irc 001 alice :Welcome…`), chaque message relayé par le préfixe de son
//! auteur (`:bob!bob@127.0.0.1 PRIVMSG #cours :salut`). Tapez `JOIN #cours` dans
//! `nc`, puis regardez irssi afficher la même chose dans sa fenêtre.
//!
//! ## Organisation
//!
//! La charpente de la leçon 05 (une tâche par connexion, une file d'envoi comptée en
//! octets, la limite de débit qui ralentit au lieu de jeter), et le protocole IRC :
//!
//! - [`message`] : la grammaire (découper en lignes de 512 octets, lire et écrire
//!   un message, la casse RFC 1459, la neutralisation du texte relayé) ;
//! - [`replies`] : les réponses numériques et leur texte standard ;
//! - [`server`] : les réglages, la socket d'écoute, l'accueil, l'arrêt ;
//! - `connection.rs` : la vie d'une connexion et sa SendQ ;
//! - `session.rs` : le rythme de lecture (pénalités, `PING`), l'aiguillage des
//!   commandes, le départ ;
//! - `register.rs` : `CAP`, `PASS`, `NICK`, `USER` et la bienvenue ;
//! - `channels.rs` : les salons et leurs modes ;
//! - `commands.rs` : parler, chercher quelqu'un, l'opérateur ;
//! - `state.rs` : l'état partagé et la diffusion.
//!
//! Ce que la leçon 05 a déjà expliqué, la leçon 07 l'emprunte au lieu de le
//! recopier : la boucle d'une connexion et sa file d'envoi
//! (`lesson05_chat::connection`), le portier qui compte les places et les arrivées
//! de chaque adresse (`lesson05_chat::admission`), le seau à jetons et les essais
//! de `OPER` (`lesson05_chat::rate_limit`).

mod channels;
mod commands;
mod connection;
pub mod message;
mod register;
pub mod replies;
pub mod server;
mod session;
mod state;

pub use register::{NETWORK, VERSION};
pub use server::{Config, listen, serve};

/// Adresse d'écoute par défaut : la boucle locale, port 6667, celui d'IRC.
pub const DEFAULT_ADDR: &str = "127.0.0.1:6667";
