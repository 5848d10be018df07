//! Ce que l'entraîneur affiche, en texte : les mêmes fonctions servent aux
//! commandes (`liste`, `indice`, `verifier`) et aux écrans du mode surveillance,
//! et les tests les lisent sans terminal.

use std::fmt::Write as _;

use crate::catalog::{self, Statement};
use crate::check::Status;
use crate::grader::{EXERCISES, ExerciseResult, Outcome, Verdict, report};
use crate::hints;

/// Largeur du texte qu'on remet en forme (les indices) : tient dans un terminal de
/// 80 colonnes.
const WIDTH: usize = 78;

/// Au plus autant de lignes d'une erreur du compilateur ou de la sortie d'un test :
/// la suite est dans `cargo test -p exercises exNN`.
const MAX_LINES: usize = 24;

/// Le nom d'un exercice tel qu'on le montre : `ex03 — Un lecteur de lignes`.
fn name(index: usize) -> String {
    let exercise = &EXERCISES[index];
    format!("{} — {}", exercise.id, exercise.title)
}

/// L'état d'un exercice, en mots (`None` : pas encore vérifié).
pub fn status_label(status: Option<Status>) -> String {
    match status {
        None => "…".to_string(),
        Some(Status::Solved) => "✅ réussi".to_string(),
        Some(Status::NotStarted) => "pas commencé".to_string(),
        Some(Status::InProgress { passed, total }) => {
            format!("❌ en cours ({passed}/{total} tests)")
        }
        Some(Status::DoesNotCompile) => "❌ ne compile pas".to_string(),
        Some(Status::Missing) => "❌ fichier absent".to_string(),
        Some(Status::Refused) => "❌ refusé".to_string(),
    }
}

/// La barre de progression : une case par exercice, pleine s'il est réussi.
pub fn progress(statuses: &[Option<Status>]) -> String {
    let solved = statuses
        .iter()
        .filter(|status| **status == Some(Status::Solved))
        .count();
    let bar: String = (0..statuses.len())
        .map(|cell| if cell < solved { '█' } else { '░' })
        .collect();
    format!("[{bar}] {solved}/{} réussis", statuses.len())
}

