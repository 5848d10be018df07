//! # Exercice 06 — un thread par client (solution)
//!
//! Le `serveur_multi.py` du document 01 (§ 5) : la boucle d'acceptation confie chaque
//! socket à un thread. Deux différences avec le Python : on lit des LIGNES (le Python
//! accusait réception de chaque `recv(1024)`, qui n'a rien à voir avec un message),
//! et une erreur sur un client n'arrête jamais le serveur.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

/// Première ligne envoyée à chaque client (suivie de `\n`).
pub const WELCOME: &str = "Bienvenue sur le serveur !";

// ANCHOR: serve
/// Sert tous les clients, chacun dans son thread, pour toujours.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        // accept() rend une NOUVELLE socket, dédiée à ce client ; la socket d'écoute
        // reste libre et la boucle revient aussitôt l'attendre.
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            // Par exemple « trop de fichiers ouverts » : on le signale et on
            // continue.
            Err(err) => {
                eprintln!("accept() a échoué : {err} ; on continue.");
                continue;
            }
        };
        // `move` : le thread devient propriétaire de la socket. Le JoinHandle est
        // ignoré : le thread vit sa vie et se termine quand son client part.
        thread::spawn(move || {
            if let Err(err) = handle_client(stream) {
                eprintln!("connexion avec {peer} interrompue : {err}");
            }
        });
    }
}
// ANCHOR_END: serve

// ANCHOR: handle_client
/// Converse avec UN client : accueil, puis un accusé de réception par ligne.
pub fn handle_client(mut stream: TcpStream) -> io::Result<()> {
    // try_clone() : une deuxième poignée sur la MÊME socket, l'une pour lire (avec un
    // tampon, pour découper en lignes), l'autre pour écrire.
    let mut reader = BufReader::new(stream.try_clone()?);
    stream.write_all(format!("{WELCOME}\n").as_bytes())?;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        // Limite de cette version courte : `read_until` ne borne pas la ligne, un
        // client qui n'envoie jamais de `\n` ferait grossir `raw` sans fin.
        // Un vrai serveur la borne (`take`, comme `read_line_bounded` de la
        // leçon 02, ou le lecteur de l'exercice 03).
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Ok(()); // le client a fermé : fin normale
        }
        let reply = match std::str::from_utf8(&raw) {
            Ok(line) => format!("reçu : {}\n", line.trim_end_matches(['\n', '\r'])),
            Err(_) => "ERREUR: texte non UTF-8\n".to_string(),
        };
        // Une réponse, UNE écriture. Pas de flush() : écrire sur un TcpStream est un
        // appel système direct, sans tampon. C'est justement pourquoi on
        // évite `writeln!` ici : il écrirait chaque morceau du format à part
        // (« reçu : », la ligne, « \n »), donc plusieurs petits segments TCP,
        // et l'algorithme de Nagle peut retenir les suivants jusqu'à l'accusé
        // de réception du premier (des dizaines de millisecondes).
        stream.write_all(reply.as_bytes())?;
    }
}
// ANCHOR_END: handle_client
