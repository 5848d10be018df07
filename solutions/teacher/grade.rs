//! `teacher grade` : corriger des copies dans une copie neuve de l'espace de travail.
//!
//! L'espace de correction (dans le dossier de compilation) contient :
//! - le `Cargo.toml` racine et le `Cargo.lock` de référence (membres : `exercises`, `grader`) ;
//! - `exercises/` : le `Cargo.toml` et les tests ORIGINAUX, et le `src/` de l'élève ;
//! - `grader/` : un paquet de test qui compile `solutions/tests/grade.rs` (tests visibles +
//!   cachés) contre le crate `exercises` de l'élève, sous le nom `solutions`.
//!
//! Les tests modifiés par l'élève ne sont donc jamais compilés. Le même dossier sert à tous les
//! élèves : seul `exercises/src` change, la compilation des dépendances est faite une fois.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::files;

/// Variable d'environnement où le banc de correction écrit son bilan (voir
/// `exercises/tests/common/harness.rs`).
const SUMMARY_ENV: &str = "EXERCICES_BILAN";

pub struct Options {
    pub workspace: PathBuf,
    pub target_dir: PathBuf,
    pub csv: PathBuf,
    pub timeout: Duration,
    pub offline: bool,
}

/// Une copie à corriger : le nom de l'élève et son dossier `src`.
struct Student {
    name: String,
    src: PathBuf,
}

/// Le résultat d'un exercice.
struct Row {
    id: String,
    passed: u32,
    total: u32,
    /// Le programme de test est mort pendant cet exercice (abort, process::exit...).
    crashed: bool,
}

/// Le résultat d'un élève.
enum Verdict {
    /// Une ligne par exercice.
    Graded(Vec<Row>),
    /// La copie ne compile pas, ou le programme de test s'est arrêté avant son bilan.
    Failed(String),
}

pub fn run(paths: &[PathBuf], options: &Options) -> Result<(), String> {
    let students = find_students(paths)?;
    if students.is_empty() {
        return Err("aucune copie trouvée (un dossier contenant lib.rs était attendu)".into());
    }
    let exercise_ids = exercise_ids(&options.workspace)?;
    let space = options.target_dir.join("espace-de-correction");
    prepare_space(&options.workspace, &space)?;
    let logs = options.target_dir.join("journaux");
    fs::create_dir_all(&logs).map_err(|err| format!("création de {} : {err}", logs.display()))?;

    let mut results = Vec::new();
    for student in &students {
        println!("\n##### {} ({})", student.name, student.src.display());
        let log = logs.join(format!("{}.txt", student.name));
        let verdict = grade_one(student, &space, &log, &exercise_ids, options)?;
        print_verdict(&verdict, &log, &exercise_ids);
        results.push((student.name.clone(), verdict));
    }
    write_csv(&options.csv, &exercise_ids, &results)?;
    print_class_summary(&results, &exercise_ids);
    println!("\nBilan de la classe : {}", options.csv.display());
    println!("Journaux complets : {}", logs.display());
    Ok(())
}

