//! # Exercice 14 — envoyer et recevoir un fichier (solution)
//!
//! Le `send_file` du document 03 et le récepteur qu'il ne montrait pas. Le Python
//! s'arrêtait en silence (`break`) si le fichier rétrécissait pendant l'envoi : le
//! récepteur attendait alors pour toujours les octets annoncés. Ici c'est une erreur.

use std::io::{self, ErrorKind, Read, Write};

/// Taille maximale d'un bloc lu ou écrit d'un coup.
pub const CHUNK_SIZE: usize = 4096;

// ANCHOR: send_file
/// Envoie la taille (u64 big-endian) puis `size` octets de `source`, par blocs.
pub fn send_file(
    source: impl Read,
    size: u64,
    mut dest: impl Write,
    mut progress: impl FnMut(u64, u64),
) -> io::Result<u64> {
    dest.write_all(&size.to_be_bytes())?;
    progress(0, size);
    // `take` : on n'enverra jamais plus que la taille annoncée, même si le fichier a
    // grandi.
    let mut source = source.take(size);
    let mut chunk = [0u8; CHUNK_SIZE];
    let mut sent = 0;
    while sent < size {
        let read = match source.read(&mut chunk) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "la source s'arrête après {sent} octets sur {size} annoncés"
                    ),
                ));
            }
            Ok(read) => read,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        dest.write_all(&chunk[..read])?;
        sent += read as u64;
        progress(sent, size);
    }
    dest.flush()?;
    Ok(sent)
}
// ANCHOR_END: send_file

// ANCHOR: receive_file
/// Reçoit un fichier envoyé par [`send_file`] ; refuse ce qui dépasse `max_size`.
pub fn receive_file(
    mut source: impl Read,
    mut dest: impl Write,
    max_size: u64,
    mut progress: impl FnMut(u64, u64),
) -> io::Result<u64> {
    let mut header = [0u8; 8];
    source
        .read_exact(&mut header)
        .map_err(|err| match err.kind() {
            ErrorKind::UnexpectedEof => io::Error::new(
                ErrorKind::UnexpectedEof,
                "connexion fermée au milieu de la taille",
            ),
            _ => err,
        })?;
    let size = u64::from_be_bytes(header);
    // Vérifier AVANT d'écrire quoi que ce soit : un disque plein se décide ici.
    if size > max_size {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("fichier annoncé de {size} octets, maximum {max_size}"),
        ));
    }
    progress(0, size);
    let mut chunk = [0u8; CHUNK_SIZE];
    let mut received = 0;
    while received < size {
        // Jamais plus que ce qui reste du fichier : la suite du flux n'est pas à
        // nous.
        let wanted = (size - received).min(CHUNK_SIZE as u64) as usize;
        let read = match source.read(&mut chunk[..wanted]) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("connexion fermée après {received} octets sur {size}"),
                ));
            }
            Ok(read) => read,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        dest.write_all(&chunk[..read])?;
        received += read as u64;
        progress(received, size);
    }
    dest.flush()?;
    Ok(size)
}
// ANCHOR_END: receive_file
