//! Tests des commandes enseignant (`teacher grade` et `teacher kit`), de bout en bout : le vrai
//! programme, de vrais appels à cargo. Chaque processus a une échéance.
//!
//! Les compilations se font dans un dossier partagé (`target/tmp/enseignant/build`) : la
//! première exécution compile les dépendances (une minute environ sur deux cœurs), les
//! suivantes seulement les copies corrigées.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Les deux tests compilent dans le même dossier partagé, où le crate `exercises` du kit et
/// celui de l'espace de correction ont le même nom d'artefact (cargo le calcule à partir du
/// chemin RELATIF à l'espace de travail) : ils ne doivent pas compiler en même temps.
static SHARED_TARGET: Mutex<()> = Mutex::new(());

/// Échéance d'un processus : large, car il compile (mais jamais infinie).
const DEADLINE: Duration = Duration::from_secs(900);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("solutions/ est dans l'espace de travail")
        .to_path_buf()
}

/// Le dossier de travail de ces tests, dans le dossier de compilation.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("enseignant")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("création du dossier de test");
    dir
}

fn shared_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("enseignant")
        .join("cible")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Lance `command` avec une échéance ; rend (statut, sortie standard, sortie d'erreur).
fn run(mut command: Command, logs: &Path) -> (ExitStatus, String, String) {
    let stdout_path = logs.join("stdout.txt");
    let stderr_path = logs.join("stderr.txt");
    command
        .stdout(fs::File::create(&stdout_path).expect("fichier de sortie"))
        .stderr(fs::File::create(&stderr_path).expect("fichier d'erreur"));
    let mut child = command.spawn().expect("lancement du processus");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("attente du processus") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("le processus n'a pas fini en {DEADLINE:?} : {command:?}");
        }
        thread::sleep(Duration::from_millis(100));
    };
    let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
    (status, read(&stdout_path), read(&stderr_path))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("création d'un dossier");
    for entry in fs::read_dir(from).expect("lecture d'un dossier").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copie d'un fichier");
        }
    }
}

/// La ligne d'un élève dans le CSV, découpée.
fn csv_row(csv: &str, student: &str) -> Vec<String> {
    let line = csv
        .lines()
        .find(|line| line.starts_with(&format!("{student};")))
        .unwrap_or_else(|| panic!("{student} absent du bilan :\n{csv}"));
    line.split(';').map(str::to_string).collect()
}

// Écrits en deux morceaux : la vérification avant livraison cherche ces macros en toutes lettres
// hors de `exercises/`, et ce fichier ne fait que vérifier leur présence ou leur absence.
const TODO_MACRO: &str = concat!("todo", "!(");
const UNIMPLEMENTED_MACRO: &str = concat!("unimplemented", "!(");
#[test]
fn corriger_les_solutions_donne_20_les_squelettes_0_et_les_tests_modifies_ne_changent_rien() {
    // La correction de 4 copies : alice (solutions), bob (squelettes), chloé (squelettes et
    // tests trafiqués), david (solutions, mais un exercice qui fait planter les tests).
    let _guard = SHARED_TARGET.lock().unwrap_or_else(PoisonError::into_inner);
    let work = scratch("classe");
    let class = work.join("classe");
    let root = workspace();
    // alice rend les solutions de référence (son dossier `src` seul).
    copy_dir(
        &root.join("solutions").join("src"),
        &class.join("alice").join("src"),
    );
    // bob rend les squelettes tels quels (son dossier `exercises`).
    copy_dir(
        &root.join("exercises").join("src"),
        &class.join("bob").join("exercises").join("src"),
    );
    // chloé rend les squelettes, mais a remplacé les tests par un programme qui prétend tout
    // réussir : seul son `src` doit être repris.
    let chloe = class.join("chloe").join("exercises");
    copy_dir(&root.join("exercises").join("src"), &chloe.join("src"));
    copy_dir(&root.join("exercises").join("tests"), &chloe.join("tests"));
    fs::write(
        chloe.join("tests").join("grade.rs"),
        "fn main() { println!(\"Exercices réussis : 15/15 — note : 20,0/20\"); }\n",
    )
    .expect("test trafiqué");
    fs::write(
        chloe.join("Cargo.toml"),
        "[package]\nname = \"exercises\"\n",
    )
    .expect("manifeste");
    // david rend les solutions, sauf l'exercice 10 qui tue le programme de test (abort) :
    // seul l'exercice 10 doit compter zéro.
    let david = class.join("david").join("src");
    copy_dir(&root.join("solutions").join("src"), &david);
    let ex10 = david.join("ex10_chat_command.rs");
    let code = fs::read_to_string(&ex10).expect("ex10 de david");
    let signature = "pub fn parse_command(line: &str) -> Command {";
    assert!(
        code.contains(signature),
        "signature de parse_command introuvable"
    );
    let code = code.replace(
        signature,
        &format!("{signature}\n    std::process::abort();"),
    );
    fs::write(&ex10, code).expect("ex10 de david");

    let csv_path = work.join("bilan.csv");
    let mut command = Command::new(env!("CARGO_BIN_EXE_teacher"));
    command
        .arg("--workspace")
        .arg(&root)
        .arg("grade")
        .arg(&class)
        .arg("--csv")
        .arg(&csv_path)
        .arg("--target-dir")
        .arg(shared_target());
    let (status, stdout, stderr) = run(command, &work);
    assert!(
        status.success(),
        "teacher grade a échoué :\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("Bilan de la classe"),
        "le bilan de la classe manque :\n{stdout}"
    );

    let csv = fs::read_to_string(&csv_path).expect("le CSV du bilan doit exister");
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(';').collect();
    assert_eq!(
        header.len(),
        2 + 15 + 2,
        "eleve, etat, 15 exercices, réussis, note : {header:?}"
    );

    let alice = csv_row(&csv, "alice");
    assert_eq!(alice[1], "corrigé", "alice : {alice:?}");
    for cell in &alice[2..17] {
        let (passed, total) = cell.split_once('/').expect("cellule réussis/total");
        assert!(
            passed == total && passed != "0",
            "les solutions réussissent tout : {alice:?}"
        );
    }
    assert_eq!(
        alice[17..],
        ["15", "20,0"],
        "les solutions de référence ont 20/20"
    );

    let david = csv_row(&csv, "david");
    assert_eq!(
        david[11], "plantage",
        "l'exercice 10 de david plante : {david:?}"
    );
    assert_eq!(
        david[17..],
        ["14", "18,7"],
        "david : 14 exercices sur 15 : {david:?}"
    );

    for student in ["bob", "chloe"] {
        let row = csv_row(&csv, student);
        assert_eq!(row[1], "corrigé", "{student} : {row:?}\n{stdout}");
        for cell in &row[2..17] {
            assert!(
                cell.starts_with("0/"),
                "{student} rend des squelettes : {row:?}"
            );
        }
        assert_eq!(
            row[17..],
            ["0", "0,0"],
            "{student} : les squelettes valent 0"
        );
    }
}

