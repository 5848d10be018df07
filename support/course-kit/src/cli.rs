//! La colle d'un `main.rs` : aide en français, adresses, erreurs attendues.
//!
//! Un `main.rs` de leçon lit sa ligne de commande avec clap, appelle la bibliothèque
//! de la leçon, et ne fait rien d'autre que traduire : une erreur **attendue** (le
//! port est pris, personne n'écoute) devient une phrase française et un code de
//! sortie non nul, jamais une panique avec sa trace.

use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::str::FromStr;

use clap::error::{ContextKind, ContextValue, ErrorKind as UsageErrorKind};
use clap::{Arg, ArgAction, Command};

// ANCHOR: help_template
/// Gabarit d'aide en français (celui de clap est en anglais) ; [`parse`] le donne à
/// chaque commande et à chacune de ses sous-commandes.
pub const HELP_TEMPLATE: &str =
    "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// Ce que chaque commande du cours règle pour parler français : le gabarit d'aide,
/// les titres « Commandes : » et « Options : » (avec l'espace avant les deux-points),
/// et les options `-h` et `-V` décrites en français, à la fin de la liste. Une
/// sous-commande reçoit les mêmes réglages.
fn in_french(command: Command) -> Command {
    // Une commande qui déclare déjà ses options `help` ou `version` garde les
    // siennes.
    let declares = |id: &str| command.get_arguments().any(|arg| arg.get_id() == id);
    let (own_help, own_version) = (declares("help"), declares("version"));
    let has_version = command.get_version().is_some() && !own_version;
    let mut command = command
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("Commandes ")
        // « Utilisation : lesson01-echo [OPTIONS] [COMMANDE] » : clap écrit
        // COMMAND.
        .subcommand_value_name("COMMANDE")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .mut_args(|arg| match arg.get_help_heading() {
            None if !arg.is_positional() => arg.help_heading("Options "),
            _ => arg,
        });
    if !own_help {
        command = command.arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Affiche cette aide")
                .help_heading("Options ")
                .display_order(usize::MAX - 1),
        );
    }
    if has_version {
        command = command.arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Affiche la version")
                .help_heading("Options ")
                .display_order(usize::MAX),
        );
    }
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|subcommand| subcommand.get_name().to_owned())
        .collect();
    for name in subcommands {
        command = command.mut_subcommand(name, in_french);
    }
    command
}
// ANCHOR_END: help_template

// ANCHOR: parse
/// Lit la ligne de commande, comme `Cli::parse()` de clap, avec l'aide en français
/// (voir [`HELP_TEMPLATE`]) ; une ligne invalide s'explique en UNE phrase française
/// sur la sortie d'erreur, avec le code de sortie 2, celui de clap pour une erreur
/// d'utilisation (une seule ligne, repliée ici) :
///
/// ```text
/// Erreur : valeur refusée pour --max-line : « 0 » n'est pas un entier entre 1 et
/// 65536. Voir l'aide : lesson03-threads chat --help
/// ```
///
/// L'aide (`--help`) et la version, que clap signale aussi comme des « erreurs »,
/// s'affichent normalement.
pub fn parse<C: clap::Parser>() -> C {
    let command = in_french(C::command());
    let help = help_command(&command, std::env::args().skip(1));
    let parsed = command
        .try_get_matches()
        .and_then(|mut matches| C::from_arg_matches_mut(&mut matches));
    match parsed {
        Ok(cli) => cli,
        Err(err) => match usage_error(&err) {
            Some(message) => {
                let _ =
                    writeln!(io::stderr(), "Erreur : {message} Voir l'aide : {help}");
                std::process::exit(2)
            }
            None => err.exit(),
        },
    }
}

/// La commande d'aide qui décrit l'option en cause : celle de la sous-commande
/// tapée (`lesson01-echo server --help` décrit `--backlog`), sinon celle du
/// programme.
fn help_command(command: &Command, args: impl Iterator<Item = String>) -> String {
    let program = command.get_name();
    let typed: Vec<String> = args.collect();
    let subcommand = command.get_subcommands().find(|sub| {
        typed.iter().any(|arg| {
            arg == sub.get_name() || sub.get_all_aliases().any(|a| a == arg)
        })
    });
    match subcommand {
        Some(sub) => format!("{program} {} --help", sub.get_name()),
        None => format!("{program} --help"),
    }
}

