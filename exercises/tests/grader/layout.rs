//! Le dossier de travail : un paquet cargo par exercice, où seul le code de l'élève
//! pour CET exercice est copié.
//!
//! ```text
//! travail/Cargo.toml                 espace de travail : un membre par exercice présent
//! travail/Cargo.lock                 celui de la référence (mêmes versions, hors ligne)
//! travail/ex01/src/lib.rs            écrit ici : #![forbid(unsafe_code)] pub mod ex01_write_all;
//! travail/ex01/src/ex01_write_all.rs le fichier de l'élève (et son dossier ex01_write_all/)
//! travail/ex01/tests/notation.rs     écrit ici : les tests ORIGINAUX, par leur chemin absolu
//! ```
//!
//! Le fichier de l'élève ne peut donc nommer, par un module, que ses propres
//! sous-modules. Ce qui nommerait un fichier quelconque (`#[path = "..."]`,
//! `include!`, `include_str!`, `include_bytes!`) est refusé avant la compilation, et
//! `unsafe` est interdit (pas de code qui s'exécute avant le correcteur, pas d'accès
//! à sa mémoire).

use std::fs;
use std::path::{Path, PathBuf};

use super::{Exercise, Setup, Verdict};

/// Le dossier de travail prêt à compiler, et ce qui a été écarté avant.
pub struct Prepared {
    pub root: PathBuf,
    /// Les exercices écartés : fichier absent ou refusé.
    refused: Vec<(&'static str, Verdict)>,
    /// Les exercices à compiler.
    pub members: Vec<&'static Exercise>,
}

impl Prepared {
    /// Le verdict d'un exercice écarté avant la compilation.
    pub fn refusal(&mut self, exercise: &Exercise) -> Option<Verdict> {
        let index = self.refused.iter().position(|(id, _)| *id == exercise.id)?;
        Some(self.refused.remove(index).1)
    }
}

/// Construit le dossier de travail pour le dossier `src` d'une copie.
pub fn prepare(
    src: &Path,
    setup: &Setup,
    exercises: &[&'static Exercise],
) -> Result<Prepared, String> {
    let root = setup.work.clone();
    remove_dir(&root)?;
    let mut refused = Vec::new();
    let mut members = Vec::new();
    for &exercise in exercises {
        let file = src.join(format!("{}.rs", exercise.module));
        if !file.is_file() {
            refused.push((exercise.id, Verdict::Missing));
            continue;
        }
        let package = root.join(exercise.id);
        let sources = package.join("src");
        copy_file(&file, &sources.join(format!("{}.rs", exercise.module)))?;
        let submodules = src.join(exercise.module);
        if submodules.is_dir() {
            copy_rs_tree(&submodules, &sources.join(exercise.module))?;
        }
        if let Some(reason) = scan_tree(&sources)? {
            refused.push((exercise.id, Verdict::Refused { reason }));
            remove_dir(&package)?;
            continue;
        }
        write_package(&package, exercise, setup)?;
        members.push(exercise);
    }
    write_workspace(&root, &members, setup)?;
    Ok(Prepared {
        root,
        refused,
        members,
    })
}

fn write_workspace(
    root: &Path,
    members: &[&Exercise],
    setup: &Setup,
) -> Result<(), String> {
    let reference = read(&setup.reference.join("Cargo.toml"))?;
    let dependencies = section(&reference, "[workspace.dependencies]");
    let members: Vec<String> =
        members.iter().map(|e| format!("\"{}\"", e.id)).collect();
    let manifest = format!(
        "# Écrit par le correcteur : un paquet par exercice (voir exercises/tests/grader/).\n\
         [workspace]\nresolver = \"3\"\nmembers = [{}]\n\n\
         [workspace.package]\nedition = \"2024\"\n\n{dependencies}",
        members.join(", ")
    );
    write(&root.join("Cargo.toml"), &manifest)?;
    let lock = setup.reference.join("Cargo.lock");
    if lock.is_file() {
        copy_file(&lock, &root.join("Cargo.lock"))?;
    }
    Ok(())
}

/// Une section d'un Cargo.toml, de son en-tête à l'en-tête suivant.
fn section(manifest: &str, header: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in manifest.lines() {
        if line.trim_start().starts_with('[') {
            inside = line.trim() == header;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn write_package(
    package: &Path,
    exercise: &Exercise,
    setup: &Setup,
) -> Result<(), String> {
    let id = exercise.id;
    let number = &id[2..];
    let name = package_name(exercise, setup);
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition.workspace = true\n\
         publish = false\nautotests = false\n\n\
         [lib]\nname = \"exercice_{number}\"\ntest = false\ndoctest = false\n\n\
         [dependencies]\nmio.workspace = true\nsocket2.workspace = true\n\
         crossbeam-channel.workspace = true\n\n\
         [target.'cfg(unix)'.dev-dependencies]\nlibc.workspace = true\n\n\
         [[test]]\nname = \"notation_{number}\"\npath = \"tests/notation.rs\"\nharness = false\n"
    );
    write(&package.join("Cargo.toml"), &manifest)?;
    // `forbid` : le fichier de l'élève ne peut pas le lever avec un `allow`.
    let lib = format!(
        "//! Écrit par le correcteur : l'exercice {id} seul.\n\
         #![forbid(unsafe_code)]\npub mod {};\n",
        exercise.module
    );
    write(&package.join("src").join("lib.rs"), &lib)?;

    let tests = setup.reference.join("exercises").join("tests");
    let common = tests.join("common").join("mod.rs");
    let visible = tests.join(format!("{}.rs", exercise.module));
    let module = exercise.module;
    let mut main = format!(
        "//! Écrit par le correcteur : les tests de {id}, inclus depuis la référence.\n\
         extern crate exercice_{number} as exercises;\n\n\
         #[macro_use]\n#[path = {}]\nmod common;\n\n#[path = {}]\nmod {module};\n",
        literal(&common),
        literal(&visible)
    );
    let hidden = match &setup.hidden {
        Some(dir) => {
            let file = dir.join(format!("{module}.rs"));
            main.push_str(&format!(
                "\nmod hidden {{\n    #[path = {}]\n    pub mod {module};\n}}\n",
                literal(&file)
            ));
            format!("hidden::{module}::TESTS")
        }
        None => "&[]".to_string(),
    };
    main.push_str(&format!(
        "\nfn main() {{\n    common::harness::main(\"{id}\", {module}::TESTS, {hidden})\n}}\n"
    ));
    write(&package.join("tests").join("notation.rs"), &main)
}

/// Le nom du paquet d'un exercice : `ex01-` suivi du nom du dossier de travail.
/// Plusieurs correcteurs (l'élève, les solutions, l'enseignant) compilent dans le
/// MÊME dossier de compilation, et cargo nomme les artefacts d'un paquet d'après son
/// nom et son chemin RELATIF à l'espace de travail : avec le même nom, l'`ex01` des
/// solutions et celui d'un élève partageraient leurs artefacts, et cargo pourrait
/// croire à jour le programme de l'autre.
fn package_name(exercise: &Exercise, setup: &Setup) -> String {
    let work = setup.work.file_name().unwrap_or_default().to_string_lossy();
    let tag: String = work
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{}-{tag}", exercise.id)
}

/// Un chemin écrit comme une chaîne Rust (les `\` de Windows sont échappés).
fn literal(path: &Path) -> String {
    let absolute = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let text = absolute.to_string_lossy().into_owned();
    // `canonicalize` sous Windows rend `\\?\C:\...`, que rustc accepte.
    format!("{text:?}")
}

// ANCHOR: scan
/// La première construction qui nommerait un fichier hors du dossier de l'exercice.
fn scan_tree(dir: &Path) -> Result<Option<String>, String> {
    for entry in read_dir(dir)? {
        let path = entry;
        let found = if path.is_dir() {
            scan_tree(&path)?
        } else {
            let text = read(&path)?;
            forbidden(&text).map(|what| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                format!(
                    "{name} utilise {what}, qui peut inclure un fichier hors de votre dossier src/ : \
                     ce n'est pas permis dans un exercice noté"
                )
            })
        };
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// `#[path ...]`, `include!`, `include_str!`, `include_bytes!` (même renommés par un
/// `use`) : on cherche ces mots dans le code, hors commentaires et chaînes.
pub fn forbidden(source: &str) -> Option<&'static str> {
    let code = strip_comments_and_strings(source);
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .collect();
    for word in &words {
        match *word {
            "include" => return Some("include!"),
            "include_str" => return Some("include_str!"),
            "include_bytes" => return Some("include_bytes!"),
            _ => {}
        }
    }
    // Un attribut `path` : `#[path = ...]`, `#![path...]`, ou caché dans un
    // `cfg_attr`.
    let mut rest = code.as_str();
    while let Some(start) = rest.find('#') {
        let after = rest[start + 1..].trim_start();
        let after = after.strip_prefix('!').unwrap_or(after).trim_start();
        if let Some(inner) = after.strip_prefix('[') {
            let end = inner.find(']').unwrap_or(inner.len());
            let attribute = &inner[..end];
            if attribute
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "path")
            {
                return Some("l'attribut #[path]");
            }
        }
        rest = &rest[start + 1..];
    }
    None
}
// ANCHOR_END: scan

/// Le code sans ses commentaires ni le contenu de ses chaînes et caractères
/// (remplacés par des espaces) : un mot dans un commentaire ou un message n'est pas
/// du code.
fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('#') | Some('"'))
            && !ident_before(&chars, i)
        {
            // Chaîne brute r"..." ou r#"..."# : elle se termine par " suivi d'autant
            // de #.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"'
                    && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#'))
                {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // Un caractère ('x', '\n', '\u{..}') ou une durée de vie ('a) : seul le
            // premier se termine par une apostrophe proche.
            let close = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Copie les fichiers `.rs` d'un dossier de sous-modules (les liens symboliques sont
/// ignorés : ils pourraient pointer n'importe où).
fn copy_rs_tree(from: &Path, to: &Path) -> Result<(), String> {
    for path in read_dir(from)? {
        let kind = fs::symlink_metadata(&path)
            .map_err(|err| format!("lecture de {} : {err}", path.display()))?
            .file_type();
        let target = to.join(path.file_name().unwrap_or_default());
        if kind.is_dir() {
            copy_rs_tree(&path, &target)?;
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "rs") {
            copy_file(&path, &target)?;
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|err| format!("impossible de lire {} : {err}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    if fs::symlink_metadata(from).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(format!(
            "{} est un lien symbolique : copiez le fichier lui-même",
            from.display()
        ));
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|err| {
            format!("impossible de créer {} : {err}", parent.display())
        })?;
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|err| format!("copie de {} : {err}", from.display()))
}

pub fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path)
        .map_err(|err| format!("impossible de lire {} : {err}", path.display()))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|err| {
            format!("impossible de créer {} : {err}", parent.display())
        })?;
    }
    fs::write(path, contents)
        .map_err(|err| format!("impossible d'écrire {} : {err}", path.display()))
}

fn remove_dir(path: &Path) -> Result<(), String> {
    match fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(format!(
            "impossible de supprimer {} : {err}",
            path.display()
        )),
        _ => Ok(()),
    }
}
