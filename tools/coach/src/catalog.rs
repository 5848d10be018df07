//! Les exercices et leur énoncé.
//!
//! La liste vient du correcteur (`grader::EXERCISES`) : un seul endroit dit quels
//! exercices existent, dans quel ordre, et quelle page du livre les explique.
//! L'énoncé, lui, est lu dans le fichier de l'élève au moment de l'afficher : c'est
//! le commentaire `//!` en tête du squelette.

use std::fs;
use std::path::Path;

use crate::grader::{EXERCISES, Exercise};

/// L'exercice désigné par `3`, `03` ou `ex03` : son rang dans la liste.
pub fn find(name: &str) -> Result<usize, String> {
    let digits = name.trim().trim_start_matches("ex");
    let index = digits
        .parse::<usize>()
        .ok()
        .filter(|number| (1..=EXERCISES.len()).contains(number))
        .map(|number| number - 1);
    index.ok_or_else(|| {
        format!(
            "« {name} » n'est pas un exercice : donnez un numéro de 01 à {:02}",
            EXERCISES.len()
        )
    })
}

/// Le chemin du fichier de l'exercice, tel qu'on le montre à l'élève.
pub fn file(exercise: &Exercise) -> String {
    format!("exercises/src/{}.rs", exercise.module)
}

/// Le numéro d'un exercice, sans le préfixe : `03`.
pub fn number(exercise: &Exercise) -> &str {
    exercise.id.trim_start_matches("ex")
}

/// L'énoncé d'un exercice, lu dans le fichier de l'élève.
pub struct Statement {
    /// Le commentaire `//!` du début du fichier, sans les `//!`.
    pub header: Vec<String>,
    /// Les `todo!()` qui restent : numéro de ligne et message.
    pub todos: Vec<(usize, String)>,
}

/// Lit l'énoncé ; `None` si le fichier est absent ou illisible (le verdict le dira).
pub fn statement(src: &Path, exercise: &Exercise) -> Option<Statement> {
    let text =
        fs::read_to_string(src.join(format!("{}.rs", exercise.module))).ok()?;
    let header = text
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line).to_string())
        .collect();
    let todos = text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let code = line.split("//").next().unwrap_or_default();
            let start = code.find("todo!(")?;
            let message = code[start + "todo!(".len()..]
                .trim_end()
                .trim_end_matches(';')
                .trim_end_matches(')')
                .trim_matches('"');
            Some((index + 1, message.to_string()))
        })
        .collect();
    Some(Statement { header, todos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn un_exercice_se_designe_par_son_numero_sous_trois_formes() {
        assert_eq!(find("3"), Ok(2));
        assert_eq!(find("03"), Ok(2));
        assert_eq!(find("ex03"), Ok(2));
        assert_eq!(find("17"), Ok(16));
        for wrong in ["0", "18", "trois", "", "ex"] {
            let err = find(wrong).expect_err(wrong);
            assert!(err.contains("de 01 à 17"), "{wrong} : {err}");
        }
    }

    #[test]
    fn l_enonce_est_le_commentaire_de_tete_et_les_todo_sont_reperes() {
        let dir =
            std::env::temp_dir().join(format!("coach-enonce-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dossier temporaire");
        let exercise = &EXERCISES[0];
        fs::write(
            dir.join(format!("{}.rs", exercise.module)),
            "//! # Titre\n//!\n//! Le texte.\n\n\
             fn f() {\n    // todo!(\"pas ici\")\n    \
             todo!(\"ex01 : écrire\")\n}\n",
        )
        .expect("fichier d'essai");
        let statement = statement(&dir, exercise).expect("énoncé lu");
        assert_eq!(statement.header, ["# Titre", "", "Le texte."]);
        assert_eq!(statement.todos, [(7, "ex01 : écrire".to_string())]);
        let _ = fs::remove_dir_all(&dir);
        assert!(
            statement_missing(&dir),
            "un fichier absent n'a pas d'énoncé"
        );
    }

    fn statement_missing(dir: &Path) -> bool {
        statement(dir, &EXERCISES[0]).is_none()
    }
}