/// La liste des exercices, leur état et la progression ; `current` est marqué `▶`.
pub fn list(statuses: &[Option<Status>], current: Option<usize>) -> String {
    let width = EXERCISES
        .iter()
        .map(|exercise| exercise.title.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("Les exercices\n\n");
    for (index, exercise) in EXERCISES.iter().enumerate() {
        let mark = if current == Some(index) { "▶" } else { " " };
        let status = status_label(statuses.get(index).copied().flatten());
        let _ = writeln!(
            out,
            "{mark} {}  {:<width$}  {status}",
            exercise.id, exercise.title
        );
    }
    let _ = write!(out, "\nProgression : {}", progress(statuses));
    out
}

/// Remet en forme un texte Markdown en paragraphes d'au plus `width` colonnes (les
/// espaces insécables restent des espaces insécables).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split("\n\n") {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let mut line = String::new();
        for word in french_words(paragraph) {
            let word = word.as_str();
            let fits = line.chars().count() + 1 + word.chars().count() <= width;
            if !line.is_empty() && !fits {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// Les mots d'un paragraphe, tels qu'une ligne peut les recevoir : en français, `?`,
/// `!`, `:`, `;` et `»` restent collés au mot qui les précède, et `«` au mot qui le
/// suit ; une ligne ne commence donc jamais par un signe isolé.
fn french_words(paragraph: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut opening = false;
    for word in paragraph.split([' ', '\n']).filter(|word| !word.is_empty()) {
        let closing = matches!(word, "?" | "!" | ":" | ";" | "»");
        match words.last_mut() {
            Some(last) if closing || opening => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        opening = word == "«";
    }
    words
}

/// Un indice : titre, rang sur le nombre d'indices, texte.
fn hint_lines(index: usize, rank: usize) -> Vec<String> {
    let hints = hints::of(index);
    let Some(hint) = hints.get(rank) else {
        return Vec::new();
    };
    let mut lines = vec![format!("── {} sur {} ──", hint.title, hints.len())];
    lines.extend(wrap(&hint.body, WIDTH));
    lines
}

/// `indice NN [RANG]` : un seul indice, et comment avoir le suivant.
pub fn hint_command(index: usize, rank: Option<usize>) -> Result<String, String> {
    let exercise = &EXERCISES[index];
    let count = hints::of(index).len();
    let rank = rank.unwrap_or(1);
    if rank == 0 || rank > count {
        return Err(format!(
            "{} a {count} indices : choisissez un RANG de 1 à {count}",
            exercise.id
        ));
    }
    let mut out = format!("{}\n\n", name(index));
    out.push_str(&hint_lines(index, rank - 1).join("\n"));
    let number = catalog::number(exercise);
    if rank < count {
        let _ = write!(
            out,
            "\n\nLe suivant, plus précis : \
             cargo run -p exercises -- indice {number} {}",
            rank + 1
        );
    } else {
        let _ = write!(
            out,
            "\n\nC'était le dernier indice. La notion est expliquée dans \
             book/src/exercices/{}.md",
            exercise.page
        );
    }
    Ok(out)
}

/// Le nom d'un test, sans le nom de l'exercice : `ex03::une_ligne_vide` devient
/// `une_ligne_vide`, tel qu'on le retrouve dans `exercises/tests/`. (Un identifiant
/// Rust n'a pas d'accents : en faire une phrase donnerait du français fautif.)
fn test_name(name: &str) -> String {
    name.rsplit("::").next().unwrap_or(name).to_string()
}

/// Les `MAX_LINES` premières lignes d'un texte, en retrait.
fn excerpt(text: &str, out: &mut Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(MAX_LINES) {
        out.push(format!("    {line}"));
    }
    if lines.len() > MAX_LINES {
        out.push(format!(
            "    […] ({} lignes de plus)",
            lines.len() - MAX_LINES
        ));
    }
}

/// Le verdict d'un exercice : ✅/❌ par test, puis la première erreur expliquée.
pub fn verdict(result: &ExerciseResult) -> Vec<String> {
    let exercise = result.exercise;
    let mut out = Vec::new();
    match &result.verdict {
        Verdict::Missing => out.push(format!(
            "❌ Fichier absent : {} n'existe plus. Le squelette se récupère avec \
             git checkout -- {0}",
            catalog::file(exercise)
        )),
        Verdict::Refused { reason } => {
            out.push(format!("❌ Refusé par le correcteur : {reason}"))
        }
        Verdict::DoesNotCompile { first_error } => {
            out.push(
                "❌ Votre fichier ne compile pas encore (seul cet exercice est \
                 concerné).\nPremière erreur du compilateur :"
                    .to_string(),
            );
            // Le correcteur compile une COPIE (`ex03/src/…`) : on montre le chemin
            // du fichier que l'élève ouvre.
            let copy = format!("{}/src/", exercise.id);
            let copy_windows = format!("{}\\src\\", exercise.id);
            let shown = first_error
                .replace(&copy, "exercises/src/")
                .replace(&copy_windows, "exercises\\src\\");
            excerpt(&shown, &mut out);
        }
        Verdict::Graded { tests } => {
            let not_started = tests
                .iter()
                .all(|test| matches!(test.outcome, Outcome::NotDone { .. }));
            if not_started {
                out.push(format!(
                    "Pas encore commencé : les {} tests atteignent un todo!().\n\
                     Remplacez-le par votre code, puis enregistrez le fichier.",
                    tests.len()
                ));
                return out;
            }
            for test in tests {
                let mark = if test.outcome.passed() { "✅" } else { "❌" };
                out.push(format!("{mark} {}", test_name(&test.name)));
            }
            let failed = tests.iter().find(|test| !test.outcome.passed());
            match failed {
                None => out.push(format!(
                    "\nBravo ! Les {} tests passent : {} est réussi.",
                    tests.len(),
                    exercise.id
                )),
                Some(test) => {
                    let why =
                        report::explain(&test.outcome, exercise).unwrap_or_default();
                    out.push(format!("\nPremier échec : {}", test_name(&test.name)));
                    // Une explication en phrases : remise en forme, ligne par ligne.
                    for line in why.lines() {
                        let wrapped = wrap(line.trim(), WIDTH - 4);
                        out.extend(wrapped.iter().map(|l| format!("    {l}")));
                    }
                    if !test.output.trim().is_empty() {
                        out.push("  Ce que le test a affiché :".to_string());
                        excerpt(&test.output, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// `verifier NN` : le verdict et la suite.
pub fn verdict_command(index: usize, result: &ExerciseResult) -> String {
    let exercise = result.exercise;
    let mut out = format!("{} ({})\n\n", name(index), catalog::file(exercise));
    out.push_str(&verdict(result).join("\n"));
    let solved = crate::check::status(result) == Status::Solved;
    let next = match EXERCISES.get(index + 1) {
        Some(next) if solved => format!(
            "Exercice suivant : {} (cargo run -p exercises -- verifier {})",
            name(index + 1),
            catalog::number(next)
        ),
        None if solved => "C'était le dernier exercice du cours !".to_string(),
        _ => format!(
            "Un indice : cargo run -p exercises -- indice {}",
            catalog::number(exercise)
        ),
    };
    let _ = write!(out, "\n\n{next}");
    out
}

/// Ce que le mode surveillance montre d'un exercice.
pub struct Screen<'a> {
    pub index: usize,
    pub statement: Option<&'a Statement>,
    pub result: Option<&'a ExerciseResult>,
    /// Combien d'indices l'élève a déjà demandés (touche `i`).
    pub hints_shown: usize,
    pub statuses: &'a [Option<Status>],
    /// « Vérification de ex03… » pendant que le correcteur travaille.
    pub busy: Option<String>,
    pub notice: Option<&'a str>,
}

/// Les touches, en bas de chaque écran.
pub const KEYS: &str =
    "i indice · l liste · n suivant · p précédent · v vérifier · q quitter";

/// L'écran d'un exercice : d'où partir, l'énoncé, le verdict, les indices demandés.
pub fn exercise_screen(screen: &Screen<'_>) -> String {
    let index = screen.index;
    let exercise = &EXERCISES[index];
    let mut lines = vec![
        format!(
            "Exercice {} sur {} — {}",
            catalog::number(exercise),
            EXERCISES.len(),
            exercise.title,
        ),
        format!("Progression : {}", progress(screen.statuses)),
        format!("Fichier     : {}", catalog::file(exercise)),
        format!("Livre       : book/src/exercices/{}.md", exercise.page),
        format!("Seul        : cargo test -p exercises {}", exercise.id),
        String::new(),
    ];
    if let Some(statement) = screen.statement {
        for line in &statement.header {
            lines.push(line.trim_start_matches("# ").to_string());
        }
        for (line, message) in &statement.todos {
            lines.push(format!("→ À compléter, ligne {line} :"));
            lines.extend(wrap(message, WIDTH - 4).iter().map(|l| format!("    {l}")));
        }
        lines.push(String::new());
    }
    match (&screen.busy, screen.result) {
        (Some(busy), _) => lines.push(busy.clone()),
        (None, Some(result)) => lines.extend(verdict(result)),
        (None, None) => lines.push("Pas encore vérifié.".to_string()),
    }
    if screen.statuses.get(index).copied().flatten() == Some(Status::Solved) {
        lines.push(next_offer(index, screen.statuses));
    }
    for rank in 0..screen.hints_shown {
        lines.push(String::new());
        lines.extend(hint_lines(index, rank));
    }
    if let Some(notice) = screen.notice {
        lines.push(String::new());
        lines.push(notice.to_string());
    }
    lines.push(String::new());
    lines.push(KEYS.to_string());
    lines.join("\n")
}

/// Après une réussite : quel exercice ensuite.
fn next_offer(index: usize, statuses: &[Option<Status>]) -> String {
    if statuses
        .iter()
        .all(|status| *status == Some(Status::Solved))
    {
        return "Tous les exercices sont réussis : bravo !".to_string();
    }
    match EXERCISES.get(index + 1) {
        Some(_) => format!(
            "Appuyez sur n pour l'exercice suivant : {}.",
            name(index + 1)
        ),
        None => "C'était le dernier ; l liste ceux qui restent.".to_string(),
    }
}

/// L'écran de la liste (touche `l`).
pub fn list_screen(statuses: &[Option<Status>], current: usize) -> String {
    format!(
        "{}\n\nl ou Échap : revenir à l'exercice\n{KEYS}",
        list(statuses, Some(current))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grader::TestResult;

    fn graded(index: usize, outcomes: Vec<Outcome>) -> ExerciseResult {
        let tests = outcomes
            .into_iter()
            .enumerate()
            .map(|(n, outcome)| TestResult {
                name: format!("{}::test_numero_{n}", EXERCISES[index].id),
                outcome,
                output: String::new(),
            })
            .collect();
        ExerciseResult {
            exercise: &EXERCISES[index],
            verdict: Verdict::Graded { tests },
        }
    }

    #[test]
    fn le_verdict_montre_chaque_test_et_explique_le_premier_echec() {
        let result = graded(
            2,
            vec![
                Outcome::Passed,
                Outcome::Failed {
                    message: "ligne attendue : « bonjour »".into(),
                },
                Outcome::Failed {
                    message: "deuxième échec".into(),
                },
            ],
        );
        let text = verdict(&result).join("\n");
        assert!(text.contains("✅ test_numero_0"), "{text}");
        assert!(text.contains("❌ test_numero_1"), "{text}");
        assert!(text.contains("Premier échec : test_numero_1"), "{text}");
        assert!(text.contains("ligne attendue : « bonjour »"), "{text}");
        assert!(!text.contains("deuxième échec"), "seul le premier : {text}");
        assert!(text.contains("book/src/exercices/ex03-"), "{text}");
    }

    #[test]
    fn un_exercice_pas_commence_le_dit_en_une_phrase() {
        let todo = || Outcome::NotDone {
            message: "ex01 : écrire".into(),
        };
        let text = verdict(&graded(0, vec![todo(), todo()])).join("\n");
        assert!(text.starts_with("Pas encore commencé"), "{text}");
        assert!(!text.contains('❌'), "pas de liste d'échecs : {text}");
    }

    #[test]
    fn une_boucle_sans_fin_et_une_erreur_de_compilation_sont_expliquees() {
        let stuck = graded(
            4,
            vec![Outcome::TimedOut {
                stall: crate::grader::Stall::Spinning { cpu_percent: 99 },
            }],
        );
        let text = verdict(&stuck).join("\n");
        assert!(text.contains("délai dépassé"), "{text}");
        assert!(text.contains("boucle"), "{text}");
        let broken = ExerciseResult {
            exercise: &EXERCISES[0],
            verdict: Verdict::DoesNotCompile {
                first_error:
                    "error: expected `;`\n --> ex01/src/ex01_write_all.rs:3:5".into(),
            },
        };
        let text = verdict(&broken).join("\n");
        assert!(text.contains("ne compile pas encore"), "{text}");
        assert!(text.contains("    error: expected `;`"), "{text}");
        assert!(
            text.contains("--> exercises/src/ex01_write_all.rs:3:5"),
            "le chemin du fichier de l'élève : {text}"
        );
    }

    #[test]
    fn une_ligne_ne_commence_jamais_par_un_signe_isole() {
        let lines = wrap("la boucle ne s'arrête-t-elle jamais ? « oui » : fin", 34);
        assert_eq!(
            lines,
            ["la boucle ne s'arrête-t-elle", "jamais ? « oui » : fin"],
            "{lines:?}"
        );
    }

    #[test]
    fn la_liste_montre_l_etat_de_chaque_exercice_et_la_progression() {
        let mut statuses = vec![Some(Status::NotStarted); 17];
        statuses[0] = Some(Status::Solved);
        statuses[1] = Some(Status::InProgress {
            passed: 2,
            total: 7,
        });
        statuses[2] = None;
        let text = list(&statuses, Some(1));
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start_matches(['▶', ' ']).starts_with("ex"))
            .collect();
        assert_eq!(rows.len(), 17, "{text}");
        assert!(rows[0].ends_with("✅ réussi"), "{}", rows[0]);
        assert!(rows[1].starts_with("▶ ex02"), "{}", rows[1]);
        assert!(rows[1].ends_with("en cours (2/7 tests)"), "{}", rows[1]);
        assert!(rows[2].ends_with('…'), "{}", rows[2]);
        assert!(text.ends_with("[█░░░░░░░░░░░░░░░░] 1/17 réussis"), "{text}");
    }

    #[test]
    fn un_indice_a_la_fois_et_le_rang_est_borne() {
        let first = hint_command(0, None).expect("indice 1");
        assert!(first.contains("Indice 1 sur 3"), "{first}");
        assert!(!first.contains("Indice 2"), "{first}");
        assert!(first.contains("indice 01 2"), "{first}");
        let last = hint_command(0, Some(3)).expect("indice 3");
        assert!(last.contains("dernier indice"), "{last}");
        let err = hint_command(0, Some(4)).expect_err("pas d'indice 4");
        assert!(err.contains("de 1 à 3"), "{err}");
        assert!(
            first.lines().all(|line| line.chars().count() <= 86),
            "{first}"
        );
    }

    #[test]
    fn la_remise_en_forme_garde_les_mots_et_les_paragraphes() {
        let text = "un deux\ntrois quatre cinq\n\nsix";
        assert_eq!(
            wrap(text, 9),
            ["un deux", "trois", "quatre", "cinq", "", "six"]
        );
        let nbsp = "a\u{202f}: b";
        assert_eq!(wrap(nbsp, 3), ["a\u{202f}:", "b"]);
    }
}
