//! Le programme de test d'UN exercice, côté « enfant » : le correcteur (`tests/grader/`) le
//! lance une fois par test, dans son propre processus, et lit sa réponse.
//!
//! Pourquoi un processus par test : un `todo!()`, une boucle sans fin, un dépassement de pile,
//! un `process::exit` ou un flot de `println!` dans un exercice ne peut emporter que CE test ;
//! le correcteur, lui, survit toujours et affiche le bilan.
//!
//! Le protocole, très simple :
//! - `programme --list` : le nom de chaque test, un par ligne ;
//! - `programme --run NOM` : lit un jeton secret sur l'entrée standard (une ligne), lance le
//!   test dans un thread avec une échéance, puis écrit UNE ligne `JETON<TAB>verdict...` et
//!   s'arrête. Le code de l'élève ne connaît pas le jeton : il ne peut pas écrire de faux
//!   résultat, et s'il arrête le programme avant (`process::exit`), la ligne manque et le
//!   correcteur compte le test comme échoué.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::panic;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{TestFn, current_trial, panic_message, set_current_trial};

/// Échéance de chaque test : au-delà, il est compté comme échoué.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Au-delà de cette croissance de la mémoire pendant un test, on dit « la mémoire grossit ».
const MEMORY_GROWTH_MIB: u64 = 200;

/// Les tests d'un exercice, tels que les déclare `tests![...]`.
pub type TestList = &'static [(&'static str, TestFn)];

/// Paniques observées, rangées par nom de test (un test et tous les threads qu'il a lancés).
static PANICS: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);

/// Point d'entrée du programme de test d'un exercice (`id` : `ex01`...).
pub fn main(id: &str, visible: TestList, hidden: TestList) -> ! {
    let visible = visible.iter().map(|&(name, test)| (format!("{id}::{name}"), test));
    let hidden = hidden
        .iter()
        .map(|&(name, test)| (format!("{id}::cache::{name}"), test));
    let tests: Vec<(String, TestFn)> = visible.chain(hidden).collect();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--list"] => {
            let mut out = std::io::stdout().lock();
            for (name, _) in &tests {
                let _ = writeln!(out, "{name}");
            }
            let _ = out.flush();
            std::process::exit(0)
        }
        ["--run", wanted] => {
            // Le jeton est lu AVANT de lancer le moindre code de l'élève.
            let mut token = String::new();
            let _ = std::io::stdin().lock().read_line(&mut token);
            let token = token.trim().to_string();
            let Some(&(ref name, test)) = tests.iter().find(|(name, _)| name == wanted) else {
                eprintln!("test inconnu : {wanted}");
                std::process::exit(2)
            };
            install_panic_hook();
            let verdict = run_trial(name, test);
            // Un `\n` d'abord : si le code testé a laissé une ligne inachevée, la réponse
            // commence quand même au début d'une ligne.
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\n{token}\t{verdict}\n");
            let _ = out.flush();
            // `exit` et non `return` : un thread du test encore en vie (boucle sans fin) ne
            // doit pas retenir le processus.
            std::process::exit(0)
        }
        _ => {
            eprintln!(
                "Ce programme est lancé par le correcteur : utilisez `cargo test -p exercises`."
            );
            std::process::exit(2)
        }
    }
}

/// Chaque panique d'un thread « de test » est mise de côté (sans l'afficher : le bilan dira
/// pourquoi le test a échoué). Les autres paniques s'affichent comme d'habitude.
fn install_panic_hook() {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| match current_trial() {
        Some(trial) => {
            let mut message = panic_message(info.payload());
            if let Some(location) = info.location() {
                let _ = write!(message, " ({}:{})", location.file(), location.line());
            }
            let mut panics = PANICS.lock().unwrap_or_else(PoisonError::into_inner);
            panics
                .get_or_insert_with(HashMap::new)
                .entry(trial)
                .or_default()
                .push(message);
        }
        None => default_hook(info),
    }));
}

