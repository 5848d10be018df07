//! `teacher` : les commandes de l'enseignant pour les exercices.
//!
//! - `teacher grade CHEMIN...` corrige le travail d'un ou plusieurs élèves : de
//!   chaque copie, seul le fichier de chaque exercice est repris et compilé à part,
//!   avec les tests visibles ORIGINAUX et les tests cachés de
//!   `solutions/tests/hidden/`.
//! - `teacher kit DESTINATION` fabrique le kit de l'élève : une copie de l'espace de
//!   travail sans `solutions/`.
//!
//! Lancer : `cargo run -p solutions --bin teacher -- --help`. Voir
//! `solutions/ENSEIGNANT.md`.

mod files;
mod grade;
mod kit;

/// Le correcteur des élèves, le même que celui de `cargo test -p exercises`.
#[path = "../../exercises/tests/grader/mod.rs"]
mod grader;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use course_kit::cli;

/// Commandes de l'enseignant : corriger des copies, fabriquer le kit des élèves.
#[derive(Parser)]
#[command(
    name = "teacher",
    version,
    override_usage = "teacher [OPTIONS] <COMMANDE>",
    after_help = "Exemples :\n  \
                  cargo run -p solutions --bin teacher -- grade copies/ --csv bilan.csv\n  \
                  cargo run -p solutions --bin teacher -- kit ../kit-eleves"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Espace de travail de référence (défaut : celui où la commande est lancée, ou
    /// un de ses parents)
    #[arg(long, global = true, value_name = "DOSSIER")]
    workspace: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Corrige une copie ou une classe (alias : corriger)
    #[command(
        alias = "corriger",
        after_help = "Chaque CHEMIN est le dossier `src` d'un élève, son dossier `exercises`, sa \
                      copie du dépôt,\nou un dossier de classe contenant un sous-dossier par élève."
    )]
    Grade {
        /// Copies à corriger
        #[arg(required = true, value_name = "CHEMIN", help_heading = "Arguments ")]
        paths: Vec<PathBuf>,

        /// Fichier CSV du bilan de la classe (défaut : bilan.csv)
        #[arg(
            long,
            default_value = "bilan.csv",
            hide_default_value = true,
            value_name = "FICHIER"
        )]
        csv: PathBuf,

        /// Dossier de compilation de cargo, partagé entre les élèves (défaut : celui
        /// de l'espace de travail, $CARGO_TARGET_DIR ou target/) : les
        /// dépendances n'y sont compilées qu'une fois ; copies et journaux
        /// vont dans son sous-dossier correction/
        #[arg(long, value_name = "DOSSIER")]
        target_dir: Option<PathBuf>,

        /// Délai maximal de la compilation d'une copie, en secondes (défaut : 600 ;
        /// chaque test a en plus sa propre échéance)
        #[arg(
            long,
            default_value_t = 600,
            hide_default_value = true,
            value_name = "SECONDES"
        )]
        timeout: u64,

        /// Autorise cargo à utiliser le réseau (par défaut : --offline, dépendances
        /// déjà téléchargées)
        #[arg(long)]
        online: bool,
    },
    /// Fabrique le kit des élèves : l'espace de travail sans solutions/
    Kit {
        /// Dossier à créer (il doit ne pas exister, ou être vide)
        #[arg(value_name = "DESTINATION", help_heading = "Arguments ")]
        destination: PathBuf,

        /// Accepte un exercises/src différent des squelettes distribués (sinon la
        /// commande refuse : vous y avez peut-être essayé les solutions)
        #[arg(long)]
        allow_modified: bool,
    },
}

fn main() -> ExitCode {
    let args: Cli = cli::parse();
    cli::finish(run(args))
}

fn run(args: Cli) -> Result<(), String> {
    let workspace = args.workspace.map(Ok).unwrap_or_else(find_workspace)?;
    println!("Espace de travail de référence : {}", workspace.display());
    match args.command {
        Command::Grade {
            paths,
            csv,
            target_dir,
            timeout,
            online,
        } => {
            let options = grade::Options {
                target_dir: target_dir
                    .unwrap_or_else(|| default_target_dir(&workspace)),
                workspace,
                csv,
                timeout: Duration::from_secs(timeout),
                offline: !online,
            };
            grade::run(&paths, &options)
        }
        Command::Kit {
            destination,
            allow_modified,
        } => kit::run(&workspace, &destination, allow_modified),
    }
}

/// L'espace de travail du cours où la commande est lancée : le dossier courant ou un
/// de ses parents, celui qui contient `exercises/` et `solutions/`. (Pas celui où le
/// programme a été compilé : avec un dossier de compilation partagé, ce serait
/// peut-être un autre clone.)
fn find_workspace() -> Result<PathBuf, String> {
    let current = std::env::current_dir()
        .map_err(|err| format!("dossier courant illisible : {err}"))?;
    current
        .ancestors()
        .find(|dir| is_workspace(dir))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "{} n'est pas dans l'espace de travail du cours (exercises/ et solutions/) : \
                 lancez la commande depuis le dépôt, ou donnez --workspace DOSSIER",
                current.display()
            )
        })
}

/// Le dossier de compilation que cargo utiliserait dans `workspace`.
fn default_target_dir(workspace: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // Relatif, il part du dossier courant, comme pour cargo.
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace.join("target"),
    }
}

fn is_workspace(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
        && dir.join("exercises").join("tests").join("grader").is_dir()
        && dir.join("solutions").join("tests").join("hidden").is_dir()
}
