//! # Exercice 17 — écrire une réponse numérique (solution)
//!
//! Ce que fait `message::build` dans la leçon 07, pour une réponse du serveur : le
//! code sur trois chiffres, le destinataire, les paramètres, le texte, et jamais plus
//! de 512 octets.

/// Longueur maximale d'une ligne IRC, `\r\n` compris.
pub const MAX_LINE: usize = 512;

// ANCHOR: numeric_reply
/// La réponse `code` du serveur `server` au client `nick`.
pub fn numeric_reply(
    server: &str,
    code: u16,
    nick: Option<&str>,
    params: &[&str],
    text: &str,
) -> String {
    // `{code:03}` : 1 s'écrit `001`. Un client reconnaît la réponse à ces trois
    // chiffres, jamais au texte (qui peut être traduit).
    let mut line = format!(":{server} {code:03} {}", nick.unwrap_or("*"));
    for param in params {
        line.push(' ');
        line.push_str(param);
    }
    line.push_str(" :");
    line.push_str(text);
    // 510 octets au plus avant `\r\n`. On recule jusqu'à une frontière de
    // caractère : couper « é » (deux octets) en deux donnerait de l'UTF-8
    // invalide.
    let mut end = line.len().min(MAX_LINE - 2);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.truncate(end);
    line.push_str("\r\n");
    line
}
// ANCHOR_END: numeric_reply
