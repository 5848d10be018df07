//! # Exercice 03 — un lecteur de lignes
//!
//! Les morceaux qui arrivent d'une socket n'ont rien à voir avec les lignes
//! envoyées : une ligne peut arriver en trois morceaux, trois lignes en un seul. Le
//! lecteur garde donc un tampon : il y accumule ce qui arrive et n'en sort que des
//! lignes complètes. C'est le `SocketLineReader` du cours (document 03), en mieux :
//! la mémoire reste bornée.

use std::io::{self, Read};

/// Longueur maximale d'une ligne (sans le `\n`). Au-delà, c'est une erreur : un pair
/// qui n'envoie jamais de `\n` ne doit pas pouvoir remplir notre mémoire.
pub const MAX_LINE_LEN: usize = 1024;

/// Découpe en lignes un flux qui arrive en morceaux arbitraires.
// Les champs sont une suggestion : changez-les si vous voulez (retirez alors ce
// `allow`).
#[allow(dead_code)]
pub struct LineReader<R> {
    reader: R,
    /// Les octets reçus mais pas encore rendus sous forme de ligne.
    buffer: Vec<u8>,
}

impl<R: Read> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            buffer: Vec::new(),
        }
    }

    /// Rend la ligne suivante, sans son `\n` (ni le `\r` d'un `\r\n`).
    ///
    /// À faire :
    /// - si le tampon contient un `\n`, en sortir la ligne (les octets après le `\n`
    ///   restent dans le tampon pour l'appel suivant) ;
    /// - sinon appeler `read()` et ajouter les octets reçus au tampon ; recommencer
    ///   (`Interrupted` : recommencer aussi) ;
    /// - fin du flux (`read()` rend 0) : rendre le reste du tampon comme dernière
    ///   ligne s'il n'est pas vide (la dernière ligne peut manquer de `\n`), sinon
    ///   `Ok(None)` ;
    /// - une ligne de plus de [`MAX_LINE_LEN`] octets : erreur
    ///   `ErrorKind::InvalidData` ;
    /// - une ligne qui n'est pas de l'UTF-8 valide : erreur `ErrorKind::InvalidData`.
    ///
    /// Notion réseau : TCP ne connaît pas les messages ; le `\n` est NOTRE
    /// délimiteur.
    ///
    /// Indice : la leçon `lessons/lesson02-client-server` (lecture de lignes bornées)
    /// et le chapitre `book/src/exercices/ex03-lecteur-de-lignes.md`. Cherchez le
    /// `\n` avec `iter().position()`, coupez avec `drain(..=position)`.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        todo!("ex03 : accumuler les morceaux et rendre une ligne complète")
    }
}
