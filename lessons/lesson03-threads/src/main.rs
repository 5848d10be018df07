//! Programme de la leçon 03 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que
//! traduire les erreurs attendues en phrases françaises, avec `course_kit::cli` (voir
//! la leçon 01).

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use course_kit::cli::{self, AddrArg, between, explain, resolve};
use course_kit::show;
use lesson03_threads::chat::{DEFAULT_MAX_LINE, DEFAULT_MAX_RATE};
use lesson03_threads::{
    ChatConfig, ClientEnd, DEFAULT_MAX_CLIENTS, StopSignal, listen, run_chat_client,
    serve_chat_until, serve_echo,
};

/// Leçon 03 : un thread par client, pour un serveur d'écho et un petit chat.
#[derive(Parser)]
#[command(
    version,
    after_help = "Sans commande, le serveur d'écho démarre.\n\
                  Exemple : cargo run -p lesson03-threads -- chat, puis dans d'autres terminaux\n\
                  cargo run -p lesson03-threads -- client (ou nc 127.0.0.1 7777)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    address: AddrArg,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur d'écho, un thread par client (commande par défaut ; alias :
    /// serveur)
    #[command(alias = "serveur")]
    Server {
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = between(1usize, 100_000),
              help = format!("Nombre maximal de clients servis en même temps, de 1 à 100000 \
                              (défaut : {DEFAULT_MAX_CLIENTS})"))]
        max_clients: usize,
    },
    /// Démarre le serveur de chat : chaque ligne est relayée à tous les autres
    /// clients
    #[command(after_help = CHAT_LIMITS)]
    Chat {
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = between(1usize, 100_000),
              help = format!("Nombre maximal de clients connectés en même temps, de 1 à 100000 \
                              (défaut : {DEFAULT_MAX_CLIENTS})"))]
        max_clients: usize,
        #[arg(long, value_name = "OCTETS", default_value_t = DEFAULT_MAX_LINE,
              hide_default_value = true, value_parser = between(1usize, 65_536),
              help = format!("Longueur maximale d'une ligne, en octets, de 1 à 65536 \
                              (défaut : {DEFAULT_MAX_LINE})"))]
        max_line: usize,
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RATE,
              hide_default_value = true, value_parser = between(0u32, 100_000),
              help = format!("Lignes par seconde et par client, de 0 à 100000 ; 0 : pas de \
                              limite (défaut : {DEFAULT_MAX_RATE}). Au-delà, le serveur lit le \
                              bavard moins vite (aucune ligne perdue) et le prévient."))]
        max_rate: u32,
    },
    /// Envoie chaque ligne tapée au serveur et affiche tout ce qu'il envoie (`exit`
    /// pour quitter)
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
    let args: Cli = cli::parse();
    let command = args.command.unwrap_or(Command::Server {
        max_clients: DEFAULT_MAX_CLIENTS,
    });
    let result = match command {
        Command::Server { max_clients } => {
            run_echo_server(&args.address.addr, max_clients)
        }
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
            run_chat_server(&args.address.addr, config)
        }
        Command::Client => run_client(&args.address.addr),
    };
    cli::finish(result)
}

fn run_echo_server(addr: &str, max_clients: usize) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    // L'écho n'a rien à dire à ses clients avant de partir (il renvoie les octets
    // tels quels) : à Ctrl+C, le programme s'arrête simplement, et le noyau ferme
    // chaque connexion.
    ctrlc::set_handler(|| {
        show!("Serveur arrêté.");
        std::process::exit(0);
    })
    .map_err(|err| format!("impossible d'intercepter Ctrl+C : {err}."))?;
    let limits = format!("au plus {max_clients} clients à la fois");
    show_how_to_connect("d'écho", local, &limits);
    serve_echo(listener, max_clients).map_err(|err| explain(&err, addr))
}

fn run_chat_server(addr: &str, config: ChatConfig) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let rate = match config.max_rate {
        0 => "débit non limité".to_string(),
        rate => format!("{rate} lignes/s par client"),
    };
    let limits = format!(
        "au plus {} clients, {} octets par ligne, {rate}",
        config.max_clients, config.max_line
    );
    let stop = StopSignal::from_ctrl_c()
        .map_err(|err| format!("impossible d'intercepter Ctrl+C : {err}."))?;
    show_how_to_connect("de chat", local, &limits);
    serve_chat_until(listener, config, &stop).map_err(|err| explain(&err, addr))?;
    show!("Serveur arrêté.");
    Ok(())
}

/// La bannière : l'adresse réelle (avec `--addr 127.0.0.1:0`, c'est le noyau qui
/// choisit le port, et seul le serveur le connaît), puis comment s'y connecter.
/// Ctrl+C est déjà intercepté : qui lit l'adresse peut aussitôt arrêter le serveur
/// proprement.
fn show_how_to_connect(kind: &str, local: SocketAddr, limits: &str) {
    show!(
        "Serveur {kind} en écoute sur {local} (Ctrl+C pour l'arrêter).\n\
         Limites : {limits}.\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson03-threads -- client --addr {local}\n  \
         nc {} {}",
        local.ip(),
        local.port()
    );
    if kind == "d'écho" {
        show!("Le chat de la leçon : cargo run -p lesson03-threads -- chat");
    }
}

fn run_client(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    show!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    // Stdin (et non StdinLock) : le thread clavier doit pouvoir l'emporter.
    let keyboard = io::BufReader::new(io::stdin());
    let end = run_chat_client(stream, keyboard, io::stdout())
        .map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
        show!("Au revoir !");
    }
    Ok(())
}
