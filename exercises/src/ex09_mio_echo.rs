//! # Exercice 09 — un écho sur une boucle d'événements (mio)
//!
//! Un seul thread, beaucoup de clients : on demande au noyau quelles sockets sont
//! prêtes (`select`/`epoll`/`kqueue`, via `mio`) et on ne fait que des opérations non
//! bloquantes.
//!
//! Le serveur `select` du TP (document 04, § 1.2) a un bogue : il renvoie les données
//! avec `sclient.sendall(data)`, c'est-à-dire au DERNIER client accepté, pas à celui
//! qui a parlé. Ici, chaque octet doit revenir à son expéditeur.

use std::io;
use std::net::TcpListener;

/// Sert un écho à tous les clients sur UN thread, pour toujours.
///
/// À faire :
/// - passer `listener` en non bloquant et le convertir en `mio::net::TcpListener`,
///   l'inscrire dans un `mio::Poll` (jeton 0) ;
/// - quand il est prêt : accepter TOUTES les connexions en attente (jusqu'à
///   `WouldBlock`), les inscrire avec un jeton chacune et les ranger dans une table
///   `jeton → connexion` ;
/// - quand un client est prêt en lecture : lire jusqu'à `WouldBlock` et renvoyer les
///   octets à CE client ; ce que `write()` n'a pas pu écrire attend dans un tampon
///   propre à ce client (s'abonner à `WRITABLE` tant qu'il n'est pas vide) ;
/// - lecture de 0 octet : le client a fini d'ENVOYER (`shutdown(Write)`), pas
///   forcément de lire ; finir d'écrire son tampon, puis le retirer ; une erreur : le
///   retirer tout de suite ; les autres continuent.
///
/// Indice : la leçon `lessons/lesson04-select` fait exactement cela ; chapitre
/// `book/src/exercices/ex09-echo-avec-mio.md`.
#[allow(unused_variables)]
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("ex09 : boucle poll(), accept, lecture, écho au bon client")
}