/// La phrase qui explique une ligne de commande invalide ; `None` pour l'aide et la
/// version.
fn usage_error(err: &clap::Error) -> Option<String> {
    // L'option en cause, sans le nom de sa valeur : « --max-line » et non
    // « --max-line <OCTETS> ».
    let arg = [ContextKind::InvalidArg, ContextKind::InvalidSubcommand]
        .into_iter()
        .find_map(|kind| match err.get(kind) {
            Some(ContextValue::String(arg)) => Some(arg.clone()),
            Some(ContextValue::Strings(args)) => Some(args.join(", ")),
            _ => None,
        })
        .map(|arg| arg.split(' ').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    Some(match err.kind() {
        UsageErrorKind::DisplayHelp
        | UsageErrorKind::DisplayVersion
        | UsageErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        UsageErrorKind::ValueValidation => match std::error::Error::source(err) {
            Some(reason) => format!("valeur refusée pour {arg} : {reason}."),
            None => format!("valeur refusée pour {arg}."),
        },
        UsageErrorKind::InvalidValue => {
            format!("valeur manquante ou invalide pour {arg}.")
        }
        UsageErrorKind::UnknownArgument => format!("option inconnue : {arg}."),
        UsageErrorKind::InvalidSubcommand => format!("commande inconnue : {arg}."),
        UsageErrorKind::MissingRequiredArgument => format!("il manque {arg}."),
        UsageErrorKind::ArgumentConflict => {
            format!("option incompatible avec les autres : {arg}.")
        }
        _ => "ligne de commande invalide.".to_owned(),
    })
}

/// Un entier entre `min` et `max` (bornes comprises), pour une option de clap :
/// `#[arg(long, value_parser = course_kit::cli::between(1usize, 65_536))]`. Le type
/// des bornes (`1usize`) doit être celui du champ : sans lui, Rust choisirait `i32`,
/// et clap s'en plaindrait au démarrage.
///
/// Pourquoi des bornes ? Une limite de 0 refuserait tous les clients ; une valeur
/// immense n'est qu'une faute de frappe, et ferait déborder les calculs plus loin
/// (`usize::MAX + 1` vaut 0 en arithmétique modulaire). On les refuse avant de
/// démarrer.
pub fn between<T>(
    min: T,
    max: T,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync
where
    T: FromStr + PartialOrd + fmt::Display + Copy + Send + Sync + 'static,
{
    move |text: &str| match text.parse::<T>() {
        Ok(value) if min <= value && value <= max => Ok(value),
        _ => Err(format!(
            "« {text} » n'est pas un entier entre {min} et {max}"
        )),
    }
}
// ANCHOR_END: parse

// ANCHOR: address
/// L'adresse où les programmes du cours se retrouvent par défaut : la boucle
/// locale, joignable seulement depuis cette machine.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7777";

/// L'option `--addr` des leçons 01 à 04, la même pour le serveur et le client : un
/// `Cli` l'ajoute à ses options avec `#[command(flatten)]`, et son aide comme son
/// défaut sont écrits une seule fois.
#[derive(clap::Args, Debug, Clone)]
pub struct AddrArg {
    /// Adresse du serveur, IPv4 ou IPv6 : 127.0.0.1:7777 (défaut), [::1]:7777,
    /// [::]:7777…
    #[arg(long, global = true)]
    #[arg(default_value = DEFAULT_ADDR, hide_default_value = true)]
    pub addr: String,
}
// ANCHOR_END: address

// ANCHOR: resolve
/// Transforme « hôte:port » en adresse de socket, avec un message clair en cas
/// d'échec.
///
/// `to_socket_addrs` accepte une adresse IP (`127.0.0.1:7777`, `[::1]:7777`) comme un
/// nom (`localhost:7777`) : pour un nom, elle interroge le résolveur du système
/// (fichier hosts, DNS), ce qui peut prendre du temps. On garde la première adresse
/// trouvée.
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    let unresolvable = || {
        format!(
            "impossible de résoudre l'adresse « {addr} » : hôte inconnu ou format \
             invalide (attendu hôte:port, par exemple 127.0.0.1:7777 ou [::1]:7777)."
        )
    };
    addr.to_socket_addrs()
        .map_err(|_| unresolvable())?
        .next()
        .ok_or_else(unresolvable)
}
// ANCHOR_END: resolve

// ANCHOR: explain
/// Traduit les erreurs réseau attendues en une phrase française.
///
/// `ErrorKind` est portable : le même `AddrInUse` vient d'`EADDRINUSE` sous Linux et
/// macOS et de `WSAEADDRINUSE` sous Windows.
pub fn explain(err: &io::Error, addr: SocketAddr) -> String {
    match err.kind() {
        ErrorKind::AddrInUse => format!(
            "l'adresse {addr} est déjà utilisée : un autre serveur y écoute-t-il \
             déjà, ou d'anciennes connexions y attendent-elles encore (TIME_WAIT, \
             une minute au plus) ? Choisissez un autre port avec --addr."
        ),
        ErrorKind::PermissionDenied => format!(
            "permission refusée pour {addr} : les ports inférieurs à 1024 sont \
             réservés à l'administrateur, choisissez-en un plus grand."
        ),
        ErrorKind::AddrNotAvailable => {
            format!(
                "l'adresse {addr} n'appartient à aucune interface de cette machine."
            )
        }
        ErrorKind::ConnectionRefused => {
            format!(
                "connexion refusée par {addr} : aucun serveur n'y écoute. \
                 L'avez-vous lancé ?"
            )
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!("la connexion avec {addr} a été coupée brutalement.")
        }
        _ => format!("erreur réseau avec {addr} : {err}."),
    }
}
// ANCHOR_END: explain

// ANCHOR: finish
/// Fin d'un `main` : `Ok` donne le code de sortie 0 ; une erreur s'affiche en une
/// phrase sur la sortie d'erreur (« Erreur : … ») et donne le code 1, que les scripts
/// et les tests lisent.
pub fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(io::stderr(), "Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: finish

// ANCHOR: show
/// Affiche un message pour la personne qui a lancé le programme (la bannière d'un
/// serveur, « Au revoir ! »), sur la sortie standard.
///
/// Pourquoi pas `println!` ? Il PANIQUE si l'écriture échoue, par exemple quand la
/// sortie est un tube dont le lecteur est parti (`… | head -1`) : un serveur
/// s'arrêterait pour une simple phrase d'accueil. On ignore donc l'erreur.
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
// ANCHOR_END: show

// ANCHOR: runtime
/// Le runtime de tokio d'un `main` (leçons 05, 07 et 08), ou la phrase qui dit
/// pourquoi il n'a pas démarré (presque jamais : le système refuse un thread).
#[cfg(feature = "tokio")]
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new()
        .map_err(|err| format!("impossible de démarrer tokio : {err}."))
}
// ANCHOR_END: runtime

// ANCHOR: shutdown_signal
/// Se termine au premier Ctrl+C (SIGINT) ou, sous Unix, au premier SIGTERM (ce
/// qu'envoie `kill`), et dit lequel est arrivé.
///
/// L'écoute des signaux est installée TOUT DE SUITE, à l'appel, et non quand le
/// serveur commence à attendre : sinon un `kill` arrivé juste après l'affichage de
/// l'adresse tuerait le serveur sans qu'il ait prévenu personne. Une écoute
/// impossible à installer n'est simplement pas attendue.
#[cfg(feature = "tokio")]
pub fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async fn next(signal: io::Result<Signal>) {
            match signal {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        }
        async move {
            tokio::select! {
                () = next(interrupt) => "Ctrl+C",
                () = next(terminate) => "SIGTERM",
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            "Ctrl+C"
        }
    }
}
// ANCHOR_END: shutdown_signal

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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

    #[test]
    fn between_accepte_les_bornes_et_refuse_le_reste_en_francais() {
        let max_line = between(1usize, 65_536);
        assert_eq!(max_line("1"), Ok(1));
        assert_eq!(max_line("65536"), Ok(65_536));
        for refused in ["0", "65537", "-1", "18446744073709551616", "douze"] {
            let message = max_line(refused).unwrap_err();
            assert_eq!(
                message,
                format!("« {refused} » n'est pas un entier entre 1 et 65536")
            );
        }
    }

    /// Une petite ligne de commande, pour voir ce que deviennent l'aide et les
    /// erreurs de clap.
    #[derive(clap::Parser, Debug)]
    #[command(name = "essai", version)]
    struct Cli {
        #[command(subcommand)]
        command: Option<Sub>,
        /// Longueur maximale d'une ligne
        #[arg(long, value_name = "OCTETS", value_parser = between(1usize, 10))]
        max_line: Option<usize>,
    }

    #[derive(clap::Subcommand, Debug)]
    enum Sub {
        /// Une sous-commande
        #[command(alias = "cliente")]
        Client,
    }

    #[test]
    fn l_aide_conseillee_est_celle_de_la_sous_commande_tapee() {
        let help = |args: &[&str]| {
            help_command(&Cli::command(), args.iter().map(|arg| arg.to_string()))
        };
        assert_eq!(help(&["--max-line", "0"]), "essai --help");
        assert_eq!(help(&["client", "--inconnue"]), "essai client --help");
        assert_eq!(
            help(&["cliente", "-x"]),
            "essai client --help",
            "un alias aussi"
        );
    }

    fn message_for(args: &[&str]) -> Option<String> {
        let err = in_french(Cli::command())
            .try_get_matches_from(args)
            .expect_err("ligne de commande invalide");
        usage_error(&err)
    }

    #[test]
    fn une_ligne_de_commande_invalide_devient_une_phrase_francaise() {
        assert_eq!(
            message_for(&["essai", "--max-line", "0"]).as_deref(),
            Some(
                "valeur refusée pour --max-line : « 0 » n'est pas un entier entre 1 et 10."
            )
        );
        assert_eq!(
            message_for(&["essai", "--inconnue"]).as_deref(),
            Some("option inconnue : --inconnue.")
        );
        assert_eq!(
            message_for(&["essai", "--help"]),
            None,
            "l'aide n'est pas une erreur"
        );
    }

    #[test]
    fn l_aide_de_la_commande_et_des_sous_commandes_est_en_francais() {
        let mut command = in_french(Cli::command());
        let help = command.render_help().to_string();
        for expected in [
            "Utilisation : essai",
            "Commandes :",
            "Options :",
            "--max-line <OCTETS>",
            "-h, --help",
            "Affiche cette aide",
            "-V, --version",
            "Affiche la version",
        ] {
            assert!(
                help.contains(expected),
                "« {expected} » absent de :\n{help}"
            );
        }
        let client = command
            .find_subcommand_mut("client")
            .expect("sous-commande client")
            .render_help()
            .to_string();
        assert!(
            client.contains("Utilisation : ")
                && client.contains("Affiche cette aide"),
            "{client}"
        );
        assert!(
            !client.contains("--version"),
            "la version est celle du programme : {client}"
        );
    }

    /// Une commande qui déclare elle-même son option d'aide, comme avant `parse`.
    #[derive(clap::Parser, Debug)]
    #[command(name = "ancienne", version, disable_help_flag = true)]
    struct WithOwnHelp {
        #[command(subcommand)]
        command: Option<Sub>,
        /// Affiche cette aide
        #[arg(short, long, global = true, action = clap::ArgAction::Help)]
        help: Option<bool>,
    }

    #[test]
    fn une_commande_qui_a_sa_propre_aide_la_garde() {
        let command = in_french(WithOwnHelp::command());
        // Les vérifications de clap, dont : deux options ne portent pas le même nom.
        command.clone().debug_assert();
        let help = command.clone().render_help().to_string();
        assert_eq!(
            help.matches("--help").count(),
            1,
            "une seule option d'aide :\n{help}"
        );
        assert!(help.contains("Affiche la version"), "{help}");
    }
}
