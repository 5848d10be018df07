//! Programme de la leçon 03 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que traduire les
//! erreurs attendues en phrases françaises.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind as UsageErrorKind};
use clap::{ArgAction, Parser, Subcommand};
use lesson03_threads::chat::{DEFAULT_MAX_LINE, DEFAULT_MAX_RATE};
use lesson03_threads::{
    ChatConfig, ClientEnd, DEFAULT_ADDR, DEFAULT_MAX_CLIENTS, StopSignal, listen, run_chat_client,
    serve_chat_until, serve_echo,
};

/// Gabarit d'aide en français (celui de clap est en anglais).
const HELP_TEMPLATE: &str = "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// Leçon 03 : un thread par client, pour un serveur d'écho et un petit chat.
#[derive(Parser)]
#[command(
    name = "lesson03-threads",
    version,
    help_template = HELP_TEMPLATE,
    override_usage = "lesson03-threads [OPTIONS] [COMMANDE]",
    subcommand_help_heading = "Commandes ",
    next_help_heading = "Options ",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    after_help = "Sans commande, le serveur d'écho démarre.\n\
                  Exemple : cargo run -p lesson03-threads -- chat, puis dans d'autres terminaux\n\
                  cargo run -p lesson03-threads -- client (ou nc 127.0.0.1 7777)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Adresse du serveur, IPv4 ou IPv6 : 127.0.0.1:7777 (défaut), [::1]:7777, [::]:7777…
    #[arg(long, global = true, default_value = DEFAULT_ADDR, hide_default_value = true)]
    addr: String,

    /// Affiche cette aide
    #[arg(short, long, global = true, action = ArgAction::Help)]
    help: Option<bool>,

    /// Affiche la version
    #[arg(short = 'V', long, action = ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur d'écho, un thread par client (commande par défaut ; alias : serveur)
    #[command(alias = "serveur", help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Server {
        /// Nombre maximal de clients servis en même temps, de 1 à 100000 (défaut : 100)
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = max_clients)]
        max_clients: usize,
    },
    /// Démarre le serveur de chat : chaque ligne est relayée à tous les autres clients
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options ", after_help = CHAT_LIMITS)]
    Chat {
        /// Nombre maximal de clients connectés en même temps, de 1 à 100000 (défaut : 100)
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = max_clients)]
        max_clients: usize,
        /// Longueur maximale d'une ligne, en octets, de 1 à 65536 (défaut : 1024)
        #[arg(long, value_name = "OCTETS", default_value_t = DEFAULT_MAX_LINE,
              hide_default_value = true, value_parser = max_line)]
        max_line: usize,
        /// Lignes par seconde et par client, de 0 à 100000 ; 0 : pas de limite (défaut : 100).
        /// Au-delà, le serveur lit le bavard moins vite (aucune ligne perdue) et le prévient.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RATE,
              hide_default_value = true, value_parser = max_rate)]
        max_rate: u32,
    },
    /// Envoie chaque ligne tapée au serveur et affiche tout ce qu'il envoie (`exit` pour quitter)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Client,
}

/// Les limites du chat qui ne sont pas des options, expliquées dans l'aide.
const CHAT_LIMITS: &str = "Limites fixes, par client :\n  \
    - Un client qui envoie plus de --max-rate lignes par seconde (rafale du même nombre) est lu\n    \
    moins vite : TCP le fait attendre, aucune ligne n'est perdue, il lit « *** Doucement ! … »\n    \
    (au plus une fois toutes les 30 s).\n  \
    - Ce qui attend de partir vers un client est compté en octets. Au-delà de 1 Mio d'un coup,\n    \
    ou de 64 Kio pendant 10 s alors que sa socket n'accepte plus rien, il ne lit plus : il est\n    \
    déconnecté et les autres lisent « *** [adresse] ne lisait plus ses messages : déconnecté(e). »\n  \
    - Un message est coupé en lignes d'au plus 80 colonnes, chacune précédée de [adresse].\n  \
    - Ctrl+C (ou SIGTERM) : chaque client lit « *** Le serveur s'arrête. Au revoir ! », puis\n    \
    la connexion se ferme.";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    let command = cli.command.unwrap_or(Command::Server {
        max_clients: DEFAULT_MAX_CLIENTS,
    });
    let result = match command {
        Command::Server { max_clients } => run_echo_server(&cli.addr, max_clients),
        Command::Chat {
            max_clients,
            max_line,
            max_rate,
        } => {
            let config = ChatConfig {
                max_clients,
                max_line,
                max_rate,
                ..ChatConfig::default()
            };
            run_chat_server(&cli.addr, config)
        }
        Command::Client => run_client(&cli.addr),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_echo_server(addr: &str, max_clients: usize) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let limits = format!("au plus {max_clients} clients à la fois");
    print_how_to_connect("d'écho", local, &limits);
    // L'écho n'a rien à dire à ses clients avant de partir (il renvoie les octets tels
    // quels) : à Ctrl+C, le programme s'arrête simplement, et le noyau ferme chaque connexion.
    ctrlc::set_handler(|| {
        let _ = writeln!(io::stdout(), "Serveur arrêté.");
        std::process::exit(0);
    })
    .map_err(|err| format!("impossible d'intercepter Ctrl+C : {err}."))?;
    serve_echo(listener, max_clients).map_err(|err| explain(&err, addr))
}