// ANCHOR: find_students
/// Reconnaît les copies : un dossier `src` (avec `lib.rs`), un dossier `exercises`, une copie
/// du dépôt, ou un dossier de classe (un sous-dossier par élève).
fn find_students(paths: &[PathBuf]) -> Result<Vec<Student>, String> {
    let mut students = Vec::new();
    for path in paths {
        if !path.is_dir() {
            return Err(format!("{} n'est pas un dossier", path.display()));
        }
        if let Some(src) = student_src(path) {
            students.push(Student {
                name: student_name(path),
                src,
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
            match student_src(&entry) {
                Some(src) => students.push(Student {
                    name: student_name(&entry),
                    src,
                }),
                None => eprintln!(
                    "Attention : pas de lib.rs dans {}, ignoré.",
                    entry.display()
                ),
            }
        }
    }
    Ok(students)
}
// ANCHOR_END: find_students

fn student_src(path: &Path) -> Option<PathBuf> {
    [
        path.to_path_buf(),
        path.join("src"),
        path.join("exercises").join("src"),
    ]
    .into_iter()
    .find(|candidate| candidate.join("lib.rs").is_file())
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

/// Les identifiants des exercices, lus dans `exercises/src/lib.rs` (`pub mod ex01_...`).
fn exercise_ids(workspace: &Path) -> Result<Vec<String>, String> {
    let lib = files::read(&workspace.join("exercises").join("src").join("lib.rs"))?;
    let ids: Vec<String> = lib
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .filter_map(|module| module.get(..4))
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return Err("aucun exercice déclaré dans exercises/src/lib.rs".into());
    }
    Ok(ids)
}

// ANCHOR: prepare_space
/// Construit l'espace de correction à partir de l'espace de travail de référence.
fn prepare_space(workspace: &Path, space: &Path) -> Result<(), String> {
    files::remove_dir(space)?;
    let manifest = files::read(&workspace.join("Cargo.toml"))?;
    let manifest = files::rewrite_members(&manifest, &|key, _| {
        (key == "members").then(|| vec!["exercises".to_string(), "grader".to_string()])
    })?;
    files::write(&space.join("Cargo.toml"), &manifest)?;
    let lock = workspace.join("Cargo.lock");
    if lock.is_file() {
        fs::copy(&lock, space.join("Cargo.lock"))
            .map_err(|err| format!("copie de Cargo.lock : {err}"))?;
    }
    // Les tests ORIGINAUX des élèves, jamais ceux de la copie.
    let exercises = workspace.join("exercises");
    fs::create_dir_all(space.join("exercises"))
        .map_err(|err| format!("création de l'espace de correction : {err}"))?;
    fs::copy(
        exercises.join("Cargo.toml"),
        space.join("exercises").join("Cargo.toml"),
    )
    .map_err(|err| format!("copie de exercises/Cargo.toml : {err}"))?;
    files::copy_dir(
        &exercises.join("tests"),
        &space.join("exercises").join("tests"),
        &|_| false,
    )?;
    // Le paquet de correction : le programme de test des solutions, tests cachés compris.
    let solutions_tests = workspace.join("solutions").join("tests");
    let grader = space.join("grader");
    files::copy_dir(
        &solutions_tests.join("hidden"),
        &grader.join("tests").join("hidden"),
        &|_| false,
    )?;
    fs::copy(
        solutions_tests.join("grade.rs"),
        grader.join("tests").join("grade.rs"),
    )
    .map_err(|err| format!("copie de solutions/tests/grade.rs : {err}"))?;
    files::write(&grader.join("Cargo.toml"), GRADER_MANIFEST)?;
    files::write(
        &grader.join("src").join("lib.rs"),
        "//! Paquet de correction : tout est dans tests/grade.rs.\n",
    )?;
    Ok(())
}
// ANCHOR_END: prepare_space

/// Le paquet `grader` : `solutions/tests/grade.rs` dit `extern crate solutions as exercises`,
/// on lui donne donc le crate de l'élève sous le nom `solutions`. Les tests (visibles et
/// cachés) peuvent utiliser les mêmes bibliothèques que les exercices : socket2, mio,
/// crossbeam-channel (et libtest-mimic pour le banc de correction).
const GRADER_MANIFEST: &str = r#"[package]
name = "grader"
version = "0.1.0"
edition.workspace = true
publish = false
autotests = false

[dependencies]
solutions = { path = "../exercises", package = "exercises" }
socket2.workspace = true
mio.workspace = true
crossbeam-channel.workspace = true

[dev-dependencies]
libtest-mimic.workspace = true

[[test]]
name = "grade"
path = "tests/grade.rs"
harness = false
"#;

// ANCHOR: grade_one
/// Met le `src` de l'élève dans l'espace de correction, compile et lance les tests.
fn grade_one(
    student: &Student,
    space: &Path,
    log: &Path,
    ids: &[String],
    options: &Options,
) -> Result<Verdict, String> {
    let src = space.join("exercises").join("src");
    files::remove_dir(&src)?;
    files::copy_dir(&student.src, &src, &|_| false)?;
    let _ = fs::remove_file(log);

    let verdict = match run_tests(space, log, None, options)? {
        Run::TimedOut => Verdict::Failed(format!(
            "délai dépassé ({} s) : compilation ou tests trop longs",
            options.timeout.as_secs()
        )),
        Run::Finished(Some(rows)) => Verdict::Graded(rows),
        Run::Finished(None) => {
            let excerpt = failure_excerpt(log);
            if excerpt.starts_with("la copie ne compile pas") {
                Verdict::Failed(excerpt)
            } else {
                // Le programme de test est mort avant son bilan (abort, dépassement de pile,
                // process::exit...) : on relance exercice par exercice, pour que seul
                // l'exercice fautif compte zéro.
                Verdict::Graded(one_by_one(space, log, ids, options)?)
            }
        }
    };
    Ok(verdict)
}
// ANCHOR_END: grade_one

fn one_by_one(
    space: &Path,
    log: &Path,
    ids: &[String],
    options: &Options,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for id in ids {
        match run_tests(space, log, Some(id), options)? {
            Run::Finished(Some(mut found)) => rows.append(&mut found),
            Run::Finished(None) | Run::TimedOut => rows.push(Row {
                id: id.clone(),
                passed: 0,
                total: 0,
                crashed: true,
            }),
        }
    }
    Ok(rows)
}

/// Le résultat d'un `cargo test` : le bilan s'il a été écrit.
enum Run {
    Finished(Option<Vec<Row>>),
    TimedOut,
}

/// Lance `cargo test` dans l'espace de correction (un seul exercice si `exercise` est donné)
/// et ajoute sa sortie au journal.
fn run_tests(
    space: &Path,
    log: &Path,
    exercise: Option<&str>,
    options: &Options,
) -> Result<Run, String> {
    // Un nom que le code de l'élève ne peut pas deviner d'avance.
    let summary = options
        .target_dir
        .join(format!("bilan-{:016x}.tsv", rand_seed()));
    let _ = fs::remove_file(&summary);
    let log_file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|err| format!("ouverture de {} : {err}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|err| format!("journal {} : {err}", log.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["test", "-p", "grader", "--test", "grade"])
        .current_dir(space)
        .env("CARGO_TARGET_DIR", options.target_dir.join("build"))
        .env(SUMMARY_ENV, &summary)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
    if options.offline {
        command.arg("--offline");
    }
    command.args(["--", "--color", "never"]);
    if let Some(id) = exercise {
        command.arg(format!("{id}::"));
    }
    let mut child = command
        .spawn()
        .map_err(|err| format!("impossible de lancer cargo : {err}"))?;

    // Le banc de correction borne chaque test ; ce délai-ci couvre la compilation.
    let start = Instant::now();
    let run = loop {
        match child.try_wait() {
            Ok(Some(_)) => {
                break Run::Finished(
                    fs::read_to_string(&summary)
                        .ok()
                        .map(|tsv| parse_summary(&tsv)),
                );
            }
            Ok(None) if start.elapsed() > options.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Run::TimedOut;
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(err) => return Err(format!("attente de cargo : {err}")),
        }
    };
    let _ = fs::remove_file(&summary);
    Ok(run)
}

/// Un peu d'aléa sans dépendance : l'adresse d'une variable locale et l'heure.
fn rand_seed() -> u64 {
    let local = 0u8;
    let address = &local as *const u8 as u64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0);
    address ^ now
}

fn parse_summary(tsv: &str) -> Vec<Row> {
    tsv.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some(Row {
                id: fields.next()?.to_string(),
                passed: fields.next()?.parse().ok()?,
                total: fields.next()?.parse().ok()?,
                crashed: false,
            })
        })
        .collect()
}

