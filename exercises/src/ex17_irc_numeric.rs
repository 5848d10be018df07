//! # Exercice 17 — écrire une réponse numérique
//!
//! Un serveur IRC répond par des NUMÉROS : `001` (bienvenue), `433` (pseudo déjà
//! pris)… Chaque réponse a la même forme :
//! `:serveur CODE destinataire paramètres… :texte\r\n`, où le destinataire est le
//! pseudo du client, ou `*` s'il n'en a pas encore. Et aucune ligne IRC ne dépasse
//! 512 octets, `\r\n` compris (RFC 1459 § 2.3).

/// Longueur maximale d'une ligne IRC, `\r\n` compris.
pub const MAX_LINE: usize = 512;

/// La réponse `code` du serveur `server` au client `nick` (`None` : pas encore de
/// pseudo), avec les paramètres `params` puis le texte `text`.
///
/// Règles :
/// - le code s'écrit toujours sur trois chiffres : `1` donne `001` ;
/// - `None` comme pseudo donne `*` ;
/// - chaque paramètre est précédé d'une espace ; le texte d'une espace et de `:` ;
/// - la ligne finit par `\r\n` ;
/// - si elle dépasse [`MAX_LINE`] octets, le TEXTE est raccourci (jamais au milieu
///   d'un caractère UTF-8) pour que la ligne entière, `\r\n` compris, tienne.
///
/// Exemple : `numeric_reply("cours.irc", 433, None, &["bob"], "Nickname is already
/// in use")` donne `":cours.irc 433 * bob :Nickname is already in use\r\n"`.
///
/// Indice : `format!("{code:03}")`, `str::is_char_boundary` ; leçon
/// `lessons/lesson07-irc` (`message.rs`, `build`), chapitre
/// `book/src/exercices/ex17-reponse-numerique.md`.
#[allow(unused_variables)]
pub fn numeric_reply(
    server: &str,
    code: u16,
    nick: Option<&str>,
    params: &[&str],
    text: &str,
) -> String {
    todo!("ex17 : « :serveur CODE pseudo paramètres :texte », 512 octets au plus")
}
