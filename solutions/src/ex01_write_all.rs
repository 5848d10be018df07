//! # Exercice 01 — tout écrire, à la main (solution)
//!
//! `write()` rend le nombre d'octets que le noyau a acceptés dans son tampon d'envoi,
//! parfois moins que demandé. `write_all` boucle jusqu'au dernier octet : c'est le
//! `send_all` du document 03, avec deux cas que le Python oubliait (voir plus bas).

use std::io::{self, ErrorKind, Write};

// ANCHOR: write_all
/// Écrit tout `data` dans `writer` avec des appels à `write()`.
pub fn write_all(writer: &mut impl Write, data: &[u8]) -> io::Result<()> {
    // `remaining` rétrécit à chaque écriture partielle : on reprend là où le noyau
    // s'est arrêté.
    let mut remaining = data;
    while !remaining.is_empty() {
        match writer.write(remaining) {
            // Ok(0) : le pair n'accepte plus rien. Sans ce cas, la boucle tournerait
            // pour toujours (le `send_all` du cours lève bien une
            // exception ici).
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::WriteZero,
                    format!(
                        "write() n'a plus rien accepté ({} octets sur {} envoyés)",
                        data.len() - remaining.len(),
                        data.len()
                    ),
                ));
            }
            Ok(written) => remaining = &remaining[written..],
            // Un signal a interrompu l'appel système avant tout envoi : on
            // recommence. (Le Python n'a pas à s'en soucier : depuis la
            // PEP 475, il réessaie tout seul.)
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
// ANCHOR_END: write_all
