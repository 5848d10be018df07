//! Tests des commandes enseignant (`teacher grade` et `teacher kit`), de bout en
//! bout : le vrai programme, de vrais appels à cargo. Chaque processus a une
//! échéance.
//!
//! Les compilations se font dans le dossier de compilation de ce `cargo test`
//! (`target/`) : les dépendances des exercices y sont déjà compilées (par
//! `tests/grade.rs`), seules les copies corrigées le sont ici.
//!
//! Les squelettes viennent d'un clone du dépôt au dernier commit, jamais de la copie
//! de travail : celui qui a commencé les exercices dans `exercises/src` peut lancer
//! `cargo test`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Les deux tests compilent dans le même dossier, où les paquets `ex01`… de deux
/// corrections ont le même nom d'artefact (cargo le calcule à partir du chemin
/// RELATIF à l'espace de travail) : ils ne doivent pas compiler en même temps.
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

/// Le dossier de compilation de ce `cargo test` (`CARGO_TARGET_TMPDIR` est son
/// `tmp/`).
fn shared_target() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// Variable qui interdit de sauter les tests d'enseignant (`.ci/run` la donne) : dans
/// le dépôt du cours, ils doivent toujours tourner.
const REQUIRE_VAR: &str = "RESEAU_EXIGER_SQUELETTES";

/// Saute un test d'enseignant, avec un message, sauf si `REQUIRE_VAR` l'interdit.
fn skip(reason: &str) -> Option<PathBuf> {
    if std::env::var_os(REQUIRE_VAR).is_some() {
        panic!(
            "{reason} ({REQUIRE_VAR} est défini : ce test ne doit pas être sauté)"
        );
    }
    eprintln!("{reason} : ce test d'enseignant est sauté");
    None
}

/// Un clone du dépôt au dernier commit, dans `dir/depot` : ses `exercises/src` sont
/// les squelettes distribués, quoi que contienne la copie de travail. `None` (avec un
/// message) si l'espace de travail n'est pas un dépôt git (une archive téléchargée,
/// par exemple), ou si le dernier commit n'a plus les squelettes : un élève qui
/// commite son travail fait de même `cargo test` à la racine, et ces tests
/// d'enseignant ne le concernent pas.
fn clean_clone(dir: &Path) -> Option<PathBuf> {
    let root = workspace();
    let git = |args: &[&str], at: &Path| {
        Command::new("git")
            .arg("-C")
            .arg(at)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
    };
    let Some(head) = git(&["rev-parse", "HEAD"], &root) else {
        return skip(&format!("{} n'est pas un dépôt git", root.display()));
    };
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let clone = dir.join("depot");
    let clone_arg = clone.to_string_lossy().into_owned();
    let root_arg = root.to_string_lossy().into_owned();
    git(
        &["clone", "--quiet", "--no-checkout", &root_arg, &clone_arg],
        &root,
    )
    .expect("git clone du dépôt");
    git(&["checkout", "--quiet", "--detach", &head], &clone)
        .expect("git checkout du clone");
    let sources =
        fs::read_dir(clone.join("exercises").join("src")).expect("exercises/src");
    let all_stubs = sources.flatten().all(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        !name.starts_with("ex")
            || fs::read_to_string(entry.path()).is_ok_and(|t| t.contains("todo!"))
    });
    if !all_stubs {
        return skip(
            "exercises/src du dernier commit n'est plus le squelette distribué (travail d'élève commité)",
        );
    }
    Some(clone)
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Lance `command` avec une échéance ; rend (statut, sortie standard, sortie
/// d'erreur).
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

/// Les fichiers texte d'un dossier (sans `target*`, `.git` ni le livre construit).
fn text_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).expect("lecture d'un dossier").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !(name.starts_with("target")
                || name == ".git"
                || path.ends_with("book/book"))
            {
                found.extend(text_files(&path));
            }
        } else if fs::read_to_string(&path).is_ok() {
            found.push(path);
        }
    }
    found
}

