//! Programme de la leçon 01 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` ; ici, on ne fait que traduire les erreurs
//! attendues en phrases françaises.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};
use lesson01_echo::{ClientEnd, DEFAULT_ADDR, listen, run_client, serve};

/// Gabarit d'aide en français (celui de clap est en anglais).
const HELP_TEMPLATE: &str = "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

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
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Server) {
        Command::Server => run_server(&cli.addr),
        Command::Client => run_client_cli(&cli.addr),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(addr: &str) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    // Erreur d'écriture ignorée : avec `println!`, une sortie redirigée vers un tube déjà fermé
    // (`… | head -1`) ferait paniquer le serveur avant même son premier client.
    let _ = writeln!(
        io::stdout(),
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
    println!("Connecté à {addr}. Tapez une ligne, `exit` pour quitter.");
    let end =
        run_client(stream, io::stdin().lock(), io::stdout()).map_err(|err| explain(&err, addr))?;
    if end != ClientEnd::ServerClosed {
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
