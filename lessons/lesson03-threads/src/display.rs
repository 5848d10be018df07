//! Ce qu'un terminal affichera : le nettoyage des caractères et le découpage en
//! lignes.
//!
//! Le serveur relaie du texte tapé par n'importe qui vers le terminal de tous les
//! autres. Un terminal n'affiche pas bêtement des caractères : certains sont des
//! ORDRES (effacer l'écran, changer le titre de la fenêtre, renverser le sens de
//! l'écriture) et une ligne trop longue continue sur la ligne suivante de l'écran.
//! Deux règles, les mêmes dans les leçons 03 à 05 :
//!
//! 1. [`sanitize`] remplace chaque caractère de contrôle par « � » ;
//! 2. [`message_rows`] coupe un message en lignes d'au plus [`MAX_COLUMNS`] colonnes,
//!    chacune précédée du préfixe de son auteur : aucun texte tapé ne peut commencer
//!    une ligne de l'écran et se faire passer pour un avis du serveur (`*** …`) ou
//!    pour quelqu'un d'autre.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Largeur d'un terminal ordinaire. Sur un terminal plus large, nos lignes tiennent
/// aussi.
pub const MAX_COLUMNS: usize = 80;

// ANCHOR: sanitize
/// Le caractère « � » qui remplace tout ce qu'un terminal pourrait interpréter.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Remplace par « � » chaque caractère qui commande le terminal au lieu de
/// s'afficher.
///
/// - les caractères de contrôle (`ESC` commence les séquences qui effacent l'écran ou
///   changent le titre de la fenêtre, `\r` ramène le curseur au début pour écraser le
///   préfixe), sauf la tabulation ;
/// - les contrôles de direction (U+202E « écrire de droite à gauche »…) :
///   `[bob] salut` pourrait s'afficher à l'envers et cacher son vrai début ;
/// - les séparateurs de ligne et de paragraphe U+2028 et U+2029, que certains
///   terminaux traitent comme un retour à la ligne.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if is_forbidden(c) { REPLACEMENT } else { c })
        .collect()
}

/// Vrai pour un caractère que [`sanitize`] remplace : la règle, seule, que les
/// leçons 05 et 07 empruntent.
pub fn is_forbidden(c: char) -> bool {
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
/// Largeur d'affichage d'un caractère, en colonnes : 2 pour un idéogramme, 0 pour un
/// accent combinant, 1 pour « é » (`width_cjk` compterait 2 pour « é » et « » »,
/// comme un terminal réglé pour le chinois : ce n'est pas celui des élèves de ce
/// cours). Les caractères sans largeur définie ne comptent pas.
fn char_columns(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Largeur d'affichage d'un texte, en colonnes.
pub fn columns(text: &str) -> usize {
    text.width()
}

/// Met en forme le message d'un client pour l'écran des autres : nettoyé, chaque
/// suite de blancs réduite à UNE espace, puis coupé en lignes d'au plus
/// [`MAX_COLUMNS`] colonnes commençant chacune par `prefix`. Renvoie une chaîne vide
/// si le message est vide.
///
/// Pourquoi réduire les blancs ? Sans cela, `salut` suivi de 200 espaces puis
/// `*** faux avis` ferait passer `*** faux avis` au début d'une ligne de l'écran,
/// exactement là où le terminal revient à la ligne. La coupe faite par le serveur,
/// préfixe compris, ferme la porte aux caractères visibles aussi.
pub fn message_rows(prefix: &str, raw: &str) -> String {
    let clean = sanitize(raw);
    let text = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let room = MAX_COLUMNS.saturating_sub(columns(prefix)).max(1);
    let mut rows = String::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let (row, next) = cut_row(rest, room);
        rows.push_str(prefix);
        rows.push_str(row);
        rows.push('\n');
        rest = next;
    }
    rows
}

/// Coupe `text` (sans blanc au début) en une ligne d'au plus `room` colonnes et le
/// reste. On coupe après le dernier mot qui tient (l'espace de la coupe disparaît) ;
/// un mot plus long que la ligne est coupé au dernier caractère qui tient.
fn cut_row(text: &str, room: usize) -> (&str, &str) {
    let mut used = 0;
    let mut fits = text.len(); // tout tient, jusqu'à preuve du contraire
    for (at, c) in text.char_indices() {
        used += char_columns(c);
        if used > room {
            // Au moins un caractère par ligne, sinon la boucle de l'appelant
            // n'avancerait pas.
            fits = if at == 0 { c.len_utf8() } else { at };
            break;
        }
    }
    if fits == text.len() {
        return (text, "");
    }
    let cut = if text[fits..].starts_with(' ') {
        fits // le mot suivant commence juste après : la coupe tombe sur son espace
    } else {
        text[..fits].rfind(' ').unwrap_or(fits)
    };
    let (row, rest) = text.split_at(cut);
    (row, rest.strip_prefix(' ').unwrap_or(rest))
}
// ANCHOR_END: rows

// ANCHOR: fit
/// Un avis du serveur (`*** …`) qui cite un texte venu d'ailleurs (ici l'adresse d'un
/// client, qui peut être une longue adresse IPv6) : le texte cité est raccourci avec
/// « … » pour que l'avis entier tienne sur UNE ligne de [`MAX_COLUMNS`] colonnes. Un
/// avis n'est jamais coupé en deux : sa seconde moitié ressemblerait à une ligne
/// ordinaire.
///
/// `make` fabrique l'avis autour du texte cité, sans le `\n` final.
pub fn notice_about(quoted: &str, make: impl Fn(&str) -> String) -> String {
    let room = MAX_COLUMNS.saturating_sub(columns(&make("")));
    let shown = sanitize(quoted);
    let mut notice = make(&truncate(&shown, room));
    notice.push('\n');
    notice
}

/// Garde le début de `text` qui tient dans `room` colonnes, terminé par « … » s'il a
/// fallu couper.
pub fn truncate(text: &str, room: usize) -> String {
    if columns(text) <= room {
        return text.to_string();
    }
    let budget = room.saturating_sub(char_columns('…'));
    let mut used = 0;
    let mut kept: String = text
        .chars()
        .take_while(|&c| {
            used += char_columns(c);
            used <= budget
        })
        .collect();
    kept.push('…');
    kept
}
// ANCHOR_END: fit
