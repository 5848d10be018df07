//! Ce que montre le volet des messages : une ligne du serveur reconnue selon sa
//! forme (le protocole n'en a que quatre, voir `lib.rs`), ou une ligne écrite par ce
//! client lui-même.

use crate::protocol::{NOTICE_PREFIX, validate_nick};

// ANCHOR: message
/// Une ligne du volet des messages. Reconnaître la forme une fois, à l'arrivée,
/// permet à l'affichage de donner une couleur au pseudo, un style aux notices et une
/// marque aux messages privés sans rechercher des préfixes partout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `alice: texte`
    Public { from: String, text: String },
    /// `[privé] alice: texte`
    Private { from: String, text: String },
    /// `[il y a 5 min] alice: texte` : rejoué depuis l'historique du salon.
    Replayed {
        age: String,
        from: String,
        text: String,
    },
    /// `*** texte` : une notice du serveur (sans le `*** `).
    Notice(String),
    /// Une ligne d'une autre forme (un serveur qui ne suit pas le protocole).
    Other(String),
    /// Un message privé que NOUS avons envoyé (`/msg bob texte`).
    PrivateSent { to: String, text: String },
    /// Une phrase de ce client, pas du serveur (connexion perdue, ligne pas partie).
    Client(String),
}

impl Message {
    /// Reconnaît une ligne reçue, déjà neutralisée. Un pseudo ne contient ni espace,
    /// ni `:`, ni `*`, ni `[` : un texte tapé ne peut pas imiter une autre forme.
    pub fn parse(line: &str) -> Message {
        if let Some(text) = line.strip_prefix(NOTICE_PREFIX) {
            return Message::Notice(text.trim_start().to_owned());
        }
        // (Pas de `if let … && let …` : il demande Rust 1.88, le cours promet 1.85.)
        if let Some((from, text)) =
            line.strip_prefix("[privé] ").and_then(split_sender)
        {
            return Message::Private { from, text };
        }
        let replayed = line.strip_prefix("[il y a ").and_then(|rest| {
            let (age, rest) = rest.split_once("] ")?;
            Some((age.to_owned(), split_sender(rest)?))
        });
        if let Some((age, (from, text))) = replayed {
            return Message::Replayed { age, from, text };
        }
        match split_sender(line) {
            Some((from, text)) => Message::Public { from, text },
            None => Message::Other(line.to_owned()),
        }
    }
}

/// `alice: texte` → (`alice`, `texte`), si `alice` est un pseudo valide.
fn split_sender(line: &str) -> Option<(String, String)> {
    let (from, text) = line.split_once(": ")?;
    validate_nick(from).ok()?;
    Some((from.to_owned(), text.to_owned()))
}
// ANCHOR_END: message

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{history_line, joined, private_line, public_line};

    /// La première ligne que le serveur enverrait, sans son `\n`.
    fn first_row(line: String) -> String {
        line.lines().next().unwrap_or_default().to_owned()
    }

    #[test]
    fn les_quatre_formes_du_serveur_sont_reconnues() {
        let public = first_row(public_line("alice", "salut : ça va ?"));
        assert_eq!(
            Message::parse(&public),
            Message::Public {
                from: "alice".into(),
                text: "salut : ça va ?".into()
            }
        );
        let private = first_row(private_line("bob", "chut"));
        assert_eq!(
            Message::parse(&private),
            Message::Private {
                from: "bob".into(),
                text: "chut".into()
            }
        );
        let replayed = first_row(history_line(300, "carol", "quelqu'un ?"));
        assert_eq!(
            Message::parse(&replayed),
            Message::Replayed {
                age: "5 min".into(),
                from: "carol".into(),
                text: "quelqu'un ?".into()
            }
        );
        let notice = first_row(joined("dave"));
        assert_eq!(
            Message::parse(&notice),
            Message::Notice("dave a rejoint le salon.".into())
        );
    }

    #[test]
    fn une_ligne_hors_protocole_reste_telle_quelle() {
        for line in ["bonjour", "pas un pseudo: texte", "[privé] x y: z"] {
            assert_eq!(Message::parse(line), Message::Other(line.into()));
        }
    }
}
