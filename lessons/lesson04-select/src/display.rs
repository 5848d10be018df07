//! Ce qu'un terminal montre : neutraliser les caractères dangereux et couper en
//! rangées.
//!
//! Le serveur relaie du texte tapé par n'importe qui, et ce texte finit dans le
//! terminal des autres. Deux attaques sont à la portée de tous :
//! - les caractères de contrôle (`ESC [ 2 J` efface l'écran, `ESC ] 0 ;` change le
//!   titre de la fenêtre) et les caractères bidirectionnels (U+202E retourne la fin
//!   de la ligne) ;
//! - le retour à la ligne automatique : un terminal de 80 colonnes coupe une ligne
//!   plus longue, si bien qu'un message bourré d'espaces jusqu'à la 80ᵉ colonne fait
//!   apparaître sa fin en début de rangée, comme une fausse annonce `*** …` ou un
//!   faux message d'un autre.
//!
//! Les mêmes règles valent dans les leçons 03, 04 et 05 (et l'exercice 11).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Largeur d'un terminal ordinaire : aucune rangée envoyée par le serveur ne la
/// dépasse.
pub const MAX_COLUMNS: usize = 80;

// ANCHOR: sanitize
/// Remplace par `�` tout caractère qui pourrait piloter le terminal au lieu de
/// s'afficher : les caractères de contrôle (sauf la tabulation), les marques et
/// forçages de sens d'écriture (U+061C, U+200E, U+200F, U+202A à U+202E, U+2066 à
/// U+2069) et les séparateurs de ligne et de paragraphe (U+2028, U+2029).
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_dangerous(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

fn is_dangerous(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}
// ANCHOR_END: sanitize

// ANCHOR: rows
/// Réduit chaque suite de blancs (espaces, tabulations…) à UNE espace et retire ceux
/// des deux bouts : des blancs ne peuvent plus servir à pousser du texte jusqu'au
/// bord.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Largeur affichée d'un texte, en colonnes : 2 pour un idéogramme, 0 pour un accent
/// combinant, 1 pour « é » (`width_cjk` en compterait 2, comme un terminal réglé pour
/// le chinois : la même règle que les leçons 03 et 05).
pub fn columns(text: &str) -> usize {
    text.width()
}

fn char_columns(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Coupe `text` en rangées qui commencent toutes par `prefix` et tiennent chacune
/// dans `MAX_COLUMNS` colonnes. On coupe après la dernière espace qui tient (elle
/// disparaît), ou, s'il n'y en a pas, au dernier caractère qui tient.
pub fn rows(prefix: &str, text: &str) -> Vec<String> {
    // Au moins une colonne pour le texte, même avec un préfixe démesuré.
    let room = MAX_COLUMNS.saturating_sub(columns(prefix)).max(1);
    let mut rows = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (end, skip) = cut_point(rest, room);
        rows.push(format!("{prefix}{}", &rest[..end]));
        rest = &rest[end + skip..];
    }
    rows
}

/// Où couper `text` pour tenir dans `room` colonnes : (fin de la rangée, octets à
/// sauter).
fn cut_point(text: &str, room: usize) -> (usize, usize) {
    let mut used = 0;
    let mut last_space = None;
    for (index, c) in text.char_indices() {
        let width = char_columns(c);
        if used + width > room {
            return match (c, last_space) {
                // Le caractère qui déborde est lui-même une espace : on coupe dessus.
                (' ', _) => (index, 1),
                (_, Some(space)) => (space, 1),
                // Un seul caractère plus large que la place : on le prend quand même.
                (_, None) if index == 0 => (c.len_utf8(), 0),
                (_, None) => (index, 0),
            };
        }
        if c == ' ' {
            last_space = Some(index);
        }
        used += width;
    }
    (text.len(), 0)
}
// ANCHOR_END: rows

/// Une annonce `*** …` ne doit jamais être coupée : c'est le texte venu d'ailleurs
/// qu'elle contient (`embedded`) qu'on raccourcit, terminé par `…`, pour que toute
/// l'annonce tienne sur une rangée. `before` et `after` sont le texte fixe du
/// serveur.
pub fn fit_notice(before: &str, embedded: &str, after: &str) -> String {
    let fixed = columns(before) + columns(after);
    let room = MAX_COLUMNS.saturating_sub(fixed);
    if columns(embedded) <= room {
        return format!("{before}{embedded}{after}");
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in embedded.chars() {
        // De la place reste réservée pour `…`.
        if used + char_columns(c) + char_columns('…') > room {
            break;
        }
        used += char_columns(c);
        kept.push(c);
    }
    format!("{before}{kept}…{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_espace_qui_deborde_est_retiree() {
        let text = format!("{} suite", "a".repeat(10));
        assert_eq!(rows("> ", &text), vec![format!("> {text}")]);
        let long = format!("{} {}", "a".repeat(78), "b".repeat(5));
        assert_eq!(
            rows("> ", &long),
            vec![format!("> {}", "a".repeat(78)), "> bbbbb".to_string()]
        );
    }

    #[test]
    fn un_mot_trop_long_est_coupe_au_caractere() {
        let rows = rows("> ", &"x".repeat(200));
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|row| columns(row) <= MAX_COLUMNS));
    }

    #[test]
    fn une_annonce_trop_longue_raccourcit_le_texte_insere() {
        let notice = fit_notice("*** ", &"é".repeat(200), " est parti.");
        assert!(columns(&notice) <= MAX_COLUMNS, "{notice}");
        assert!(notice.ends_with("é… est parti."), "{notice}");
        assert_eq!(fit_notice("*** ", "court", "."), "*** court.");
    }
}