fn take_panics(trial: &str) -> Vec<String> {
    let mut panics = PANICS.lock().unwrap_or_else(PoisonError::into_inner);
    panics
        .as_mut()
        .and_then(|panics| panics.remove(trial))
        .unwrap_or_default()
}

/// Lance un test dans son propre thread et l'attend au plus `DEADLINE`. Rend le verdict déjà
/// encodé pour le correcteur : `ok`, `echec<TAB>message`, `todo<TAB>message`,
/// `delai<TAB>diagnostic`.
fn run_trial(name: &str, test: TestFn) -> String {
    let (sender, receiver) = mpsc::channel();
    let trial = name.to_string();
    let before = Usage::now();
    let start = Instant::now();
    thread::spawn(move || {
        set_current_trial(Some(trial));
        let outcome = panic::catch_unwind(test);
        let _ = sender.send(outcome);
    });
    let outcome = receiver.recv_timeout(DEADLINE);
    let panics = take_panics(name);

    // Un `todo!()` atteint, dans le test ou dans un thread qu'il a lancé : exercice pas fait.
    if let Some(todo) = panics.iter().find(|p| p.contains("not yet implemented")) {
        let todo = todo.replacen("not yet implemented: ", "", 1);
        return format!("todo\t{}", escape(&todo));
    }
    let failure = match outcome {
        Ok(Ok(Ok(()))) => match panics.first() {
            None => return "ok".to_string(),
            Some(panic) => format!("un thread lancé par le test a paniqué : {panic}"),
        },
        Ok(Ok(Err(err))) => format!("erreur d'entrée-sortie : {err}"),
        Ok(Err(payload)) => panics
            .first()
            .cloned()
            .unwrap_or_else(|| panic_message(payload.as_ref())),
        Err(_) => return format!("delai\t{}", stall(&before, &Usage::now(), start.elapsed())),
    };
    format!("echec\t{}", escape(&failure))
}

/// Une ligne par verdict : les retours à la ligne du message sont écrits `\n`.
fn escape(message: &str) -> String {
    message.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Pourquoi un test a dépassé son échéance, quand on peut le savoir : `bloque`,
/// `calcule<TAB>pourcentage` ou `memoire<TAB>Mio`.
fn stall(before: &Usage, after: &Usage, elapsed: Duration) -> String {
    match (before, after) {
        (Usage::Known { cpu: cpu0, rss_kib: rss0 }, Usage::Known { cpu, rss_kib }) => {
            let growth_mib = rss_kib.saturating_sub(*rss0) / 1024;
            let busy = cpu.saturating_sub(*cpu0).as_secs_f64() / elapsed.as_secs_f64();
            if growth_mib >= MEMORY_GROWTH_MIB {
                format!("memoire\t{growth_mib}")
            } else if busy >= 0.5 {
                format!("calcule\t{}", (busy * 100.0).round() as u64)
            } else {
                "bloque".to_string()
            }
        }
        _ => "inconnu".to_string(),
    }
}

/// Temps de calcul consommé par le processus (le test et ses threads) et mémoire maximale.
enum Usage {
    Known { cpu: Duration, rss_kib: u64 },
    Unknown,
}

impl Usage {
    #[cfg(unix)]
    fn now() -> Usage {
        // SAFETY : `getrusage` remplit la structure qu'on lui passe, rien d'autre.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return Usage::Unknown;
        }
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        // ru_maxrss est en Kio sous Linux, en octets sous macOS.
        let rss = usage.ru_maxrss as u64;
        let rss_kib = if cfg!(target_os = "macos") {
            rss / 1024
        } else {
            rss
        };
        Usage::Known {
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            rss_kib,
        }
    }

    /// Ailleurs (Windows), on ne sait pas dire : le message reste général.
    #[cfg(not(unix))]
    fn now() -> Usage {
        Usage::Unknown
    }
}
