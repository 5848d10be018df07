//! La colle d'un `main.rs` : aide en français, adresses, erreurs attendues.
//!
//! Un `main.rs` de leçon lit sa ligne de commande avec clap, appelle la bibliothèque de la
//! leçon, et ne fait rien d'autre que traduire : une erreur **attendue** (le port est pris,
//! personne n'écoute) devient une phrase française et un code de sortie non nul, jamais une
//! panique avec sa trace.

use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

/// Gabarit d'aide en français (celui de clap est en anglais), à donner à chaque commande :
/// `#[command(help_template = course_kit::cli::HELP_TEMPLATE)]`.
pub const HELP_TEMPLATE: &str =
    "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// Transforme « hôte:port » en adresse de socket, avec un message clair en cas d'échec.
///
/// `to_socket_addrs` accepte une adresse IP (`127.0.0.1:7777`, `[::1]:7777`) comme un nom
/// (`localhost:7777`) : pour un nom, elle interroge le résolveur du système (fichier hosts,
/// DNS), ce qui peut prendre du temps. On garde la première adresse trouvée.
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    let unresolvable = || {
        format!(
            "impossible de résoudre l'adresse « {addr} » : hôte inconnu ou format invalide (attendu hôte:port, par exemple 127.0.0.1:7777 ou [::1]:7777)."
        )
    };
    addr.to_socket_addrs()
        .map_err(|_| unresolvable())?
        .next()
        .ok_or_else(unresolvable)
}

/// Traduit les erreurs réseau attendues en une phrase française.
///
/// `ErrorKind` est portable : le même `AddrInUse` vient d'`EADDRINUSE` sous Linux et macOS et
/// de `WSAEADDRINUSE` sous Windows.
pub fn explain(err: &io::Error, addr: SocketAddr) -> String {
    match err.kind() {
        ErrorKind::AddrInUse => format!(
            "l'adresse {addr} est déjà utilisée : un autre serveur y écoute-t-il déjà ? Choisissez un autre port avec --addr."
        ),
        ErrorKind::PermissionDenied => format!(
            "permission refusée pour {addr} : les ports inférieurs à 1024 sont réservés à l'administrateur, choisissez-en un plus grand."
        ),
        ErrorKind::AddrNotAvailable => {
            format!("l'adresse {addr} n'appartient à aucune interface de cette machine.")
        }
        ErrorKind::ConnectionRefused => {
            format!("connexion refusée par {addr} : aucun serveur n'y écoute. L'avez-vous lancé ?")
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!("la connexion avec {addr} a été coupée brutalement.")
        }
        _ => format!("erreur réseau avec {addr} : {err}."),
    }
}

/// Fin d'un `main` : `Ok` donne le code de sortie 0 ; une erreur s'affiche en une phrase sur
/// la sortie d'erreur (« Erreur : … ») et donne le code 1, que les scripts et les tests lisent.
pub fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(io::stderr(), "Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}

/// Affiche un message pour la personne qui a lancé le programme (la bannière d'un serveur,
/// « Au revoir ! »), sur la sortie standard.
///
/// Pourquoi pas `println!` ? Il PANIQUE si l'écriture échoue, par exemple quand la sortie est
/// un tube dont le lecteur est parti (`… | head -1`) : un serveur s'arrêterait pour une
/// simple phrase d'accueil. On ignore donc l'erreur.
pub fn show(text: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let _ = out.write_fmt(text);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// `show!("…", args)` : comme `println!`, sans jamais paniquer (voir [`show`]).
#[macro_export]
macro_rules! show {
    ($($arg:tt)*) => {
        $crate::cli::show(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_adresse_ip_se_resout_sans_resolveur() {
        assert_eq!(
            resolve("127.0.0.1:7777").unwrap(),
            "127.0.0.1:7777".parse().unwrap()
        );
        assert_eq!(resolve("[::1]:80").unwrap(), "[::1]:80".parse().unwrap());
    }

    #[test]
    fn une_adresse_sans_port_est_refusee_en_francais() {
        let message = resolve("127.0.0.1").unwrap_err();
        assert!(message.contains("attendu hôte:port"), "{message}");
    }

    #[test]
    fn les_erreurs_attendues_deviennent_une_phrase() {
        let addr: SocketAddr = "127.0.0.1:7777".parse().unwrap();
        let in_use = explain(&io::Error::from(ErrorKind::AddrInUse), addr);
        assert!(in_use.contains("déjà utilisée"), "{in_use}");
        let refused = explain(&io::Error::from(ErrorKind::ConnectionRefused), addr);
        assert!(refused.contains("connexion refusée"), "{refused}");
    }
}
