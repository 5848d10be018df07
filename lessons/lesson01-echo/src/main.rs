//! Programme de la leçon 01 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` ; ici, on ne fait que traduire les erreurs
//! attendues en phrases françaises, avec la colle commune à tous les programmes du cours
//! (`course_kit::cli`, montrée au chapitre de cette leçon).

use std::io;
use std::net::TcpStream;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};
use course_kit::cli::{self, HELP_TEMPLATE, explain, resolve};
use course_kit::show;
use lesson01_echo::{ClientEnd, DEFAULT_ADDR, listen, run_client, serve};

/// Leçon 01 : serveur d'écho TCP bloquant, qui sert un client à la fois.
#[derive(Parser)]
#[command(
    name = "lesson01-echo",
    version,
    help_template = HELP_TEMPLATE,
    override_usage = "lesson01-echo [OPTIONS] [COMMANDE]",
    subcommand_help_heading = "Commandes ",
    next_help_heading = "Options ",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    after_help = "Sans commande, le serveur démarre.\n\
                  Exemple : cargo run -p lesson01-echo, puis dans un autre terminal\n\
                  cargo run -p lesson01-echo -- client (ou nc 127.0.0.1 7777)."
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
    /// Démarre le serveur d'écho (commande par défaut ; alias : serveur)
    #[command(alias = "serveur", help_template = HELP_TEMPLATE)]
    Server,
    /// Envoie chaque ligne tapée au serveur et affiche l'écho (`exit` pour quitter)
    #[command(help_template = HELP_TEMPLATE)]
    Client,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let result = match args.command.unwrap_or(Command::Server) {
        Command::Server => run_server(&args.addr),
        Command::Client => run_client_cli(&args.addr),
    };
    cli::finish(result)
}

fn run_server(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    // La bannière, pour la personne qui a lancé le serveur, va sur la sortie standard ; le
    // journal de `serve` (un client arrive, un client part) va sur la sortie d'erreur.
    show!(
        "Serveur d'écho en écoute sur {local} (Ctrl+C pour l'arrêter).\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson01-echo -- client --addr {local}\n  \
         nc {} {}",
        local.ip(),
        local.port()
    );
    serve(&listener).map_err(|err| explain(&err, addr))
}

fn run_client_cli(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    show!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    let end =
        run_client(stream, io::stdin().lock(), io::stdout()).map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
        show!("Au revoir !");
    }
    Ok(())
}
