//! # Les outils des tests du cours
//!
//! Chaque test du cours parle à un vrai serveur, sur de vraies sockets, et doit **se
//! terminer seul en quelques secondes**, même contre un serveur cassé, bloqué ou pas
//! encore écrit (`todo!()`). Ce crate de développement rassemble, écrits une fois,
//! les outils qui le garantissent ; chaque leçon les utilise au lieu d'en garder sa
//! copie :
//!
//! - [`run`] lance un programme, attend sa fin avec une échéance et rend ce qu'il a
//!   écrit ; [`assert_fails_with`] vérifie une erreur attendue (code non nul, phrase
//!   française, pas de panique), [`assert_addr_in_use_is_explained`] et
//!   [`assert_refusal_is_explained`] les deux erreurs réseau qu'un étudiant rencontre
//!   d'abord, [`assert_help_mentions`] une aide ; [`Program`] le laisse tourner
//!   pendant le test (un serveur), lit ses lignes avec une borne ([`Lines::expect`])
//!   et le tue à la fin du test, même en cas d'échec ;
//! - [`connect`] ouvre une connexion dont chaque lecture et chaque écriture a un
//!   délai ([`occupied_addr`] et [`unused_addr`] donnent une adresse prise ou libre),
//!   [`read_line`] lit une ligne bornée en octets, [`read_until`] saute les lignes
//!   jusqu'à celle qu'on attend (au plus [`MAX_LINES`]), et [`roundtrip`] envoie
//!   tout puis lit tout (l'échange type avec un serveur d'écho, que
//!   [`assert_echoes`] vérifie) ;
//! - [`assert_echoes_binary`], [`assert_echoes_a_mebibyte`],
//!   [`assert_turned_away`] et [`assert_echo_survives_closed_outputs`] jugent ce
//!   que tout serveur du cours doit faire (des octets quelconques et un mébioctet
//!   renvoyés intacts, un client de trop refusé en une phrase, un journal dans un
//!   tube fermé qui n'arrête rien), et [`french_cli_tests!`] écrit les tests du
//!   programme que passe chaque leçon (l'aide, un port déjà pris, une connexion
//!   refusée) ;
//! - [`with_deadline`] et [`background`] font travailler un thread et font échouer le
//!   test, au lieu de le figer, s'il ne finit pas à temps ;
//! - [`keyboard`] et [`screen`] simulent le clavier et l'écran d'un client ;
//! - avec la fonction `tokio`, [`TaskServer`] lance un serveur tokio dans une tâche
//!   du test (et l'arrête comme un Ctrl+C), [`TaskClient`] lui parle avec une
//!   échéance à chaque attente (leçons 05, 07 et 08).
//!
//! Les règles qu'ils appliquent (voir `CONTRIBUTING.md`) : chaque attente a une
//! échéance, chaque boucle une borne, et un échec dit ce qu'on a vu. Aucun ne mesure
//! une durée pour la comparer à un seuil : l'échéance ne sert qu'à ne jamais bloquer.

use std::time::Duration;

mod cli_tests;
mod conformance;
mod deadline;
mod net;
mod program;
#[cfg(feature = "tokio")]
mod task;
mod terminal;

pub use conformance::{
    assert_echo_survives_closed_outputs, assert_echoes_a_mebibyte,
    assert_echoes_binary, assert_turned_away,
};
pub use deadline::{Background, background, with_deadline};
pub use net::{
    assert_echoes, connect, occupied_addr, pattern, read_line, read_until, roundtrip,
    unused_addr,
};
pub use program::{
    Lines, Program, assert_addr_in_use_is_explained, assert_fails_with,
    assert_help_mentions, assert_refusal_is_explained, run, run_with_input,
};
#[cfg(feature = "tokio")]
pub use task::{
    MAX_BACKLOG, Shutdown, TaskClient, TaskServer, assert_complete_in_order,
};
pub use terminal::{Keyboard, Screen, Shown, keyboard, screen};

/// L'échéance de chaque attente : largement assez sur la boucle locale, même sur une
/// machine chargée, et assez courte pour qu'un serveur bloqué fasse échouer le test
/// sans le figer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Le nombre de lignes qu'une attente ([`Lines::expect`], [`Shown::wait_for`]) lit au
/// plus avant d'abandonner : un programme qui écrit sans fin ne retient pas le test.
pub const MAX_LINES: usize = 10_000;

/// La longueur maximale d'une ligne lue par [`read_line`] ou [`Lines`], en octets :
/// un pair qui envoie des octets sans jamais de `\n` ne remplit pas la mémoire du
/// test.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
