//! Le programme de notation tel que le lance `cargo test` : les arguments habituels
//! (`cargo test -p exercises ex03`, `-- --test-threads 2`), l'affichage et le code de
//! sortie.

use std::path::Path;
use std::process::ExitCode;

use super::{Setup, grade, report};

/// Le filtre : le premier argument qui n'est pas une option
/// (`cargo test -p exercises ex03`).
pub fn filter() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--test-threads" {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

/// Les tests attendent surtout le réseau : 4 à la fois, sauf `--test-threads N`.
pub fn jobs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|pair| pair[0] == "--test-threads")
        .and_then(|pair| pair[1].parse().ok())
        .unwrap_or(4)
}

/// Corrige `src`, affiche le détail des échecs puis le bilan ; réussit si tout passe.
pub fn run(src: &Path, setup: &Setup, what: &str) -> ExitCode {
    if std::env::args().any(|arg| arg == "--list") {
        // `cargo test -- --list` : rien à lister ici, les tests sont dans les
        // exercices.
        return ExitCode::SUCCESS;
    }
    println!("\nCompilation de chaque exercice de {what}, à part…");
    let results = match grade(src, setup) {
        Ok(results) => results,
        Err(message) => {
            eprintln!("La correction n'a pas pu se faire : {message}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report::failures(&results));
    let (passed, total) = results.iter().fold((0, 0), |(p, t), result| {
        let (passed, total) = result.score();
        (p + passed, t + total)
    });
    let all = results.iter().all(report::solved);
    println!(
        "\nRésultat : {}. {passed} tests réussis sur {total} lancés.",
        if all { "tout est réussi" } else { "ÉCHEC" }
    );
    println!("{}", report::table(&results));
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
