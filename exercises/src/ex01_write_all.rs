//! # Exercice 01 — tout écrire, à la main
//!
//! `write()` sur une socket n'envoie pas forcément tout : il rend le nombre d'octets
//! que le noyau a acceptés dans son tampon d'envoi, parfois moins que demandé (tampon
//! plein, pair lent). C'est pourquoi on utilise `write_all()`. Ici, vous l'écrivez
//! vous-même, comme le `send_all` du cours (document 03).

use std::io::{self, Write};

/// Écrit TOUT `data` dans `writer` en appelant seulement `writer.write()` (pas
/// `write_all`).
///
/// À faire :
/// - boucler tant qu'il reste des octets, en reprenant là où le `write()` précédent
///   s'est arrêté (écriture partielle) ;
/// - `ErrorKind::Interrupted` (un signal a interrompu l'appel système) : rien n'est
///   perdu, on recommence ;
/// - `Ok(0)` alors qu'il reste des octets : le pair n'accepte plus rien, renvoyer une
///   erreur `ErrorKind::WriteZero` (sinon la boucle tournerait pour toujours) ;
/// - toute autre erreur : la renvoyer telle quelle, immédiatement.
///
/// Notion réseau : TCP est un flux ; l'application confie des octets au noyau, qui
/// les envoie à son rythme. « Envoyé » veut dire « accepté par le noyau », rien de
/// plus.
///
/// Indice : le commentaire de `echo` dans la leçon `lessons/lesson01-echo` (pourquoi
/// `write_all` et pas `write`), et le chapitre
/// `book/src/exercices/ex01-ecrire-tout.md`. Une boucle `while` sur une tranche
/// `&data[sent..]` suffit.
#[allow(unused_variables)]
pub fn write_all(writer: &mut impl Write, data: &[u8]) -> io::Result<()> {
    todo!("ex01 : écrire une boucle autour de write() qui envoie tous les octets")
}
