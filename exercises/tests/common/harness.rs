//! Le banc de correction : lance chaque test dans un thread avec une échéance, reconnaît les
//! `todo!()` (« pas encore fait »), puis affiche le bilan par exercice et la note.
//!
//! C'est un harnais `libtest-mimic` (`harness = false` dans Cargo.toml) : les options
//! habituelles marchent (`cargo test -p exercises ex03` ne lance que l'exercice 3,
//! `-- --list`, `-- --test-threads 1`...).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};

use super::{TestFn, current_trial, panic_message, set_current_trial};

/// Échéance de chaque test : au-delà, il est compté comme échoué (et le bilan continue).
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Variable d'environnement : si elle est définie, le bilan y est aussi écrit en TSV
/// (`exercice<TAB>réussis<TAB>total` par ligne). La commande de correction l'utilise.
pub const SUMMARY_ENV: &str = "EXERCICES_BILAN";

/// Les tests d'un exercice, tels que les déclare `tests![...]`.
pub type TestList = &'static [(&'static str, TestFn)];

/// Les exercices dans l'ordre du cours : identifiant et sujet (pour le bilan).
pub const EXERCISES: [(&str, &str); 15] = [
    ("ex01", "Tout écrire (write_all à la main)"),
    ("ex02", "Lire exactement N octets"),
    ("ex03", "Un lecteur de lignes"),
    ("ex04", "Messages préfixés par leur longueur"),
    ("ex05", "Une session d'écho"),
    ("ex06", "Un thread par client"),
    ("ex07", "Connexion avec délai, santé"),
    ("ex08", "Fermeture propre"),
    ("ex09", "Écho sur une boucle mio"),
    ("ex10", "Commandes du chat"),
    ("ex11", "Routage des messages"),
    ("ex12", "Historique borné"),
    ("ex13", "Relais TCP et tourniquet"),
    ("ex14", "Transfert de fichier"),
    ("ex15", "Écho UDP"),
];

/// Un exercice et ses tests : visibles (dans `exercises/tests/`) et cachés (enseignant).
struct Exercise {
    id: &'static str,
    title: &'static str,
    visible: TestList,
    hidden: TestList,
}

/// Paniques observées, rangées par nom de test (un test et tous les threads qu'il a lancés).
static PANICS: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);

/// Résultats : (numéro d'exercice, test réussi ?).
static RESULTS: Mutex<Vec<(usize, bool)>> = Mutex::new(Vec::new());

/// Lance les tests `visible[i]` et `hidden[i]` de l'exercice `EXERCISES[i]`, puis le bilan.
pub fn main(visible: [TestList; 15], hidden: [TestList; 15]) -> ! {
    // Le chemin du bilan est retiré de l'environnement avant de lancer le moindre test : le
    // code testé ne peut pas le lire pour y écrire un faux bilan.
    let summary_path = std::env::var_os(SUMMARY_ENV);
    // SAFETY : tout début de `main`, aucun autre thread n'existe encore pour lire
    // l'environnement en même temps.
    unsafe { std::env::remove_var(SUMMARY_ENV) };
    let exercises: Vec<Exercise> = EXERCISES
        .iter()
        .zip(visible.into_iter().zip(hidden))
        .map(|(&(id, title), (visible, hidden))| Exercise {
            id,
            title,
            visible,
            hidden,
        })
        .collect();
    let mut args = Arguments::from_args();
    // Les tests attendent surtout le réseau : plus de threads que de cœurs accélère le bilan.
    if args.test_threads.is_none() {
        args.test_threads = Some(4);
    }
    install_panic_hook();

    let mut trials = Vec::new();
    for (index, exercise) in exercises.iter().enumerate() {
        let visible = exercise.visible.iter().map(|test| (test, ""));
        let hidden = exercise.hidden.iter().map(|test| (test, "cache::"));
        for (&(name, test), prefix) in visible.chain(hidden) {
            let full_name = format!("{}::{prefix}{name}", exercise.id);
            let trial_name = full_name.clone();
            trials.push(Trial::test(full_name, move || {
                let outcome = run_trial(&trial_name, test);
                record(index, outcome.is_ok());
                outcome.map_err(Failed::from)
            }));
        }
    }

    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list {
        let report = report(&exercises);
        if !report.is_empty() {
            println!("{report}");
        }
        if let Some(path) = summary_path {
            write_summary(&exercises, std::path::Path::new(&path));
        }
    }
    conclusion.exit()
}

fn record(index: usize, passed: bool) {
    let mut results = RESULTS.lock().unwrap_or_else(PoisonError::into_inner);
    results.push((index, passed));
}

