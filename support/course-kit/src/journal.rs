//! Le journal d'un serveur : une ligne par événement (« client arrivé », « client
//! parti »…).
//!
//! La règle de la maison, la même dans toutes les leçons :
//!
//! - le journal va sur la **sortie d'erreur** ; la sortie standard est réservée à ce
//!   que le programme dit à la personne qui l'a lancé (la bannière d'un serveur, la
//!   conversation d'un client). On peut donc garder l'un et jeter l'autre :
//!   `2>journal.txt` ;
//! - écrire le journal ne fait **jamais paniquer** le serveur : `eprintln!` panique
//!   si la sortie d'erreur est un tube fermé, et un serveur ne doit pas s'arrêter
//!   pour tout le monde à cause d'une ligne de journal. On ignore l'erreur
//!   d'écriture ;
//! - les tests, qui lancent des dizaines de serveurs dans le même processus, le
//!   coupent avec [`set_enabled`] pour garder leur sortie lisible.
//!
//! Attention : écrire sur un terminal ou dans un tube plein **bloque**. Dans une
//! boucle d'événements (leçon 04), ce blocage arrête tous les clients : le journal y
//! reste donc bref, une ligne par arrivée ou départ, jamais une par message.
//!
//! La leçon 05, asynchrone, suit la même règle avec `tracing` (sortie d'erreur,
//! `RUST_LOG`).

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

// ANCHOR: journal
/// Le journal est-il affiché ? Oui par défaut ; voir [`set_enabled`].
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Coupe ou rétablit le journal de tout le processus.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Écrit une ligne de journal sur la sortie d'erreur, sans jamais paniquer.
///
/// Le verrou de `stderr` garde la ligne entière : deux threads qui journalisent en
/// même temps ne mélangent pas leurs lignes.
pub fn write(line: fmt::Arguments<'_>) {
    if ENABLED.load(Ordering::Relaxed) {
        let mut err = io::stderr().lock();
        let _ = err.write_fmt(line);
        let _ = err.write_all(b"\n");
    }
}

/// `log!("Client {peer} arrivé.")` : une ligne de journal (voir [`write`]).
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::journal::write(format_args!($($arg)*))
    };
}
// ANCHOR_END: journal
