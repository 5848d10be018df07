//! Programme du comparatif : lit la ligne de commande, lance le plan, écrit le
//! rapport dans le dossier `--out`, et sort avec un code d'erreur si une mesure a
//! échoué.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bench_suite::child;
use bench_suite::plan::{Part, Plan};
use bench_suite::servers::{self, SERVERS};
use bench_suite::{report, suite::Suite};
use clap::{ArgAction, Parser, Subcommand};
use course_kit::{cli, show};

/// Le comparatif complet : tous les serveurs du cours, face à une référence epoll.
#[derive(Parser)]
#[command(
    name = "bench-suite",
    help_template = cli::HELP_TEMPLATE,
    override_usage = "cargo run --release -p bench-suite -- [OPTIONS]",
    subcommand_help_heading = "Commandes ",
    next_help_heading = "Options ",
    disable_help_flag = true,
    disable_help_subcommand = true,
    after_help = "Sans option : tous les scénarios, tous les serveurs, quelques minutes sur deux cœurs.\n\
                  Les résultats vont dans target/banc/ (results.md, results.svg, results.json) ;\n\
                  ceux du livre (leçon 06) se régénèrent, sur une machine au repos, avec :\n  \
                  cargo run --release -p bench-suite -- --scenarios echo,chat,rafale,capacite \
                  --out book/src/bench\n\
                  Serveurs : ref-mio, tokio-echo, l03-echo, l04-echo, py-echo (écho) ;\n\
                  l03-chat, l04-chat, l05-chat, tokio-chat, py-chat (chat, rafale) ;\n\
                  l07-irc, l07-direct, ngircd (irc) ; l08-web (web : TCP et WebSocket).\n\
                  Les résultats du livre pour IRC et le WebSocket se régénèrent à part :\n  \
                  cargo run --release -p bench-suite -- --scenarios irc --out book/src/bench/irc\n  \
                  cargo run --release -p bench-suite -- --scenarios web --out book/src/bench/web\n\
                  BENCH_PYTHON choisit l'interpréteur des serveurs Python (défaut : python3),\n\
                  BENCH_NGIRCD le programme ngIRCd (défaut : /usr/sbin/ngircd, ou ngircd)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Passage rapide (intégration continue) : moins de points, fenêtres courtes
    #[arg(long)]
    quick: bool,

    /// Scénarios, séparés par des virgules : echo, chat, rafale, capacite, irc, web
    /// (défaut : tous)
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "LISTE",
        hide_possible_values = true
    )]
    scenarios: Vec<Part>,

    /// Serveurs à mesurer, séparés par des virgules (défaut : tous ; voir la liste
    /// plus bas)
    #[arg(long, value_delimiter = ',', value_name = "LISTE")]
    servers: Vec<String>,

    /// Tailles des salons de chat et du scénario web, séparées par des virgules
    /// (défaut : 10,100,500 ; 10,100 avec --quick)
    #[arg(long, value_delimiter = ',', value_name = "LISTE", value_parser = cli::between(2usize, 2_000))]
    rooms: Vec<usize>,

    /// Connexions inactives du scénario capacité (défaut : 10000 ; 2000 avec
    /// --quick)
    #[arg(long, value_name = "N", value_parser = cli::between(1usize, 100_000))]
    connections: Option<usize>,

    /// Dossier des résultats (défaut : target/banc ; --out book/src/bench régénère
    /// ceux du livre)
    #[arg(long, value_name = "DOSSIER")]
    out: Option<PathBuf>,

    /// Affiche cette aide
    #[arg(short, long, global = true, action = ArgAction::Help)]
    help: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// (interne) Fait tourner un serveur dans ce processus, pour le mesurer à part
    #[command(hide = true, help_template = cli::HELP_TEMPLATE)]
    Serve {
        /// Nom du serveur (ref-mio, l04-echo…)
        server: String,
        /// Adresse d'écoute, par exemple 127.0.0.1:0
        addr: SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli: Cli = cli::parse();
    cli::finish(match &cli.command {
        Some(Command::Serve { server, addr }) => serve(server, *addr),
        None => bench(&cli),
    })
}

/// Le processus enfant : écoute, annonce son adresse au parent, puis sert pour
/// toujours.
fn serve(name: &str, addr: SocketAddr) -> Result<(), String> {
    let server =
        servers::find(name).ok_or_else(|| format!("serveur inconnu « {name} »."))?;
    child::serve_here(server, addr)
        .map_err(|err| format!("le serveur {name} s'est arrêté : {err}."))
}

fn bench(cli: &Cli) -> Result<(), String> {
    let plan = build_plan(cli)?;
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("target").join("banc"));
    let exe = std::env::current_exe().map_err(|err| {
        format!("impossible de retrouver le binaire du comparatif : {err}.")
    })?;
    if cfg!(debug_assertions) {
        show!(
            "Attention : compilé sans --release, les chiffres mesurent surtout le générateur."
        );
    }
    let command = recorded_command();
    show!("Comparatif : {command}");
    let started = Instant::now();
    let mut progress = progress_line(started);
    let report = Suite::new(plan, exe, command, &mut progress).run();
    if std::io::stderr().is_terminal() {
        let _ = writeln!(std::io::stderr());
    }
    report::write_all(&report, &out).map_err(|err| {
        format!(
            "impossible d'écrire les résultats dans {} : {err}.",
            out.display()
        )
    })?;
    show!("{}", report::markdown(&report));
    let shown = out.canonicalize().unwrap_or(out);
    let (files, seconds) = (report::FILES.join(", "), started.elapsed().as_secs());
    show!(
        "Résultats écrits dans {} ({files}) en {seconds} s.",
        shown.display()
    );
    match report.failures() {
        failures if failures.is_empty() => Ok(()),
        failures => Err(format!(
            "{} mesure(s) ont échoué :\n  {}",
            failures.len(),
            failures.join("\n  ")
        )),
    }
}

/// La ligne de progression, sur la sortie d'erreur : réécrite sur place dans un
/// terminal, une ligne par étape sinon (un fichier, l'intégration continue).
fn progress_line(started: Instant) -> impl FnMut(&str) {
    let terminal = std::io::stderr().is_terminal();
    move |message: &str| {
        let elapsed = started.elapsed().as_secs();
        let line = format!("[{:>2}:{:02}] {message}", elapsed / 60, elapsed % 60);
        let _ = match terminal {
            true => write!(std::io::stderr(), "\r\x1b[K{line}"),
            false => writeln!(std::io::stderr(), "{line}"),
        };
    }
}

fn build_plan(cli: &Cli) -> Result<Plan, String> {
    let mut plan = if cli.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if !cli.scenarios.is_empty() {
        plan.parts = cli.scenarios.clone();
    }
    if !cli.servers.is_empty() {
        let known = || {
            SERVERS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        plan.servers = cli
            .servers
            .iter()
            .map(|name| {
                servers::find(name).ok_or_else(|| {
                    format!(
                        "serveur inconnu « {name} » : choisissez parmi {}.",
                        known()
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        plan.servers_named = true;
    }
    if !cli.rooms.is_empty() {
        plan.rooms = cli.rooms.clone();
    }
    if let Some(connections) = cli.connections {
        plan.capacity_connections = connections;
    }
    Ok(plan)
}

/// La commande à citer dans les résultats, pour que chacun puisse la rejouer.
fn recorded_command() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.is_empty() {
        true => "cargo run --release -p bench-suite".to_string(),
        false => format!("cargo run --release -p bench-suite -- {}", args.join(" ")),
    }
}
