//! Programme de la leçon 05 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que régler le
//! journal, attendre Ctrl+C et traduire les erreurs attendues en phrases françaises.

use std::future::Future;
use std::io::{self, ErrorKind, IsTerminal};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};
use lesson05_chat::{ChatServer, ClientEnd, Config, DEFAULT_ADDR, listen, run_client};
use tokio::net::TcpStream;
use tracing::info;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Gabarit d'aide en français (celui de clap est en anglais).
const HELP_TEMPLATE: &str = "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// Variable d'environnement lue quand `--oper-password` est absent.
const OPER_PASSWORD_VAR: &str = "CHAT_OPER_PASSWORD";

/// Leçon 05 : salon de discussion multi-clients sur tokio (pseudos, historique, commandes).
#[derive(Parser)]
#[command(
    name = "lesson05-chat",
    version,
    help_template = HELP_TEMPLATE,
    override_usage = "lesson05-chat [OPTIONS DU SERVEUR]\n       lesson05-chat <COMMANDE> [OPTIONS]",
    subcommand_help_heading = "Commandes ",
    next_help_heading = "Options ",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    args_conflicts_with_subcommands = true,
    after_help = "Sans commande, le serveur démarre (mêmes options que « server »).\n\
                  Exemple : cargo run -p lesson05-chat, puis dans d'autres terminaux\n\
                  cargo run -p lesson05-chat -- client --nick alice (ou nc 127.0.0.1 7777)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    server: ServerArgs,

    /// Affiche cette aide
    #[arg(short, long, global = true, action = ArgAction::Help)]
    help: Option<bool>,

    /// Affiche la version
    #[arg(short = 'V', long, action = ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur du salon (commande par défaut ; alias : serveur)
    #[command(alias = "serveur", help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Server(ServerArgs),
    /// Rejoint un salon : ce que vous tapez part, ce qui arrive s'affiche (/quit pour partir)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Client(ClientArgs),
}

// ANCHOR: server_args
#[derive(Args)]
struct ServerArgs {
    /// Adresse d'écoute : 127.0.0.1:7777 (défaut, cette machine seulement), 0.0.0.0:7777 pour
    /// le réseau local, [::]:7777 pour IPv4 et IPv6
    #[arg(long, default_value = DEFAULT_ADDR, hide_default_value = true)]
    addr: String,

    /// Connexions ouvertes au maximum, inscrites ou non (défaut : 200)
    #[arg(long, value_name = "N", default_value_t = 200, hide_default_value = true, value_parser = between(1, 100_000))]
    max_clients: usize,

    /// Connexions au maximum depuis une même adresse (défaut : 64, assez pour une classe
    /// derrière une même box)
    #[arg(long, value_name = "N", default_value_t = 64, hide_default_value = true, value_parser = between(1, 100_000))]
    max_per_address: usize,

    /// Messages publics gardés et rejoués aux nouveaux venus (défaut : 100)
    #[arg(long = "history", value_name = "N", default_value_t = 100, hide_default_value = true, value_parser = between(0, 100_000))]
    history: usize,

    /// Fichier où chaque message public est ajouté (JSON lines), relu au démarrage ; au-delà
    /// de 1 Mio, il est réécrit avec les derniers messages seulement
    #[arg(long, value_name = "FICHIER")]
    history_file: Option<PathBuf>,

    /// Mot de passe de /oper (sinon la variable CHAT_OPER_PASSWORD ; sans l'un ni l'autre,
    /// /oper et /kill sont désactivés)
    #[arg(long, value_name = "MOT_DE_PASSE")]
    oper_password: Option<String>,

    /// Longueur maximale d'une ligne reçue, en octets (défaut : 1024, au plus 65536)
    #[arg(long, value_name = "OCTETS", default_value_t = 1024, hide_default_value = true, value_parser = between(1, 65_536))]
    max_line: usize,

    /// Lignes par seconde permises à chaque client, 0 pour aucune limite (défaut : 100).
    /// Au-delà, le client est ralenti : ses lignes attendent, aucune n'est perdue
    #[arg(long, value_name = "N", default_value_t = 100, hide_default_value = true, value_parser = between(0, 1_000_000))]
    max_rate: usize,

    /// Secondes laissées à un nouveau venu pour donner son pseudo (défaut : 30)
    #[arg(long, value_name = "SECONDES", default_value_t = 30, hide_default_value = true, value_parser = between(1, 3_600))]
    register_timeout: usize,

    /// Secondes sans rien envoyer après lesquelles un inscrit est déconnecté (défaut : 3600)
    #[arg(long, value_name = "SECONDES", default_value_t = 3_600, hide_default_value = true, value_parser = between(1, 7 * 86_400))]
    idle_timeout: usize,

    /// Journal plus détaillé : -v montre aussi les messages, -vv tout (RUST_LOG a priorité)
    #[arg(short, action = ArgAction::Count)]
    verbose: u8,
}
// ANCHOR_END: server_args

#[derive(Args)]
struct ClientArgs {
    /// Adresse du serveur : 127.0.0.1:7777 (défaut), 192.168.1.20:7777, [::1]:7777…
    #[arg(long, default_value = DEFAULT_ADDR, hide_default_value = true)]
    addr: String,

    /// Votre pseudo ; sans cette option, répondez à la question du serveur
    #[arg(long, value_name = "PSEUDO")]
    nick: Option<String>,
}