/// Les lignes significatives d'un fichier (assez longues pour ne pas être banales).
fn lines(file: &Path) -> Vec<String> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| line.trim().to_string())
        .filter(|line| line.len() >= 25)
        .collect()
}

/// La ligne d'un élève dans le CSV, découpée.
fn csv_row(csv: &str, student: &str) -> Vec<String> {
    let line = csv
        .lines()
        .find(|line| line.starts_with(&format!("{student};")))
        .unwrap_or_else(|| panic!("{student} absent du bilan :\n{csv}"));
    line.split(';').map(str::to_string).collect()
}

// Écrits en deux morceaux : la vérification avant livraison cherche ces macros en
// toutes lettres hors de `exercises/`, et ce fichier ne fait que vérifier leur
// présence ou leur absence.
const TODO_MACRO: &str = concat!("todo", "!(");
const UNIMPLEMENTED_MACRO: &str = concat!("unimplemented", "!(");
/// Insère `code` au début du corps de la fonction `signature` (jusqu'à son premier
/// `{`).
fn patch(file: &Path, signature: &str, code: &str) {
    let text = fs::read_to_string(file).expect("fichier à modifier");
    let at = text
        .find(signature)
        .unwrap_or_else(|| panic!("{signature} introuvable dans {}", file.display()));
    let brace = at + text[at..].find("{\n").expect("corps de la fonction") + 2;
    let text = format!("{}{code}\n{}", &text[..brace], &text[brace..]);
    fs::write(file, text).expect("écriture du fichier modifié");
}

/// Les solutions, avec dans chaque exercice un défaut différent : chacun ne doit
/// coûter que son exercice.
fn mixed_copy(src: &Path) {
    let root = workspace();
    copy_dir(&root.join("solutions").join("src"), src);
    // ex12 : une erreur de type.
    patch(
        &src.join("ex12_history.rs"),
        "pub fn new(capacity: usize) -> Self {",
        "        let _erreur: u32 = \"pas un nombre\";",
    );
    // ex15 : le fichier manque.
    fs::remove_file(src.join("ex15_udp_echo.rs")).expect("suppression de ex15");
    // ex13 : le relais ne rend jamais la main.
    patch(
        &src.join("ex13_relay.rs"),
        "pub fn relay(",
        "    loop { std::thread::park(); }",
    );
    // ex14 : une panique.
    patch(
        &src.join("ex14_file_transfer.rs"),
        "pub fn send_file(",
        "    panic!(\"oups\");",
    );
    // ex10 : une récursion sans fin (dépassement de pile).
    patch(
        &src.join("ex10_chat_command.rs"),
        "pub fn parse_command(line: &str) -> Command {",
        "    if std::hint::black_box(true) { return parse_command(std::hint::black_box(line)); }",
    );
    // ex02 : un println! de débogage dans une boucle sans fin.
    patch(
        &src.join("ex02_read_exact.rs"),
        "pub fn read_exact(",
        "    let mut i = 0u64; loop { i += 1; println!(\"debug {i} : une ligne de plus\"); }",
    );
}

/// Les solutions, mais trois exercices trichent : ex01 et ex04 font compiler le
/// fichier de l'enseignant (`#[path]`, `include!`), ex05 arrête le programme de test
/// avec un faux bilan. Les tests, le banc de test, le Cargo.toml et un build.rs sont
/// aussi trafiqués.
fn cheating_copy(copy: &Path) {
    let root = workspace();
    let src = copy.join("exercises").join("src");
    copy_dir(&root.join("solutions").join("src"), &src);
    let solution = |file: &str| root.join("solutions").join("src").join(file);
    fs::write(
        src.join("ex01_write_all.rs"),
        format!(
            "#[path = {:?}]\nmod vraie;\npub use vraie::write_all;\n",
            solution("ex01_write_all.rs")
        ),
    )
    .expect("ex01 tricheur");
    fs::write(
        src.join("ex04_length_prefix.rs"),
        format!("include!({:?});\n", solution("ex04_length_prefix.rs")),
    )
    .expect("ex04 tricheur");
    patch(
        &src.join("ex05_echo_session.rs"),
        "pub fn echo_session(",
        "    println!(\"test result: ok. 8 passed; 0 failed\"); std::process::exit(0);",
    );
    let tests = copy.join("exercises").join("tests");
    copy_dir(&root.join("exercises").join("tests"), &tests);
    fs::write(tests.join("grade.rs"), "fn main() {}\n").expect("tests trafiqués");
    fs::write(
        tests.join("common").join("harness.rs"),
        "pub fn main() -> ! { std::process::exit(0) }\n",
    )
    .expect("banc trafiqué");
    fs::write(
        copy.join("exercises").join("Cargo.toml"),
        "[package]\nname = \"exercises\"\nbuild = \"build.rs\"\n",
    )
    .expect("manifeste trafiqué");
    fs::write(
        copy.join("exercises").join("build.rs"),
        "fn main() { std::process::exit(1) }\n",
    )
    .expect("build.rs trafiqué");
}

