//! Le correcteur : il compile CHAQUE exercice à part et lance chaque test dans son
//! propre processus, puis rend un verdict par exercice. `cargo test -p exercises`
//! (l'étudiant), la vérification des solutions de référence et la correction d'une
//! classe par l'enseignant passent tous par lui : une seule façon de noter.
//!
//! Les étapes, une par fichier :
//! 1. `layout.rs` : chaque exercice devient un petit paquet cargo à lui seul, dans un
//!    dossier de travail ; on n'y copie QUE le fichier de l'exercice (et son
//!    sous-dossier de modules). Ce qui pourrait nommer un fichier ailleurs
//!    (`#[path]`, `include!`...) est refusé ;
//! 2. `build.rs` : un seul `cargo build --tests --keep-going` compile les
//!    dix-sept paquets ; une erreur dans l'ex12 ne coûte que l'ex12 ;
//! 3. `run.rs` : chaque test tourne dans un processus enfant, qui répond par une
//!    ligne signée d'un jeton secret ; un arrêt net, un signal ou une réponse absente
//!    comptent comme échec ;
//! 4. `report.rs` : le tableau du bilan et la note.

#![allow(dead_code)] // chaque programme n'utilise qu'une partie du correcteur

pub mod build;
pub mod cli;
pub mod layout;
pub mod report;
pub mod run;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Un exercice : identifiant, page du livre, nom du module (et du fichier) et sujet.
pub struct Exercise {
    pub id: &'static str,
    /// `book/src/exercices/{page}.md`
    pub page: &'static str,
    pub module: &'static str,
    pub title: &'static str,
}

/// Les exercices dans l'ordre du cours.
pub const EXERCISES: [Exercise; 17] = [
    exercise(
        "ex01",
        "ex01-ecrire-tout",
        "ex01_write_all",
        "Tout écrire (write_all à la main)",
    ),
    exercise(
        "ex02",
        "ex02-lire-exactement",
        "ex02_read_exact",
        "Lire exactement N octets",
    ),
    exercise(
        "ex03",
        "ex03-lecteur-de-lignes",
        "ex03_line_reader",
        "Un lecteur de lignes",
    ),
    exercise(
        "ex04",
        "ex04-messages-prefixes",
        "ex04_length_prefix",
        "Messages préfixés par leur longueur",
    ),
    exercise(
        "ex05",
        "ex05-session-echo",
        "ex05_echo_session",
        "Une session d'écho",
    ),
    exercise(
        "ex06",
        "ex06-un-thread-par-client",
        "ex06_thread_per_client",
        "Un thread par client",
    ),
    exercise(
        "ex07",
        "ex07-connexion-et-sante",
        "ex07_health_check",
        "Connexion avec délai, santé",
    ),
    exercise(
        "ex08",
        "ex08-fermeture-propre",
        "ex08_graceful_close",
        "Fermeture propre",
    ),
    exercise(
        "ex09",
        "ex09-echo-avec-mio",
        "ex09_mio_echo",
        "Écho sur une boucle mio",
    ),
    exercise(
        "ex10",
        "ex10-commandes-du-chat",
        "ex10_chat_command",
        "Commandes du chat",
    ),
    exercise(
        "ex11",
        "ex11-routage-des-messages",
        "ex11_chat_routing",
        "Routage des messages",
    ),
    exercise(
        "ex12",
        "ex12-historique-borne",
        "ex12_history",
        "Historique borné",
    ),
    exercise(
        "ex13",
        "ex13-relais-tcp",
        "ex13_relay",
        "Relais TCP et tourniquet",
    ),
    exercise(
        "ex14",
        "ex14-transfert-de-fichier",
        "ex14_file_transfer",
        "Transfert de fichier",
    ),
    exercise("ex15", "ex15-echo-udp", "ex15_udp_echo", "Écho UDP"),
    exercise(
        "ex16",
        "ex16-message-irc",
        "ex16_irc_message",
        "Lire un message IRC",
    ),
    exercise(
        "ex17",
        "ex17-reponse-numerique",
        "ex17_irc_numeric",
        "Une réponse numérique IRC",
    ),
];

const fn exercise(
    id: &'static str,
    page: &'static str,
    module: &'static str,
    title: &'static str,
) -> Exercise {
    Exercise {
        id,
        page,
        module,
        title,
    }
}

/// Où et comment corriger.
pub struct Setup {
    /// L'espace de travail de référence : ses tests visibles (`exercises/tests/`),
    /// son `Cargo.toml` (les versions des dépendances) et son `Cargo.lock`.
    pub reference: PathBuf,
    /// Le dossier des tests cachés de l'enseignant, s'il y en a.
    pub hidden: Option<PathBuf>,
    /// Le dossier de travail, refait à chaque copie.
    pub work: PathBuf,
    /// Le dossier de compilation, gardé d'une copie à l'autre (dépendances compilées
    /// une fois).
    pub target_dir: PathBuf,
    /// cargo sans réseau (les dépendances sont déjà téléchargées).
    pub offline: bool,
    /// Délai de la compilation des dix-sept exercices.
    pub build_timeout: Duration,
    /// Tests lancés en même temps.
    pub jobs: usize,
    /// Seulement les tests dont le nom contient ce texte
    /// (`cargo test -p exercises ex03`).
    pub filter: Option<String>,
}

