//! Essai : un client inonde le salon pendant qu'un autre ne lit pas.
//!
//! « lent » se connecte et ne lit rien ; « rapide » envoie 300 000 lignes numérotées.
//! Puis « lent » lit tout ce qui lui est parvenu. Combien de lignes a-t-il reçues, et
//! lui a-t-on dit quelque chose ? Contre l'étape 1, des lignes disparaissent sans un
//! mot ; contre la leçon, « lent » est déconnecté avec un message, et les autres le
//! savent.
//!
//! `cargo run -p lesson05-chat --example inondation -- 127.0.0.1:7777`

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Nombre de lignes envoyées par « rapide ».
const LINES: usize = 300_000;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_string());
    // Chacun commence par son pseudo : la leçon le demande, l'étape 1 le prend pour
    // un message.
    let mut slow = TcpStream::connect(addr.as_str())?;
    slow.write_all(b"lent\n")?;
    let mut fast = TcpStream::connect(addr.as_str())?;
    fast.write_all(b"rapide\n")?;
    fast.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut batch = String::new();
    for number in 0..LINES {
        batch.push_str(&format!("message {number}\n"));
        if batch.len() > 60_000 {
            fast.write_all(batch.as_bytes())?;
            batch.clear();
        }
    }
    fast.write_all(batch.as_bytes())?;
    println!("« rapide » a envoyé {LINES} lignes.");

    // « lent » lit maintenant tout ce qui lui est parvenu, jusqu'à 2 s de silence.
    let (received, end) = count_messages(slow)?;
    println!("« lent » a reçu {received} lignes sur {LINES} ; {end}.");
    // Et « rapide », qu'a-t-il appris pendant ce temps ? (les notices du serveur)
    let (_, _) = count_messages_showing_notices(fast)?;
    Ok(())
}

// ANCHOR: count
/// Lit jusqu'à la fin de flux ou 2 s de silence ; rend le nombre de lignes « message
/// … » et la façon dont la lecture s'est terminée.
fn count_messages(stream: TcpStream) -> io::Result<(usize, &'static str)> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut received = 0;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return Ok((received, "le serveur a fermé sa connexion")),
            Ok(_) if line.contains("message ") => received += 1,
            Ok(_) => {}
            Err(_) => {
                return Ok((received, "connexion ouverte, mais plus rien ne vient"));
            }
        }
    }
}
// ANCHOR_END: count

/// Comme `count_messages`, en affichant les notices du serveur (lignes `***`) reçues.
fn count_messages_showing_notices(
    stream: TcpStream,
) -> io::Result<(usize, &'static str)> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut heading = Some("« rapide » a reçu ces notices :");
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return Ok((0, "")),
            Ok(_) if line.starts_with("***") => {
                if let Some(heading) = heading.take() {
                    println!("{heading}");
                }
                print!("  {line}");
            }
            Ok(_) => {}
        }
    }
}
