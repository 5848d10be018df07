//! # Exercice 08 — fermer proprement
//!
//! Fermer brutalement une socket alors que le pair envoie encore provoque un RST : le
//! pair reçoit « connection reset » et peut perdre nos dernières données. La
//! fermeture polie du cours (document 03) : on ferme d'abord NOTRE sens d'envoi
//! (`shutdown(Write)`, un FIN), on lit ce que le pair envoie encore jusqu'à SON FIN,
//! puis on ferme.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

/// Ferme poliment `stream` et renvoie le nombre d'octets reçus pendant la vidange.
///
/// À faire :
/// 1. `shutdown(Shutdown::Write)` : le pair lit 0 octet (fin du flux) mais peut
///    encore parler ;
/// 2. lire et jeter tout ce qui arrive jusqu'à la fin du flux, en au plus `timeout`
///    AU TOTAL (un pair qui ne ferme jamais, ou qui envoie un octet de temps en
///    temps, ne doit pas nous bloquer : recalculez le délai de lecture restant avant
///    chaque `read()`) ;
/// 3. rendre le nombre d'octets vidangés ; si le délai expire, rendre une erreur
///    `ErrorKind::TimedOut` (sous Unix le délai se manifeste par `WouldBlock`, sous
///    Windows par `TimedOut` : unifiez) ; `Interrupted` : recommencer.
///
/// La socket est fermée (close) quand `stream` est détruit, à la fin de la fonction.
///
/// Indice : leçon `lessons/lesson01-echo` (`close_politely`), chapitre
/// `book/src/exercices/ex08-fermeture-propre.md`.
#[allow(unused_variables)]
pub fn graceful_close(stream: TcpStream, timeout: Duration) -> io::Result<u64> {
    todo!("ex08 : shutdown(Write), vider jusqu'au FIN du pair, avec un délai")
}