/// Le verdict d'un exercice.
pub enum Verdict {
    /// Le fichier `src/exNN_....rs` n'est pas dans la copie.
    Missing,
    /// Le fichier nomme quelque chose hors de son dossier (`#[path]`, `include!`...).
    Refused { reason: String },
    /// L'exercice ne compile pas : la première erreur du compilateur.
    DoesNotCompile { first_error: String },
    /// Compilé et testé : un résultat par test.
    Graded { tests: Vec<TestResult> },
}

/// Le résultat d'un test.
pub struct TestResult {
    pub name: String,
    pub outcome: Outcome,
    /// Ce que le test a écrit (tronqué), pour aider à comprendre un échec.
    pub output: String,
}

pub enum Outcome {
    Passed,
    Failed {
        message: String,
    },
    /// Un `todo!()` atteint : pas encore fait.
    NotDone {
        message: String,
    },
    TimedOut {
        stall: Stall,
    },
    Crashed {
        crash: Crash,
    },
}

/// Ce que faisait un test qui a dépassé son échéance.
pub enum Stall {
    /// Il attendait sans calculer (lecture sans fin, verrou, thread jamais terminé).
    Blocked,
    /// Il calculait sans arrêt (une boucle qui ne s'arrête pas).
    Spinning { cpu_percent: u64 },
    /// Sa mémoire grossissait.
    Growing { mebibytes: u64 },
    /// Le système ne permet pas de le savoir.
    Unknown,
}

/// Comment le processus d'un test s'est arrêté sans rendre de résultat.
pub enum Crash {
    StackOverflow,
    /// Tué par un signal (Unix) : abort, erreur de segmentation...
    Signal(i32),
    /// Arrêté par le code testé (`process::exit`) avant d'avoir rendu son résultat.
    ExitedEarly {
        code: Option<i32>,
    },
    /// Toujours pas de réponse bien après l'échéance : arrêté par le correcteur.
    Killed,
    /// A écrit plus que toute sortie raisonnable : arrêté par le correcteur.
    Flooded {
        bytes: usize,
    },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// Un exercice et son verdict.
pub struct ExerciseResult {
    pub exercise: &'static Exercise,
    pub verdict: Verdict,
}

impl ExerciseResult {
    /// (tests réussis, tests comptés) ; un exercice sans test lancé compte 0 sur 1.
    pub fn score(&self) -> (usize, usize) {
        match &self.verdict {
            Verdict::Graded { tests } => (
                tests.iter().filter(|t| t.outcome.passed()).count(),
                tests.len(),
            ),
            _ => (0, 0),
        }
    }

    /// Une alerte pour l'enseignant : copie refusée, ou test arrêté net par le code
    /// testé.
    pub fn alert(&self) -> Option<String> {
        match &self.verdict {
            Verdict::Refused { reason } => Some(format!("{} refusé : {reason}", self.exercise.id)),
            Verdict::Graded { tests } => tests
                .iter()
                .find_map(|t| match &t.outcome {
                    Outcome::Crashed {
                        crash: Crash::ExitedEarly { code },
                    } => Some(code.map_or("?".to_string(), |c| c.to_string())),
                    _ => None,
                })
                .map(|code| {
                    format!(
                        "{} : le code testé a arrêté le programme de test (process::exit({code}) ?)",
                        self.exercise.id
                    )
                }),
            _ => None,
        }
    }
}

/// Corrige le dossier `src` d'une copie : tous les exercices, chacun à part.
pub fn grade(src: &Path, setup: &Setup) -> Result<Vec<ExerciseResult>, String> {
    let exercises: Vec<&'static Exercise> = EXERCISES
        .iter()
        .filter(|exercise| match &setup.filter {
            Some(filter) => {
                exercise.id.contains(filter.as_str())
                    || filter.starts_with(exercise.id)
                    || exercise.module.contains(filter.as_str())
            }
            None => true,
        })
        .collect();
    let mut prepared = layout::prepare(src, setup, &exercises)?;
    let built = build::build(setup, &prepared)?;
    let mut results = Vec::new();
    for exercise in exercises {
        let verdict = match prepared.refusal(exercise) {
            Some(verdict) => verdict,
            None => match built.get(exercise.id) {
                Some(build::Built::Executable(path)) => Verdict::Graded {
                    tests: run::run_exercise(path, exercise, setup)?,
                },
                Some(build::Built::Error(first_error)) => Verdict::DoesNotCompile {
                    first_error: first_error.clone(),
                },
                None => Verdict::DoesNotCompile {
                    first_error: "la compilation n'a rien produit pour cet exercice"
                        .into(),
                },
            },
        };
        results.push(ExerciseResult { exercise, verdict });
    }
    Ok(results)
}
