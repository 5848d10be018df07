//! `teacher grade` : corriger des copies avec le correcteur des élèves
//! (`exercises/tests/grader/`), les tests visibles ORIGINAUX et les tests cachés.
//!
//! De chaque copie, seul le fichier de chaque exercice (`src/exNN_*.rs`) est repris,
//! dans un paquet cargo à lui seul : les tests, le `Cargo.toml` ou un `build.rs`
//! modifiés par l'élève ne servent à rien, une erreur de compilation ne coûte que son
//! exercice, et un fichier qui inclut un fichier d'ailleurs (`#[path]`, `include!`)
//! est refusé. Le même dossier de compilation sert à toute la classe : les
//! dépendances ne sont compilées qu'une fois.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::files;
use crate::grader::{self, ExerciseResult, Setup, report};

pub struct Options {
    pub workspace: PathBuf,
    pub target_dir: PathBuf,
    pub csv: PathBuf,
    pub timeout: Duration,
    pub offline: bool,
}

/// Une copie trouvée : le nom de l'élève et son dossier `src`, s'il y en a un.
struct Copy {
    name: String,
    src: Option<PathBuf>,
}

/// Le résultat d'une copie.
enum CopyVerdict {
    Graded(Vec<ExerciseResult>),
    /// La copie n'a pas pu être corrigée du tout (aucun fichier d'exercice...) : la
    /// raison.
    NotGraded {
        reason: String,
    },
}

pub fn run(paths: &[PathBuf], options: &Options) -> Result<(), String> {
    let copies = find_copies(paths)?;
    if copies.is_empty() {
        return Err("aucune copie trouvée".into());
    }
    let logs = options.target_dir.join("correction").join("journaux");
    fs::create_dir_all(&logs)
        .map_err(|err| format!("création de {} : {err}", logs.display()))?;
    let setup = Setup {
        reference: options.workspace.clone(),
        hidden: Some(
            options
                .workspace
                .join("solutions")
                .join("tests")
                .join("hidden"),
        ),
        work: options.target_dir.join("correction").join("travail"),
        // Le dossier de compilation de l'espace de travail : les dépendances déjà
        // compilées pour `cargo run -p solutions` ou `cargo test` y sont
        // reprises.
        target_dir: options.target_dir.clone(),
        offline: options.offline,
        build_timeout: options.timeout,
        jobs: 4,
        filter: None,
    };

    let mut results = Vec::new();
    for copy in &copies {
        let verdict = match &copy.src {
            None => CopyVerdict::NotGraded {
                reason: "aucun fichier d'exercice (src/exNN_….rs) dans ce dossier"
                    .into(),
            },
            Some(src) => {
                println!("\n##### {} ({})", copy.name, src.display());
                match grader::grade(src, &setup) {
                    Ok(results) => CopyVerdict::Graded(results),
                    Err(reason) => CopyVerdict::NotGraded { reason },
                }
            }
        };
        let log = logs.join(format!("{}.txt", copy.name));
        print_verdict(&copy.name, &verdict, &log)?;
        results.push((copy.name.clone(), verdict));
    }
    write_csv(&options.csv, &results)?;
    print_class_summary(&results);
    println!("\nBilan de la classe : {}", options.csv.display());
    println!("Journaux complets : {}", logs.display());
    Ok(())
}

// ANCHOR: find_students
/// Reconnaît les copies : un dossier `src`, un dossier `exercises`, une copie du
/// dépôt (même un niveau plus bas, comme dans une archive zip), ou un dossier de
/// classe (un sous-dossier par élève). Un sous-dossier sans exercice garde sa ligne
/// dans le bilan.
fn find_copies(paths: &[PathBuf]) -> Result<Vec<Copy>, String> {
    let mut copies = Vec::new();
    for path in paths {
        if !path.is_dir() {
            return Err(format!("{} n'est pas un dossier", path.display()));
        }
        if let Some(src) = copy_src(path, 0) {
            copies.push(Copy {
                name: student_name(path),
                src: Some(src),
            });
            continue;
        }
        // Un dossier de classe : chaque sous-dossier est un élève.
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|err| format!("impossible de lire {} : {err}", path.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|entry| entry.is_dir())
            .collect();
        entries.sort();
        for entry in entries {
            copies.push(Copy {
                name: student_name(&entry),
                src: copy_src(&entry, 2),
            });
        }
    }
    Ok(copies)
}
// ANCHOR_END: find_students

/// Le dossier `src` d'une copie : `path` lui-même, `path/src`, `path/exercises/src`,
/// ou la même chose dans un sous-dossier unique (jusqu'à `deeper` niveaux plus bas).
fn copy_src(path: &Path, deeper: usize) -> Option<PathBuf> {
    let found = [
        path.to_path_buf(),
        path.join("exercises").join("src"),
        path.join("src"),
    ]
    .into_iter()
    .find(|candidate| has_exercise(candidate));
    if found.is_some() || deeper == 0 {
        return found;
    }
    let mut subdirs = fs::read_dir(path)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|entry| {
            entry.is_dir() && !entry.ends_with("target") && !entry.ends_with(".git")
        });
    let only = subdirs.next()?;
    match subdirs.next() {
        None => copy_src(&only, deeper - 1),
        Some(_) => None,
    }
}

