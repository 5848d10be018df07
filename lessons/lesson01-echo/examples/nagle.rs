//! Essai : l'algorithme de Nagle et l'accusé de réception retardé, ensemble.
//!
//! Un client envoie chaque requête en DEUX écritures (un en-tête, puis la fin de la
//! ligne), et attend la réponse du serveur, qui ne répond qu'à une ligne entière. On
//! mesure le temps moyen d'une requête, d'abord avec Nagle (le défaut), puis avec
//! `TCP_NODELAY`.
//!
//! - Nagle retient la deuxième écriture tant que la première n'est pas acquittée ;
//! - le serveur, qui n'a pas encore de ligne entière, n'a rien à répondre : il
//!   retarde son accusé de réception (40 ms au moins sous Linux, jusqu'à 200 ms ; 200
//!   ms sous Windows), dans l'espoir de l'envoyer avec une réponse.
//!
//! Chacun attend l'autre : chaque requête coûte un délai d'accusé retardé.
//! `TCP_NODELAY` (leçon 03) ou une seule écriture par requête supprime l'attente.
//!
//! `cargo run -p lesson01-echo --example nagle` (ou `… -- 127.0.0.1:7810` pour
//! choisir le port)

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Nombre de requêtes par mesure.
const REQUESTS: u32 = 20;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = TcpListener::bind(addr.as_str())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || answer_lines(listener));

    for nodelay in [false, true] {
        let per_request = measure(addr, nodelay)?;
        let name = if nodelay {
            "TCP_NODELAY"
        } else {
            "Nagle (défaut)"
        };
        // Virgule décimale, à la française.
        let millis =
            format!("{:.2}", per_request.as_secs_f64() * 1000.0).replace('.', ",");
        println!(
            "{name:<15} : {millis:>6} ms par requête ({REQUESTS} requêtes en deux écritures)"
        );
    }
    Ok(())
}

// ANCHOR: measure
/// Envoie `REQUESTS` requêtes, chacune en deux écritures, et renvoie la durée
/// moyenne.
fn measure(addr: SocketAddr, nodelay: bool) -> io::Result<Duration> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(nodelay)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut replies = BufReader::new(stream.try_clone()?);
    let mut reply = String::new();
    let started = Instant::now();
    for _ in 0..REQUESTS {
        stream.write_all(b"GET ")?; // 1re écriture : part tout de suite
        stream.write_all(b"/\n")?; // 2e : Nagle la retient jusqu'à l'accusé de la 1re
        reply.clear();
        replies.read_line(&mut reply)?;
    }
    Ok(started.elapsed() / REQUESTS)
}
// ANCHOR_END: measure

/// Le serveur : une réponse par ligne entière, rien avant.
fn answer_lines(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        thread::spawn(move || -> io::Result<()> {
            let mut writer = stream.try_clone()?;
            for line in BufReader::new(stream).lines() {
                line?;
                writer.write_all(b"ok\n")?;
            }
            Ok(())
        });
    }
}
