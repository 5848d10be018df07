//! Ce qu'on affiche : le détail de chaque test échoué, puis le tableau du bilan et la
//! note.

use std::fmt::Write as _;

use super::{Crash, Exercise, ExerciseResult, Outcome, Stall, Verdict};

/// Pourquoi un test a échoué, en une phrase qui nomme la notion et où chercher.
pub fn explain(outcome: &Outcome, exercise: &Exercise) -> Option<String> {
    let text = match outcome {
        Outcome::Passed => return None,
        Outcome::Failed { message } => message.clone(),
        Outcome::NotDone { message } => format!("pas encore fait : {message}"),
        Outcome::TimedOut { stall } => {
            let why = match stall {
                Stall::Blocked => "le code attend sans rien faire : une lecture qui ne reçoit \
                                   rien, un verrou jamais rendu, un thread jamais terminé ?"
                    .to_string(),
                Stall::Spinning { cpu_percent } => format!(
                    "le code calcule sans arrêt ({cpu_percent} % d'un cœur) : une boucle qui ne \
                     s'arrête pas, par exemple sur Ok(0) (fin du flux) ou sur WouldBlock ?"
                ),
                Stall::Growing { mebibytes } => format!(
                    "la mémoire a grossi de {mebibytes} Mio : un tampon qui grandit sans limite ?"
                ),
                Stall::Unknown => "le code bloque ou boucle".to_string(),
            };
            format!("délai dépassé (5 s) : {why}")
        }
        Outcome::Crashed { crash } => match crash {
            Crash::StackOverflow => {
                "dépassement de pile : une fonction s'appelle elle-même sans \
                                     fin (récursion) ?"
                    .to_string()
            }
            Crash::Signal(signal) => format!(
                "le programme de test a été tué par le signal {signal} (abort, accès mémoire \
                 invalide) : le test compte comme échoué"
            ),
            Crash::ExitedEarly { code } => format!(
                "le code testé a arrêté tout le programme (process::exit, code {}) avant la fin \
                 du test : une fonction de bibliothèque ne doit jamais arrêter le programme",
                code.map_or("inconnu".to_string(), |code| code.to_string())
            ),
            Crash::Killed => {
                "aucune réponse longtemps après l'échéance : le test a été arrêté"
                    .to_string()
            }
            Crash::Flooded { bytes } => format!(
                "le test a écrit {} Kio sur sa sortie et a été arrêté (aucun test n'en écrit \
                 autant) : un println! de débogage dans une boucle sans fin ?",
                bytes / 1024
            ),
        },
    };
    // Chaque échec rappelle de quoi parle l'exercice et où le livre l'explique : un
    // message court (« première ligne ») se comprend alors sans chercher.
    Some(format!(
        "{text}\n  ({} — {} : voir book/src/exercices/{}.md)",
        exercise.id, exercise.title, exercise.page
    ))
}

/// Le détail des échecs : chaque exercice non compilé, refusé ou absent, chaque test
/// échoué.
pub fn failures(results: &[ExerciseResult]) -> String {
    let mut out = String::new();
    for result in results {
        let id = result.exercise.id;
        match &result.verdict {
            Verdict::Missing => {
                let _ = writeln!(
                    out,
                    "\n---- {id} : fichier absent : src/{}.rs n'est pas dans la copie",
                    result.exercise.module
                );
            }
            Verdict::Refused { reason } => {
                let _ = writeln!(out, "\n---- {id} : refusé : {reason}");
            }
            Verdict::DoesNotCompile { first_error } => {
                let _ = writeln!(
                    out,
                    "\n---- {id} ne compile pas (seul cet exercice est perdu). Première erreur \
                     du compilateur :\n{first_error}"
                );
            }
            Verdict::Graded { tests } => {
                // Un exercice pas commencé tient en une ligne, pas une par test.
                let not_done = tests
                    .iter()
                    .filter(|test| matches!(test.outcome, Outcome::NotDone { .. }))
                    .count();
                if not_done == tests.len() {
                    let _ = writeln!(
                        out,
                        "---- {id} : pas encore fait ({not_done} tests atteignent un todo!())"
                    );
                    continue;
                }
                for test in tests {
                    if let Some(why) = explain(&test.outcome, result.exercise) {
                        let _ = writeln!(out, "\n---- {} : {why}", test.name);
                        if !test.output.is_empty() {
                            let _ =
                                write!(out, "  sortie du test :\n{}", test.output);
                        }
                    }
                }
            }
        }
    }
    out
}

/// La cellule « tests » d'un exercice dans le tableau.
pub fn cell(result: &ExerciseResult) -> String {
    match &result.verdict {
        Verdict::Missing => "absent".to_string(),
        Verdict::Refused { .. } => "refusé".to_string(),
        Verdict::DoesNotCompile { .. } => "ne compile pas".to_string(),
        Verdict::Graded { tests } => {
            let (passed, total) = result.score();
            let crashed = tests
                .iter()
                .any(|test| matches!(test.outcome, Outcome::Crashed { .. }));
            match crashed {
                true => format!("{passed}/{total} plantage"),
                false => format!("{passed}/{total}"),
            }
        }
    }
}

/// Un exercice est réussi quand tous ses tests le sont.
pub fn solved(result: &ExerciseResult) -> bool {
    let (passed, total) = result.score();
    total > 0 && passed == total
}

/// La note sur 20 : la moyenne des fractions de tests réussis ; un exercice absent,
/// refusé ou qui ne compile pas compte 0. Rend aussi le nombre d'exercices réussis.
pub fn grade(results: &[ExerciseResult]) -> (usize, f64) {
    if results.is_empty() {
        return (0, 0.0);
    }
    let mut points = 0.0;
    for result in results {
        let (passed, total) = result.score();
        if total > 0 {
            points += passed as f64 / total as f64;
        }
    }
    let solved = results.iter().filter(|r| solved(r)).count();
    (solved, 20.0 * points / results.len() as f64)
}

pub fn french_number(value: f64) -> String {
    format!("{value:.1}").replace('.', ",")
}

/// Le tableau du bilan, en français, et la note sur 20.
pub fn table(results: &[ExerciseResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.exercise.title.chars().count())
        .max()
        .unwrap_or(5);
    let mut out = String::new();
    let _ = writeln!(out, "\n===== Bilan des exercices =====");
    let _ = writeln!(out, "{:<6}{:<width$}  {:>7}", "Ex.", "Sujet", "Tests");
    for result in results {
        let mark = if solved(result) { "✅" } else { "❌" };
        let title = result.exercise.title;
        let _ = writeln!(
            out,
            "{:<6}{title:<width$}  {:>7}  {mark}",
            result.exercise.id,
            cell(result)
        );
    }
    for alert in results.iter().filter_map(ExerciseResult::alert) {
        let _ = writeln!(out, "⚠ {alert}");
    }
    let (solved, grade) = grade(results);
    let _ = writeln!(
        out,
        "Exercices réussis : {solved}/{} — note : {}/20",
        results.len(),
        french_number(grade)
    );
    out
}
