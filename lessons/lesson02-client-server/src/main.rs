//! Programme de la leçon 02 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` ; ici, on branche le clavier et l'écran,
//! et on traduit les erreurs attendues en phrases françaises avec `course_kit::cli`
//! (leçon 01).

use std::io;
use std::net::TcpStream;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use course_kit::cli::{self, AddrArg, explain, resolve};
use course_kit::show;
use lesson02_client_server::{ClientEnd, listen, run_client, serve};

/// Leçon 02 : une conversation à tour de rôle entre un client et l'opérateur du
/// serveur.
#[derive(Parser)]
#[command(
    version,
    after_help = "Sans commande, le serveur démarre et vous en êtes l'opérateur.\n\
                  Exemple : cargo run -p lesson02-client-server, puis dans un autre terminal\n\
                  cargo run -p lesson02-client-server -- client (ou nc 127.0.0.1 7777).\n\
                  De part et d'autre, « exit » termine la conversation."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    // Les scripts de la séance 02 codent l'adresse en dur (10.100.21.60) : il faut
    // modifier le code pour changer de salle. Ici, c'est un paramètre.
    #[command(flatten)]
    address: AddrArg,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur ; vous répondez aux clients au clavier (commande par
    /// défaut ; alias : serveur)
    #[command(alias = "serveur")]
    Server,
    /// Se connecte au serveur et converse avec son opérateur (« exit » pour quitter)
    Client,
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let result = match args.command.unwrap_or(Command::Server) {
        Command::Server => run_server(&args.address.addr),
        Command::Client => run_client_cli(&args.address.addr),
    };
    cli::finish(result)
}

fn run_server(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    show!(
        "Serveur de conversation en écoute sur {local} (Ctrl+C pour l'arrêter).\n\
         Pour s'y connecter, dans un autre terminal :\n  \
         cargo run -p lesson02-client-server -- client --addr {local}\n  \
         nc {} {}\n\
         Vous êtes l'opérateur : répondez au client au clavier.\n\
         « exit » termine la conversation, Ctrl+D arrête le serveur\n\
         (Ctrl+Z puis Entrée sous Windows).",
        local.ip(),
        local.port()
    );
    // L'opérateur, c'est l'entrée standard ; son écran, la sortie standard. La
    // conversation est ce que le serveur dit à la personne qui l'a lancé : elle
    // ne va pas au journal.
    serve(&listener, io::stdin().lock(), io::stdout())
        .map_err(|err| format!("le terminal de l'opérateur ne répond plus : {err}."))
}

fn run_client_cli(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let stream = TcpStream::connect(addr).map_err(|err| explain(&err, addr))?;
    // La connexion est établie dès que le noyau du serveur a fait la poignée de main,
    // même si le programme serveur, occupé avec un autre client, ne l'a pas
    // encore acceptée.
    show!(
        "Connecté à {addr}. Chacun son tour : après votre ligne, attendez la réponse.\n\
         Tapez « exit » pour quitter.\n\
         (Pas encore d'accueil ? Le serveur converse avec un autre client : patientez.)"
    );
    let end = run_client(stream, io::stdin().lock(), io::stdout())
        .map_err(|err| explain(&err, addr))?;
    if matches!(end, ClientEnd::Exit | ClientEnd::EndOfInput) {
        show!("Au revoir !");
    }
    Ok(())
}
