//! Le programme de test des exercices : `cargo test -p exercises` (ou `... ex03` pour
//! un seul).
//!
//! Il ne contient aucun test lui-même : c'est le correcteur (`grader/`). Il compile
//! CHAQUE exercice de `src/` à part, avec ses tests (`exNN_*.rs` de ce dossier), dans
//! `target/tmp/notation/` (compilé dans `target/`, avec les dépendances déjà
//! compilées pour `cargo test`), puis lance chaque test dans son propre processus.
//! Ainsi une erreur de compilation, un dépassement de pile ou une boucle sans fin
//! dans un exercice ne coûte que cet exercice : le bilan et la note s'affichent
//! toujours à la fin.
//!
//! L'enseignant note avec le même correcteur, plus des tests cachés.

mod grader;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let setup = grader::Setup {
        reference: package.parent().unwrap_or(package).to_path_buf(),
        hidden: None,
        work: tmp.join("notation").join("exercices"),
        target_dir: grader::build::outer_target_dir(tmp),
        offline: true,
        build_timeout: Duration::from_secs(1800),
        jobs: grader::cli::jobs(),
        filter: grader::cli::filter(),
    };
    grader::cli::run(&package.join("src"), &setup, "votre copie")
}
