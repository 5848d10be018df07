//! Programme de la leçon 05 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que
//! régler le journal, attendre Ctrl+C et traduire les erreurs attendues en phrases
//! françaises, avec `course_kit::cli` (voir la leçon 01).

use std::io::{self, ErrorKind, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};
use course_kit::cli::{self, between, explain, resolve};
use course_kit::show;
use lesson05_chat::server::{
    DEFAULT_HISTORY, DEFAULT_HISTORY_FILE_MAX, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CLIENTS, DEFAULT_MAX_LINE, DEFAULT_MAX_PER_ADDRESS, DEFAULT_MAX_RATE,
    DEFAULT_REGISTER_TIMEOUT,
};
use lesson05_chat::{
    ChatServer, ClientEnd, Config, DEFAULT_ADDR, listen, run_client, run_tui,
};
use tokio::net::TcpStream;
use tracing::info;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Variable d'environnement lue quand `--oper-password` est absent.
const OPER_PASSWORD_VAR: &str = "CHAT_OPER_PASSWORD";

/// Leçon 05 : salon de discussion multi-clients sur tokio (pseudos, historique,
/// commandes).
#[derive(Parser)]
#[command(
    name = "lesson05-chat",
    version,
    override_usage = "lesson05-chat [OPTIONS DU SERVEUR]\n       lesson05-chat <COMMANDE> [OPTIONS]",
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
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur du salon (commande par défaut ; alias : serveur)
    #[command(alias = "serveur")]
    Server(ServerArgs),
    /// Rejoint un salon : en plein écran dans un terminal (Échap ou /quit pour
    /// partir), ligne à ligne avec --simple ou depuis un tube
    Client(ClientArgs),
}

// ANCHOR: server_args
// Chaque valeur par défaut est écrite une seule fois, dans `server.rs`
// (`DEFAULT_…`) : l'aide ci-dessous la cite, `Config::default()` l'utilise. Les
// bornes, elles, ne servent qu'ici.
#[derive(Args)]
struct ServerArgs {
    /// Adresse d'écoute : 127.0.0.1:7777 (défaut, cette machine seulement),
    /// 0.0.0.0:7777 pour le réseau local, [::]:7777 pour IPv4 et IPv6
    #[arg(long, default_value = DEFAULT_ADDR, hide_default_value = true)]
    addr: String,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS, hide_default_value = true,
          value_parser = between(1usize, 100_000),
          help = format!("Connexions ouvertes au maximum, inscrites ou non, de 1 à 100000 \
                          (défaut : {DEFAULT_MAX_CLIENTS})"))]
    max_clients: usize,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PER_ADDRESS,
          hide_default_value = true, value_parser = between(1usize, 100_000),
          help = format!("Connexions au maximum depuis une même adresse, de 1 à 100000 \
                          (défaut : {DEFAULT_MAX_PER_ADDRESS}, assez pour une classe derrière \
                          une même box)"))]
    max_per_address: usize,

    #[arg(long = "history", value_name = "N", default_value_t = DEFAULT_HISTORY,
          hide_default_value = true, value_parser = between(0usize, 100_000),
          help = format!("Messages publics gardés et rejoués aux nouveaux venus, de 0 à 100000 \
                          (défaut : {DEFAULT_HISTORY})"))]
    history: usize,

    #[arg(long, value_name = "FICHIER",
          help = format!("Fichier où chaque message public est ajouté (JSON lines), relu au \
                          démarrage ; au-delà de {} Mio, il est réécrit avec les derniers \
                          messages seulement", DEFAULT_HISTORY_FILE_MAX / (1024 * 1024)))]
    history_file: Option<PathBuf>,

    /// Mot de passe de /oper (sinon la variable CHAT_OPER_PASSWORD ; sans l'un ni
    /// l'autre, /oper et /kill sont désactivés)
    #[arg(long, value_name = "MOT_DE_PASSE")]
    oper_password: Option<String>,

    #[arg(long, value_name = "OCTETS", default_value_t = DEFAULT_MAX_LINE,
          hide_default_value = true, value_parser = between(1usize, 65_536),
          help = format!("Longueur maximale d'une ligne reçue, en octets, de 1 à 65536 \
                          (défaut : {DEFAULT_MAX_LINE})"))]
    max_line: usize,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RATE, hide_default_value = true,
          value_parser = between(0u32, 1_000_000),
          help = format!("Lignes par seconde permises à chaque client, 0 pour aucune limite \
                          (défaut : {DEFAULT_MAX_RATE}). Au-delà, le client est ralenti : ses \
                          lignes attendent, aucune n'est perdue"))]
    max_rate: u32,

    #[arg(long, value_name = "SECONDES", default_value_t = DEFAULT_REGISTER_TIMEOUT.as_secs(),
          hide_default_value = true, value_parser = between(1u64, 3_600),
          help = format!("Secondes laissées à un nouveau venu pour donner son pseudo, de 1 à \
                          3600 (défaut : {})", DEFAULT_REGISTER_TIMEOUT.as_secs()))]
    register_timeout: u64,

    #[arg(long, value_name = "SECONDES", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          hide_default_value = true, value_parser = between(1u64, 7 * 86_400),
          help = format!("Secondes sans rien envoyer après lesquelles un inscrit est \
                          déconnecté, de 1 à 604800 (défaut : {})", DEFAULT_IDLE_TIMEOUT.as_secs()))]
    idle_timeout: u64,

    /// Journal plus détaillé : -v montre aussi les messages, -vv tout (RUST_LOG a
    /// priorité)
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

    /// Mode ligne à ligne, sans plein écran (choisi d'office quand l'entrée ou la
    /// sortie n'est pas un terminal : tube, script, test)
    #[arg(long)]
    simple: bool,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let runtime = match cli::runtime() {
        Ok(runtime) => runtime,
        Err(message) => return cli::finish(Err(message)),
    };
    let result = runtime.block_on(async {
        match args.command {
            None => run_server(args.server).await,
            Some(Command::Server(server)) => run_server(server).await,
            Some(Command::Client(client)) => run_client_cli(client).await,
        }
    });
    // Une lecture du clavier peut être en cours dans un thread de tokio (l'entrée
    // standard n'a pas de version vraiment asynchrone) : on n'attend pas qu'elle
    // se termine.
    runtime.shutdown_background();
    cli::finish(result)
}

