//! Le WebSocket de la leçon 08 pour le générateur de la leçon 06 : le dialecte (la
//! poignée de main HTTP, une ligne du protocole de la leçon 05 par trame) et le
//! serveur de la leçon 08 tel que le comparatif le lance.

use std::hash::{BuildHasher, RandomState};
use std::io::{self, Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use lesson06_bench::chat::{Dialect, Lesson05};
use lesson06_bench::local::lesson05_config;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

use crate::reference::run_tokio;

/// En-tête de réponse HTTP le plus long qu'on accepte.
const MAX_HEAD: usize = 8 * 1024;

// ANCHOR: dialect
/// Le protocole de la leçon 05 dans des trames WebSocket, comme le parle la page de
/// la leçon 08 : la même connexion TCP commence par une requête HTTP qui demande à
/// changer de protocole, puis porte une ligne par trame texte, dans chaque sens
/// (la première envoyée est le pseudo). Le client masque chacune de ses trames
/// (RFC 6455) ; le serveur, jamais.
pub struct WebSocket;

impl Dialect for WebSocket {
    fn open(&self, stream: &mut TcpStream, _nick: &str) -> io::Result<()> {
        handshake(stream)
    }

    fn on_line(&self, line: &[u8], nick: &str, reply: &mut Vec<u8>) -> bool {
        // Le salon pose ses questions dans des trames : on répond par des trames.
        let mut lines = Vec::new();
        let welcomed = Lesson05.on_line(line, nick, &mut lines);
        for answer in lines.split(|&byte| byte == b'\n') {
            if !answer.is_empty() {
                self.frame(answer, reply);
            }
        }
        welcomed
    }

    fn frame(&self, text: &[u8], out: &mut Vec<u8>) {
        let mut frame = Frame::message(text.to_vec(), OpCode::Data(Data::Text), true);
        // Un masque imprévisible par trame : un intermédiaire (proxy) ne peut pas
        // prendre ces octets pour une requête HTTP.
        let mask = RandomState::new().hash_one(text) as u32;
        frame.header_mut().mask = Some(mask.to_ne_bytes());
        let _ = frame.format(out); // Écrire dans un Vec ne peut pas échouer.
    }

    fn next_line<'a>(&self, data: &'a [u8]) -> Option<(&'a [u8], usize)> {
        let mut cursor = Cursor::new(data);
        let (header, length) = FrameHeader::parse(&mut cursor).ok()??;
        let start = cursor.position() as usize;
        let end = start.checked_add(usize::try_from(length).ok()?)?;
        let payload = data.get(start..end)?;
        // Une trame de fermeture ou un ping ne portent pas de ligne du salon.
        let text = header.opcode == OpCode::Data(Data::Text);
        Some((if text { payload } else { &[] }, end))
    }
}
// ANCHOR_END: dialect

// ANCHOR: handshake
/// La poignée de main, comme la fait un navigateur : `GET /ws` avec `Upgrade`,
/// une clé au hasard et l'`Origin` de la page (la leçon 08 refuse les autres),
/// puis la réponse `101 Switching Protocols`, dont `Sec-WebSocket-Accept` doit
/// être tirée de notre clé.
fn handshake(stream: &mut TcpStream) -> io::Result<()> {
    let (host, key) = (stream.peer_addr()?, generate_key());
    write!(
        stream,
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    )?;
    let head = read_head(stream)?;
    let expected = derive_accept_key(key.as_bytes());
    let accepted = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("sec-websocket-accept")
                && value.trim() == expected
        })
    });
    match head.starts_with("HTTP/1.1 101 ") && accepted {
        true => Ok(()),
        false => Err(io::Error::other(format!(
            "le serveur refuse le WebSocket : « {} »",
            head.lines().next().unwrap_or_default()
        ))),
    }
}

/// Lit la réponse HTTP jusqu'à la ligne vide, octet par octet : la première trame
/// du salon peut suivre dans le même paquet, elle doit rester dans la socket.
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read(&mut byte)? == 0 {
            return Err(io::Error::other("réponse HTTP incomplète"));
        }
        head.push(byte[0]);
    }
    stream.set_read_timeout(None)?;
    Ok(String::from_utf8_lossy(&head).into_owned())
}
// ANCHOR_END: handshake

// ANCHOR: lesson08
/// Fait tourner la leçon 08 : le salon de la leçon 05 sur `chat`, la page et `/ws`
/// sur `web`, avec les réglages de la leçon 05 dans le banc (pas de limite de débit
/// ni de connexions par adresse : voir `lesson06_bench::local`).
pub fn serve_lesson08(chat: TcpListener, web: TcpListener) -> io::Result<()> {
    run_tokio(async move {
        let [chat, web] = [chat, web].map(|listener| {
            listener.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(listener)
        });
        let config = lesson05_config();
        lesson08_web::serve(web?, chat?, config, std::future::pending()).await
    })
}
// ANCHOR_END: lesson08
