//! # Exercice 02 — lire exactement N octets (solution)
//!
//! Le `recv_exact` du document 03, avec un message d'erreur qui dit où l'on en était.
//! Le Python accumulait avec `data += packet`, qui recopie tout à chaque morceau ;
//! ici on remplit un tampon préparé à la bonne taille.

use std::io::{self, ErrorKind, Read};

// ANCHOR: read_exact
/// Lit exactement `n` octets depuis `reader`.
pub fn read_exact(reader: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        // On ne demande que ce qui manque : les octets suivants appartiennent au
        // message d'après, et doivent rester dans la socket.
        match reader.read(&mut buffer[filled..]) {
            // 0 octet : le pair a fermé (FIN) avant d'avoir tout envoyé.
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "connexion fermée après {filled} octets sur {n} attendus"
                    ),
                ));
            }
            Ok(received) => filled += received,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(buffer)
}
// ANCHOR_END: read_exact