#[test]
fn une_classe_entiere_est_corrigee_exercice_par_exercice_sans_triche_possible() {
    let _guard = SHARED_TARGET.lock().unwrap_or_else(PoisonError::into_inner);
    let work = scratch("classe");
    let class = work.join("classe");
    let root = workspace();
    let Some(clone) = clean_clone(&work) else {
        return;
    };
    // alice rend les solutions de référence (son dossier `src` seul).
    copy_dir(
        &root.join("solutions").join("src"),
        &class.join("alice").join("src"),
    );
    // bob rend les squelettes tels quels (son dossier `exercises`).
    copy_dir(
        &clone.join("exercises").join("src"),
        &class.join("bob").join("exercises").join("src"),
    );
    mixed_copy(&class.join("chloe").join("src"));
    // david triche, et sa copie est un niveau plus bas, comme une archive zip
    // décompressée.
    cheating_copy(&class.join("david").join("david-main"));
    // emma n'a rendu que son rapport.
    fs::create_dir_all(class.join("emma")).expect("dossier d'emma");
    fs::write(class.join("emma").join("rapport.txt"), "Bonjour\n").expect("rapport");

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

    let bytes = fs::read(&csv_path).expect("le CSV du bilan doit exister");
    assert!(
        bytes.starts_with("\u{FEFF}".as_bytes()),
        "le CSV commence par un BOM (sinon Excel lit les accents de travers)"
    );
    let csv = String::from_utf8(bytes).expect("CSV en UTF-8");
    let csv = csv.trim_start_matches('\u{FEFF}');
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(';').collect();
    assert_eq!(
        header.len(),
        2 + 17 + 3,
        "eleve, etat, 17 exercices, réussis, note, remarques : {header:?}"
    );
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(';').collect();
        assert!(
            cells[2..19].iter().all(|cell| !cell.contains('/')),
            "aucune cellule `9/9` (un tableur en fait une date) : {line}"
        );
    }
    let full = |cell: &str| {
        let (passed, total) = cell.split_once(" sur ").unwrap_or(("?", "!"));
        passed == total && passed != "0"
    };

    let alice = csv_row(csv, "alice");
    assert_eq!(alice[1], "corrigé", "alice : {alice:?}");
    assert!(alice[2..19].iter().all(|c| full(c)), "alice : {alice:?}");
    assert_eq!(alice[19..21], ["17", "20,0"], "les solutions ont 20/20");

    let bob = csv_row(csv, "bob");
    assert!(
        bob[2..19].iter().all(|c| c.starts_with("0 sur ")),
        "bob rend des squelettes : {bob:?}"
    );
    assert_eq!(bob[19..21], ["0", "0,0"], "bob : les squelettes valent 0");

    let chloe = csv_row(csv, "chloe");
    let cell = |row: &[String], id: usize| row[1 + id].clone();
    for id in [1, 3, 4, 5, 6, 7, 8, 9, 11, 16, 17] {
        assert!(
            full(&cell(&chloe, id)),
            "chloé : ex{id:02} est juste : {chloe:?}"
        );
    }
    assert_eq!(cell(&chloe, 12), "ne compile pas", "chloé : {chloe:?}");
    assert_eq!(cell(&chloe, 15), "absent", "chloé : {chloe:?}");
    for id in [2, 10, 13, 14] {
        assert!(
            !full(&cell(&chloe, id)),
            "chloé : ex{id:02} est cassé : {chloe:?}"
        );
    }
    assert_eq!(chloe[19], "11", "chloé : 11 exercices justes : {chloe:?}");
    let log = fs::read_to_string(
        shared_target()
            .join("correction")
            .join("journaux")
            .join("chloe.txt"),
    )
    .expect("journal de chloé");
    assert!(log.contains("dépassement de pile"), "ex10 : {log}");
    assert!(
        log.contains("mismatched types") || log.contains("E0308"),
        "ex12 : {log}"
    );
    assert!(
        log.contains("sortie tronquée"),
        "ex02 : la sortie est bornée"
    );
    assert!(
        log.len() < 2_000_000,
        "le journal reste petit : {} octets",
        log.len()
    );

    let david = csv_row(csv, "david");
    assert_eq!(cell(&david, 1), "refusé", "ex01 et #[path] : {david:?}");
    assert_eq!(cell(&david, 4), "refusé", "ex04 et include! : {david:?}");
    assert!(
        cell(&david, 5).starts_with("0 sur "),
        "ex05 et exit(0) : {david:?}"
    );
    assert_eq!(david[19..21], ["14", "16,5"], "david : 14 exercices sur 17");
    assert!(
        david[21].contains("ex01")
            && david[21].contains("ex04")
            && david[21].contains("ex05"),
        "les tricheries sont signalées : {david:?}"
    );

    let emma = csv_row(csv, "emma");
    assert_eq!(emma[1], "non corrigé", "emma : {emma:?}");
    assert!(
        emma[21].contains("aucun fichier"),
        "la raison est donnée : {emma:?}"
    );
}