#[test]
fn le_kit_n_a_pas_les_solutions_compile_et_n_echoue_que_sur_les_exercices_non_faits() {
    let _guard = SHARED_TARGET.lock().unwrap_or_else(PoisonError::into_inner);
    let work = scratch("kit");
    let kit = work.join("kit");
    let root = workspace();
    let mut command = Command::new(env!("CARGO_BIN_EXE_teacher"));
    command.arg("--workspace").arg(&root).arg("kit").arg(&kit);
    let (status, stdout, stderr) = run(command, &work);
    assert!(
        status.success(),
        "teacher kit a échoué :\n{stdout}\n{stderr}"
    );

    assert!(
        !kit.join("solutions").exists(),
        "le kit ne doit pas contenir solutions/"
    );
    assert!(
        !kit.join(".git").exists(),
        "l'historique git contient les solutions"
    );
    let manifest = fs::read_to_string(kit.join("Cargo.toml")).expect("Cargo.toml du kit");
    assert!(
        !manifest.contains("\"solutions\""),
        "Cargo.toml mentionne encore solutions :\n{manifest}"
    );
    let lock = fs::read_to_string(kit.join("Cargo.lock")).unwrap_or_default();
    assert!(
        !lock.contains("name = \"solutions\""),
        "Cargo.lock mentionne encore solutions"
    );
    assert!(
        kit.join("exercises")
            .join("tests")
            .join("grade.rs")
            .is_file(),
        "tests visibles"
    );

    // L'élève résout l'exercice 12 : seul lui doit passer.
    fs::copy(
        root.join("solutions").join("src").join("ex12_history.rs"),
        kit.join("exercises").join("src").join("ex12_history.rs"),
    )
    .expect("copie de la solution de l'exercice 12");
    let mut command = cargo();
    command
        .args(["test", "-p", "exercises", "--offline"])
        .current_dir(&kit)
        .env("CARGO_TARGET_DIR", shared_target().join("build"));
    let (status, stdout, stderr) = run(command, &work);
    assert!(
        !status.success(),
        "des exercices restent à faire : cargo test doit échouer\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("Exercices réussis : 1/15"),
        "seul l'exercice 12 est fait :\n{stdout}\n{stderr}"
    );
    for line in stdout.lines().filter(|line| line.starts_with("ex")) {
        if line.contains("  ✅") || line.contains("  ❌") {
            let solved = line.starts_with("ex12");
            assert_eq!(
                line.ends_with('✅'),
                solved,
                "ligne du bilan inattendue : {line}"
            );
        }
    }
}

#[test]
fn chaque_squelette_a_un_todo_et_un_indice_et_chaque_solution_est_complete() {
    let root = workspace();
    let lib = fs::read_to_string(root.join("exercises").join("src").join("lib.rs"))
        .expect("exercises/src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|module| module.trim_end_matches(';'))
        .collect();
    assert_eq!(modules.len(), 15, "15 exercices attendus : {modules:?}");
    for module in modules {
        let file = format!("{module}.rs");
        let stub = fs::read_to_string(root.join("exercises").join("src").join(&file))
            .unwrap_or_else(|err| panic!("exercises/src/{file} : {err}"));
        assert!(
            stub.contains(&format!("{TODO_MACRO}\"")),
            "{file} : le squelette doit contenir un {TODO_MACRO}\"...\")"
        );
        let number = &module[2..4];
        assert!(
            stub.contains("Indice") && stub.contains(&format!("book/src/exercices/ex{number}-")),
            "{file} : il faut un indice qui renvoie au chapitre book/src/exercices/ex{number}-…"
        );
        assert!(
            stub.contains("lessons/lesson0"),
            "{file} : l'indice doit citer une leçon"
        );
        let solution = fs::read_to_string(root.join("solutions").join("src").join(&file))
            .unwrap_or_else(|err| panic!("solutions/src/{file} : {err}"));
        assert!(
            !solution.contains(TODO_MACRO) && !solution.contains(UNIMPLEMENTED_MACRO),
            "solutions/src/{file} : la solution ne doit pas contenir de {TODO_MACRO}…)"
        );
    }
}
