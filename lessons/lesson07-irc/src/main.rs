//! Programme de la leçon 07 : lit la ligne de commande, puis appelle la bibliothèque.
//! Toute la partie réseau est dans `lib.rs` et ses modules ; ici, on ne fait que
//! lire les options, attendre Ctrl+C et traduire les erreurs attendues en phrases
//! françaises, avec `course_kit::cli` (voir la leçon 01).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use course_kit::cli::{self, between, explain, resolve};
use course_kit::{log, show};
use lesson07_irc::server::{
    DEFAULT_FLUSH_DELAY, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_PER_ADDRESS,
    DEFAULT_MAX_RATE, DEFAULT_NAME, DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT,
    DEFAULT_REGISTER_TIMEOUT,
};
use lesson07_irc::{Config, DEFAULT_ADDR, listen, serve};

/// Variables d'environnement lues quand `--oper` ou `--password` sont absents (un
/// mot de passe sur la ligne de commande se voit dans `ps`).
const OPER_VAR: &str = "IRC_OPER";
const PASSWORD_VAR: &str = "IRC_PASSWORD";

// ANCHOR: cli
/// Leçon 07 : un serveur IRC (RFC 1459, RFC 2812) que rejoignent irssi, WeeChat,
/// HexChat ou nc -C.
#[derive(Parser)]
#[command(
    name = "lesson07-irc",
    version,
    after_help = "Exemple : cargo run -p lesson07-irc, puis dans un autre terminal\n\
                  irssi -c 127.0.0.1 -p 6667 -n alice (ou nc -C 127.0.0.1 6667).\n\
                  Limites fixes : file d'envoi (SendQ) de 64 Kio, déconnexion si \
                  elle reste pleine 10 s ou dépasse 1 Mio."
)]
struct Cli {
    /// Adresse d'écoute : 127.0.0.1:6667 (défaut, cette machine seulement),
    /// 0.0.0.0:6667 pour le réseau local, [::]:6667 pour IPv4 et IPv6
    #[arg(long, default_value = DEFAULT_ADDR, hide_default_value = true)]
    addr: String,

    #[arg(long, value_name = "NOM", default_value = DEFAULT_NAME,
          hide_default_value = true,
          help = format!("Nom du serveur, préfixe de ses réponses \
                          (défaut : {DEFAULT_NAME})"))]
    name: String,

    /// Fichier du message du jour (MOTD), montré à chaque inscription
    #[arg(long, value_name = "FICHIER")]
    motd: Option<PathBuf>,

    /// Mot de passe du serveur, vérifié par PASS (sinon la variable IRC_PASSWORD ;
    /// aucun par défaut)
    #[arg(long, value_name = "MOT_DE_PASSE")]
    password: Option<String>,

    /// Nom et mot de passe de OPER (sinon la variable IRC_OPER, « nom motdepasse » ;
    /// sans eux, OPER et KILL sont désactivés)
    #[arg(long, num_args = 2, value_names = ["NOM", "MOT_DE_PASSE"])]
    oper: Option<Vec<String>>,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS,
          hide_default_value = true, value_parser = between(1usize, 100_000),
          help = format!("Connexions ouvertes au maximum, de 1 à 100000 \
                          (défaut : {DEFAULT_MAX_CLIENTS})"))]
    max_clients: usize,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PER_ADDRESS,
          hide_default_value = true, value_parser = between(1usize, 100_000),
          help = format!("Connexions au maximum depuis une même adresse, de 1 à \
                          100000 (défaut : {DEFAULT_MAX_PER_ADDRESS})"))]
    max_per_address: usize,

    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RATE,
          hide_default_value = true, value_parser = between(0u32, 1_000_000),
          help = format!("Commandes par seconde permises à chaque client, 0 pour \
                          aucune limite (défaut : {DEFAULT_MAX_RATE} ; WHO, WHOIS, \
                          LIST et NAMES en coûtent 4). Au-delà, le client est \
                          ralenti : ses lignes attendent, aucune n'est perdue"))]
    max_rate: u32,

    #[arg(long, value_name = "SECONDES",
          default_value_t = DEFAULT_REGISTER_TIMEOUT.as_secs(),
          hide_default_value = true, value_parser = between(1u64, 3_600),
          help = format!("Secondes pour s'inscrire (NICK et USER), de 1 à 3600 \
                          (défaut : {})", DEFAULT_REGISTER_TIMEOUT.as_secs()))]
    register_timeout: u64,

    #[arg(long, value_name = "SECONDES",
          default_value_t = DEFAULT_PING_INTERVAL.as_secs(),
          hide_default_value = true, value_parser = between(1u64, 86_400),
          help = format!("Secondes de silence après lesquelles le serveur envoie \
                          PING, de 1 à 86400 (défaut : {}) ; sans réponse en {} s, \
                          la connexion est fermée", DEFAULT_PING_INTERVAL.as_secs(),
                          DEFAULT_PING_TIMEOUT.as_secs()))]
    ping_interval: u64,

    #[arg(long, value_name = "MS",
          default_value_t = DEFAULT_FLUSH_DELAY.as_millis() as u64,
          hide_default_value = true, value_parser = between(0u64, 1_000),
          help = format!("Millisecondes qu'une ligne venue d'un autre client attend \
                          que d'autres la rejoignent, pour partir avec elles d'une \
                          seule écriture, de 0 à 1000 (défaut : {}) ; 0 : chaque \
                          ligne part seule, tout de suite",
                          DEFAULT_FLUSH_DELAY.as_millis()))]
    flush_delay: u64,
}
// ANCHOR_END: cli

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    let served = cli::runtime().and_then(|runtime| runtime.block_on(run(args)));
    cli::finish(served)
}

