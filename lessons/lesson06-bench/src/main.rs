//! Programme de la leçon 06 : lit la ligne de commande, lance le banc d'essai, écrit les
//! résultats dans le livre. Toute la mesure est dans la bibliothèque.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{ArgAction, Parser, Subcommand};
use lesson06_bench::servers::{self, Server};
use lesson06_bench::suite::{Plan, Suite};
use lesson06_bench::{listen, report, system};

/// Gabarit d'aide en français (celui de clap est en anglais).
const HELP_TEMPLATE: &str = "{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// Leçon 06 : mesure les serveurs des leçons 03, 04 et 05 face à une référence epoll.
#[derive(Parser)]
#[command(
    name = "lesson06-bench",
    version,
    help_template = HELP_TEMPLATE,
    override_usage = "cargo run --release -p lesson06-bench -- [OPTIONS]",
    subcommand_help_heading = "Commandes ",
    next_help_heading = "Options ",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    after_help = "Sans option : tous les scénarios, tous les serveurs, quelques minutes sur deux cœurs.\n\
                  Les résultats vont dans target/banc/ (results.md, results.svg, results.json) ;\n\
                  ceux du livre se régénèrent avec --out book/src/bench.\n\
                  Compilez en mode release : en mode debug, on mesurerait surtout le générateur.\n\
                  Serveurs : ref-mio, tokio-echo, l03-echo, l04-echo, py-echo (écho) ;\n\
                  l03-chat, l04-chat, l05-chat, tokio-chat, py-chat (chat)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Passage rapide (intégration continue) : moins de points, fenêtres courtes
    #[arg(long)]
    quick: bool,

    /// Scénarios à lancer, séparés par des virgules : echo, chat, rafale, capacite (défaut : tous)
    #[arg(long, value_delimiter = ',', value_name = "LISTE")]
    scenarios: Vec<String>,

    /// Serveurs à mesurer, séparés par des virgules (défaut : tous ; voir la liste plus bas)
    #[arg(long, value_delimiter = ',', value_name = "LISTE")]
    servers: Vec<String>,

    /// Tailles des salons de chat, séparées par des virgules (défaut : 10,100,500 ; 10,100 avec --quick)
    #[arg(long, value_delimiter = ',', value_name = "LISTE")]
    rooms: Vec<usize>,

    /// Nombre de connexions inactives du scénario capacité (défaut : 10000, 2000 avec --quick)
    #[arg(long, value_name = "N")]
    connections: Option<usize>,

    /// Dossier des résultats (défaut : target/banc ; --out book/src/bench régénère ceux du
    /// livre)
    #[arg(long, value_name = "DOSSIER")]
    out: Option<PathBuf>,

    /// Affiche cette aide
    #[arg(short, long, global = true, action = ArgAction::Help)]
    help: Option<bool>,

    /// Affiche la version
    #[arg(short = 'V', long, action = ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// (interne) Fait tourner un serveur dans ce processus, pour le mesurer à part
    #[command(hide = true, help_template = HELP_TEMPLATE)]
    Serve {
        /// Nom du serveur (ref-mio, l04-echo…)
        server: String,
        /// Adresse d'écoute, par exemple 127.0.0.1:0
        addr: SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Serve { server, addr }) => serve(server, *addr),
        None => bench(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Erreur : {message}");
            ExitCode::FAILURE
        }
    }
}

/// Le processus enfant : écoute, annonce son adresse au parent, puis sert pour toujours.
fn serve(name: &str, addr: SocketAddr) -> Result<(), String> {
    let server = Server::from_name(name).ok_or_else(|| format!("serveur inconnu « {name} »."))?;
    // Les limites de fichiers s'héritent du parent, mais on peut aussi être lancé à la main.
    let _ = system::raise_file_limit(30_000);
    let listener =
        listen(addr).map_err(|err| format!("impossible d'écouter sur {addr} : {err}."))?;
    let local = listener
        .local_addr()
        .map_err(|err| format!("adresse locale inconnue : {err}."))?;
    println!("PRÊT {local}");
    let _ = std::io::stdout().flush();
    servers::run_in_this_process(server, listener)
        .map_err(|err| format!("le serveur {name} s'est arrêté : {err}."))
}

