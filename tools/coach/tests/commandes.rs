//! Les commandes de l'entraîneur sur une COPIE temporaire de l'espace de travail :
//! le vrai correcteur, le vrai cargo, de vrais processus de test.
//!
//! Une seule copie pour tous les essais (compiler coûte cher sur 2 cœurs), et le
//! dossier de compilation de ce `cargo test` : les dépendances des exercices n'y
//! sont compilées qu'une fois.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use coach::{Command, Workspace};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("dossier de la copie");
    for entry in fs::read_dir(from).expect("dossier lisible").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copie d'un fichier");
        }
    }
}

/// Chaque fichier de `dir` et son contenu.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("dossier lisible").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.insert(path.clone(), fs::read(&path).expect("fichier lisible"));
        }
    }
    files
}

/// La copie : ce que lit le correcteur (le Cargo.toml et le Cargo.lock de la
/// racine, les tests visibles) et les squelettes, dont deux abîmés.
fn student_copy() -> Workspace {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let base = tmp.join("entraineur-essai");
    let _ = fs::remove_dir_all(&base);
    let root = base.join("espace");
    let reference = workspace_root();
    fs::create_dir_all(&root).expect("dossier de la copie");
    for file in ["Cargo.toml", "Cargo.lock"] {
        fs::copy(reference.join(file), root.join(file)).expect("manifeste");
    }
    for dir in ["src", "tests"] {
        copy_dir(
            &reference.join("exercises").join(dir),
            &root.join("exercises").join(dir),
        );
    }
    let src = root.join("exercises").join("src");
    // Un élève enregistre au milieu d'une ligne : l'ex03 ne compile plus.
    let broken = src.join("ex03_line_reader.rs");
    let mut text = fs::read_to_string(&broken).expect("squelette de l'ex03");
    text.push_str("\nfn pas_fini( {\n");
    fs::write(&broken, text).expect("ex03 abîmé");
    // Et a effacé l'ex05 par erreur.
    fs::remove_file(src.join("ex05_echo_session.rs")).expect("ex05 effacé");
    Workspace {
        root,
        target_dir: tmp.parent().unwrap_or(tmp).to_path_buf(),
        work: base.join("verification"),
    }
}

#[test]
fn les_commandes_disent_ou_en_est_l_eleve_sans_toucher_a_ses_fichiers() {
    let workspace = student_copy();
    let before = snapshot(&workspace.src());

    let list = coach::run(&Command::Liste, &workspace).expect("liste");
    assert!(list.success, "la liste réussit toujours :\n{}", list.text);
    let rows: Vec<&str> = list
        .text
        .lines()
        .filter(|line| line.trim_start().starts_with("ex"))
        .collect();
    assert_eq!(rows.len(), 17, "une ligne par exercice :\n{}", list.text);
    assert!(rows[2].ends_with("ne compile pas"), "ex03 : {}", rows[2]);
    assert!(rows[4].ends_with("fichier absent"), "ex05 : {}", rows[4]);
    assert!(rows[0].ends_with("pas commencé"), "ex01 : {}", rows[0]);
    assert!(
        list.text.ends_with("0/17 réussis"),
        "progression :\n{}",
        list.text
    );

    // Le numéro s'écrit de plusieurs façons ; aucun des deux n'est réussi.
    let cases = [
        (
            "3",
            [
                "ne compile pas encore",
                "exercises/src/ex03_line_reader.rs:",
            ],
        ),
        ("ex01", ["Pas encore commencé", "indice 01"]),
    ];
    for (exercise, expected) in cases {
        let command = Command::Verifier {
            exercise: exercise.into(),
        };
        let verdict = coach::run(&command, &workspace).expect("verifier");
        assert!(!verdict.success, "{exercise} n'est pas réussi");
        for needle in expected {
            assert!(
                verdict.text.contains(needle),
                "verifier {exercise} doit dire « {needle} » :\n{}",
                verdict.text
            );
        }
    }

    let hint = Command::Indice {
        exercise: "02".into(),
        rank: Some(2),
    };
    let hint = coach::run(&hint, &workspace).expect("indice 02 2");
    assert!(hint.text.contains("Indice 2 sur 3"), "{}", hint.text);
    let unknown = Command::Verifier {
        exercise: "42".into(),
    };
    let err = coach::run(&unknown, &workspace)
        .err()
        .expect("ex42 n'existe pas");
    assert!(err.contains("de 01 à 17"), "{err}");

    assert!(
        before == snapshot(&workspace.src()),
        "l'entraîneur ne modifie jamais les fichiers de l'élève"
    );
}