/// Chaque panique d'un thread « de test » est mise de côté (sans l'afficher : le bilan dira
/// pourquoi le test a échoué). Les autres paniques s'affichent comme d'habitude.
fn install_panic_hook() {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| match current_trial() {
        Some(trial) => {
            let mut message = panic_message(info.payload());
            if let Some(location) = info.location() {
                let _ = write!(message, " ({}:{})", location.file(), location.line());
            }
            let mut panics = PANICS.lock().unwrap_or_else(PoisonError::into_inner);
            panics
                .get_or_insert_with(HashMap::new)
                .entry(trial)
                .or_default()
                .push(message);
        }
        None => default_hook(info),
    }));
}

fn take_panics(trial: &str) -> Vec<String> {
    let mut panics = PANICS.lock().unwrap_or_else(PoisonError::into_inner);
    panics
        .as_mut()
        .and_then(|panics| panics.remove(trial))
        .unwrap_or_default()
}

/// Lance un test dans son propre thread et l'attend au plus `DEADLINE`.
fn run_trial(name: &str, test: TestFn) -> Result<(), String> {
    let (sender, receiver) = mpsc::channel();
    let trial = name.to_string();
    thread::spawn(move || {
        set_current_trial(Some(trial));
        let outcome = panic::catch_unwind(test);
        let _ = sender.send(outcome);
    });
    let outcome = receiver.recv_timeout(DEADLINE);
    let panics = take_panics(name);

    // Un `todo!()` atteint, dans le test ou dans un thread qu'il a lancé : exercice pas fait.
    if let Some(todo) = panics.iter().find(|p| p.contains("not yet implemented")) {
        let todo = todo.replacen("not yet implemented: ", "", 1);
        return Err(format!("pas encore fait : {todo}"));
    }
    match outcome {
        Ok(Ok(Ok(()))) => match panics.first() {
            None => Ok(()),
            Some(panic) => Err(format!("un thread lancé par le test a paniqué : {panic}")),
        },
        Ok(Ok(Err(err))) => Err(format!("erreur d'entrée-sortie : {err}")),
        Ok(Err(payload)) => Err(panics
            .first()
            .cloned()
            .unwrap_or_else(|| panic_message(payload.as_ref()))),
        Err(_) => Err(format!(
            "délai dépassé ({} s) : la fonction bloque-t-elle ?",
            DEADLINE.as_secs()
        )),
    }
}

/// (réussis, total) par exercice, pour les exercices dont au moins un test a tourné.
fn tally(exercises: &[Exercise]) -> Vec<(usize, usize, usize)> {
    let results = RESULTS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut counts = vec![(0, 0); exercises.len()];
    for &(index, passed) in results.iter() {
        counts[index].1 += 1;
        if passed {
            counts[index].0 += 1;
        }
    }
    counts
        .into_iter()
        .enumerate()
        .filter(|(_, (_, total))| *total > 0)
        .map(|(index, (passed, total))| (index, passed, total))
        .collect()
}

/// Le tableau du bilan, en français, et la note sur 20.
fn report(exercises: &[Exercise]) -> String {
    let rows = tally(exercises);
    if rows.is_empty() {
        return String::new();
    }
    let width = rows
        .iter()
        .map(|&(index, _, _)| exercises[index].title.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "\n===== Bilan des exercices =====");
    let _ = writeln!(out, "{:<6}{:<width$}  {:>7}", "Ex.", "Sujet", "Tests");
    let mut solved = 0;
    let mut points = 0.0;
    for &(index, passed, total) in &rows {
        let exercise = &exercises[index];
        let mark = if passed == total { "✅" } else { "❌" };
        if passed == total {
            solved += 1;
        }
        points += passed as f64 / total as f64;
        let tests = format!("{passed}/{total}");
        let title = exercise.title;
        let _ = writeln!(out, "{:<6}{title:<width$}  {tests:>7}  {mark}", exercise.id);
    }
    let grade = 20.0 * points / rows.len() as f64;
    let grade = format!("{grade:.1}").replace('.', ",");
    let _ = writeln!(
        out,
        "Exercices réussis : {solved}/{} — note : {grade}/20",
        rows.len()
    );
    out
}

fn write_summary(exercises: &[Exercise], path: &std::path::Path) {
    let mut tsv = String::new();
    for (index, passed, total) in tally(exercises) {
        let _ = writeln!(tsv, "{}\t{passed}\t{total}", exercises[index].id);
    }
    if let Err(err) = std::fs::write(path, tsv) {
        eprintln!(
            "impossible d'écrire le bilan dans {} : {err}",
            path.display()
        );
    }
}
