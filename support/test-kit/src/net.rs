//! Des connexions de test qui ne bloquent jamais le test.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use crate::{MAX_LINE_BYTES, MAX_LINES, TIMEOUT, background};

/// Se connecte à `addr`, avec un délai sur la connexion, sur chaque lecture et sur
/// chaque écriture : un serveur cassé fait échouer le test (`WouldBlock` ou
/// `TimedOut`), jamais bloquer.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Une adresse de la boucle locale déjà prise par un autre : on garde le
/// `TcpListener` rendu tant qu'elle doit le rester (pour vérifier l'erreur « adresse
/// déjà utilisée »).
pub fn occupied_addr() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Une adresse de la boucle locale où personne n'écoute : on réserve un port, puis on
/// le libère (pour vérifier l'erreur « connexion refusée »).
pub fn unused_addr() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Lit une ligne entière, `\n` compris ; une chaîne vide veut dire que le pair a
/// fermé. Les octets qui ne sont pas de l'UTF-8 deviennent « � ».
///
/// Bornée : une ligne de plus de [`MAX_LINE_BYTES`] octets est une erreur
/// (`InvalidData`), au lieu d'une mémoire qui grossit sans fin face à un pair qui
/// n'envoie jamais de `\n`.
pub fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if line.len() >= MAX_LINE_BYTES && line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("plus de {MAX_LINE_BYTES} octets reçus sans fin de ligne"),
        ));
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Lit les lignes de `reader` (avec [`read_line`]) jusqu'à la première qui vérifie
/// `wanted`, et la rend, `\n` compris : un serveur envoie souvent d'autres lignes
/// avant celle qu'on attend (un accueil, une annonce).
///
/// Bornée : le test échoue, en rappelant ce qu'on attendait (`what`) et les lignes
/// déjà reçues, si le pair ferme avant, ou si rien ne convient après [`MAX_LINES`]
/// lignes ; chaque lecture a le délai de la socket (voir [`connect`]).
#[track_caller]
pub fn read_until(
    reader: &mut impl BufRead,
    wanted: impl Fn(&str) -> bool,
    what: &str,
) -> io::Result<String> {
    let mut seen = Vec::new();
    for _ in 0..MAX_LINES {
        let line = read_line(reader)?;
        if line.is_empty() {
            panic!("connexion fermée avant {what} ; reçu : {seen:?}");
        }
        if wanted(&line) {
            return Ok(line);
        }
        seen.push(line);
    }
    panic!("{what} absent des {MAX_LINES} lignes reçues");
}

/// Se connecte à `addr`, envoie `payload`, ferme le sens d'envoi (le serveur lit la
/// fin du flux), puis lit tout ce que le serveur renvoie, jusqu'à ce qu'il ferme à
/// son tour.
///
/// L'envoi part d'un thread PENDANT qu'on lit : face à un écho, envoyer tout avant de
/// lire remplirait les tampons des deux côtés, et chacun attendrait l'autre pour
/// toujours.
pub fn roundtrip(addr: SocketAddr, payload: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut stream = connect(addr)?;
    let mut writer = stream.try_clone()?;
    let sending = background(move || -> io::Result<()> {
        writer.write_all(&payload)?;
        writer.shutdown(Shutdown::Write)
    });
    let mut received = Vec::new();
    stream.read_to_end(&mut received)?;
    sending.join("l'envoi")?;
    Ok(received)
}

/// Vérifie qu'un serveur d'écho à `addr` renvoie `payload` entier et intact (voir
/// [`roundtrip`]) ; `why` dit, en cas d'échec, la règle qu'il n'a pas suivie.
#[track_caller]
pub fn assert_echoes(
    addr: SocketAddr,
    payload: Vec<u8>,
    why: &str,
) -> io::Result<()> {
    let received = roundtrip(addr, payload.clone())?;
    assert_eq!(
        received.len(),
        payload.len(),
        "il manque des octets dans l'écho : {why}"
    );
    assert!(received == payload, "l'écho diffère de l'envoi : {why}");
    Ok(())
}

/// Des octets reconnaissables (pas seulement des zéros) : un octet perdu, déplacé ou
/// doublé se voit à la comparaison.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}
