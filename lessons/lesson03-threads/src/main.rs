//! Programme de la leçon 03 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que traduire les
//! erreurs attendues en phrases françaises.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};
use lesson03_threads::chat::DEFAULT_MAX_LINE;
use lesson03_threads::{
    ChatConfig, ClientEnd, DEFAULT_ADDR, DEFAULT_MAX_CLIENTS, listen, run_chat_client, serve_chat,
    serve_echo,
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
        /// Nombre maximal de clients servis en même temps (défaut : 100)
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = positive)]
        max_clients: usize,
    },
    /// Démarre le serveur de chat : chaque ligne est relayée à tous les autres clients
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Chat {
        /// Nombre maximal de clients connectés en même temps (défaut : 100)
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
              hide_default_value = true, value_parser = positive)]
        max_clients: usize,
        /// Longueur maximale d'une ligne, en octets (défaut : 1024)
        #[arg(long, value_name = "OCTETS", default_value_t = DEFAULT_MAX_LINE,
              hide_default_value = true, value_parser = positive)]
        max_line: usize,
    },
    /// Envoie chaque ligne tapée au serveur et affiche tout ce qu'il envoie (`exit` pour quitter)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options ")]
    Client,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Server {
        max_clients: DEFAULT_MAX_CLIENTS,
    });
    let result = match command {
        Command::Server { max_clients } => run_echo_server(&cli.addr, max_clients),
        Command::Chat {
            max_clients,
            max_line,
        } => {
            let config = ChatConfig {
                max_clients,
                max_line,
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
    serve_echo(listener, max_clients).map_err(|err| explain(&err, addr))
}

fn run_chat_server(addr: &str, config: ChatConfig) -> Result<(), String> {
    let addr = resolve(addr)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    let limits = format!(
        "au plus {} clients, lignes d'au plus {} octets",
        config.max_clients, config.max_line
    );
    print_how_to_connect("de chat", local, &limits);
    serve_chat(listener, config).map_err(|err| explain(&err, addr))
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

/// Valide un entier strictement positif (une limite de 0 refuserait tout).
fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(value) if value > 0 => Ok(value),
        _ => Err(format!(
            "« {text} » n'est pas un entier strictement positif"
        )),
    }
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
