//! Programme de la leçon 04 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` ; ici, on ne fait que traduire les
//! erreurs attendues en phrases françaises, avec `course_kit::cli` (voir la leçon
//! 01).

use std::io;
use std::net::TcpStream;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use course_kit::cli::{self, AddrArg, between, explain, resolve};
use course_kit::show;
use lesson04_select::{
    ClientEnd, Config, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_LINE, DEFAULT_MAX_RATE,
    Shutdown, listen, run_client, serve_chat_until, serve_echo_until,
};

/// Bornes des options : au-delà, c'est une faute de frappe, pas un réglage. Un nombre
/// de clients sans fin épuiserait les descripteurs de fichiers ; une ligne de plus de
/// 4 Kio, coupée en rangées de 80 colonnes, pèserait si lourd dans le courrier de
/// chacun que cent d'entre elles par seconde approcheraient la limite dure (1 Mio)
/// d'un lecteur honnête.
const MAX_CLIENTS_LIMIT: usize = 100_000;
const MAX_LINE_LIMIT: usize = 4096;
const MAX_RATE_LIMIT: u32 = 10_000;

/// Ce que voit un utilisateur du chat quand il atteint une limite (aide de `chat`).
const CHAT_LIMITS: &str = "Limites du chat (aucune ligne acceptée n'est perdue) :\n\
    - au-delà de --max-rate lignes par seconde, le serveur cesse un moment de lire\n  \
      l'expéditeur, qui reçoit « *** Doucement ! … » (au plus une fois par 30 s) ;\n\
    - un client dont le courrier en attente dépasse 1 Mio, ou 64 Kio pendant 10 s\n  \
      alors que sa socket est pleine, ne lit plus : il est déconnecté, les autres\n  \
      sont prévenus (« *** [adresse] ne lisait plus ses messages : déconnecté(e). ») ;\n\
    - un message long est coupé en rangées de 80 colonnes, chacune avec l'adresse\n  \
      de l'expéditeur ; les caractères de contrôle deviennent « � ».\n\
    Ctrl+C (ou SIGTERM) prévient les clients, envoie ce qui attend (1 s au plus),\n\
    puis arrête le serveur.";

/// Leçon 04 : serveurs d'écho et de chat à boucle d'événements (mio), sur un seul
/// thread.
#[derive(Parser)]
#[command(
    version,
    after_help = "Sans commande, le serveur d'écho démarre.\n\
                  Exemple : cargo run -p lesson04-select -- chat, puis dans d'autres terminaux\n\
                  cargo run -p lesson04-select -- client (ou nc 127.0.0.1 7777).\n\
                  Les limites du chat : cargo run -p lesson04-select -- chat --help"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    address: AddrArg,

    #[arg(long, global = true, default_value_t = DEFAULT_MAX_CLIENTS, hide_default_value = true,
          value_parser = between(1, MAX_CLIENTS_LIMIT),
          help = format!("Serveurs : nombre maximal de clients connectés en même temps, de 1 à \
                          {MAX_CLIENTS_LIMIT} (défaut : {DEFAULT_MAX_CLIENTS})"))]
    max_clients: usize,

    #[arg(long, global = true, default_value_t = DEFAULT_MAX_LINE, hide_default_value = true,
          value_parser = between(1, MAX_LINE_LIMIT),
          help = format!("Chat : longueur maximale d'une ligne, en octets, de 1 à \
                          {MAX_LINE_LIMIT} (défaut : {DEFAULT_MAX_LINE})"))]
    max_line: usize,

    #[arg(long, global = true, default_value_t = DEFAULT_MAX_RATE,
          hide_default_value = true, value_parser = between(0, MAX_RATE_LIMIT),
          help = format!("Chat : lignes par seconde et par client, de 0 à {MAX_RATE_LIMIT}, avec \
                          une réserve d'autant ; au-delà, le serveur cesse un moment de lire ce \
                          client, sans rien perdre. 0 : pas de limite (défaut : \
                          {DEFAULT_MAX_RATE})"))]
    max_rate: u32,

    /// Serveurs : note au journal (sortie d'erreur) chaque arrivée et chaque départ
    /// de client
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Démarre le serveur d'écho (commande par défaut ; alias : serveur)
    #[command(alias = "serveur")]
    Server,
    /// Démarre le serveur de chat : chaque ligne est relayée à tous les autres
    /// clients
    #[command(after_help = CHAT_LIMITS)]
    Chat,
    /// Envoie chaque ligne tapée et affiche ce qu'envoie le serveur (`exit` pour
    /// quitter)
    Client,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let command = args.command.unwrap_or(Command::Server);
    let result = match command {
        Command::Server | Command::Chat => run_server(command, &args),
        Command::Client => run_client_cli(&args.address.addr),
    };
    cli::finish(result)
}

fn run_server(command: Command, args: &Cli) -> Result<(), String> {
    let addr = resolve(&args.address.addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let kind = if command == Command::Chat {
        "de chat"
    } else {
        "d'écho"
    };
    // Ctrl+C (SIGINT) et SIGTERM (ce qu'envoient `kill` et les gestionnaires de
    // services) : au lieu de tuer le programme sur-le-champ, on demande à la
    // boucle de s'arrêter proprement. On l'installe avant d'annoncer l'adresse :
    // qui la lit peut déjà nous arrêter. Le gestionnaire tourne dans un thread à
    // part ; `Shutdown` réveille `poll`.
    let shutdown = Shutdown::new();
    let handle = shutdown.clone();
    ctrlc::set_handler(move || handle.request())
        .map_err(|err| format!("impossible d'intercepter Ctrl+C : {err}."))?;
    // La première ligne donne l'adresse réelle : avec `--addr 127.0.0.1:0`, c'est le
    // noyau qui choisit le port, et seul le serveur le connaît (les tests du
    // programme la lisent ainsi).
    show!(
        "Serveur {kind} en écoute sur {local} (un seul thread, Ctrl+C pour l'arrêter).\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson04-select -- client --addr {local}\n  \
         nc {} {}",
        local.ip(),
        local.port()
    );
    if command != Command::Chat {
        show!("Le chat de la leçon : cargo run -p lesson04-select -- chat");
    }
    let config = Config {
        max_clients: args.max_clients,
        max_line: args.max_line,
        max_rate: args.max_rate,
        verbose: args.verbose,
        ..Config::default()
    };
    let served = if command == Command::Chat {
        serve_chat_until(listener, config, &shutdown)
    } else {
        serve_echo_until(listener, config, &shutdown)
    };
    served.map_err(|err| explain(&err, addr))?;
    show!("Serveur arrêté.");
    Ok(())
}

fn run_client_cli(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    show!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    let input = io::BufReader::new(io::stdin());
    let end =
        run_client(stream, input, io::stdout()).map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
        show!("Au revoir !");
    }
    Ok(())
}
