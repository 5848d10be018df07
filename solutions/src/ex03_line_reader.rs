//! # Exercice 03 — un lecteur de lignes (solution)
//!
//! Le `SocketLineReader` du document 03, avec deux corrections : la mémoire est
//! bornée (le Python accumulait sans limite si le `\n` ne venait jamais) et on ne
//! recherche le `\n` que dans les octets nouvellement arrivés (le Python refaisait
//! `b'\n' in self.buffer` sur tout le tampon à chaque morceau).

use std::io::{self, ErrorKind, Read};

/// Longueur maximale d'une ligne (sans le `\n`).
pub const MAX_LINE_LEN: usize = 1024;

/// Découpe en lignes un flux qui arrive en morceaux arbitraires.
pub struct LineReader<R> {
    reader: R,
    /// Les octets reçus mais pas encore rendus sous forme de ligne.
    buffer: Vec<u8>,
    /// Jusqu'où l'on a déjà cherché un `\n` dans `buffer` (inutile de recommencer).
    searched: usize,
}

impl<R: Read> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            buffer: Vec::new(),
            searched: 0,
        }
    }

    // ANCHOR: read_line
    /// Rend la ligne suivante sans sa fin de ligne, `None` à la fin du flux.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            // Une ligne complète attend-elle déjà dans le tampon ?
            if let Some(offset) = self.buffer[self.searched..]
                .iter()
                .position(|&b| b == b'\n')
            {
                let end = self.searched + offset;
                // `drain` retire la ligne et son `\n` ; la suite reste pour l'appel
                // suivant.
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                self.searched = 0;
                line.pop();
                return to_line(line).map(Some);
            }
            self.searched = self.buffer.len();
            // Pas de `\n` et déjà trop d'octets : le pair ne respecte pas le
            // protocole. (+ 1 : le `\r` d'un `\r\n` peut arriver sans son
            // `\n`, dans un morceau à part ; sinon une ligne permise
            // serait refusée ou non selon le découpage du flux. `to_line`
            // vérifie de toute façon la longueur exacte.)
            if self.buffer.len() > MAX_LINE_LEN + 1 {
                return Err(io::Error::new(
                    ErrorKind::InvalidData,
                    format!("ligne de plus de {MAX_LINE_LEN} octets"),
                ));
            }
            let mut chunk = [0u8; 512];
            match self.reader.read(&mut chunk) {
                // Fin du flux : la dernière ligne peut manquer de `\n`.
                Ok(0) if self.buffer.is_empty() => return Ok(None),
                Ok(0) => {
                    self.searched = 0;
                    return to_line(std::mem::take(&mut self.buffer)).map(Some);
                }
                Ok(received) => self.buffer.extend_from_slice(&chunk[..received]),
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }
    // ANCHOR_END: read_line
}

/// Retire le `\r` d'un `\r\n`, vérifie la longueur et l'UTF-8. On ne décode qu'une
/// ligne COMPLÈTE : un caractère accentué (2 octets) peut être coupé entre deux
/// morceaux.
fn to_line(mut line: Vec<u8>) -> io::Result<String> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > MAX_LINE_LEN {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("ligne de plus de {MAX_LINE_LEN} octets"),
        ));
    }
    String::from_utf8(line).map_err(|_| {
        io::Error::new(ErrorKind::InvalidData, "ligne qui n'est pas de l'UTF-8")
    })
}