/// Les premières erreurs de compilation du journal, ou sa fin si le programme de test est mort.
fn failure_excerpt(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    if text.contains("could not compile") {
        let errors: Vec<&str> = text
            .lines()
            .skip_while(|line| !line.starts_with("error"))
            .take(15)
            .collect();
        return format!("la copie ne compile pas :\n{}", errors.join("\n"));
    }
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!(
        "le programme de test s'est arrêté avant le bilan :\n{}",
        tail.join("\n")
    )
}

fn print_verdict(verdict: &Verdict, log: &Path, ids: &[String]) {
    match verdict {
        Verdict::Graded(rows) => {
            let text = fs::read_to_string(log).unwrap_or_default();
            let crashed: Vec<&str> = rows
                .iter()
                .filter(|row| row.crashed)
                .map(|row| row.id.as_str())
                .collect();
            if !crashed.is_empty() {
                println!(
                    "⚠ le programme de test s'est arrêté net pendant : {} (0 pour ces exercices)",
                    crashed.join(", ")
                );
            }
            let failed: Vec<&str> = text
                .lines()
                .filter(|line| line.starts_with("test ") && line.ends_with("FAILED"))
                .filter_map(|line| line.split_whitespace().nth(1))
                .collect();
            // Quelques noms aident à lire la copie ; au-delà, le tableau et le journal suffisent.
            match failed.len() {
                0 => {}
                1..=12 => println!("Tests échoués : {}", failed.join(", ")),
                count => println!("{count} tests échoués (le détail est dans le journal)."),
            }
            println!("{:<6}{:>9}", "Ex.", "Tests");
            for row in rows {
                let tests = match row.crashed {
                    true => "plantage".to_string(),
                    false => format!("{}/{}", row.passed, row.total),
                };
                let mark = if !row.crashed && row.passed == row.total {
                    "✅"
                } else {
                    "❌"
                };
                println!("{:<6}{tests:>9}  {mark}", row.id);
            }
        }
        Verdict::Failed(reason) => println!("❌ {reason}\n(journal : {})", log.display()),
    }
    let (solved, grade) = score(verdict, ids);
    println!(
        "Exercices réussis : {solved}/{} — note : {}/20",
        ids.len(),
        french_number(grade)
    );
}

