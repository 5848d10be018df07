//! Copies de dossiers et retouches des fichiers de l'espace de travail.

use std::fs;
use std::path::Path;

/// Copie récursivement `from` dans `to` (créé au besoin), sauf les entrées pour
/// lesquelles `skip(chemin relatif)` est vrai. Les liens symboliques sont ignorés :
/// une copie d'élève ne doit pas pouvoir pointer ailleurs sur la machine de
/// l'enseignant.
pub fn copy_dir(
    from: &Path,
    to: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<(), String> {
    copy_dir_inner(from, to, Path::new(""), skip)
}

fn copy_dir_inner(
    from: &Path,
    to: &Path,
    relative: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<(), String> {
    fs::create_dir_all(to)
        .map_err(|err| format!("impossible de créer {} : {err}", to.display()))?;
    let entries = fs::read_dir(from)
        .map_err(|err| format!("impossible de lire {} : {err}", from.display()))?;
    for entry in entries {
        let entry =
            entry.map_err(|err| format!("lecture de {} : {err}", from.display()))?;
        let relative = relative.join(entry.file_name());
        if skip(&relative) {
            continue;
        }
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = fs::symlink_metadata(&source)
            .map_err(|err| format!("lecture de {} : {err}", source.display()))?
            .file_type();
        if kind.is_dir() {
            copy_dir_inner(&source, &target, &relative, skip)?;
        } else if kind.is_file() {
            fs::copy(&source, &target).map_err(|err| {
                format!(
                    "copie de {} vers {} : {err}",
                    source.display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

pub fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path)
        .map_err(|err| format!("impossible de lire {} : {err}", path.display()))
}

pub fn write(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|err| {
            format!("impossible de créer {} : {err}", parent.display())
        })?;
    }
    fs::write(path, contents)
        .map_err(|err| format!("impossible d'écrire {} : {err}", path.display()))
}

/// Comment modifier une liste de membres : `(clé, membres) -> nouvelle liste`
/// (`None` : la ligne est supprimée).
pub type MembersEdit<'a> = &'a dyn Fn(&str, Vec<String>) -> Option<Vec<String>>;

/// Réécrit les listes `members = [...]` et `default-members = [...]` du Cargo.toml
/// racine. `edit(clé, membres)` rend la nouvelle liste, ou `None` pour supprimer la
/// ligne.
pub fn rewrite_members(
    manifest: &str,
    edit: MembersEdit<'_>,
) -> Result<String, String> {
    let mut output = String::new();
    let mut found = false;
    for line in manifest.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if key == "members" || key == "default-members" {
            let list = line
                .split_once('=')
                .map(|(_, value)| value.trim())
                .unwrap_or("");
            let inner = list
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or_else(|| {
                    format!("Cargo.toml : la liste `{key}` doit tenir sur une ligne, entre [ et ]")
                })?;
            let members = inner
                .split(',')
                .map(|item| item.trim().trim_matches('"').to_string())
                .filter(|item| !item.is_empty())
                .collect();
            found |= key == "members";
            if let Some(members) = edit(key, members) {
                let quoted: Vec<String> =
                    members.iter().map(|m| format!("\"{m}\"")).collect();
                output.push_str(&format!("{key} = [{}]\n", quoted.join(", ")));
            }
        } else {
            output.push_str(line);
            output.push('\n');
        }
    }
    if !found {
        return Err(
            "Cargo.toml : pas de liste `members` dans [workspace]".to_string()
        );
    }
    Ok(output)
}
