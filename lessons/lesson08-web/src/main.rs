//! Programme de la leçon 08 : lit la ligne de commande, ouvre les deux sockets
//! d'écoute, puis appelle la bibliothèque jusqu'à Ctrl+C. Les erreurs attendues
//! deviennent une phrase française avec `course_kit::cli` (voir la leçon 01).

use std::io::{self, IsTerminal};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use course_kit::cli::{self, between, explain, resolve};
use course_kit::show;
use lesson05_chat::server::DEFAULT_MAX_RATE;
use lesson05_chat::{Config, DEFAULT_ADDR, listen};
use lesson08_web::{DEFAULT_WEB_ADDR, serve};
use tracing::info;
use tracing_subscriber::filter::{LevelFilter, Targets};

/// Leçon 08 : le salon de la leçon 05 dans le navigateur, sur WebSocket (et
/// toujours pour nc).
#[derive(Parser)]
#[command(
    name = "lesson08-web",
    version,
    after_help = "Exemple : cargo run -p lesson08-web, puis ouvrez \
                  http://127.0.0.1:8080\ndans un navigateur, et nc 127.0.0.1 7777 \
                  dans un terminal : c'est le même salon."
)]
struct Cli {
    /// Adresse de la page et du WebSocket : 127.0.0.1:8080 (défaut, cette machine
    /// seulement), 0.0.0.0:8080 pour le réseau local
    #[arg(long, default_value = DEFAULT_WEB_ADDR, hide_default_value = true)]
    addr: String,

    /// Adresse du salon pour nc et le client de la leçon 05 : 127.0.0.1:7777
    /// (défaut)
    #[arg(long, default_value = DEFAULT_ADDR, hide_default_value = true)]
    chat_addr: String,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RATE,
          hide_default_value = true, value_parser = between(0u32, 1_000_000),
          help = format!("Lignes par seconde permises à chaque client, navigateur \
                          ou nc, 0 pour aucune limite (défaut : {DEFAULT_MAX_RATE}). \
                          Au-delà, le client est ralenti : ses lignes attendent, \
                          aucune n'est perdue"))]
    max_rate: u32,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let served = cli::runtime().and_then(|runtime| runtime.block_on(run(args)));
    cli::finish(served)
}

// ANCHOR: run
async fn run(args: Cli) -> Result<(), String> {
    init_logging();
    let web_addr = resolve(&args.addr)?;
    let chat_addr = resolve(&args.chat_addr)?;
    // Deux sockets d'écoute, créées comme à la leçon 01 : la page et le WebSocket
    // sur l'une, le protocole en lignes sur l'autre.
    let web = listen(web_addr).map_err(|err| explain(&err, web_addr))?;
    // `explain` conseille « --addr » ; pour cette socket-ci, l'option est
    // « --chat-addr ».
    let chat = listen(chat_addr)
        .map_err(|err| explain(&err, chat_addr).replace("--addr", "--chat-addr"))?;
    let (web_local, chat_local) = (local(&web, web_addr)?, local(&chat, chat_addr)?);
    let config = Config {
        max_rate: args.max_rate,
        ..Config::default()
    };
    // Les signaux sont écoutés AVANT d'annoncer les adresses : un `kill` arrivé juste
    // après l'annonce arrête proprement le serveur (voir la leçon 05).
    // L'écoute des signaux s'installe dès maintenant (leçon 05).
    let signal = cli::shutdown_signal();
    let shutdown = async move { info!("{} reçu", signal.await) };
    show!("Page du salon en écoute sur {web_local} : ouvrez http://{web_local}");
    show!(
        "Salon en écoute sur {chat_local} pour nc : nc {} {}",
        chat_local.ip(),
        chat_local.port()
    );
    show!("C'est le même salon. Ctrl+C pour l'arrêter.");
    serve(web, chat, config, shutdown)
        .await
        .map_err(|err| explain(&err, web_addr))?;
    show!("Serveur arrêté.");
    Ok(())
}
// ANCHOR_END: run

fn local(
    listener: &tokio::net::TcpListener,
    addr: SocketAddr,
) -> Result<SocketAddr, String> {
    listener.local_addr().map_err(|err| explain(&err, addr))
}

/// Le journal du salon (leçon 05, avec `tracing`) va sur la sortie d'erreur, niveau
/// `info` ; `RUST_LOG` le règle autrement.
fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .finish()
        .with(filter)
        .init();
}
