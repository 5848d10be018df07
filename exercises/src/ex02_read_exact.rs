//! # Exercice 02 — lire exactement N octets
//!
//! `read()` rend ce qui est déjà arrivé : entre 1 octet et la taille du tampon,
//! jamais « un message ». Pour lire un en-tête de 4 octets, il faut donc boucler.
//! C'est le `recv_exact` du cours (document 03).

use std::io::{self, Read};

/// Lit exactement `n` octets depuis `reader` avec seulement `reader.read()` (pas
/// `read_exact`) et les renvoie.
///
/// À faire :
/// - boucler jusqu'à avoir `n` octets, en ne demandant jamais plus que ce qui manque
///   (les octets suivants appartiennent au message d'après : il ne faut pas les
///   consommer) ;
/// - `ErrorKind::Interrupted` : recommencer ;
/// - `Ok(0)` avant la fin : le pair a fermé la connexion trop tôt. Renvoyer une
///   erreur `ErrorKind::UnexpectedEof` dont le message dit combien d'octets sont
///   arrivés sur combien attendus (par exemple « connexion fermée après 3 octets sur
///   10 ») ;
/// - `n == 0` : renvoyer un vecteur vide sans rien lire.
///
/// Notion réseau : une lecture de 0 octet signifie « fin du flux » (le pair a envoyé
/// FIN).
///
/// Indice : la leçon `lessons/lesson02-client-server` (un protocole au-dessus d'un
/// flux) et le chapitre `book/src/exercices/ex02-lire-exactement.md`. Préparez
/// `vec![0; n]` et remplissez `buffer[filled..]`.
#[allow(unused_variables)]
pub fn read_exact(reader: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    todo!("ex02 : boucler sur read() jusqu'à avoir n octets")
}
