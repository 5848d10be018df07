//! # Exercice 11 — router un message du chat (solution)
//!
//! L'exercice du document 01 (§ 7) fait côté serveur : c'est le SERVEUR qui ajoute le
//! nom de l'expéditeur, pas le client. Sinon n'importe qui pourrait écrire « alice:
//! ... » et parler au nom d'alice. Pour la même raison, les caractères de contrôle du
//! texte sont neutralisés.

/// Une ligne à envoyer à un utilisateur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Le pseudo du destinataire.
    pub to: String,
    /// La ligne exacte à écrire sur sa socket, `\n` compris.
    pub line: String,
}

// ANCHOR: route_message
/// Les lignes que provoque le message public `text` de `sender`.
pub fn route_message(users: &[String], sender: &str, text: &str) -> Vec<Delivery> {
    // Seul un utilisateur inscrit peut parler : le serveur connaît son nom, le client
    // ne le choisit pas à chaque message.
    if text.is_empty() || !users.iter().any(|user| user == sender) {
        return Vec::new();
    }
    let line = format!("{sender}: {}\n", neutralize(text));
    users
        .iter()
        // Le serveur de chat du TP 04 comparait déjà les sockets pour ne pas renvoyer
        // le message à son auteur : ici on compare les pseudos.
        .filter(|user| *user != sender)
        .map(|user| Delivery {
            to: user.clone(),
            line: line.clone(),
        })
        .collect()
}
// ANCHOR_END: route_message

// ANCHOR: route_private
/// La ligne d'un message privé, pour son seul destinataire.
pub fn route_private(
    users: &[String],
    sender: &str,
    to: &str,
    text: &str,
) -> Result<Delivery, String> {
    let connected = |name: &str| users.iter().any(|user| user == name);
    if !connected(sender) {
        return Err(format!("expéditeur inconnu : {sender}"));
    }
    if to == sender {
        return Err("inutile de vous écrire à vous-même".to_string());
    }
    if !connected(to) {
        return Err(format!("utilisateur inconnu : {to}"));
    }
    Ok(Delivery {
        to: to.to_string(),
        line: format!("[privé] {sender}: {}\n", neutralize(text)),
    })
}
// ANCHOR_END: route_private

/// Remplace par `�` (U+FFFD) chaque caractère qui agit sur l'affichage au lieu de
/// s'afficher : un `\n` fabriquerait une fausse ligne, un `\x1b[...` (séquence ANSI)
/// prendrait la main sur le terminal des autres, un contrôle bidirectionnel
/// (U+202E...) afficherait la suite à l'envers, U+2028/U+2029 couperaient la ligne
/// dans certains terminaux. La tabulation reste : elle ne déplace que vers la droite.
/// C'est la même règle dans tous les chats du cours.
fn neutralize(text: &str) -> String {
    text.chars()
        .map(|c| if is_forbidden(c) { '\u{FFFD}' } else { c })
        .collect()
}

fn is_forbidden(c: char) -> bool {
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
