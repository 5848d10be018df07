//! Lancer les tests d'un exercice : un processus enfant par test.
//!
//! Le résultat d'un test ne vient QUE de la ligne que le banc de test de l'enfant
//! (`tests/common/harness.rs`) écrit à la fin, précédée d'un jeton secret tiré ici et
//! donné sur son entrée standard avant tout code de l'élève. Sans cette ligne (le
//! code testé a appelé `process::exit`, la pile a débordé, un signal a tué le
//! processus), le test est un échec, et le tableau dit pourquoi. La sortie de
//! l'enfant est lue en continu mais seul son début est gardé : un `println!` dans une
//! boucle ne remplit ni la mémoire ni l'écran ; au-delà de `OUTPUT_LIMIT` octets, le
//! test est arrêté sans attendre son échéance.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Crash, Exercise, Outcome, Setup, Stall, TestResult};

/// L'échéance d'un test (celle du banc de test de l'enfant, `harness::DEADLINE`) plus
/// une marge : au-delà, l'enfant ne répond plus du tout et le correcteur le tue.
const KILL_AFTER: Duration = Duration::from_secs(15);

/// La part de la sortie d'un test gardée pour l'affichage.
const OUTPUT_KEPT: usize = 4 * 1024;

/// Au-delà de ce nombre d'octets écrits, un test est arrêté : aucun test n'écrit
/// autant, c'est un `println!` dans une boucle (inutile d'attendre l'échéance pour le
/// savoir).
const OUTPUT_LIMIT: usize = 1024 * 1024;

