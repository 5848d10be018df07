//! # Exercice 04 — des messages préfixés par leur longueur (solution)
//!
//! Le « protocole avec longueur » du document 03 : 4 octets de longueur en big-endian
//! (l'ordre réseau), puis le message. Le Python faisait confiance à la longueur
//! reçue ; ici elle est bornée AVANT de réserver la mémoire.

use std::io::{self, ErrorKind, Read, Write};

/// Taille maximale d'un message accepté par défaut : 1 Mio.
pub const MAX_MESSAGE_LEN: u32 = 1024 * 1024;

// ANCHOR: send_message
/// Envoie `payload` précédé de sa longueur (u32 big-endian).
pub fn send_message(writer: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let length = u32::try_from(payload.len())
        .ok()
        .filter(|&length| length <= MAX_MESSAGE_LEN)
        .ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "message de {} octets, maximum {MAX_MESSAGE_LEN}",
                    payload.len()
                ),
            )
        })?;
    writer.write_all(&length.to_be_bytes())?;
    writer.write_all(payload)?;
    // L'appelant peut avoir enveloppé la socket dans un BufWriter : le message doit
    // partir.
    writer.flush()
}
// ANCHOR_END: send_message

// ANCHOR: recv_message
/// Reçoit un message, ou `None` si le pair a fermé proprement avant un nouvel
/// en-tête.
pub fn recv_message(
    reader: &mut impl Read,
    max_len: u32,
) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    // On lit l'en-tête à la main pour distinguer la fin propre (0 octet lu) de la
    // coupure.
    let mut filled = 0;
    while filled < header.len() {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "connexion fermée au milieu de l'en-tête ({filled} octets sur 4)"
                    ),
                ));
            }
            Ok(received) => filled += received,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    let length = u32::from_be_bytes(header);
    // Ne jamais croire une longueur venue du réseau : 4 Gio annoncés ne seront pas
    // réservés.
    if length > max_len {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("message annoncé de {length} octets, maximum {max_len}"),
        ));
    }
    let mut payload = vec![0u8; length as usize];
    // `read_exact` de la bibliothèque standard fait la boucle de l'exercice 02.
    reader.read_exact(&mut payload)?;
    Ok(Some(payload))
}
// ANCHOR_END: recv_message
