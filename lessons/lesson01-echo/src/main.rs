//! Programme de la leçon 01 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` ; ici, on ne fait que traduire les
//! erreurs attendues en phrases françaises, avec la colle commune à tous les
//! programmes du cours (`course_kit::cli`, montrée au chapitre de cette leçon).

use std::io::{self, ErrorKind};
use std::net::TcpStream;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use course_kit::cli::{self, AddrArg, explain, resolve};
use course_kit::show;
use lesson01_echo::{
    BACKLOG, ClientEnd, Ending, ListenOptions, listen_with, run_client, serve_with,
};

/// Leçon 01 : serveur d'écho TCP bloquant, qui sert un client à la fois.
#[derive(Parser)]
#[command(
    version,
    after_help = "Sans commande, le serveur démarre.\n\
                  Exemple : cargo run -p lesson01-echo, puis dans un autre terminal\n\
                  cargo run -p lesson01-echo -- client (ou nc 127.0.0.1 7777)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    address: AddrArg,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur d'écho (commande par défaut ; alias : serveur)
    #[command(alias = "serveur")]
    Server(ServerArgs),
    /// Envoie chaque ligne tapée au serveur et affiche l'écho (`exit` pour quitter)
    Client,
}

/// Options du serveur qui servent à provoquer, pour les observer, les étapes de la
/// vie d'une connexion (voir le chapitre « Découpage, délais, fermeture »).
#[derive(Args)]
struct ServerArgs {
    /// Qui ferme la connexion, et comment : client (défaut : le client ferme le
    /// premier), serveur (le serveur ferme après la première ligne), rst
    /// (coupure brutale par SO_LINGER à 0), sans-lire (ferme sans lire ce qui
    /// est arrivé)
    #[arg(
        long,
        value_enum,
        default_value = "client",
        value_name = "QUI",
        hide_default_value = true,
        hide_possible_values = true
    )]
    fermeture: EndingArg,

    /// N'active pas SO_REUSEADDR : montre « adresse déjà utilisée » après une
    /// fermeture par le serveur (connexion en TIME_WAIT)
    #[arg(long)]
    sans_reuseaddr: bool,

    /// Longueur de la file des connexions pas encore acceptées (défaut : 128 ; 1
    /// pour la voir déborder)
    #[arg(long, value_name = "N", default_value_t = BACKLOG, hide_default_value = true,
          value_parser = cli::between(1i32, 4096))]
    backlog: i32,
}

/// Sans commande, le serveur démarre avec les réglages de tout serveur.
impl Default for ServerArgs {
    fn default() -> Self {
        ServerArgs {
            fermeture: EndingArg::Client,
            sans_reuseaddr: false,
            backlog: BACKLOG,
        }
    }
}

/// Les valeurs de `--fermeture`, en français.
#[derive(Clone, Copy, ValueEnum)]
enum EndingArg {
    Client,
    Serveur,
    Rst,
    SansLire,
}

impl From<EndingArg> for Ending {
    fn from(arg: EndingArg) -> Ending {
        match arg {
            EndingArg::Client => Ending::ClientFirst,
            EndingArg::Serveur => Ending::ServerFirst,
            EndingArg::Rst => Ending::Reset,
            EndingArg::SansLire => Ending::Unread,
        }
    }
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let result = match args
        .command
        .unwrap_or(Command::Server(ServerArgs::default()))
    {
        Command::Server(server) => run_server(&args.address.addr, &server),
        Command::Client => run_client_cli(&args.address.addr),
    };
    cli::finish(result)
}

fn run_server(addr: &str, args: &ServerArgs) -> Result<(), String> {
    let addr = resolve(addr)?;
    let options = ListenOptions {
        reuse_address: !args.sans_reuseaddr,
        backlog: args.backlog,
    };
    let listener = listen_with(addr, options).map_err(|err| {
        let mut message = explain(&err, addr);
        if err.kind() == ErrorKind::AddrInUse && args.sans_reuseaddr {
            message.push_str(
                " Sans SO_REUSEADDR, une seule connexion récente de ce port en \
                 TIME_WAIT suffit à bloquer l'adresse (ss -tan state time-wait).",
            );
        }
        message
    })?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    // La bannière, pour la personne qui a lancé le serveur, va sur la sortie
    // standard ; le journal de `serve` (un client arrive, un client part) va sur
    // la sortie d'erreur.
    show!(
        "Serveur d'écho en écoute sur {local} (Ctrl+C pour l'arrêter).\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson01-echo -- client --addr {local}\n  \
         nc {} {}",
        local.ip(),
        local.port()
    );
    serve_with(&listener, args.fermeture.into()).map_err(|err| explain(&err, addr))
}

fn run_client_cli(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    show!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    let end = run_client(stream, io::stdin().lock(), io::stdout())
        .map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
        show!("Au revoir !");
    }
    Ok(())
}
