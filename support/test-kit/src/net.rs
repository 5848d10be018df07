//! Des connexions de test qui ne bloquent jamais le test.

use std::io::{self, BufRead, ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};

use crate::{MAX_LINE_BYTES, TIMEOUT};

/// Se connecte à `addr`, avec un délai sur la connexion, sur chaque lecture et sur chaque
/// écriture : un serveur cassé fait échouer le test (`WouldBlock` ou `TimedOut`), jamais
/// bloquer.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Lit une ligne entière, `\n` compris ; une chaîne vide veut dire que le pair a fermé. Les
/// octets qui ne sont pas de l'UTF-8 deviennent « � ».
///
/// Bornée : une ligne de plus de [`MAX_LINE_BYTES`] octets est une erreur (`InvalidData`),
/// au lieu d'une mémoire qui grossit sans fin face à un pair qui n'envoie jamais de `\n`.
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
