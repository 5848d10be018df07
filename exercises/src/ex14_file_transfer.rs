//! # Exercice 14 — envoyer et recevoir un fichier
//!
//! Le `send_file` du cours (document 03) : la taille d'abord (u64 big-endian, 8
//! octets), puis le contenu par blocs, avec une progression. Le récepteur sait ainsi
//! quand le fichier est fini sans que l'émetteur ferme la connexion, et peut refuser
//! un fichier trop gros.

use std::io::{self, Read, Write};

/// Taille maximale d'un bloc lu ou écrit d'un coup.
pub const CHUNK_SIZE: usize = 4096;

/// Envoie `size` octets lus dans `source` : l'en-tête (u64 big-endian), puis le
/// contenu par blocs d'au plus [`CHUNK_SIZE`] octets, puis `flush()`. Renvoie le
/// nombre d'octets envoyés.
///
/// Progression : `progress(0, size)` avant le premier bloc, puis
/// `progress(envoyés, size)` après chaque bloc ; le dernier appel est donc toujours
/// `progress(size, size)`.
///
/// Erreur : si `source` se termine avant `size` octets (le fichier a rétréci),
/// `ErrorKind::UnexpectedEof`.
///
/// Indice : leçon `lessons/lesson02-client-server`, chapitre
/// `book/src/exercices/ex14-transfert-de-fichier.md`. `Read::take` limite une
/// lecture.
#[allow(unused_variables)]
pub fn send_file(
    source: impl Read,
    size: u64,
    dest: impl Write,
    progress: impl FnMut(u64, u64),
) -> io::Result<u64> {
    todo!("ex14 : la taille sur 8 octets, puis les blocs, avec la progression")
}

/// Reçoit un fichier envoyé par [`send_file`] et l'écrit dans `dest`. Renvoie sa
/// taille.
///
/// - Taille annoncée > `max_size` : `ErrorKind::InvalidData` avant de lire le
///   contenu.
/// - Fin du flux avant la fin du fichier (ou au milieu de l'en-tête) :
///   `UnexpectedEof`.
/// - Ne JAMAIS lire au-delà du fichier : la suite du flux appartient au message
///   suivant.
/// - Progression : comme pour `send_file` (`(0, taille)` puis après chaque bloc).
#[allow(unused_variables)]
pub fn receive_file(
    source: impl Read,
    dest: impl Write,
    max_size: u64,
    progress: impl FnMut(u64, u64),
) -> io::Result<u64> {
    todo!(
        "ex14 : lire la taille, vérifier le maximum, copier exactement ce nombre \
         d'octets"
    )
}
