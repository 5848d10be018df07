//! # Exercice 05 — une session d'écho
//!
//! Le `handle_client` de l'`EchoServer` du cours (document 03), séparé de la socket :
//! il lit des lignes sur n'importe quel `BufRead` et répond sur n'importe quel
//! `Write`. Les tests le font tourner sur des tampons en mémoire ET sur une vraie
//! socket.

use std::io::{self, BufRead, Write};

/// Première ligne envoyée au client (suivie de `\n`).
pub const WELCOME: &str = "Bienvenue sur le serveur d'écho !";
/// Réponse à `quit` (suivie de `\n`), juste avant de terminer la session.
pub const GOODBYE: &str = "Au revoir !";

/// Mène une session d'écho et renvoie le nombre de lignes renvoyées en écho.
///
/// À faire :
/// - envoyer `WELCOME` puis `\n` ;
/// - pour chaque ligne reçue (sans `\n` ni `\r` final) : si c'est `quit` (sans tenir
///   compte de la casse ni des espaces autour), envoyer `GOODBYE` + `\n` et
///   terminer ; sinon répondre `ECHO: <ligne>\n` ;
/// - une ligne qui n'est pas de l'UTF-8 : répondre `ERREUR: texte non UTF-8\n` et
///   continuer (elle ne compte pas comme un écho) ;
/// - fin du flux : terminer sans message ;
/// - appeler `flush()` après chaque réponse : `output` peut être un `BufWriter` sur
///   une socket, et le client attend sa réponse avant d'envoyer la ligne suivante.
///
/// Notion réseau : un protocole texte ligne par ligne, où le serveur parle le
/// premier.
///
/// Indice : `read_until(b'\n', ...)` garde les octets bruts (utile pour l'UTF-8
/// invalide), `String::from_utf8` ; leçons `lessons/lesson01-echo` et
/// `lessons/lesson02-client-server`, chapitre
/// `book/src/exercices/ex05-session-echo.md`.
#[allow(unused_variables)]
pub fn echo_session(input: impl BufRead, output: impl Write) -> io::Result<usize> {
    todo!("ex05 : accueillir, répondre ECHO: à chaque ligne, s'arrêter sur quit")
}