/// (exercices réussis, note sur 20) ; un exercice absent compte 0.
fn score(verdict: &Verdict, ids: &[String]) -> (usize, f64) {
    let Verdict::Graded(rows) = verdict else {
        return (0, 0.0);
    };
    let mut solved = 0;
    let mut points = 0.0;
    for id in ids {
        if let Some(row) = rows.iter().find(|row| &row.id == id && row.total > 0) {
            if row.passed == row.total {
                solved += 1;
            }
            points += f64::from(row.passed) / f64::from(row.total);
        }
    }
    (solved, 20.0 * points / ids.len() as f64)
}

fn french_number(value: f64) -> String {
    format!("{value:.1}").replace('.', ",")
}

// ANCHOR: write_csv
/// Le bilan de la classe, séparé par des `;` (le tableur français attend la virgule décimale).
fn write_csv(path: &Path, ids: &[String], results: &[(String, Verdict)]) -> Result<(), String> {
    let mut csv = format!(
        "eleve;etat;{};exercices_reussis;note_sur_20\n",
        ids.join(";")
    );
    for (name, verdict) in results {
        let (state, cells): (&str, Vec<String>) = match verdict {
            Verdict::Graded(rows) => (
                "corrigé",
                ids.iter()
                    .map(|id| match rows.iter().find(|row| &row.id == id) {
                        Some(row) if row.crashed => "plantage".to_string(),
                        Some(row) => format!("{}/{}", row.passed, row.total),
                        None => String::new(),
                    })
                    .collect(),
            ),
            Verdict::Failed(reason) if reason.starts_with("la copie ne compile pas") => {
                ("ne compile pas", vec![String::new(); ids.len()])
            }
            Verdict::Failed(_) => ("erreur", vec![String::new(); ids.len()]),
        };
        let (solved, grade) = score(verdict, ids);
        csv.push_str(&format!(
            "{name};{state};{};{solved};{}\n",
            cells.join(";"),
            french_number(grade)
        ));
    }
    files::write(path, &csv)
}
// ANCHOR_END: write_csv

fn print_class_summary(results: &[(String, Verdict)], ids: &[String]) {
    println!("\n===== Bilan de la classe =====");
    let width = results
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!("{:<width$}  {:>9}  {:>7}", "Élève", "Exercices", "Note");
    for (name, verdict) in results {
        let (solved, grade) = score(verdict, ids);
        let exercises = format!("{solved}/{}", ids.len());
        let grade = format!("{}/20", french_number(grade));
        println!("{name:<width$}  {exercises:>9}  {grade:>7}");
    }
}
