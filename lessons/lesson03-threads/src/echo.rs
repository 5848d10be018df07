//! Le serveur d'écho, un thread par client.
//!
//! Le code de l'écho lui-même est celui de la leçon 01 ; seule la boucle d'`accept()`
//! change : au lieu de servir le client, elle le confie à un thread et retourne
//! aussitôt à `accept()`.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use course_kit::log;

use crate::{ClientLimit, ClientSlot, accept_failed, refuse_and_log};

// ANCHOR: serve_echo
/// Accepte les clients pour toujours et sert chacun dans son propre thread,
/// au plus `max_clients` à la fois.
pub fn serve_echo(listener: TcpListener, max_clients: usize) -> io::Result<()> {
    let limit = ClientLimit::new(max_clients);
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(err) => {
                accept_failed(&err);
                continue;
            }
        };
        // On réserve la place AVANT de créer le thread : c'est la boucle d'accept, et
        // elle seule, qui décide d'accepter ou non un client de plus.
        let Some(slot) = limit.try_acquire() else {
            refuse_and_log(stream, peer, max_clients);
            continue;
        };
        log!("Client connecté : {peer} ({} en cours).", limit.active());
        // Chaque écho part dès qu'il est prêt : sans TCP_NODELAY, l'algorithme de
        // Nagle retiendrait un petit envoi tant que le précédent n'est pas
        // acquitté.
        let _ = stream.set_nodelay(true);

        // Un nom par thread : il apparaît dans `ps -L`, dans les débogueurs et dans
        // le message d'une éventuelle panique. Le noyau Linux tronque les
        // noms à 15 octets : le port du client suffit à le reconnaître.
        let spawned = thread::Builder::new()
            .name(format!("echo-{}", peer.port()))
            .spawn(move || handle_client(stream, peer, slot));
        // `move` a donné la socket et la place au thread. Si le thread n'a pas pu
        // être créé, la fermeture est détruite avec elles : connexion fermée,
        // place rendue.
        if let Err(err) = spawned {
            log!("Impossible de créer un thread pour {peer} : {err}");
        }
        // Et la boucle repart aussitôt vers accept() : le client suivant n'attend
        // plus.
    }
}
// ANCHOR_END: serve_echo

// ANCHOR: handle_client
/// Le travail d'un thread : faire l'écho pour un client, puis rendre sa place.
fn handle_client(stream: TcpStream, peer: SocketAddr, slot: ClientSlot) {
    let outcome = echo(&stream);
    // On rend la place AVANT de fermer la socket (ce que fera la destruction de
    // `stream` à la fin de la fonction) : un client qui voit la connexion se
    // fermer peut ainsi compter sur une place libre s'il se reconnecte aussitôt.
    drop(slot);
    match outcome {
        Ok(bytes) => log!("Client {peer} parti ({bytes} octets renvoyés)."),
        // Un RST, une coupure : seule CETTE connexion est perdue, les autres threads
        // continuent.
        Err(err) => log!("Connexion avec {peer} interrompue : {err}"),
    }
}
// ANCHOR_END: handle_client

// ANCHOR: echo
/// Renvoie au client tout ce qu'il envoie, octet pour octet, jusqu'à ce qu'il ferme
/// son côté. Renvoie le nombre d'octets renvoyés.
///
/// `&TcpStream` suffit : la bibliothèque standard implémente `Read` et `Write` pour
/// une référence partagée à une socket, car le noyau sait lire et écrire sur la même
/// socket en même temps. D'où le `mut stream: &TcpStream`, étrange au premier abord.
pub fn echo(mut stream: &TcpStream) -> io::Result<u64> {
    let mut buffer = [0u8; 4096];
    let mut total = 0;
    loop {
        // read() rend ce qui est arrivé, entre 1 et 4096 octets : jamais « un
        // message ».
        let received = match stream.read(&mut buffer) {
            Ok(0) => return Ok(total), // le client a envoyé son FIN
            Ok(received) => received,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        // write_all() boucle tant que le noyau n'a pas tout pris (écritures
        // partielles).
        stream.write_all(&buffer[..received])?;
        total += received as u64;
    }
}
// ANCHOR_END: echo