// ANCHOR: run_server
async fn run_server(args: ServerArgs) -> Result<(), String> {
    init_logging(args.verbose);
    let addr = resolve(&args.addr)?;
    let oper_password = args
        .oper_password
        .or_else(|| std::env::var(OPER_PASSWORD_VAR).ok())
        .filter(|password| !password.is_empty());
    let config = Config {
        max_clients: args.max_clients,
        max_per_address: args.max_per_address,
        history_len: args.history,
        history_file: args.history_file.clone(),
        oper_password,
        max_line: args.max_line,
        max_rate: args.max_rate,
        register_timeout: Duration::from_secs(args.register_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
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
    // L'écoute des signaux s'installe dès maintenant (voir `shutdown_signal`).
    let signal = cli::shutdown_signal();
    let shutdown = async move { info!("{} reçu", signal.await) };
    print_banner(local);
    server
        .run(listener, shutdown)
        .await
        .map_err(|err| explain(&err, addr))?;
    show!("Serveur arrêté.");
    Ok(())
}

/// Affiche l'adresse d'écoute (la première ligne : avec `--addr 127.0.0.1:0`, c'est
/// le noyau qui choisit le port, et seul le serveur le connaît) et comment rejoindre
/// le salon. C'est ce que le programme dit à la personne qui l'a lancé : la sortie
/// standard, avec `show!` ; le journal (`tracing`), lui, va sur la sortie d'erreur.
fn print_banner(local: SocketAddr) {
    show!("Salon de discussion en écoute sur {local} (Ctrl+C pour l'arrêter).");
    let addr_option = match local.to_string().as_str() {
        DEFAULT_ADDR => String::new(),
        other => format!(" --addr {other}"),
    };
    // On écoute sur toutes les interfaces (0.0.0.0) : depuis cette machine, 127.0.0.1
    // marche.
    let nc_host = if local.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        local.ip().to_string()
    };
    show!(
        "Pour le rejoindre, dans un autre terminal :\n  \
         cargo run -p lesson05-chat -- client --nick alice{addr_option}\n  \
         nc {nc_host} {}   (ou telnet)",
        local.port()
    );
    if local.ip().is_loopback() {
        show!(
            "Pour l'ouvrir au réseau local : \
             cargo run -p lesson05-chat -- --addr 0.0.0.0:{}\n\
             (les autres utilisent alors l'adresse IP de cette machine : \
             nc 192.168.x.y …).",
            local.port()
        );
    } else {
        show!(
            "Ouvert au réseau : les autres utilisent l'adresse IP de cette machine."
        );
    }
}

/// Le journal va sur la sortie d'erreur : niveau `info` (connexions, pseudos,
/// départs), `debug` avec -v (les messages aussi), `trace` avec -vv. `RUST_LOG` a
/// priorité.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::INFO,
        1 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    // RUST_LOG=debug, ou RUST_LOG=lesson05_chat=trace : un niveau, global ou par
    // module.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(level));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        // pas de couleurs dans un fichier ou un tube
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .with_max_level(LevelFilter::TRACE)
        .finish()
        .with(filter)
        .init();
}
// ANCHOR_END: run_server

async fn run_client_cli(args: ClientArgs) -> Result<(), String> {
    let addr = resolve(&args.addr)?;
    // Sans délai, une adresse injoignable du réseau local ferait attendre deux
    // minutes.
    let stream =
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
        {
            Ok(connected) => connected.map_err(|err| explain(&err, addr))?,
            Err(_) => {
                return Err(format!(
                    "le serveur {addr} ne répond pas (10 s d'attente)."
                ));
            }
        };
    // Le plein écran demande un vrai terminal des deux côtés : depuis un tube
    // (`echo salut | …`), un script ou un test, on garde le mode ligne à ligne.
    let terminal = io::stdin().is_terminal() && io::stdout().is_terminal();
    let nick = args.nick.as_deref();
    let end = if args.simple || !terminal {
        show!(
            "Connecté à {addr}. Tapez vos messages, /help pour l'aide, /quit pour \
             partir."
        );
        let keyboard = tokio::io::BufReader::new(tokio::io::stdin());
        run_client(stream, nick, keyboard, tokio::io::stdout()).await
    } else {
        // Le terminal est rendu à son état normal avant tout message ci-dessous.
        let signal = cli::shutdown_signal();
        run_tui(stream, nick, async move {
            signal.await;
        })
        .await
    };
    match end.map_err(|err| explain(&err, addr))? {
        ClientEnd::Quit => show!("Au revoir !"),
        // Le client ligne à ligne l'a déjà écrit ; le plein écran l'a montré, puis
        // l'écran alternatif a disparu : on le redit dans le terminal. Le code de
        // sortie reste 0 dans les deux modes : la session s'est terminée, le
        // serveur a dit pourquoi.
        ClientEnd::ServerClosed if !args.simple && terminal => {
            show!("Le serveur a fermé la connexion.")
        }
        ClientEnd::ServerClosed => {}
    }
    Ok(())
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
