//! # Exercice 12 — un historique borné
//!
//! La question bonus du document 01 : garder un historique des messages sur le
//! serveur, pour le rejouer aux nouveaux venus. Sans borne, un serveur qui tourne des
//! semaines finirait par épuiser sa mémoire : on ne garde que les N derniers.

use std::collections::VecDeque;
use std::io::{self, Write};

/// Les `capacity` derniers messages, du plus ancien au plus récent.
// Les champs sont une suggestion : changez-les si vous voulez (retirez alors ce
// `allow`).
#[allow(dead_code)]
pub struct History {
    capacity: usize,
    messages: VecDeque<String>,
}

impl History {
    /// Un historique vide qui gardera au plus `capacity` messages (0 : n'en garde
    /// aucun).
    #[allow(unused_variables)]
    pub fn new(capacity: usize) -> Self {
        todo!("ex12 : créer un historique vide")
    }

    /// Ajoute un message ; s'il y en a déjà `capacity`, le plus ancien est oublié.
    /// Doit prendre un temps constant, même avec 100 000 messages gardés.
    #[allow(unused_variables)]
    pub fn push(&mut self, message: String) {
        todo!("ex12 : ajouter à la fin, retirer au début si plein")
    }

    /// Nombre de messages gardés.
    pub fn len(&self) -> usize {
        todo!("ex12 : nombre de messages gardés")
    }

    pub fn is_empty(&self) -> bool {
        todo!("ex12 : aucun message ?")
    }

    /// Les `n` derniers messages (tous s'il y en a moins), du plus ancien au plus
    /// récent.
    #[allow(unused_variables)]
    pub fn last(&self, n: usize) -> Vec<String> {
        todo!("ex12 : les n derniers, dans l'ordre")
    }

    /// Rejoue tout l'historique à un nouveau venu : chaque message suivi de `\n`,
    /// dans l'ordre, puis `flush()`. Renvoie le nombre de messages écrits.
    ///
    /// Indice : `VecDeque` (une file circulaire) ; leçon `lessons/lesson05-chat`,
    /// chapitre `book/src/exercices/ex12-historique-borne.md`.
    #[allow(unused_variables)]
    pub fn replay(&self, writer: &mut impl Write) -> io::Result<usize> {
        todo!("ex12 : écrire chaque message suivi de \\n, puis flush")
    }
}
