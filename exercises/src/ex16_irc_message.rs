//! # Exercice 16 — lire un message IRC
//!
//! Un message IRC (RFC 1459 § 2.3, leçon 07) tient sur une ligne :
//! `[:préfixe] COMMANDE paramètre… [:dernier paramètre]`. Le préfixe dit qui parle ;
//! la commande est un mot ou trois chiffres ; un paramètre qui commence par `:` est
//! le dernier, et va jusqu'au bout de la ligne, espaces comprises. Le découper à
//! part, dans une fonction pure, le rend facile à tester.

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

/// Découpe une ligne en message (on retire d'abord le `\n` et le `\r` finals).
///
/// Règles :
/// - ligne vide ou faite d'espaces : `None` ;
/// - les mots sont séparés par une ou plusieurs espaces ;
/// - `:mot` au début : le préfixe (sans le `:`) ; puis la commande, en majuscules ;
/// - un mot qui commence par `:` est le dernier paramètre : tout le reste de la
///   ligne, sans ce `:` (espaces comprises, même répétées, et même vide) ;
/// - au plus 15 paramètres : le quinzième est tout le reste de la ligne, même sans
///   `:` ;
/// - une ligne sans commande (rien qu'un préfixe) : `None`.
///
/// Indice : `strip_prefix`, `split_once(' ')`, `trim_start_matches(' ')` ; leçon
/// `lessons/lesson07-irc` (`message.rs`), chapitre
/// `book/src/exercices/ex16-message-irc.md`.
#[allow(unused_variables)]
pub fn parse_message(line: &str) -> Option<Message> {
    todo!("ex16 : préfixe, commande en majuscules, paramètres et dernier paramètre")
}
