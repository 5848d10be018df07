//! `teacher kit` : le kit des élèves, une copie de l'espace de travail sans `solutions/`.

use std::fs;
use std::path::{Component, Path};

use crate::files;

// ANCHOR: kit
/// Copie l'espace de travail dans `destination`, sans ce qui révèle les solutions.
pub fn run(workspace: &Path, destination: &Path) -> Result<(), String> {
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
    files::copy_dir(workspace, destination, &left_out)?;

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

    let warnings = references_to_solutions(destination)?;
    println!("Kit écrit dans {}.", destination.display());
    println!("Les élèves y lancent : cargo test -p exercises");
    if !warnings.is_empty() {
        println!("\nAttention, ces fichiers semblent inclure du code de solutions/ :");
        for warning in &warnings {
            println!("  {warning}");
        }
        return Err("le kit pourrait révéler des solutions ou ne pas compiler".into());
    }
    Ok(())
}
// ANCHOR_END: kit

/// Ce qui n'entre pas dans le kit : les solutions (et la commande enseignant qu'elles
/// contiennent), l'historique git (il contient les solutions !), les dossiers de compilation,
/// le livre déjà construit et le script d'intégration continue (il teste les solutions).
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
}

/// Retire le bloc `[[package]]` d'un paquet dans un Cargo.lock.
fn without_package(lock: &str, name: &str) -> String {
    let marker = format!("name = \"{name}\"\n");
    lock.split("\n[[package]]\n")
        .filter(|block| !block.starts_with(&marker))
        .collect::<Vec<_>>()
        .join("\n[[package]]\n")
}

/// Les fichiers du kit qui incluent du code de `solutions/` (inclusions du livre, `#[path]`,
/// dépendances) : le kit le révélerait, ou ne compilerait plus.
fn references_to_solutions(kit: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    scan(kit, kit, &mut found)?;
    Ok(found)
}

fn scan(root: &Path, dir: &Path, found: &mut Vec<String>) -> Result<(), String> {
    let entries =
        fs::read_dir(dir).map_err(|err| format!("impossible de lire {} : {err}", dir.display()))?;
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
