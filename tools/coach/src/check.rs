//! Vérifier un exercice : exactement comme `cargo test -p exercises exNN`.
//!
//! Le correcteur fait tout le travail risqué À PART : il copie le fichier de
//! l'élève dans un petit paquet cargo sous `target/`, le compile dans un processus
//! `cargo` (avec un délai), puis lance chaque test dans son propre processus (avec
//! une échéance). L'entraîneur ne fait qu'attendre son verdict : une erreur de
//! syntaxe, une boucle sans fin ou un `todo!()` ne peuvent pas l'arrêter.

use std::time::Duration;

use crate::Workspace;
use crate::grader::{self, EXERCISES, ExerciseResult, Outcome, Setup, Verdict};

/// Délai de la compilation : large, la toute première compile aussi les
/// dépendances des exercices (mio, socket2…).
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);

/// Tests lancés en même temps : ils attendent surtout le réseau (comme le
/// correcteur par défaut).
const JOBS: usize = 4;

/// Vérifie tous les exercices (`None`) ou un seul ; un résultat par exercice.
pub fn check(
    workspace: &Workspace,
    only: Option<usize>,
) -> Result<Vec<ExerciseResult>, String> {
    let setup = Setup {
        reference: workspace.root.clone(),
        hidden: None,
        work: workspace.work.clone(),
        target_dir: workspace.target_dir.clone(),
        offline: true,
        build_timeout: BUILD_TIMEOUT,
        jobs: JOBS,
        // Le filtre de `cargo test -p exercises ex03` : le correcteur ne compile et
        // ne lance que cet exercice.
        filter: only
            .and_then(|index| EXERCISES.get(index))
            .map(|exercise| exercise.id.to_string()),
    };
    grader::grade(&workspace.src(), &setup)
}

/// Vérifie un seul exercice.
pub fn check_one(
    workspace: &Workspace,
    index: usize,
) -> Result<ExerciseResult, String> {
    let id = EXERCISES
        .get(index)
        .map(|exercise| exercise.id)
        .unwrap_or("?");
    check(workspace, Some(index))?
        .into_iter()
        .find(|result| result.exercise.id == id)
        .ok_or_else(|| format!("le correcteur n'a rien rendu pour {id}"))
}

/// Où en est un exercice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Status {
    /// Tous ses tests passent.
    Solved,
    /// Chaque test atteint un `todo!()` : pas encore commencé.
    NotStarted,
    /// Commencé : certains tests passent, pas tous.
    InProgress {
        passed: usize,
        total: usize,
    },
    DoesNotCompile,
    /// Le fichier n'est plus dans `exercises/src`.
    Missing,
    /// Le correcteur refuse le fichier (`#[path]`, `include!`…).
    Refused,
}

/// L'état d'un exercice d'après son verdict.
pub fn status(result: &ExerciseResult) -> Status {
    match &result.verdict {
        Verdict::Missing => Status::Missing,
        Verdict::Refused { .. } => Status::Refused,
        Verdict::DoesNotCompile { .. } => Status::DoesNotCompile,
        Verdict::Graded { tests } => {
            let passed = tests.iter().filter(|t| t.outcome.passed()).count();
            let not_started = tests
                .iter()
                .all(|t| matches!(t.outcome, Outcome::NotDone { .. }));
            match (passed, tests.len()) {
                (passed, total) if total > 0 && passed == total => Status::Solved,
                _ if not_started => Status::NotStarted,
                (passed, total) => Status::InProgress { passed, total },
            }
        }
    }
}
