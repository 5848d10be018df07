//! Essai : réutiliser une connexion plutôt qu'en ouvrir une par requête.
//!
//! Un serveur d'écho tourne dans ce programme. On lui envoie 2 000 requêtes d'une
//! ligne : d'abord en ouvrant une connexion pour chacune (poignée de main, échange,
//! fermeture), puis sur une seule connexion gardée ouverte, comme le fait un *pool*
//! de connexions. On mesure le temps par requête, et `ss` compte ensuite les
//! connexions laissées en TIME_WAIT.
//!
//! `cargo run -p lesson01-echo --example reutiliser`

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Nombre de requêtes par mesure.
const REQUESTS: u32 = 2000;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = TcpListener::bind(addr.as_str())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || echo_lines(stream));
        }
    });
    let fresh = time_requests(addr, false)?;
    let kept = time_requests(addr, true)?;
    println!(
        "une connexion par requête : {} µs par requête",
        fresh.as_micros()
    );
    println!(
        "une connexion réutilisée  : {} µs par requête",
        kept.as_micros()
    );
    Ok(())
}

// ANCHOR: requests
/// Envoie `REQUESTS` requêtes, sur une connexion neuve chacune ou sur la même ; rend
/// la durée moyenne d'une requête.
fn time_requests(addr: SocketAddr, reuse: bool) -> io::Result<Duration> {
    let started = Instant::now();
    let mut kept = None;
    for _ in 0..REQUESTS {
        if !reuse || kept.is_none() {
            // connect() : poignée de main en trois temps avant le premier octet.
            let stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            kept = Some(BufReader::new(stream));
        }
        let connection = kept.as_mut().expect("connexion ouverte juste au-dessus");
        connection.get_mut().write_all(b"ping\n")?;
        let mut reply = String::new();
        connection.read_line(&mut reply)?;
        if !reuse {
            // Fermée par le client, le premier : TIME_WAIT de ce côté, pour 60 s sous
            // Linux.
            kept = None;
        }
    }
    Ok(started.elapsed() / REQUESTS)
}
// ANCHOR_END: requests

/// Le serveur d'écho, ligne par ligne. Chaque réponse part en UNE écriture : deux
/// petites écritures par ligne réveilleraient Nagle et l'accusé retardé (40 ms par
/// requête, voir l'exemple `nagle`).
fn echo_lines(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        writer.write_all(line.as_bytes())?;
        line.clear();
    }
    Ok(())
}