// ANCHOR: run
async fn run(args: Cli) -> Result<(), String> {
    let addr = resolve(&args.addr)?;
    let config = config(&args)?;
    let listener = listen(addr).map_err(|err| explain(&err, addr))?;
    let local = listener.local_addr().map_err(|err| explain(&err, addr))?;
    // L'écoute des signaux s'installe dès maintenant (leçon 05).
    let signal = cli::shutdown_signal();
    let shutdown = async move { log!("{} reçu", signal.await) };
    print_banner(local, &config);
    serve(listener, config, shutdown)
        .await
        .map_err(|err| explain(&err, addr))?;
    show!("Serveur arrêté.");
    Ok(())
}

/// Les réglages, depuis les options (et l'environnement pour les mots de passe).
fn config(args: &Cli) -> Result<Config, String> {
    let motd = match &args.motd {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|err| {
                format!("impossible de lire le MOTD « {} » : {err}.", path.display())
            })?;
            Some(text.lines().take(100).map(str::to_owned).collect())
        }
    };
    let from_env =
        |var: &str| std::env::var(var).ok().filter(|value| !value.is_empty());
    let oper = match &args.oper {
        Some(pair) => Some((pair[0].clone(), pair[1].clone())),
        None => from_env(OPER_VAR).map(|value| {
            let (name, password) = value.split_once(' ').unwrap_or((&value, ""));
            (name.to_owned(), password.to_owned())
        }),
    };
    Ok(Config {
        name: args.name.clone(),
        motd,
        password: args.password.clone().or_else(|| from_env(PASSWORD_VAR)),
        oper: oper.filter(|(_, password)| !password.is_empty()),
        max_clients: args.max_clients,
        max_per_address: args.max_per_address,
        max_rate: args.max_rate,
        register_timeout: Duration::from_secs(args.register_timeout),
        ping_interval: Duration::from_secs(args.ping_interval),
        flush_delay: Duration::from_millis(args.flush_delay),
        ..Config::default()
    })
}

/// L'adresse d'écoute (la première ligne : avec `--addr 127.0.0.1:0`, seul le
/// serveur connaît le port), puis comment le rejoindre avec de vrais clients.
fn print_banner(local: SocketAddr, config: &Config) {
    show!(
        "Serveur IRC « {} » en écoute sur {local} (Ctrl+C pour l'arrêter).",
        config.name
    );
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        local.ip().to_string()
    };
    let port = local.port();
    let pass = if config.password.is_some() {
        " -w MOT_DE_PASSE"
    } else {
        ""
    };
    show!(
        "Pour le rejoindre, dans un autre terminal :\n  \
         irssi -c {host} -p {port} -n alice{pass}\n  \
         WeeChat : /server add cours {host}/{port} puis /connect cours\n  \
         HexChat : Réseau > Ajouter, serveur {host}/{port}, sans SSL\n  \
         à la main : nc -C {host} {port}, puis tapez\n    \
         NICK alice\n    USER alice 0 * :Alice\n    JOIN #cours\n    \
         PRIVMSG #cours :bonjour"
    );
}

// ANCHOR_END: run