fn has_exercise(dir: &Path) -> bool {
    grader::EXERCISES
        .iter()
        .any(|exercise| dir.join(format!("{}.rs", exercise.module)).is_file())
}

/// Le nom de l'élève : le dossier donné, en remontant `src` et `exercises`.
fn student_name(path: &Path) -> String {
    let mut path = path.to_path_buf();
    if let Ok(canonical) = path.canonicalize() {
        path = canonical;
    }
    while path
        .file_name()
        .is_some_and(|name| name == "src" || name == "exercises")
    {
        path.pop();
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "eleve".to_string());
    // Un nom sûr pour un fichier de journal et une cellule CSV.
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Affiche le tableau d'une copie et écrit son journal (le détail de chaque échec).
fn print_verdict(
    name: &str,
    verdict: &CopyVerdict,
    log: &Path,
) -> Result<(), String> {
    let text = match verdict {
        CopyVerdict::Graded(results) => {
            let table = report::table(results);
            print!("{table}");
            format!("{}\n{table}", report::failures(results))
        }
        CopyVerdict::NotGraded { reason } => {
            println!("\n##### {name}\n❌ non corrigé : {reason}");
            format!("non corrigé : {reason}\n")
        }
    };
    files::write(log, &text)
}

fn score(verdict: &CopyVerdict) -> (usize, f64) {
    match verdict {
        CopyVerdict::Graded(results) => report::grade(results),
        CopyVerdict::NotGraded { .. } => (0, 0.0),
    }
}

// ANCHOR: write_csv
/// Le bilan de la classe pour un tableur : UTF-8 avec BOM (sinon Excel lit
/// « corrigÃ© »), `;` entre les cellules et virgule décimale (tableur français), et
/// chaque score écrit « 9 sur 9 » (un tableur lit `9/9` comme une date). Une ligne
/// par copie trouvée, corrigée ou non.
fn write_csv(path: &Path, results: &[(String, CopyVerdict)]) -> Result<(), String> {
    let ids: Vec<&str> = grader::EXERCISES.iter().map(|e| e.id).collect();
    let mut csv = format!(
        "\u{FEFF}eleve;etat;{};exercices_reussis;note_sur_20;remarques\n",
        ids.join(";")
    );
    for (name, verdict) in results {
        let (state, cells, remarks) = match verdict {
            CopyVerdict::Graded(results) => (
                "corrigé",
                grader::EXERCISES
                    .iter()
                    .map(|exercise| {
                        results
                            .iter()
                            .find(|result| result.exercise.id == exercise.id)
                            .map(csv_cell)
                            .unwrap_or_default()
                    })
                    .collect(),
                results
                    .iter()
                    .filter_map(ExerciseResult::alert)
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
            CopyVerdict::NotGraded { reason } => (
                "non corrigé",
                vec![String::new(); ids.len()],
                reason.clone(),
            ),
        };
        let (solved, grade) = score(verdict);
        csv.push_str(&format!(
            "{};{state};{};{solved};{};{}\n",
            csv_text(name),
            cells.join(";"),
            report::french_number(grade),
            csv_text(&remarks)
        ));
    }
    files::write(path, &csv)
}
// ANCHOR_END: write_csv

fn csv_cell(result: &ExerciseResult) -> String {
    match &result.verdict {
        grader::Verdict::Graded { .. } => {
            let (passed, total) = result.score();
            format!("{passed} sur {total}")
        }
        _ => report::cell(result),
    }
}

/// Une cellule de texte : entre guillemets si elle contient un `;`, un guillemet ou
/// une ligne.
fn csv_text(text: &str) -> String {
    if text.contains([';', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\"").replace('\n', " "))
    } else {
        text.to_string()
    }
}

fn print_class_summary(results: &[(String, CopyVerdict)]) {
    println!("\n===== Bilan de la classe =====");
    let width = results
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!("{:<width$}  {:>9}  {:>7}", "Élève", "Exercices", "Note");
    for (name, verdict) in results {
        let (solved, grade) = score(verdict);
        let exercises = format!("{solved}/{}", grader::EXERCISES.len());
        let grade = format!("{}/20", report::french_number(grade));
        let note = match verdict {
            CopyVerdict::NotGraded { reason } => format!("  non corrigé : {reason}"),
            CopyVerdict::Graded(results)
                if results.iter().any(|r| r.alert().is_some()) =>
            {
                "  ⚠ voir les remarques".to_string()
            }
            CopyVerdict::Graded(_) => String::new(),
        };
        println!("{name:<width$}  {exercises:>9}  {grade:>7}{note}");
    }
}
