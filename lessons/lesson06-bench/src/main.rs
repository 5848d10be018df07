//! Programme de la leçon 06 : lit la ligne de commande, applique UN scénario à UN
//! serveur, affiche le rapport sur la sortie standard (et n'écrit rien sur le
//! disque). Toute la mesure est dans la bibliothèque.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{ArgAction, Parser};
use course_kit::{cli, show};
use lesson06_bench::Scenario;
use lesson06_bench::chat::{ChatLoad, ChatOutcome, ChatRoom};
use lesson06_bench::echo::{EchoLoad, EchoOutcome, run_echo};
use lesson06_bench::local::{self, Lesson};
use lesson06_bench::stats::{Latencies, Progress};
use lesson06_bench::system;

/// Octets par ligne, fin comprise : avec le préfixe de l'expéditeur, 80 colonnes au
/// plus.
const LINE_LEN: usize = 60;

const AFTER_HELP: &str = "Exemple, dans deux terminaux :\n  \
    cargo run --release -p lesson04-select -- chat\n  \
    cargo run --release -p lesson06-bench -- --addr 127.0.0.1:7777 --pid $(lsof -t -iTCP:7777 -sTCP:LISTEN)\n\
    Tous les serveurs comparés : cargo run --release -p bench-suite -- --help";

/// Leçon 06 : un générateur de charge. Un scénario (echo ou chat), un serveur.
#[derive(Parser)]
#[command(
    name = "lesson06-bench",
    help_template = cli::HELP_TEMPLATE,
    override_usage = "cargo run --release -p lesson06-bench -- [OPTIONS]",
    next_help_heading = "Options ",
    disable_help_flag = true,
    after_help = AFTER_HELP
)]
struct Cli {
    /// Scénario : chat (boucle ouverte, défaut) ou echo (boucle fermée)
    #[arg(long, value_enum, default_value_t = Scenario::Chat, hide_default_value = true,
          hide_possible_values = true)]
    scenario: Scenario,
    /// Adresse du serveur à mesurer, par exemple 127.0.0.1:7777 (sinon : --serveur)
    #[arg(long, value_name = "HÔTE:PORT")]
    addr: Option<String>,
    /// Sans --addr, le banc lance dans son processus le serveur de la leçon l03, l04
    /// (défaut) ou l05 (chat seulement)
    #[arg(long, value_enum, default_value_t = Lesson::L04, hide_default_value = true,
          hide_possible_values = true)]
    serveur: Lesson,
    /// PID du serveur lancé à part (sous Linux) : son temps CPU, sa mémoire, ses
    /// threads
    #[arg(long, requires = "addr")]
    pid: Option<u32>,
    /// Connexions (echo) ou clients du salon (chat), de 2 à 1000 (défaut : 10)
    #[arg(long, value_name = "N", default_value_t = 10, hide_default_value = true,
          value_parser = cli::between(2u64, 1000))]
    clients: u64,
    /// Chat : messages par seconde, tous clients confondus, de 1 à 1000000 (défaut :
    /// 500)
    #[arg(long, value_name = "N", default_value_t = 500, hide_default_value = true,
          value_parser = cli::between(1u64, 1_000_000))]
    rate: u64,
    /// Durée de la mesure, en secondes, de 1 à 3600 (défaut : 10 ; 2 avec --quick)
    #[arg(long, value_name = "SECONDES", value_parser = cli::between(1u64, 3600))]
    duration: Option<u64>,
    /// Passage court, pour l'intégration continue : 2 s de mesure
    #[arg(long)]
    quick: bool,
    /// Affiche cette aide
    #[arg(short, long, action = ArgAction::Help)]
    help: Option<bool>,
}

fn main() -> ExitCode {
    cli::finish(run(&cli::parse()))
}

fn run(cli: &Cli) -> Result<(), String> {
    if cfg!(debug_assertions) {
        show!(
            "Attention : compilé sans --release, les chiffres mesurent surtout le \
             générateur."
        );
    }
    if (cli.addr.is_none(), cli.serveur, cli.scenario)
        == (true, Lesson::L05, Scenario::Echo)
    {
        return Err(
            "la leçon 05 n'a pas de serveur d'écho : --serveur l03 ou l04.".into(),
        );
    }
    let addr = match &cli.addr {
        Some(text) => cli::resolve(text)?,
        None => {
            let addr = local::start(cli.serveur, cli.scenario)
                .map_err(|err| format!("{err}."))?;
            show!(
                "Serveur lancé dans ce processus, sur {addr} (pour mesurer son CPU, \
                 lancez-le à part et passez --pid)."
            );
            addr
        }
    };
    let seconds = cli.duration.unwrap_or(if cli.quick { 2 } else { 10 });
    let (duration, clients) = (Duration::from_secs(seconds), cli.clients as usize);
    let explain = |err: std::io::Error| cli::explain(&err, addr);
    let mut progress = progress_line();
    if cli.scenario == Scenario::Echo {
        show!(
            "Écho (boucle fermée) vers {addr} : {clients} connexions, {seconds} s."
        );
        let warmup = Duration::from_millis(if cli.quick { 200 } else { 500 });
        let (connections, line_len) = (clients, LINE_LEN);
        let load = EchoLoad {
            connections,
            line_len,
            warmup,
            duration,
        };
        let outcome = run_echo(addr, load, cli.pid, &mut progress);
        end_progress_line();
        return print_echo(&outcome.map_err(explain)?, cli.pid);
    }
    let rate = cli.rate;
    show!(
        "Chat (boucle ouverte) vers {addr} : {clients} clients, {rate} messages/s, \
         {seconds} s."
    );
    let load = ChatLoad::steady(rate as f64, duration, LINE_LEN);
    let outcome = ChatRoom::join(addr, clients)
        .and_then(|mut room| room.run(load, cli.pid, &mut progress));
    end_progress_line();
    print_chat(&outcome.map_err(explain)?, cli.pid)
}

