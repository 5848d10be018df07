//! Compiler les exercices : UN `cargo build --tests --keep-going` pour tous (les
//! dépendances sont compilées une fois, les exercices en parallèle), et pour chacun,
//! soit son programme de test, soit la première erreur du compilateur.
//!
//! Le dossier de compilation est celui du `cargo test` qui a lancé le correcteur
//! (`target/`) : les dépendances (mio, socket2...) y sont déjà compilées, avec le
//! même profil `test`, et cargo les reprend au lieu de les recompiler dans un dossier
//! à part.
//!
//! cargo écrit ses messages en JSON (`--message-format=json`), une ligne par
//! message : on y lit le paquet (donc l'exercice) de chaque erreur et de chaque
//! programme produit, sans deviner à partir du texte affiché.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::Setup;
use super::layout::Prepared;

/// Le résultat de la compilation d'un exercice.
pub enum Built {
    Executable(PathBuf),
    /// La première erreur, telle que le compilateur l'affiche.
    Error(String),
}

/// Compile les membres du dossier de travail ; rend un résultat par identifiant
/// d'exercice.
pub fn build(
    setup: &Setup,
    prepared: &Prepared,
) -> Result<HashMap<String, Built>, String> {
    let mut built = HashMap::new();
    if prepared.members.is_empty() {
        return Ok(built);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        // Le profil `test`, celui de `cargo test` : ses dépendances déjà compilées
        // servent.
        .args(["build", "--tests", "--profile", "test", "--keep-going"])
        .arg("--message-format=json")
        .current_dir(&prepared.root)
        .env("CARGO_TARGET_DIR", &setup.target_dir)
        // Les couleurs et avertissements du cargo extérieur ne doivent pas changer
        // celui-ci.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if setup.offline {
        command.arg("--offline");
    }
    let mut child = command
        .spawn()
        .map_err(|err| format!("impossible de lancer cargo : {err}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let finished = loop {
        match child.try_wait() {
            Ok(Some(_)) => break true,
            Ok(None) if start.elapsed() > setup.build_timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(err) => return Err(format!("attente de cargo : {err}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !finished {
        return Err(format!(
            "la compilation a dépassé {} s",
            setup.build_timeout.as_secs()
        ));
    }

    for line in stdout.lines() {
        let Some(package) =
            string_field(line, "package_id").and_then(|id| package_dir(&id))
        else {
            continue;
        };
        if line.contains("\"reason\":\"compiler-message\"") {
            if let Some(rendered) = string_field(line, "rendered") {
                if rendered.starts_with("error") && !built.contains_key(&package) {
                    built.insert(
                        package,
                        Built::Error(rendered.trim_end().to_string()),
                    );
                }
            }
        } else if line.contains("\"reason\":\"compiler-artifact\"") {
            if let Some(executable) = string_field(line, "executable") {
                built.insert(package, Built::Executable(PathBuf::from(executable)));
            }
        }
    }
    // cargo lui-même a échoué (dépendance introuvable hors ligne...) : on le dit pour
    // tous.
    for exercise in &prepared.members {
        built.entry(exercise.id.to_string()).or_insert_with(|| {
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Built::Error(format!("cargo n'a pas pu compiler :\n{}", tail.join("\n")))
        });
    }
    Ok(built)
}

/// Le dossier de compilation du `cargo test` en cours, d'après son
/// `CARGO_TARGET_TMPDIR` (`<dossier de compilation>/tmp`).
pub fn outer_target_dir(target_tmpdir: &Path) -> PathBuf {
    target_tmpdir
        .parent()
        .unwrap_or(target_tmpdir)
        .to_path_buf()
}

/// Lit toute une sortie dans un thread (sinon un tuyau plein bloquerait cargo).
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Le nom du dossier du paquet dans un identifiant cargo (`path+file:///…/ex12#0.1.0`).
fn package_dir(id: &str) -> Option<String> {
    let path = id.split('#').next()?;
    let name = path.rsplit(['/', '\\']).next()?;
    (name.len() == 4 && name.starts_with("ex")).then(|| name.to_string())
}

/// La valeur d'un champ chaîne `"name":"..."` d'une ligne JSON, décodée. Dans une
/// chaîne JSON les guillemets sont échappés : la séquence `"name":"` ne peut être
/// qu'un vrai champ.
fn string_field(line: &str, name: &str) -> Option<String> {
    let marker = format!("\"{name}\":\"");
    let start = line.find(&marker)? + marker.len();
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).ok()?;
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}