/// Un entier entre `min` et `max` (bornes comprises), avec un message en français : une
/// valeur absurde (0 connexion, une ligne de 2^64 octets) est refusée avant de démarrer.
fn between(min: usize, max: usize) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |value: &str| match value.parse::<usize>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(format!("il faut un entier entre {min} et {max}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Erreur : impossible de démarrer tokio : {err}.");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => run_server(cli.server).await,
            Some(Command::Server(args)) => run_server(args).await,
            Some(Command::Client(args)) => run_client_cli(args).await,
        }
    });
    // Une lecture du clavier peut être en cours dans un thread de tokio (l'entrée standard
    // n'a pas de version vraiment asynchrone) : on n'attend pas qu'elle se termine.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: run_server
async fn run_server(args: ServerArgs) -> Result<(), String> {
    init_logging(args.verbose);
    let addr = resolve(&args.addr)?;
    let oper_password = args
        .oper_password
        .or_else(|| std::env::var(OPER_PASSWORD_VAR).ok())
        .filter(|password| !password.is_empty());
    // Les bornes de `between` garantissent que ces conversions ne débordent pas.
    let config = Config {
        max_clients: args.max_clients,
        max_per_address: args.max_per_address,
        history_len: args.history,
        history_file: args.history_file.clone(),
        oper_password,
        max_line: args.max_line,
        max_rate: args.max_rate as u32,
        register_timeout: Duration::from_secs(args.register_timeout as u64),
        idle_timeout: Duration::from_secs(args.idle_timeout as u64),
        ..Config::default()
    };
    let server = ChatServer::new(config).map_err(|err| {
        let path = args.history_file.unwrap_or_default();
        format!(
            "impossible d'ouvrir le fichier d'historique « {} » : {}.",
            path.display(),
            describe(&err)
        )
    })?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let shutdown = shutdown_signal();
    print_banner(local);
    server
        .run(listener, shutdown)
        .await
        .map_err(|err| explain(&err, addr))?;
    println!("Serveur arrêté.");
    Ok(())
}

/// Affiche l'adresse d'écoute (la première ligne, que d'autres programmes peuvent lire) et
/// comment rejoindre le salon.
fn print_banner(local: SocketAddr) {
    println!("Salon de discussion en écoute sur {local} (Ctrl+C pour l'arrêter).");
    let addr_option = match local.to_string().as_str() {
        DEFAULT_ADDR => String::new(),
        other => format!(" --addr {other}"),
    };
    // On écoute sur toutes les interfaces (0.0.0.0) : depuis cette machine, 127.0.0.1 marche.
    let nc_host = if local.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        local.ip().to_string()
    };
    println!("Pour le rejoindre, dans un autre terminal :");
    println!("  cargo run -p lesson05-chat -- client --nick alice{addr_option}");
    println!("  nc {nc_host} {}   (ou telnet)", local.port());
    if local.ip().is_loopback() {
        println!(
            "Pour l'ouvrir au réseau local : cargo run -p lesson05-chat -- --addr 0.0.0.0:{}",
            local.port()
        );
        println!("(les autres utilisent alors l'adresse IP de cette machine : nc 192.168.x.y …).");
    } else {
        println!("Ouvert au réseau : les autres utilisent l'adresse IP de cette machine.");
    }
}

/// Se termine au premier Ctrl+C (SIGINT) ou, sous Unix, au premier SIGTERM (`kill`).
///
/// L'écoute des signaux est installée TOUT DE SUITE, à l'appel, et non quand le serveur
/// commence à attendre : sinon un `kill` arrivé juste après l'affichage de l'adresse tuerait
/// le serveur sans qu'il ait prévenu personne.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        // Impossible d'écouter un signal : on ne l'attend pas.
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
                () = next(interrupt) => info!("Ctrl+C reçu"),
                () = next(terminate) => info!("SIGTERM reçu"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            info!("Ctrl+C reçu");
        }
    }
}

/// Le journal va sur la sortie d'erreur : niveau `info` (connexions, pseudos, départs),
/// `debug` avec -v (les messages aussi), `trace` avec -vv. `RUST_LOG` a priorité.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::INFO,
        1 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    // RUST_LOG=debug, ou RUST_LOG=lesson05_chat=trace : un niveau, global ou par module.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(level));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal()) // pas de couleurs dans un fichier ou un tube
        .with_target(false)
        .with_max_level(LevelFilter::TRACE)
        .finish()
        .with(filter)
        .init();
}
// ANCHOR_END: run_server

async fn run_client_cli(args: ClientArgs) -> Result<(), String> {
    let addr = resolve(&args.addr)?;
    // Sans délai, une adresse injoignable du réseau local ferait attendre deux minutes.
    let stream = match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await
    {
        Ok(connected) => connected.map_err(|err| explain(&err, addr))?,
        Err(_) => return Err(format!("le serveur {addr} ne répond pas (10 s d'attente).")),
    };
    println!("Connecté à {addr}. Tapez vos messages, /help pour l'aide, /quit pour partir.");
    let end = run_client(
        stream,
        args.nick.as_deref(),
        tokio::io::BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    )
    .await
    .map_err(|err| explain(&err, addr))?;
    if end == ClientEnd::Quit {
        println!("Au revoir !");
    }
    Ok(())
}

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

/// Décrit une erreur de fichier en français.
fn describe(err: &io::Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => "le dossier n'existe pas".to_owned(),
        ErrorKind::PermissionDenied => "permission refusée".to_owned(),
        ErrorKind::IsADirectory => "c'est un dossier".to_owned(),
        ErrorKind::StorageFull => "le disque est plein".to_owned(),
        _ => err.to_string(),
    }
}
