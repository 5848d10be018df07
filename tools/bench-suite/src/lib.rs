//! # Le comparatif complet des serveurs du cours
//!
//! La leçon 06 (`lesson06-bench`) est un générateur de charge : un scénario, un
//! serveur. Cet outil s'en sert pour TOUT comparer, sur la même machine et dans les
//! mêmes conditions : les serveurs des leçons 03, 04 et 05, une référence epoll
//! écrite au plus court, l'écho et le chat façon tokio, et les serveurs Python des
//! documents du cours.
//!
//! - chaque serveur tourne dans son propre processus, épinglé sur un cœur, le
//!   générateur sur l'autre ([`child`], [`system`]) ; la table [`servers::SERVERS`]
//!   dit comment lancer chacun ;
//! - les mesures d'écho sont entrelacées entre serveurs, et l'on garde la médiane ;
//!   le chat monte en débit par paliers ; une rafale, un client muet, la capacité
//!   ([`suite`]) ;
//! - le rapport (Markdown, JSON, graphique SVG) va dans le dossier `--out`,
//!   `target/banc` par défaut ([`report`], [`chart`]) ; le livre se régénère avec
//!   `--out book/src/bench`.
//!
//! Les modules forment un arbre : `suite` s'appuie sur `plan`, `servers`, `child`,
//! `silent`, `capacity`, `targets` et `results` ; `report` et `chart` ne lisent que
//! `results` (et la table des serveurs, pour les couleurs).

pub mod capacity;
pub mod chart;
pub mod child;
pub mod irc;
pub mod ngircd;
pub mod numbers;
pub mod plan;
pub mod reference;
pub mod report;
pub mod results;
pub mod servers;
pub mod silent;
pub mod suite;
pub mod system;
pub mod targets;
pub mod web;
