//! Les tests des exercices, lancés contre les solutions de référence : les tests
//! VISIBLES des élèves (`exercises/tests/`) et les tests CACHÉS de l'enseignant
//! (`hidden/`), avec le correcteur même des élèves (`exercises/tests/grader/`, inclus
//! par son chemin) : chaque solution compilée à part, chaque test dans son propre
//! processus.
//!
//! `teacher grade` fait la même chose avec le dossier `src` de chaque élève.

#[path = "../../exercises/tests/grader/mod.rs"]
mod grader;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let setup = grader::Setup {
        reference: package.parent().unwrap_or(package).to_path_buf(),
        hidden: Some(package.join("tests").join("hidden")),
        work: tmp.join("notation").join("solutions"),
        target_dir: grader::build::outer_target_dir(tmp),
        offline: true,
        build_timeout: Duration::from_secs(1800),
        jobs: grader::cli::jobs(),
        filter: grader::cli::filter(),
    };
    grader::cli::run(&package.join("src"), &setup, "solutions/src")
}
