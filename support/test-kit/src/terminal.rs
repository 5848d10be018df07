//! Le clavier et l'écran d'un client, simulés par des canaux.
//!
//! Un client du cours lit le clavier et écrit à l'écran à travers `impl BufRead` et
//! `impl Write` : le programme lui passe les vrais, un test ceux-ci. Le test tape
//! quand il veut, et attend ce qui s'affiche, chaque attente bornée.

use std::io::{self, BufReader, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Instant;

use crate::{MAX_LINES, TIMEOUT};

/// Un clavier simulé (voir [`keyboard`]).
pub struct Keyboard {
    keys: Receiver<Vec<u8>>,
    pending: io::Cursor<Vec<u8>>,
}

/// Un clavier simulé : chaque `Vec<u8>` envoyé dans le canal est « tapé » ; détruire
/// le canal revient à Ctrl+D (fin de l'entrée). Tant que le canal reste ouvert et
/// vide, la lecture attend, comme un utilisateur qui réfléchit.
pub fn keyboard() -> (Sender<Vec<u8>>, BufReader<Keyboard>) {
    let (typing, keys) = mpsc::channel();
    let keyboard = Keyboard {
        keys,
        pending: io::Cursor::new(Vec::new()),
    };
    (typing, BufReader::new(keyboard))
}

impl Read for Keyboard {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let read = self.pending.read(buffer)?;
            if read > 0 || buffer.is_empty() {
                return Ok(read);
            }
            match self.keys.recv() {
                Ok(typed) => self.pending = io::Cursor::new(typed),
                Err(_) => return Ok(0), // canal détruit : fin de l'entrée
            }
        }
    }
}

/// Un écran simulé (voir [`screen`]) : tout ce qui y est écrit part dans un canal.
pub struct Screen(Sender<Vec<u8>>);

impl Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        // Le test a pu se terminer : ce qu'on affiche ensuite n'intéresse plus
        // personne.
        let _ = self.0.send(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Ce que l'écran simulé a affiché jusqu'ici, lu par le test.
pub struct Shown {
    text: String,
    chunks: Receiver<Vec<u8>>,
}

/// Un écran simulé : le client écrit dans le [`Screen`], le test lit dans le
/// [`Shown`].
pub fn screen() -> (Screen, Shown) {
    let (sender, chunks) = mpsc::channel();
    let shown = Shown {
        text: String::new(),
        chunks,
    };
    (Screen(sender), shown)
}

impl Shown {
    /// Attend que l'écran affiche `expected` et rend tout ce qui est affiché. Le test
    /// échoue, en disant ce qui est affiché, après [`TIMEOUT`], après
    /// [`MAX_LINES`] écritures sans `expected`, ou si le client a détruit son
    /// écran avant.
    #[track_caller]
    pub fn wait_for(&mut self, expected: &str) -> &str {
        let deadline = Instant::now() + TIMEOUT;
        for _ in 0..MAX_LINES {
            if self.text.contains(expected) {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "l'écran devait afficher « {expected} » ; après {TIMEOUT:?}, il affiche : {:?}",
                    self.text
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "le client a fini sans afficher « {expected} » ; il a affiché : {:?}",
                    self.text
                ),
            }
        }
        if !self.text.contains(expected) {
            panic!(
                "« {expected} » absent des {MAX_LINES} écritures à l'écran : {:?}",
                self.text
            );
        }
        &self.text
    }

    /// Ajoute ce qui a été affiché entre-temps, sans attendre, et rend tout le texte.
    pub fn collect(&mut self) -> &str {
        for chunk in self.chunks.try_iter() {
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
        &self.text
    }
}
