//! # Exercice 06 — un thread par client
//!
//! Un serveur qui sert ses clients l'un après l'autre fait attendre tout le monde
//! derrière le premier. La solution du cours (document 01, § 5) : un thread par
//! connexion. La boucle d'acceptation ne fait qu'accepter et confier chaque nouvelle
//! socket à un thread.

use std::io;
use std::net::{TcpListener, TcpStream};

/// Première ligne envoyée à chaque client (suivie de `\n`).
pub const WELCOME: &str = "Bienvenue sur le serveur !";

/// Sert tous les clients, chacun dans son thread, pour toujours.
///
/// À faire : boucler sur `listener.accept()` ; pour chaque connexion, lancer un
/// thread qui appelle [`handle_client`]. Une erreur d'`accept()` ou d'un client ne
/// doit pas arrêter le serveur (l'afficher sur la sortie d'erreur et continuer).
///
/// Notion réseau : `accept()` rend une NOUVELLE socket par client ; la socket
/// d'écoute reste libre pour les suivants.
///
/// Indice : `std::thread::spawn(move || ...)` ; leçon `lessons/lesson03-threads`,
/// chapitre `book/src/exercices/ex06-un-thread-par-client.md`.
#[allow(unused_variables)]
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("ex06 : accepter en boucle et lancer un thread par client")
}

/// Converse avec UN client : envoie `WELCOME` + `\n`, puis accuse réception de chaque
/// ligne par `reçu : <ligne>\n` (ligne sans `\n` ni `\r`), jusqu'à ce que le client
/// ferme.
///
/// À faire : une ligne non UTF-8 reçoit `ERREUR: texte non UTF-8\n` ; la fin du flux
/// termine proprement (`Ok(())`).
///
/// Indice : `BufReader::new(stream.try_clone()?)` pour lire, `stream` pour écrire.
#[allow(unused_variables)]
pub fn handle_client(stream: TcpStream) -> io::Result<()> {
    todo!("ex06 : accueillir le client et accuser réception de chaque ligne")
}
