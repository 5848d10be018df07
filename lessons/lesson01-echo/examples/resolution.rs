//! Essai : ce que coûte un `connect`, et la résolution de nom qui le précède.
//!
//! `TcpStream::connect("localhost:7777")` fait deux choses : il demande au système
//! les adresses de « localhost » (le fichier hosts, puis le DNS si besoin), puis il
//! essaie de s'y connecter, une adresse après l'autre. On mesure chaque étape
//! séparément, sur la boucle locale : un serveur qui écoute, puis un port où personne
//! n'écoute.
//!
//! `cargo run -p lesson01-echo --example resolution`

use std::io;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();

    // ANCHOR: resolve
    let started = Instant::now();
    let addresses: Vec<_> = ("localhost", port).to_socket_addrs()?.collect();
    println!(
        "résolution de « localhost » : {} → {addresses:?}",
        shown(started.elapsed())
    );
    // ANCHOR_END: resolve

    for addr in &addresses {
        let started = Instant::now();
        let outcome = match TcpStream::connect(addr) {
            Ok(_) => "connecté".to_string(),
            Err(err) => format!("échec : {err}"),
        };
        println!("connect({addr}) : {} ({outcome})", shown(started.elapsed()));
    }

    drop(listener); // plus personne n'écoute sur ce port
    let closed = ("127.0.0.1", port)
        .to_socket_addrs()?
        .next()
        .expect("une adresse");
    let started = Instant::now();
    let err = TcpStream::connect(closed).expect_err("personne n'écoute");
    println!(
        "connect({closed}) sans serveur : {} ({err})",
        shown(started.elapsed())
    );
    Ok(())
}

/// Une durée en microsecondes, lisible.
fn shown(elapsed: Duration) -> String {
    format!("{} µs", elapsed.as_micros())
}
