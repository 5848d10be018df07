//! `teacher kit` : le kit des élèves, une copie de l'espace de travail sans
//! `solutions/`.
//!
//! Le kit ne doit parler que de ce qu'il contient : les passages des pages `.md`
//! réservés aux enseignants sont entre `<!-- kit:enseignant -->` et
//! `<!-- /kit:enseignant -->`, et le kit les retire ; la page « Pour les
//! enseignants » du livre n'y est pas.

use std::fs;
use std::path::{Component, Path};
use std::process::Command;

use crate::{files, grader};

/// Début et fin d'un passage réservé aux enseignants, dans un fichier `.md`.
const TEACHER_START: &str = "<!-- kit:enseignant -->";
const TEACHER_END: &str = "<!-- /kit:enseignant -->";

/// Ce qui ne doit plus être nommé nulle part dans le kit : ce sont des fichiers ou
/// des commandes qui n'y sont pas.
const ABSENT: [&str; 7] = [
    "solutions/",
    "-p solutions",
    "--bin teacher",
    ".ci/",
    "check-stubs",
    "ENSEIGNANT.md",
    "enseignants.md",
];

// ANCHOR: kit
/// Copie l'espace de travail dans `destination`, sans ce qui révèle les solutions.
pub fn run(
    workspace: &Path,
    destination: &Path,
    allow_modified: bool,
) -> Result<(), String> {
    if destination.exists()
        && fs::read_dir(destination)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{} existe déjà et n'est pas vide : choisissez un nouveau dossier",
            destination.display()
        ));
    }
    if !workspace
        .join("exercises")
        .join("src")
        .join("lib.rs")
        .is_file()
    {
        return Err(format!(
            "{} n'est pas l'espace de travail du cours (exercises/src/lib.rs manque)",
            workspace.display()
        ));
    }
    if !allow_modified {
        check_stubs(workspace)?;
    }
    files::copy_dir(workspace, destination, &left_out)?;
    strip_teacher_passages(destination)?;

    // Le Cargo.toml racine ne doit plus mentionner le paquet `solutions`.
    let manifest = files::read(&workspace.join("Cargo.toml"))?;
    let manifest = files::rewrite_members(&manifest, &|_, members| {
        Some(
            members
                .into_iter()
                .filter(|member| member != "solutions")
                .collect(),
        )
    })?;
    files::write(&destination.join("Cargo.toml"), &manifest)?;
    let lock = workspace.join("Cargo.lock");
    if lock.is_file() {
        let lock = files::read(&lock)?;
        files::write(
            &destination.join("Cargo.lock"),
            &without_package(&lock, "solutions"),
        )?;
    }

    let mut warnings = references_to_solutions(destination)?;
    warnings.extend(dangling_references(destination, destination)?);
    println!("Kit écrit dans {}.", destination.display());
    println!("Les élèves y lancent : cargo test -p exercises");
    if !warnings.is_empty() {
        println!(
            "\nAttention, ces fichiers incluent du code de solutions/ ou nomment ce qui n'est pas dans le kit :"
        );
        for warning in &warnings {
            println!("  {warning}");
        }
        return Err("le kit pourrait révéler des solutions ou ne pas compiler".into());
    }
    Ok(())
}
// ANCHOR_END: kit

/// Ce qui n'entre pas dans le kit : les solutions (et la commande enseignant qu'elles
/// contiennent), l'historique git (il contient les solutions !), les dossiers de
/// compilation, le livre déjà construit et le script d'intégration continue (il teste
/// les solutions).
fn left_out(relative: &Path) -> bool {
    let mut components = relative.components();
    let Some(Component::Normal(first)) = components.next() else {
        return false;
    };
    let first = first.to_string_lossy();
    let top_level = components.next().is_none();
    first == "solutions"
        || first == ".git"
        || first == ".ci"
        || (top_level && first.starts_with("target"))
        || relative == Path::new("book").join("book")
        || relative == Path::new("book").join("src").join("enseignants.md")
}