/// La ligne de progression, une fois par seconde, sur la sortie d'erreur (le rapport
/// va sur la sortie standard) : réécrite sur place (`\r`) dans un terminal, une ligne
/// sinon.
fn progress_line() -> impl FnMut(&Progress) {
    let terminal = std::io::stderr().is_terminal();
    let end = if terminal { "\r" } else { "\n" };
    let mut next = Instant::now() + Duration::from_secs(1);
    move |progress: &Progress| {
        if Instant::now() >= next {
            next += Duration::from_secs(1);
            let seconds = progress.elapsed.as_secs_f64().round();
            let (sent, received) = (progress.sent, progress.received);
            let line =
                format!("[{seconds:>3} s] {sent} lignes envoyées, {received} reçues");
            let _ = write!(std::io::stderr(), "{line}{end}");
        }
    }
}

/// Dans un terminal, la ligne de progression réécrite sur place doit finir avant le
/// rapport.
fn end_progress_line() {
    if std::io::stderr().is_terminal() {
        let _ = writeln!(std::io::stderr());
    }
}

/// Le temps CPU du serveur, et la durée pendant laquelle il a été mesuré.
type CpuTime = (Option<Duration>, Duration);

/// 5.254 → « 5,25 » : la virgule décimale, à la française.
fn decimal(value: f64, digits: usize) -> String {
    format!("{value:.digits$}").replace('.', ",")
}

/// p50, p90, p99, p99,9 et maximum, dans l'unité que donne `unit`.
fn percentiles(latencies: &Latencies, unit: impl Fn(Duration) -> String) -> String {
    let quantiles = [0.5, 0.9, 0.99, 0.999].map(|q| latencies.quantile(q));
    let ([p50, p90, p99, p999], max) = (quantiles.map(&unit), unit(latencies.max()));
    format!("p50 {p50}, p90 {p90}, p99 {p99}, p99,9 {p999}, max {max}")
}

fn print_echo(outcome: &EchoOutcome, pid: Option<u32>) -> Result<(), String> {
    let count = outcome.round_trips;
    let rate = outcome.round_trips_per_second().round();
    show!("  Allers-retours : {count} ({rate} par seconde).");
    let micros = |d: Duration| d.as_micros().to_string();
    show!(
        "  Aller-retour (µs) : {}.",
        percentiles(&outcome.latency, micros)
    );
    let cpu = (outcome.server_cpu, outcome.window);
    print_server(pid, cpu, count, "aller-retour");
    let (corrupted, closed) = (outcome.corrupted, outcome.closed);
    match corrupted + closed {
        0 => Ok(()),
        _ => Err(format!(
            "{corrupted} échos faux, {closed} connexions fermées : est-ce bien un \
             écho ?"
        )),
    }
}

fn print_chat(outcome: &ChatOutcome, pid: Option<u32>) -> Result<(), String> {
    let (sent, expected, delivered) =
        (outcome.sent, outcome.expected, outcome.delivered);
    show!(
        "  Messages envoyés : {sent} ; livraisons attendues : {expected}, reçues : \
         {delivered}."
    );
    let (lost, disordered, closed) =
        (outcome.lost(), outcome.disordered, outcome.closed);
    show!(
        "  Perdues : {lost} ; dans le désordre : {disordered} ; clients déconnectés \
         : {closed}."
    );
    let millis = |d: Duration| decimal(d.as_secs_f64() * 1e3, 2);
    show!("  Latence depuis l'heure prévue (corrigée, ms) :");
    show!("    {}.", percentiles(&outcome.corrected, millis));
    show!("  Latence depuis l'envoi réel (non corrigée, ms) :");
    show!("    {}.", percentiles(&outcome.uncorrected, millis));
    print_server(
        pid,
        (outcome.server_cpu, outcome.total),
        delivered,
        "livraison",
    );
    if outcome.is_complete() {
        return Ok(());
    }
    Err(format!(
        "{lost} perdues, {disordered} hors d'ordre, {closed} déconnectés."
    ))
}

/// Ce que le serveur a dépensé, `cpu` pendant `window`, pour `count` fois `what`,
/// s'il tourne à part (`--pid`) et que le système le dit.
fn print_server(pid: Option<u32>, (cpu, window): CpuTime, count: u64, what: &str) {
    let Some(pid) = pid else { return };
    let (Some(cpu), Some(memory)) = (cpu, system::memory_use(pid)) else {
        return show!(
            "  CPU et mémoire du processus {pid} : illisibles (Linux seul ; PID ?)."
        );
    };
    let share = cpu.as_secs_f64() / window.as_secs_f64().max(1e-9) * 100.0;
    let per = decimal(cpu.as_secs_f64() * 1e6 / count.max(1) as f64, 2);
    show!("  CPU du serveur : {per} µs par {what} ({share:.0} % d'un cœur).");
    let mib = decimal(memory.rss_bytes as f64 / 1_048_576.0, 1);
    let threads = memory.threads;
    show!("  Mémoire du serveur (VmRSS) : {mib} Mio ; threads : {threads}.");
}