/// Lance tous les tests d'un exercice (compilé dans `executable`), `setup.jobs` à la
/// fois.
pub fn run_exercise(
    executable: &Path,
    exercise: &Exercise,
    setup: &Setup,
) -> Result<Vec<TestResult>, String> {
    let names = list(executable)?;
    let names: Vec<String> = match &setup.filter {
        Some(filter) if names.iter().any(|name| name.contains(filter.as_str())) => {
            names
                .into_iter()
                .filter(|name| name.contains(filter.as_str()))
                .collect()
        }
        _ => names,
    };
    if names.is_empty() {
        return Err(format!("{} : aucun test trouvé", exercise.id));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<Option<TestResult>>>> =
        Arc::new(Mutex::new(names.iter().map(|_| None).collect()));
    let names = Arc::new(names);
    let workers: Vec<_> = (0..setup.jobs.clamp(1, names.len()))
        .map(|_| {
            let (next, results, names) =
                (next.clone(), results.clone(), names.clone());
            let executable = executable.to_path_buf();
            thread::spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(name) = names.get(index) else { break };
                    let result = run_one(&executable, name);
                    results.lock().unwrap_or_else(PoisonError::into_inner)[index] =
                        Some(result);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let results =
        std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(results.into_iter().flatten().collect())
}

/// Les noms des tests, donnés par le banc de test (le code de l'élève n'a pas encore
/// tourné : sans `unsafe`, rien ne s'exécute avant `main`).
fn list(executable: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(executable)
        .arg("--list")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            format!("impossible de lancer {} : {err}", executable.display())
        })?;
    if !output.status.success() {
        return Err(format!(
            "{} --list a échoué : {}",
            executable.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .filter(|name| !name.is_empty())
        .collect())
}

/// Un jeton de 128 bits que l'enfant ne peut pas deviner (clés aléatoires de
/// `RandomState`).
fn token() -> String {
    let a = RandomState::new().hash_one(Instant::now());
    let b = RandomState::new().hash_one(std::process::id());
    format!("{a:016x}{b:016x}")
}

fn run_one(executable: &Path, name: &str) -> TestResult {
    let token = token();
    let spawned = Command::new(executable)
        .args(["--run", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            return TestResult {
                name: name.to_string(),
                outcome: Outcome::Failed {
                    message: format!("impossible de lancer le test : {err}"),
                },
                output: String::new(),
            };
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{token}");
    }
    let written = Arc::new(AtomicUsize::new(0));
    let stdout = capture(child.stdout.take(), Some(token.clone()), written.clone());
    let stderr = capture(child.stderr.take(), None, written.clone());
    let ending = wait(&mut child, &written);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let mut output = stdout.kept;
    output.push_str(&stderr.kept);
    if stdout.total + stderr.total > OUTPUT_KEPT {
        output.push_str(&format!(
            "\n[… sortie tronquée : {} octets écrits en tout]",
            stdout.total + stderr.total
        ));
    }
    let outcome = match (&stdout.answer, ending) {
        (Some(answer), _) => parse_answer(answer),
        (None, Ending::Killed) => Outcome::Crashed {
            crash: Crash::Killed,
        },
        (None, Ending::Flooded) => Outcome::Crashed {
            crash: Crash::Flooded {
                bytes: stdout.total + stderr.total,
            },
        },
        (None, Ending::Exited(status)) => Outcome::Crashed {
            crash: crash(status, &stderr.kept),
        },
    };
    TestResult {
        name: name.to_string(),
        outcome,
        output,
    }
}

/// Comment l'enfant a fini.
enum Ending {
    Exited(ExitStatus),
    /// Toujours vivant après `KILL_AFTER` : tué.
    Killed,
    /// Plus de `OUTPUT_LIMIT` octets écrits : tué.
    Flooded,
}

/// Attend la fin de l'enfant au plus `KILL_AFTER`, et tant qu'il n'a pas écrit
/// (`written`, compté par les threads de lecture) plus de `OUTPUT_LIMIT` octets.
fn wait(child: &mut Child, written: &AtomicUsize) -> Ending {
    let start = Instant::now();
    loop {
        let ending = match child.try_wait() {
            Ok(Some(status)) => return Ending::Exited(status),
            Ok(None) if written.load(Ordering::Relaxed) > OUTPUT_LIMIT => {
                Ending::Flooded
            }
            Ok(None) if start.elapsed() < KILL_AFTER => {
                thread::sleep(Duration::from_millis(10));
                continue;
            }
            _ => Ending::Killed,
        };
        let _ = child.kill();
        let _ = child.wait();
        return ending;
    }
}

fn crash(status: ExitStatus, stderr: &str) -> Crash {
    if stderr.contains("has overflowed its stack") {
        return Crash::StackOverflow;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return Crash::Signal(signal);
        }
    }
    // Windows : STATUS_STACK_OVERFLOW.
    if status.code() == Some(0xC00000FDu32 as i32) {
        return Crash::StackOverflow;
    }
    Crash::ExitedEarly {
        code: status.code(),
    }
}

/// La réponse de l'enfant, sans le jeton : `ok`, `echec\tmessage`, `todo\tmessage`,
/// `delai\t...`.
fn parse_answer(answer: &str) -> Outcome {
    let mut fields = answer.splitn(3, '\t');
    let kind = fields.next().unwrap_or("");
    let first = fields.next().unwrap_or("");
    let second = fields.next().unwrap_or("");
    match kind {
        "ok" => Outcome::Passed,
        "todo" => Outcome::NotDone {
            message: unescape(first),
        },
        "delai" => Outcome::TimedOut {
            stall: match first {
                "bloque" => Stall::Blocked,
                "calcule" => Stall::Spinning {
                    cpu_percent: second.parse().unwrap_or(100),
                },
                "memoire" => Stall::Growing {
                    mebibytes: second.parse().unwrap_or(0),
                },
                _ => Stall::Unknown,
            },
        },
        _ => Outcome::Failed {
            message: unescape(first),
        },
    }
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Ce qu'on garde d'une sortie : son début, sa taille, et la réponse signée s'il y en
/// a une.
#[derive(Default)]
struct Captured {
    kept: String,
    total: usize,
    answer: Option<String>,
}

/// Lit une sortie jusqu'au bout dans un thread, en ne gardant que `OUTPUT_KEPT`
/// octets et, si `token` est donné, la ligne qui commence par `token<TAB>` ;
/// `written` compte les octets lus de toutes les sorties du test.
fn capture(
    pipe: Option<impl Read + Send + 'static>,
    token: Option<String>,
    written: Arc<AtomicUsize>,
) -> thread::JoinHandle<Captured> {
    thread::spawn(move || {
        let mut captured = Captured::default();
        let Some(mut pipe) = pipe else {
            return captured;
        };
        let prefix = token.map(|token| format!("{token}\t"));
        let mut kept = Vec::new();
        // La ligne en cours, bornée : la réponse est courte, une ligne géante n'en
        // est pas une.
        let mut line = Vec::new();
        let mut buffer = [0u8; 8192];
        let keep = |kept: &mut Vec<u8>, line: &[u8], newline: bool| {
            let room = OUTPUT_KEPT.saturating_sub(kept.len());
            kept.extend_from_slice(&line[..line.len().min(room)]);
            if newline && kept.len() < OUTPUT_KEPT {
                kept.push(b'\n');
            }
        };
        loop {
            let count = match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(count) => count,
            };
            captured.total += count;
            written.fetch_add(count, Ordering::Relaxed);
            for &byte in &buffer[..count] {
                if byte != b'\n' {
                    if line.len() < 64 * 1024 {
                        line.push(byte);
                    }
                    continue;
                }
                let answer = prefix.as_ref().and_then(|prefix| {
                    String::from_utf8_lossy(&line)
                        .strip_prefix(prefix.as_str())
                        .map(str::to_string)
                });
                match answer {
                    Some(answer) if captured.answer.is_none() => {
                        captured.answer = Some(answer)
                    }
                    _ => keep(&mut kept, &line, true),
                }
                line.clear();
            }
        }
        keep(&mut kept, &line, false);
        // La ligne vide qui précède la réponse n'a pas d'intérêt.
        let text = String::from_utf8_lossy(&kept);
        captured.kept = text.trim_end().to_string();
        if !captured.kept.is_empty() {
            captured.kept.push('\n');
        }
        captured
    })
}
