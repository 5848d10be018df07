//! # Exercice 16 — lire un message IRC (solution)
//!
//! La grammaire de RFC 1459 § 2.3, comme `message::parse` dans la leçon 07 : une
//! fonction pure, sans socket. Le serveur n'a plus qu'à aiguiller sur `command`.

/// Un message lu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Le préfixe sans son `:` (`alice!a@hote`), s'il y en a un.
    pub prefix: Option<String>,
    /// La commande en MAJUSCULES (`privmsg` devient `PRIVMSG`), ou trois chiffres.
    pub command: String,
    /// Les paramètres ; le dernier sans son `:` (il peut être vide ou contenir des
    /// espaces).
    pub params: Vec<String>,
}

/// Au plus 15 paramètres (RFC 2812 § 2.3.1).
const MAX_PARAMS: usize = 15;

// ANCHOR: parse_message
/// Découpe une ligne en message.
pub fn parse_message(line: &str) -> Option<Message> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut rest = line.trim_start_matches(' ');
    let mut prefix = None;
    if let Some(after) = rest.strip_prefix(':') {
        let (word, after) = after.split_once(' ').unwrap_or((after, ""));
        prefix = Some(word.to_owned());
        rest = after.trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return None; // ligne vide, ou rien qu'un préfixe
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        // Le `:` du dernier paramètre est testé AVANT la fin de ligne : `TOPIC #c :`
        // a bien un dernier paramètre, vide.
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_owned());
            break;
        }
        if rest.is_empty() {
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            params.push(rest.to_owned()); // le quinzième : tout le reste
            break;
        }
        let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(word.to_owned());
        rest = after;
    }
    Some(Message {
        prefix,
        command: command.to_ascii_uppercase(),
        params,
    })
}
// ANCHOR_END: parse_message
