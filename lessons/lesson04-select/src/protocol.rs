//! Tout ce que les serveurs écrivent à leurs clients, au même endroit. Les annonces
//! du serveur commencent par `***` ; leur texte est le même dans les leçons 03, 04 et
//! 05.

use std::net::SocketAddr;
use std::time::Duration;

use crate::display::notice_about;

/// Ce qu'affichent les autres pour désigner un participant : son adresse,
/// `[127.0.0.1:54321]`.
pub(crate) fn name_of(peer: SocketAddr) -> String {
    format!("[{peer}]")
}

/// Refus d'un client en trop (écho et chat), le même mot pour mot qu'aux leçons 03 et
/// 05.
pub(crate) fn server_full(max_clients: usize) -> String {
    let plural = if max_clients > 1 { "s" } else { "" };
    format!(
        "*** Serveur complet ({max_clients} connexion{plural} au maximum) : réessayez plus tard.\n"
    )
}

pub(crate) fn welcome(name: &str, others: usize) -> String {
    notice_about(name, |name| {
        format!(
            "*** Bienvenue, vous êtes {name}. Autres personnes connectées : {others}."
        )
    })
}

pub(crate) fn joined(name: &str) -> String {
    notice_about(name, |name| format!("*** {name} a rejoint le chat."))
}

pub(crate) fn left(name: &str) -> String {
    notice_about(name, |name| format!("*** {name} a quitté le chat."))
}

pub(crate) fn connection_lost(name: &str) -> String {
    notice_about(name, |name| {
        format!("*** {name} a été déconnecté(e) (connexion coupée).")
    })
}

pub(crate) fn too_slow(name: &str) -> String {
    notice_about(name, |name| {
        format!("*** {name} ne lisait plus ses messages : déconnecté(e).")
    })
}

pub(crate) fn line_too_long(max_line: usize) -> String {
    format!("*** Ligne trop longue (plus de {max_line} octets) : ignorée.\n")
}

pub(crate) fn slow_down(max_rate: u32) -> String {
    format!(
        "*** Doucement ! Au plus {max_rate} lignes par seconde : la suite attend son tour.\n"
    )
}

pub(crate) const SHUTTING_DOWN: &str = "*** Le serveur s'arrête. Au revoir !\n";

/// Délai minimal entre deux avis « Doucement » au même client : le prévenir une fois
/// suffit, le lui répéter à chaque ligne retenue ferait de l'avis lui-même une
/// inondation.
pub(crate) const SLOW_DOWN_NOTICE_EVERY: Duration = Duration::from_secs(30);
