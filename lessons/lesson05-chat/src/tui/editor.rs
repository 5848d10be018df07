//! La ligne de saisie : le texte en cours, le curseur, l'historique des lignes
//! envoyées (↑/↓). Rien ici ne touche au réseau ni au terminal : ce sont des
//! méthodes pures, testées en bas du fichier.

/// Lignes envoyées que ↑ peut rappeler ; au-delà, les plus anciennes sont oubliées.
pub const MAX_HISTORY: usize = 100;

// ANCHOR: editor
/// Le texte tapé, pas encore envoyé.
///
/// Le curseur est un indice d'OCTET dans `text`, toujours placé entre deux
/// caractères : « é » occupe deux octets en UTF-8, et couper au milieu ferait
/// paniquer `String::insert`. On le déplace donc d'un caractère entier à la fois.
#[derive(Debug, Default)]
pub struct Editor {
    text: String,
    cursor: usize,
    /// Les lignes envoyées, de la plus ancienne à la plus récente.
    history: Vec<String>,
    /// Pendant ↑/↓ : la ligne d'historique affichée, et ce qui était tapé avant.
    browsing: Option<(usize, String)>,
}

impl Editor {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// La partie du texte à gauche du curseur (pour placer le curseur à l'écran).
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    pub fn left(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    pub fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    /// Efface le caractère à gauche du curseur.
    pub fn backspace(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    /// Efface le caractère sous le curseur.
    pub fn delete(&mut self) {
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    /// ↑ : la ligne envoyée juste avant celle qui est affichée.
    pub fn previous(&mut self) {
        let index = match &self.browsing {
            None if self.history.is_empty() => return,
            None => {
                let typed = std::mem::take(&mut self.text);
                self.browsing = Some((self.history.len(), typed));
                self.history.len() - 1
            }
            Some((0, _)) => return,
            Some((index, _)) => index - 1,
        };
        self.show_history(index);
    }

    /// ↓ : la ligne suivante, puis ce qui était tapé avant le premier ↑.
    pub fn next(&mut self) {
        let Some((index, _)) = &self.browsing else {
            return;
        };
        if index + 1 < self.history.len() {
            self.show_history(index + 1);
        } else if let Some((_, typed)) = self.browsing.take() {
            self.text = typed;
            self.end();
        }
    }

    fn show_history(&mut self, index: usize) {
        if let Some((shown, _)) = &mut self.browsing {
            *shown = index;
        }
        self.text = self.history[index].clone();
        self.end();
    }

    /// Entrée : rend la ligne et vide la saisie ; la ligne entre dans l'historique.
    pub fn take(&mut self) -> String {
        let line = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.browsing = None;
        let repeated = self.history.last() == Some(&line);
        if !line.trim().is_empty() && !repeated {
            if self.history.len() == MAX_HISTORY {
                self.history.remove(0);
            }
            self.history.push(line.clone());
        }
        line
    }

    /// Remet une ligne qui n'a pas pu partir, pour que rien de tapé ne soit perdu.
    pub fn restore(&mut self, line: String) {
        self.text = line;
        self.end();
    }
}
// ANCHOR_END: editor

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> Editor {
        let mut editor = Editor::default();
        text.chars().for_each(|c| editor.insert(c));
        editor
    }

    #[test]
    fn le_curseur_avance_d_un_caractere_entier_meme_accentue() {
        let mut editor = typed("été");
        editor.left();
        editor.left();
        assert_eq!(
            editor.before_cursor(),
            "é",
            "deux pas à gauche depuis la fin"
        );
        editor.insert('x');
        assert_eq!(editor.text(), "éxté");
        editor.home();
        editor.delete();
        assert_eq!(editor.text(), "xté", "Suppr efface le « é » entier");
        editor.end();
        editor.backspace();
        assert_eq!(editor.text(), "xt", "Retour arrière efface le « é » entier");
        editor.right();
        editor.delete();
        assert_eq!(editor.text(), "xt", "rien à droite de la fin");
    }

    #[test]
    fn les_fleches_rappellent_l_historique_puis_la_saisie_en_cours() {
        let mut editor = typed("un");
        editor.take();
        "deux".chars().for_each(|c| editor.insert(c));
        editor.take();
        "en cours".chars().for_each(|c| editor.insert(c));
        editor.previous();
        assert_eq!(editor.text(), "deux");
        editor.previous();
        editor.previous();
        assert_eq!(editor.text(), "un", "on s'arrête à la plus ancienne");
        editor.next();
        assert_eq!(editor.text(), "deux");
        editor.next();
        assert_eq!(editor.text(), "en cours", "la saisie en cours revient");
        assert_eq!(editor.before_cursor(), "en cours", "curseur à la fin");
    }

    #[test]
    fn l_historique_est_borne_et_sans_doublons_ni_lignes_vides() {
        let mut editor = Editor::default();
        for n in 0..MAX_HISTORY + 10 {
            n.to_string().chars().for_each(|c| editor.insert(c));
            editor.take();
            n.to_string().chars().for_each(|c| editor.insert(c));
            editor.take(); // la même ligne deux fois : gardée une fois
            editor.insert(' ');
            editor.take();
        }
        assert_eq!(editor.history.len(), MAX_HISTORY);
        assert_eq!(editor.history[0], "10", "les plus anciennes sont oubliées");
    }
}
