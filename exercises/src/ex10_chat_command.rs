//! # Exercice 10 — analyser une ligne du chat
//!
//! Le serveur de chat (document 04, § 2.3) reconnaît des commandes : NICK, MSG, WHO,
//! QUIT, KILL. Comme dans la leçon 05, elles commencent par `/` et leur nom ne tient
//! pas compte de la casse (`/nick`, `/NICK`). Toute autre ligne est un message pour
//! tout le monde. Analyser la ligne à part, dans une fonction pure, la rend facile à
//! tester.

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

/// Un pseudo valide : 1 à 16 caractères parmi les lettres ASCII, les chiffres, `_` et
/// `-` (ASCII seulement : des lettres qui se ressemblent ne doivent pas permettre
/// d'usurper un pseudo).
#[allow(unused_variables)]
pub fn is_valid_nick(nick: &str) -> bool {
    todo!("ex10 : longueur 1 à 16, caractères ASCII alphanumériques, _ ou -")
}

/// Analyse une ligne (on retire d'abord le `\n` et le `\r` finals).
///
/// Règles :
/// - ligne vide ou faite d'espaces : `Invalid` ;
/// - `exit` seul (espaces autour tolérés) : `Quit(None)` ;
/// - ne commence pas par `/` : `Say(ligne)` telle quelle ;
/// - `/nick P` (un seul argument, pseudo valide), `/msg P TEXTE` (texte non vide,
///   sans les espaces autour), `/who` (sans argument), `/quit [raison]`,
///   `/kill P [raison]` (raison : le reste de la ligne sans les espaces autour,
///   `None` si vide) ;
/// - argument manquant, en trop, ou pseudo invalide : `Invalid` avec une raison qui
///   aide ;
/// - commande inconnue : `Invalid` dont la raison cite la commande (`/danse`).
///
/// Indice : `split_once(' ')`, `trim`, `to_ascii_lowercase` ; leçon
/// `lessons/lesson05-chat`, chapitre `book/src/exercices/ex10-commandes-du-chat.md`.
#[allow(unused_variables)]
pub fn parse_command(line: &str) -> Command {
    todo!("ex10 : reconnaître /nick, /msg, /who, /quit, /kill, exit et les messages")
}