fn run_chat_server(addr: &str, config: ChatConfig) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let rate = match config.max_rate {
        0 => "débit non limité".to_string(),
        rate => format!("{rate} lignes par seconde par client"),
    };
    let limits = format!(
        "au plus {} clients, lignes d'au plus {} octets, {rate}",
        config.max_clients, config.max_line
    );
    let stop = StopSignal::from_ctrl_c()
        .map_err(|err| format!("impossible d'intercepter Ctrl+C : {err}."))?;
    print_how_to_connect("de chat", local, &limits);
    serve_chat_until(listener, config, &stop).map_err(|err| explain(&err, addr))?;
    let _ = writeln!(io::stdout(), "Serveur arrêté.");
    Ok(())
}

fn print_how_to_connect(kind: &str, local: SocketAddr, limits: &str) {
    // Les erreurs d'écriture sont ignorées : si la sortie est un tube déjà fermé
    // (`… | head -1`), `println!` paniquerait et le serveur s'arrêterait avant d'avoir servi
    // qui que ce soit.
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "Serveur {kind} en écoute sur {local} (Ctrl+C pour l'arrêter).\n\
         Limites : {limits}.\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson03-threads -- client --addr {local}\n  \
         nc {} {}",
        local.ip(),
        local.port()
    );
    if kind == "d'écho" {
        let _ = writeln!(
            out,
            "Le chat de la leçon : cargo run -p lesson03-threads -- chat"
        );
    }
    // Un programme qui lance ce serveur (la leçon 06 par exemple) lit l'adresse sur la sortie
    // standard : elle doit partir tout de suite, pas quand le tampon sera plein.
    let _ = out.flush();
}

fn run_client(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    println!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    // Stdin (et non StdinLock) : le thread clavier doit pouvoir l'emporter.
    let keyboard = io::BufReader::new(io::stdin());
    let end = run_chat_client(stream, keyboard, io::stdout()).map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
        println!("Au revoir !");
    }
    Ok(())
}

// ANCHOR: option_bounds
/// Un entier entre `min` et `max` : ni 0 là où il n'a pas de sens, ni une valeur énorme qui
/// déborderait plus loin (`usize::MAX + 1` vaut 0 en arithmétique modulaire).
fn bounded(text: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(format!(
            "« {text} » n'est pas un entier entre {min} et {max}"
        )),
    }
}

fn max_clients(text: &str) -> Result<usize, String> {
    bounded(text, 1, 100_000).map(|value| value as usize)
}

fn max_line(text: &str) -> Result<usize, String> {
    bounded(text, 1, 65_536).map(|value| value as usize)
}

fn max_rate(text: &str) -> Result<u32, String> {
    bounded(text, 0, 100_000).map(|value| value as u32)
}

/// Une ligne de commande invalide, expliquée en français (clap l'écrirait en anglais). L'aide
/// et la version, que clap signale aussi comme des « erreurs », s'affichent normalement.
fn usage_error(err: &clap::Error) -> ExitCode {
    let arg = [ContextKind::InvalidArg, ContextKind::InvalidSubcommand]
        .into_iter()
        .find_map(|kind| match err.get(kind) {
            Some(ContextValue::String(arg)) => Some(arg.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let message = match err.kind() {
        UsageErrorKind::DisplayHelp | UsageErrorKind::DisplayVersion => err.exit(),
        UsageErrorKind::ValueValidation => match std::error::Error::source(err) {
            Some(reason) => format!("valeur refusée pour {arg} : {reason}."),
            None => format!("valeur refusée pour {arg}."),
        },
        UsageErrorKind::InvalidValue => format!("valeur manquante ou invalide pour {arg}."),
        UsageErrorKind::UnknownArgument => format!("option inconnue : {arg}."),
        UsageErrorKind::InvalidSubcommand => format!("commande inconnue : {arg}."),
        UsageErrorKind::MissingRequiredArgument => format!("il manque {arg}."),
        _ => "ligne de commande invalide.".to_string(),
    };
    eprintln!("Erreur : {message} Voir l'aide : lesson03-threads --help");
    ExitCode::from(2)
}
// ANCHOR_END: option_bounds

/// Transforme « hôte:port » en adresse de socket, avec un message clair en cas d'échec.
fn resolve(addr: &str) -> Result<SocketAddr, String> {
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
fn explain(err: &io::Error, addr: SocketAddr) -> String {
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
