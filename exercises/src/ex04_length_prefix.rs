//! # Exercice 04 — des messages préfixés par leur longueur
//!
//! Seconde façon de délimiter des messages dans un flux : écrire d'abord la longueur
//! du message sur 4 octets (u32 gros-boutiste, « big-endian », l'ordre réseau), puis
//! le message. Le récepteur lit 4 octets, puis exactement autant d'octets qu'annoncé.
//! C'est le « protocole avec longueur » du cours (document 03).

use std::io::{self, Read, Write};

/// Taille maximale d'un message accepté par défaut : 1 Mio.
pub const MAX_MESSAGE_LEN: u32 = 1024 * 1024;

/// Envoie `payload` précédé de sa longueur (u32 big-endian).
///
/// À faire : refuser (erreur `ErrorKind::InvalidInput`, sans rien écrire) un message
/// de plus de [`MAX_MESSAGE_LEN`] octets ; sinon écrire l'en-tête puis le message,
/// puis `flush()`.
///
/// Indice : `u32::to_be_bytes`, `write_all` ; chapitre
/// `book/src/exercices/ex04-messages-prefixes.md`, leçon
/// `lessons/lesson02-client-server`.
#[allow(unused_variables)]
pub fn send_message(writer: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    todo!("ex04 : écrire la longueur sur 4 octets puis le message")
}

/// Reçoit un message : `Ok(Some(octets))`, ou `Ok(None)` si le pair a fermé
/// proprement la connexion AVANT un nouvel en-tête (il a fini de parler).
///
/// À faire :
/// - fin du flux au milieu de l'en-tête ou du message : `ErrorKind::UnexpectedEof` ;
/// - longueur annoncée > `max_len` : `ErrorKind::InvalidData`, SANS lire ni réserver
///   la mémoire annoncée (un pair malveillant annoncerait 4 Gio) ;
/// - un message vide (longueur 0) est valide.
///
/// Notion réseau : ne jamais faire confiance à une longueur venue du réseau.
///
/// Indice : `u32::from_be_bytes`, `read_exact` (ou votre exercice 02) ; chapitre
/// `book/src/exercices/ex04-messages-prefixes.md`. Distinguer « 0 octet de l'en-tête
/// lu » (fin propre) de « 1 à 3 octets lus » (coupure) demande une petite boucle sur
/// `read()`.
#[allow(unused_variables)]
pub fn recv_message(
    reader: &mut impl Read,
    max_len: u32,
) -> io::Result<Option<Vec<u8>>> {
    todo!(
        "ex04 : lire 4 octets de longueur, vérifier le maximum, puis lire le message"
    )
}
