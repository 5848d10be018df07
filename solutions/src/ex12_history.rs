//! # Exercice 12 — un historique borné (solution)
//!
//! La question bonus du document 01. Une `VecDeque` est une file circulaire : ajouter
//! à la fin et retirer au début coûtent un temps constant. Avec un `Vec`, `remove(0)`
//! décalerait tous les messages à chaque ajout.

use std::collections::VecDeque;
use std::io::{self, Write};

/// Les `capacity` derniers messages, du plus ancien au plus récent.
pub struct History {
    capacity: usize,
    messages: VecDeque<String>,
}

// ANCHOR: history
impl History {
    /// Un historique vide qui gardera au plus `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        History {
            capacity,
            // On ne réserve pas `capacity` d'avance : 100 000 places vides pour un
            // salon calme seraient de la mémoire gâchée. La file grandit
            // à la demande.
            messages: VecDeque::new(),
        }
    }

    /// Ajoute un message ; le plus ancien est oublié si l'historique est plein.
    pub fn push(&mut self, message: String) {
        if self.capacity == 0 {
            return;
        }
        if self.messages.len() == self.capacity {
            self.messages.pop_front();
        }
        self.messages.push_back(message);
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Les `n` derniers messages, du plus ancien au plus récent.
    pub fn last(&self, n: usize) -> Vec<String> {
        let skip = self.messages.len().saturating_sub(n);
        self.messages.iter().skip(skip).cloned().collect()
    }

    /// Rejoue tout l'historique : un message par ligne, puis flush.
    pub fn replay(&self, writer: &mut impl Write) -> io::Result<usize> {
        for message in &self.messages {
            writeln!(writer, "{message}")?;
        }
        // Le nouveau venu doit voir l'historique MAINTENANT, pas au prochain
        // remplissage du tampon.
        writer.flush()?;
        Ok(self.messages.len())
    }
}
// ANCHOR_END: history
