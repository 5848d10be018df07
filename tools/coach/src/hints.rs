//! Les indices : les fichiers `exercises/indices/exNN.md`, que le livre inclut
//! (`{{#include}}` dans chaque page d'exercice) et que l'entraîneur embarque ici.
//! Un seul texte, donc : corriger un indice le corrige aux deux endroits.
//!
//! Chaque fichier est une suite de blocs `<details>` (repliés dans le livre) :
//! `<summary>Indice 1</summary>`, le texte, `</details>`.

/// Les indices de chaque exercice, dans l'ordre des exercices.
const FILES: [&str; 17] = [
    include_str!("../../../exercises/indices/ex01.md"),
    include_str!("../../../exercises/indices/ex02.md"),
    include_str!("../../../exercises/indices/ex03.md"),
    include_str!("../../../exercises/indices/ex04.md"),
    include_str!("../../../exercises/indices/ex05.md"),
    include_str!("../../../exercises/indices/ex06.md"),
    include_str!("../../../exercises/indices/ex07.md"),
    include_str!("../../../exercises/indices/ex08.md"),
    include_str!("../../../exercises/indices/ex09.md"),
    include_str!("../../../exercises/indices/ex10.md"),
    include_str!("../../../exercises/indices/ex11.md"),
    include_str!("../../../exercises/indices/ex12.md"),
    include_str!("../../../exercises/indices/ex13.md"),
    include_str!("../../../exercises/indices/ex14.md"),
    include_str!("../../../exercises/indices/ex15.md"),
    include_str!("../../../exercises/indices/ex16.md"),
    include_str!("../../../exercises/indices/ex17.md"),
];

/// Un indice : son titre (« Indice 1 ») et son texte (du Markdown).
#[derive(Debug, PartialEq)]
pub struct Hint {
    pub title: String,
    pub body: String,
}

/// Les indices de l'exercice de rang `index`, du plus vague au plus précis.
pub fn of(index: usize) -> Vec<Hint> {
    FILES.get(index).map(|text| parse(text)).unwrap_or_default()
}

/// Les blocs `<details>` d'un fichier d'indices.
fn parse(text: &str) -> Vec<Hint> {
    text.split("<details>")
        .skip(1)
        .filter_map(|block| {
            let block = block.split("</details>").next()?;
            let (title, body) = block.split_once("</summary>")?;
            let title = title.trim().strip_prefix("<summary>")?.trim();
            Some(Hint {
                title: title.to_string(),
                body: body.trim().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaque_exercice_du_correcteur_a_son_fichier_d_indices() {
        assert_eq!(FILES.len(), crate::grader::EXERCISES.len());
    }

    #[test]
    fn chaque_exercice_a_trois_indices_non_vides() {
        for index in 0..FILES.len() {
            let hints = of(index);
            assert_eq!(hints.len(), 3, "exercice {} : {hints:?}", index + 1);
            for (rank, hint) in hints.iter().enumerate() {
                assert_eq!(hint.title, format!("Indice {}", rank + 1));
                assert!(
                    hint.body.len() > 40 && !hint.body.contains("</"),
                    "exercice {}, {} : {}",
                    index + 1,
                    hint.title,
                    hint.body
                );
            }
        }
    }

    #[test]
    fn un_bloc_details_devient_un_indice() {
        let text = "<!-- commentaire -->\n\n\
                    <details>\n<summary>Indice 1</summary>\n\n\
                    Un `read` peut rendre moins.\n\n</details>\n";
        assert_eq!(
            parse(text),
            [Hint {
                title: "Indice 1".into(),
                body: "Un `read` peut rendre moins.".into()
            }]
        );
        assert_eq!(of(99), []);
    }
}