fn bench(cli: &Cli) -> Result<(), String> {
    let plan = build_plan(cli)?;
    let out = cli.out.clone().unwrap_or_else(default_out_dir);
    let exe = std::env::current_exe()
        .map_err(|err| format!("impossible de retrouver le binaire du banc d'essai : {err}."))?;
    if cfg!(debug_assertions) {
        eprintln!(
            "Attention : compilé en mode debug, les chiffres ne veulent rien dire (ajoutez --release)."
        );
    }
    let command = recorded_command();
    eprintln!("Banc d'essai : {command}");
    let started = Instant::now();
    let interactive = std::io::stderr().is_terminal();
    let mut progress = |message: &str| {
        let elapsed = started.elapsed().as_secs();
        if interactive {
            eprint!(
                "\r\x1b[K[{:>2}:{:02}] {message}",
                elapsed / 60,
                elapsed % 60
            );
        } else {
            eprintln!("[{:>2}:{:02}] {message}", elapsed / 60, elapsed % 60);
        }
    };
    let report = Suite::new(plan, exe, command, &mut progress).run();
    if interactive {
        eprintln!();
    }
    report::write_all(&report, &out).map_err(|err| {
        format!(
            "impossible d'écrire les résultats dans {} : {err}.",
            out.display()
        )
    })?;
    let out = out.canonicalize().unwrap_or(out);
    println!("{}", report::markdown(&report));
    println!(
        "Résultats écrits dans {} (results.md, results.svg, results.json) en {} s.",
        out.display(),
        started.elapsed().as_secs()
    );
    let failures = report.failures();
    if !failures.is_empty() {
        return Err(format!(
            "{} mesure(s) ont échoué :\n  {}",
            failures.len(),
            failures.join("\n  ")
        ));
    }
    Ok(())
}

fn build_plan(cli: &Cli) -> Result<Plan, String> {
    let mut plan = if cli.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if !cli.scenarios.is_empty() {
        plan.echo = false;
        plan.chat = false;
        plan.burst = false;
        plan.capacity = false;
        for scenario in &cli.scenarios {
            match scenario.as_str() {
                "echo" | "écho" => plan.echo = true,
                "chat" => plan.chat = true,
                "rafale" => plan.burst = true,
                "capacite" | "capacité" => plan.capacity = true,
                other => {
                    return Err(format!(
                        "scénario inconnu « {other} » : choisissez parmi echo, chat, rafale, capacite."
                    ));
                }
            }
        }
    }
    if !cli.servers.is_empty() {
        plan.servers = cli
            .servers
            .iter()
            .map(|name| {
                Server::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> = Server::ALL.iter().map(|s| s.name()).collect();
                    format!(
                        "serveur inconnu « {name} » : choisissez parmi {}.",
                        known.join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if !cli.rooms.is_empty() {
        if cli.rooms.iter().any(|&room| room < 2) {
            return Err("un salon de chat compte au moins 2 clients.".to_string());
        }
        plan.rooms = cli.rooms.clone();
    }
    if let Some(connections) = cli.connections {
        plan.capacity_connections = connections;
    }
    Ok(plan)
}

/// `target/banc` sous le dossier courant : un essai ne remplace jamais les résultats publiés
/// dans le livre, qu'on régénère exprès avec `--out book/src/bench`.
fn default_out_dir() -> PathBuf {
    PathBuf::from("target").join("banc")
}

/// La commande à citer dans les résultats, pour que chacun puisse la rejouer.
fn recorded_command() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        "cargo run --release -p lesson06-bench".to_string()
    } else {
        format!(
            "cargo run --release -p lesson06-bench -- {}",
            args.join(" ")
        )
    }
}