/// Refuse un `exercises/src` qui n'est pas celui distribué : des fichiers modifiés
/// selon git, un exercice sans son `todo!`, ou identique à sa solution (l'enseignant
/// y a essayé les solutions, le kit les donnerait aux élèves).
fn check_stubs(workspace: &Path) -> Result<(), String> {
    let src = workspace.join("exercises").join("src");
    let mut problems = Vec::new();
    if workspace.join(".git").exists() {
        match Command::new("git")
            .arg("-C")
            .arg(workspace)
            .args(["status", "--porcelain", "--", "exercises/src"])
            .output()
        {
            Ok(output) if output.status.success() => {
                let changed = String::from_utf8_lossy(&output.stdout);
                problems.extend(changed.lines().map(|line| {
                    format!("modifié depuis le dernier commit : {}", line.trim())
                }));
            }
            _ => {}
        }
    }
    for exercise in &grader::EXERCISES {
        let file = format!("{}.rs", exercise.module);
        let stub = files::read(&src.join(&file))?;
        let solution =
            fs::read_to_string(workspace.join("solutions").join("src").join(&file))
                .unwrap_or_default();
        if stub == solution {
            problems.push(format!("exercises/src/{file} est la solution"));
        } else if !stub.contains("todo!") {
            problems.push(format!(
                "exercises/src/{file} n'a plus son todo! : est-ce un squelette ?"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "exercises/src n'est pas le squelette distribué :\n  {}\nRemettez-le (git checkout -- exercises/src), \
         ou relancez avec --allow-modified si c'est voulu.",
        problems.join("\n  ")
    ))
}

/// Retire des fichiers `.md` du kit les passages réservés aux enseignants.
fn strip_teacher_passages(dir: &Path) -> Result<(), String> {
    for entry in fs::read_dir(dir)
        .map_err(|err| format!("impossible de lire {} : {err}", dir.display()))?
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            strip_teacher_passages(&path)?;
        } else if path.extension().is_some_and(|ext| ext == "md") {
            let text = files::read(&path)?;
            if text.contains(TEACHER_START) {
                files::write(&path, &without_teacher_passages(&text))?;
            }
        }
    }
    Ok(())
}

fn without_teacher_passages(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim() == TEACHER_START {
            inside = true;
        } else if line.trim() == TEACHER_END {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Les lignes du kit qui nomment un fichier ou une commande absente du kit.
fn dangling_references(root: &Path, dir: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)
        .map_err(|err| format!("impossible de lire {} : {err}", dir.display()))?
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            found.extend(dangling_references(root, &path)?);
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            if let Some(name) = ABSENT.iter().find(|name| line.contains(*name)) {
                let shown = path.strip_prefix(root).unwrap_or(&path).display();
                found.push(format!(
                    "{shown}:{} nomme {name}, absent du kit",
                    number + 1
                ));
            }
        }
    }
    Ok(found)
}

/// Retire le bloc `[[package]]` d'un paquet dans un Cargo.lock.
fn without_package(lock: &str, name: &str) -> String {
    let marker = format!("name = \"{name}\"\n");
    lock.split("\n[[package]]\n")
        .filter(|block| !block.starts_with(&marker))
        .collect::<Vec<_>>()
        .join("\n[[package]]\n")
}

/// Les fichiers du kit qui incluent du code de `solutions/` (inclusions du livre,
/// `#[path]`, dépendances) : le kit le révélerait, ou ne compilerait plus.
fn references_to_solutions(kit: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    scan(kit, kit, &mut found)?;
    Ok(found)
}

fn scan(root: &Path, dir: &Path, found: &mut Vec<String>) -> Result<(), String> {
    let entries = fs::read_dir(dir)
        .map_err(|err| format!("impossible de lire {} : {err}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan(root, &path, found)?;
            continue;
        }
        let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or("");
        if !matches!(extension, "rs" | "md" | "toml") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            let includes = line.contains("{{#include")
                || line.contains("{{#rustdoc_include")
                || line.contains("#[path")
                || line.contains("include!")
                || line.contains("path =");
            if includes && line.contains("solutions") {
                let shown = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                found.push(format!("{shown}:{} : {}", number + 1, line.trim()));
            }
        }
    }
    Ok(())
}
