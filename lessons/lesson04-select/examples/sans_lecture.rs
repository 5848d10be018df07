//! Essai : un client qui envoie 64 Mio d'écho sans rien lire avant d'avoir fini
//! d'envoyer.
//!
//! C'est le client le plus simple qui soit, et le plus rude pour un serveur d'écho :
//! tout ce que le serveur renvoie s'accumule quelque part. Face aux étapes du
//! chapitre de la leçon 04 :
//!
//! - l'étape 1 perd l'écho (et coupe la connexion) dès que le noyau refuse d'écrire ;
//! - l'étape 2 garde tout, mais sa mémoire grossit d'autant ;
//! - la leçon cesse de lire ce client : son envoi se bloque (contre-pression), sans
//!   perte.
//!
//! `cargo run -p lesson04-select --example sans_lecture -- 127.0.0.1:7777`

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// Ce qu'on envoie : bien plus que ce que les tampons du noyau peuvent garder.
const TOTAL: usize = 64 * 1024 * 1024;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_string());
    let mut stream = TcpStream::connect(addr.as_str())?;
    // Sans délai, un envoi freiné par le serveur attendrait pour toujours.
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let chunk = [0u8; 64 * 1024];
    let mut sent = 0;
    while sent < TOTAL {
        match stream.write(&chunk) {
            Ok(written) => sent += written,
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                println!(
                    "envoi freiné : rien d'accepté depuis 2 s (le serveur ne nous lit plus)"
                );
                break;
            }
            Err(err) => {
                println!("envoi interrompu : {err}");
                break;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
    let mut received = 0;
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => received += count,
            Err(err) => {
                println!("lecture arrêtée : {err}");
                break;
            }
        }
    }
    println!(
        "envoyés : {} Kio ; écho reçu : {} Kio",
        sent / 1024,
        received / 1024
    );
    Ok(())
}