#[test]
fn le_kit_n_a_pas_les_solutions_compile_et_n_echoue_que_sur_les_exercices_non_faits()
{
    let _guard = SHARED_TARGET.lock().unwrap_or_else(PoisonError::into_inner);
    let work = scratch("kit");
    let kit = work.join("kit");
    // Le kit part d'un clone propre, comme le ferait l'enseignant.
    let Some(root) = clean_clone(&work) else {
        return;
    };
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
    let manifest =
        fs::read_to_string(kit.join("Cargo.toml")).expect("Cargo.toml du kit");
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
    assert!(
        stdout.contains(&format!(
            "Espace de travail de référence : {}",
            root.display()
        )),
        "teacher dit de quel espace de travail il part :\n{stdout}"
    );
    // Aucune ligne propre aux solutions (absente du reste du dépôt) n'est dans le
    // kit.
    let mut elsewhere = std::collections::HashSet::new();
    for file in text_files(&root) {
        if !file.starts_with(root.join("solutions")) {
            elsewhere.extend(lines(&file));
        }
    }
    let secret: std::collections::HashSet<String> =
        text_files(&root.join("solutions"))
            .iter()
            .flat_map(|file| lines(file))
            .filter(|line| !elsewhere.contains(line))
            .collect();
    assert!(
        secret.len() > 100,
        "les solutions ont des lignes à elles : {}",
        secret.len()
    );
    for file in text_files(&kit) {
        for line in lines(&file) {
            assert!(
                !secret.contains(&line),
                "{} contient une ligne des solutions : {line}",
                file.display()
            );
        }
    }

    // La copie de chloé (une erreur de compilation, un fichier absent, une boucle,
    // une panique, un dépassement de pile, un flot de println!) : le bilan
    // s'affiche quand même.
    let src = kit.join("exercises").join("src");
    fs::remove_dir_all(&src).expect("suppression des squelettes du kit");
    mixed_copy(&src);
    // L'élève garde le lib.rs distribué (ses modules ne sont déclarés que pour
    // l'éditeur).
    fs::copy(
        root.join("exercises").join("src").join("lib.rs"),
        src.join("lib.rs"),
    )
    .expect("lib.rs distribué");
    let mut command = cargo();
    command
        .args(["test", "-p", "exercises", "--offline"])
        .current_dir(&kit)
        // PAS le dossier de compilation de ce dépôt : le paquet `exercises` du kit y
        // aurait le même nom d'artefact que celui du dépôt (même chemin
        // relatif), et cargo pourrait ensuite croire à jour, pour
        // `cargo test -p exercises` ici, le programme du kit.
        .env(
            "CARGO_TARGET_DIR",
            shared_target()
                .join("tmp")
                .join("enseignant")
                .join("kit-cible"),
        );
    let (status, stdout, stderr) = run(command, &work);
    assert!(
        !status.success(),
        "des exercices restent à faire : cargo test doit échouer\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("Exercices réussis : 11/17"),
        "11 exercices sont justes :\n{stdout}\n{stderr}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|line| {
            line.starts_with("ex") && (line.ends_with('✅') || line.ends_with('❌'))
        })
        .collect();
    assert_eq!(rows.len(), 17, "une ligne par exercice :\n{stdout}");
    assert!(rows[11].contains("ne compile pas"), "ex12 : {}", rows[11]);
    assert!(rows[14].contains("absent"), "ex15 : {}", rows[14]);
    assert!(
        stdout.len() < 1_000_000,
        "la sortie reste bornée : {} octets",
        stdout.len()
    );

    // Une solution essayée en place dans exercises/src du clone : le kit est refusé.
    fs::copy(
        root.join("solutions")
            .join("src")
            .join("ex03_line_reader.rs"),
        root.join("exercises")
            .join("src")
            .join("ex03_line_reader.rs"),
    )
    .expect("solution essayée en place");
    let mut command = Command::new(env!("CARGO_BIN_EXE_teacher"));
    command
        .arg("--workspace")
        .arg(&root)
        .arg("kit")
        .arg(work.join("kit2"));
    let (status, stdout, stderr) = run(command, &work);
    assert!(
        !status.success(),
        "un exercises/src modifié est refusé :\n{stdout}"
    );
    assert!(
        stderr.contains("ex03_line_reader.rs est la solution")
            && stderr.contains("modifié depuis le dernier commit"),
        "le refus dit pourquoi :\n{stderr}"
    );
    assert!(
        !work.join("kit2").join("Cargo.toml").exists(),
        "rien n'est écrit"
    );
}

