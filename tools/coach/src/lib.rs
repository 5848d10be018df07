//! L'entraîneur des exercices : `cargo run -p exercises`.
//!
//! Sans argument, il ouvre le premier exercice pas encore réussi (son énoncé, la
//! commande pour le lancer seul, sa page du livre) puis SURVEILLE `exercises/src` :
//! à chaque enregistrement d'un `exNN_*.rs`, il revérifie cet exercice et montre
//! le ✅/❌ de chaque test, la première erreur expliquée en français, et propose
//! l'exercice suivant quand tout passe. Touches : `i` (un indice de plus), `l` (la
//! liste), `n`/`p` (suivant, précédent), `v` (vérifier maintenant), `q` (quitter).
//!
//! Pour les scripts : `liste`, `indice NN`, `verifier NN`.
//!
//! Ce qu'il ne fait jamais : modifier un fichier de l'élève, montrer une solution,
//! lier le code de l'élève. Il vérifie avec LE correcteur de
//! `cargo test -p exercises` (`exercises/tests/grader/`, inclus ci-dessous) : chaque
//! exercice compilé à part par cargo, chaque test dans son propre processus avec
//! une échéance. Un fichier qui ne compile pas, une boucle sans fin ou un `todo!()`
//! donnent donc un verdict, jamais un entraîneur planté.
//!
//! Les modules, de haut en bas :
//! - `catalog` : les exercices, leur énoncé (le commentaire `//!` du fichier) ;
//! - `hints` : les indices, les mêmes que ceux du livre (`exercises/indices/`) ;
//! - `check` : vérifier avec le correcteur, et l'état d'un exercice ;
//! - `text` : ce qui s'affiche, en texte (testé sans terminal) ;
//! - `watch` : le mode surveillance, une boucle d'événements testée avec une
//!   fausse horloge ;
//! - `terminal` : le vrai terminal (crossterm) et la surveillance des fichiers
//!   (notify).

mod catalog;
mod check;
mod hints;
mod terminal;
mod text;
mod watch;

/// Le correcteur des exercices, le même que celui de `cargo test -p exercises`.
#[path = "../../../exercises/tests/grader/mod.rs"]
mod grader;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// L'entraîneur des exercices : énoncé, vérification à chaque enregistrement,
/// indices un par un
#[derive(Parser)]
#[command(
    name = "exercises",
    version,
    override_usage = "cargo run -p exercises [-- <COMMANDE>]",
    after_help = "Sans commande : le mode surveillance (touches i, l, n, p, v, \
                  q).\n\n\
                  Exemples :\n  \
                  cargo run -p exercises\n  \
                  cargo run -p exercises -- liste\n  \
                  cargo run -p exercises -- indice 03\n  \
                  cargo run -p exercises -- verifier 03"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Les commandes pour les scripts (sans terminal, sans touches).
#[derive(Subcommand, Clone, Debug)]
pub enum Command {
    /// Tous les exercices, leur état et la progression
    #[command(alias = "list")]
    Liste,
    /// Un indice d'un exercice (le premier, ou celui de numéro RANG)
    #[command(alias = "hint")]
    Indice {
        /// L'exercice : 3, 03 ou ex03
        #[arg(value_name = "NN", help_heading = "Arguments ")]
        exercise: String,
        /// Le rang de l'indice : 1 (le plus vague) à 3 (le plus précis)
        #[arg(value_name = "RANG", help_heading = "Arguments ")]
        rank: Option<usize>,
    },
    /// Vérifie un exercice ; code de sortie 0 s'il est réussi
    #[command(alias = "vérifier", alias = "verify")]
    Verifier {
        /// L'exercice : 3, 03 ou ex03
        #[arg(value_name = "NN", help_heading = "Arguments ")]
        exercise: String,
    },
}

/// Où travaille l'entraîneur.
#[derive(Clone)]
pub struct Workspace {
    /// La racine de l'espace de travail (celle qui contient `exercises/`).
    pub root: PathBuf,
    /// Le dossier de compilation de cargo : celui de `cargo test -p exercises`, où
    /// les dépendances des exercices sont déjà compilées.
    pub target_dir: PathBuf,
    /// Le dossier de travail du correcteur, refait à chaque vérification (sous
    /// `target/`, jamais dans les fichiers de l'élève).
    pub work: PathBuf,
}

impl Workspace {
    /// L'espace de travail du paquet `exercises` dont le dossier est `exercises_dir`,
    /// compilé dans le dossier de compilation de ce programme.
    pub fn of_exercises(exercises_dir: &Path) -> Workspace {
        let root = exercises_dir
            .parent()
            .unwrap_or(exercises_dir)
            .to_path_buf();
        // Le programme est `<dossier de compilation>/debug/exercises` : vérifier
        // dans ce même dossier reprend les dépendances que cargo y a déjà compilées.
        let target_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
            .unwrap_or_else(|| root.join("target"));
        let work = target_dir.join("tmp").join("coach");
        Workspace {
            root,
            target_dir,
            work,
        }
    }

    /// Le dossier des exercices de l'élève.
    pub fn src(&self) -> PathBuf {
        self.root.join("exercises").join("src")
    }
}

/// Le programme `cargo run -p exercises`.
pub fn main(exercises_dir: &Path) -> ExitCode {
    let cli: Cli = course_kit::cli::parse();
    let workspace = Workspace::of_exercises(exercises_dir);
    let Some(command) = cli.command else {
        return terminal::watch(&workspace);
    };
    match run(&command, &workspace) {
        Ok(outcome) => {
            course_kit::show!("{}", outcome.text);
            match outcome.success {
                true => ExitCode::SUCCESS,
                false => ExitCode::FAILURE,
            }
        }
        // Une vraie erreur (exercice inconnu, cargo introuvable) : code 2, pour
        // qu'un script la distingue d'un exercice pas encore réussi (code 1).
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "Erreur : {message}");
            ExitCode::from(2)
        }
    }
}

/// Ce qu'une commande affiche, et si elle a réussi (pour `verifier` : l'exercice
/// est réussi).
pub struct Outcome {
    pub text: String,
    pub success: bool,
}

/// Une commande pour les scripts ; `Err` : une phrase qui dit pourquoi elle n'a
/// pas pu se faire.
pub fn run(command: &Command, workspace: &Workspace) -> Result<Outcome, String> {
    let (text, success) = match command {
        Command::Liste => {
            let results = check::check(workspace, None)?;
            let statuses: Vec<_> =
                results.iter().map(|r| Some(check::status(r))).collect();
            (text::list(&statuses, None), true)
        }
        Command::Indice { exercise, rank } => {
            (text::hint_command(catalog::find(exercise)?, *rank)?, true)
        }
        Command::Verifier { exercise } => {
            let index = catalog::find(exercise)?;
            let result = check::check_one(workspace, index)?;
            let solved = check::status(&result) == check::Status::Solved;
            (text::verdict_command(index, &result), solved)
        }
    };
    Ok(Outcome { text, success })
}
