//! Une règle, une conduite : la leçon 03 écrit la règle du texte des chats
//! (`display::sanitize`), la leçon 04 l'emprunte telle quelle, et la leçon 05 en
//! garde sa propre version, qui évite une copie quand il n'y a rien à remplacer
//! (`Cow`). Le livre affirme que toutes appliquent LA même règle : ce test le vérifie
//! sur les textes qui comptent, et dit si la version de la leçon 05 diverge.

/// Textes d'attaque et textes ordinaires : contrôles (effacer l'écran, retour
/// chariot, NUL), contrôles bidirectionnels, séparateurs de ligne Unicode, tabulation
/// et accents gardés.
const SAMPLES: [&str; 10] = [
    "bonjour",
    "\x1b[2J effacé ?",
    "salut\rbob: je mens",
    "nul\0ici",
    "\u{202e}esrever",
    "\u{2066}isolé\u{2069} et \u{200f}",
    "ligne\u{2028}séparée\u{2029}paragraphe",
    "une\ttabulation",
    "accents é à ü, idéogramme 漢",
    "fin\n",
];

#[test]
fn les_chats_des_lecons_03_04_et_05_neutralisent_de_la_meme_facon() {
    for text in SAMPLES {
        let l03 = lesson03_threads::display::sanitize(text);
        let l04 = lesson04_select::display::sanitize(text);
        let l05 = lesson05_chat::protocol::sanitize(text).into_owned();
        assert_eq!(l03, l05, "leçons 03 et 05 diffèrent pour {text:?}");
        assert_eq!(
            l04, l03,
            "la leçon 04 n'emprunte plus la règle de la 03 ({text:?})"
        );
    }
}

#[test]
fn la_regle_commune_remplace_les_controles_et_garde_le_reste() {
    let cleaned = lesson05_chat::protocol::sanitize("a\x1b[2Jb\tc é\u{202e}");
    assert_eq!(cleaned, "a\u{FFFD}[2Jb\tc é\u{FFFD}");
}
