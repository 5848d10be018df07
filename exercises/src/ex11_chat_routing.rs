//! # Exercice 11 — router un message du chat
//!
//! L'exercice du document 01 (§ 7) : chaque message est précédé du nom de son
//! expéditeur. Un serveur de chat décide, pour chaque ligne reçue, QUI doit recevoir
//! QUOI. On l'écrit ici comme une fonction pure (aucune socket) : facile à tester, et
//! le serveur n'a plus qu'à écrire les lignes obtenues sur les bonnes sockets.

/// Une ligne à envoyer à un utilisateur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Le pseudo du destinataire.
    pub to: String,
    /// La ligne exacte à écrire sur sa socket, `\n` compris.
    pub line: String,
}

/// Les lignes que provoque le message public `text` de `sender`.
///
/// Règles :
/// - chaque utilisateur connecté (dans l'ordre de `users`) SAUF l'expéditeur reçoit
///   `<sender>: <text>\n` ; on ne renvoie pas son message à l'expéditeur ;
/// - un expéditeur qui n'est pas dans `users` (pas encore inscrit, déjà parti) ne
///   peut rien envoyer : aucune livraison ;
/// - un texte vide : aucune livraison ;
/// - chaque caractère de contrôle du texte sauf la tabulation (`\n`, `\r`, `\x1b`,
///   NUL... voir `char::is_control`), chaque contrôle bidirectionnel (U+061C, U+200E,
///   U+200F, U+202A à U+202E, U+2066 à U+2069) et les séparateurs U+2028 et U+2029
///   sont remplacés par le caractère de remplacement `�` (U+FFFD) : sinon un `\n`
///   dans le texte permettrait de fabriquer une fausse ligne au nom d'un autre, et un
///   contrôle bidirectionnel d'afficher le texte à l'envers. C'est la règle de tous
///   les serveurs de chat du cours.
///
/// Indice : `iter().filter(...).map(...)` ; leçon `lessons/lesson05-chat`, chapitre
/// `book/src/exercices/ex11-routage-des-messages.md`.
#[allow(unused_variables)]
pub fn route_message(users: &[String], sender: &str, text: &str) -> Vec<Delivery> {
    todo!("ex11 : une ligne préfixée par l'expéditeur pour chacun des autres")
}

/// La ligne d'un message privé (`/msg`) : `[privé] <sender>: <text>\n`, pour `to`
/// seulement (le préfixe du chat de la leçon 05, qui fait en plus deux choses
/// laissées de côté ici : réduire chaque suite de blancs à une espace et couper en
/// lignes de 80 colonnes).
///
/// Erreurs (texte en français, pour l'expéditeur) : destinataire inconnu (la raison
/// cite son pseudo), expéditeur inconnu, ou message à soi-même. Mêmes remplacements
/// des caractères de contrôle que [`route_message`].
#[allow(unused_variables)]
pub fn route_private(
    users: &[String],
    sender: &str,
    to: &str,
    text: &str,
) -> Result<Delivery, String> {
    todo!("ex11 : une seule ligne pour le destinataire, ou une erreur claire")
}
