//! # Exercice 10 — analyser une ligne du chat (solution)
//!
//! Les commandes du TP 04 (§ 2.3) avec la syntaxe de la leçon 05 : `/` puis le nom,
//! sans tenir compte de la casse. Une fonction pure, sans socket : le serveur n'a
//! plus qu'à exécuter la commande obtenue, et chaque cas limite se teste en une
//! ligne.

/// Ce que veut dire une ligne envoyée par un client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/nick PSEUDO` : changer de pseudo.
    Nick(String),
    /// `/msg PSEUDO TEXTE` : message privé (le texte peut contenir des espaces).
    Msg { to: String, text: String },
    /// `/who` : liste des connectés.
    Who,
    /// `/quit [raison]` ou `exit` seul sur la ligne : partir.
    Quit(Option<String>),
    /// `/kill PSEUDO [raison]` : déconnecter quelqu'un (réservé aux opérateurs).
    Kill {
        target: String,
        reason: Option<String>,
    },
    /// Une ligne ordinaire, à diffuser.
    Say(String),
    /// Une commande mal formée ou inconnue, avec la raison en français pour
    /// l'expéditeur.
    Invalid(String),
}

// ANCHOR: is_valid_nick
/// 1 à 16 caractères ASCII parmi lettres, chiffres, `_` et `-`.
pub fn is_valid_nick(nick: &str) -> bool {
    // ASCII seulement : « аlice » avec un « а » cyrillique ressemblerait trait pour
    // trait à « alice ». Comme tout est ASCII, len() (en octets) compte bien des
    // caractères.
    (1..=16).contains(&nick.len())
        && nick
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}
// ANCHOR_END: is_valid_nick

// ANCHOR: parse_command
/// Analyse une ligne reçue d'un client.
pub fn parse_command(line: &str) -> Command {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return invalid("ligne vide : rien à envoyer");
    }
    if line.trim() == "exit" {
        return Command::Quit(None);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Command::Say(line.to_string());
    };
    // « / nick » n'est pas « /nick » : le nom doit suivre immédiatement la barre.
    let (name, args) = if command.starts_with(char::is_whitespace) {
        ("", "")
    } else {
        split_first_word(command)
    };
    match name.to_ascii_lowercase().as_str() {
        "nick" => match split_first_word(args) {
            ("", _) => invalid("/nick attend un pseudo : /nick PSEUDO"),
            (nick, "") if is_valid_nick(nick) => Command::Nick(nick.to_string()),
            (_, "") => invalid(NICK_RULES),
            _ => invalid("un pseudo ne contient pas d'espace : /nick PSEUDO"),
        },
        "msg" => match split_first_word(args) {
            ("", _) => {
                invalid("/msg attend un destinataire et un texte : /msg PSEUDO TEXTE")
            }
            (_, "") => invalid("/msg sans texte : /msg PSEUDO TEXTE"),
            (to, _) if !is_valid_nick(to) => invalid(NICK_RULES),
            (to, text) => Command::Msg {
                to: to.to_string(),
                text: text.to_string(),
            },
        },
        "who" if args.is_empty() => Command::Who,
        "who" => invalid("/who ne prend pas d'argument"),
        "quit" => Command::Quit(non_empty(args)),
        "kill" => match split_first_word(args) {
            ("", _) => invalid("/kill attend un pseudo : /kill PSEUDO [raison]"),
            (target, _) if !is_valid_nick(target) => invalid(NICK_RULES),
            (target, reason) => Command::Kill {
                target: target.to_string(),
                reason: non_empty(reason),
            },
        },
        "" => invalid("il manque le nom de la commande après « / »"),
        _ => invalid(&format!(
            "commande inconnue : /{name} (commandes : /nick, /msg, /who, /quit, /kill)"
        )),
    }
}
// ANCHOR_END: parse_command

const NICK_RULES: &str =
    "pseudo invalide : 1 à 16 caractères parmi a-z, A-Z, 0-9, _ et -";

/// Coupe au premier blanc : (premier mot, reste sans les blancs autour).
fn split_first_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (text, ""),
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn invalid(reason: &str) -> Command {
    Command::Invalid(reason.to_string())
}