#[test]
fn chaque_squelette_a_un_todo_et_un_indice_et_chaque_solution_est_complete() {
    let root = workspace();
    // Les squelettes du dernier commit (ceux qu'on distribue), pas la copie de
    // travail.
    let Some(clone) = clean_clone(&scratch("squelettes")) else {
        return;
    };
    let lib = fs::read_to_string(clone.join("exercises").join("src").join("lib.rs"))
        .expect("exercises/src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|module| module.trim_end_matches(';'))
        .collect();
    assert_eq!(modules.len(), 17, "17 exercices attendus : {modules:?}");
    for module in modules {
        let file = format!("{module}.rs");
        let stub =
            fs::read_to_string(clone.join("exercises").join("src").join(&file))
                .unwrap_or_else(|err| panic!("exercises/src/{file} : {err}"));
        assert!(
            stub.contains(&format!("{TODO_MACRO}\"")),
            "{file} : le squelette doit contenir un {TODO_MACRO}\"...\")"
        );
        let number = &module[2..4];
        assert!(
            stub.contains("Indice")
                && stub.contains(&format!("book/src/exercices/ex{number}-")),
            "{file} : il faut un indice qui renvoie au chapitre book/src/exercices/ex{number}-…"
        );
        assert!(
            stub.contains("lessons/lesson0"),
            "{file} : l'indice doit citer une leçon"
        );
        let solution =
            fs::read_to_string(root.join("solutions").join("src").join(&file))
                .unwrap_or_else(|err| panic!("solutions/src/{file} : {err}"));
        assert!(
            !solution.contains(TODO_MACRO) && !solution.contains(UNIMPLEMENTED_MACRO),
            "solutions/src/{file} : la solution ne doit pas contenir de {TODO_MACRO}…)"
        );
    }
}
