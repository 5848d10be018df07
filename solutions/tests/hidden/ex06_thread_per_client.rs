//! Tests cachés de l'exercice 06.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};

use exercises::ex06_thread_per_client::{WELCOME, serve};

use crate::common::*;

fn start_server() -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || serve(listener));
    Ok(addr)
}

fn welcomed(addr: SocketAddr) -> io::Result<TcpStream> {
    let mut client = connect(addr)?;
    assert_eq!(read_line(&mut client)?, format!("{WELCOME}\n"), "accueil");
    Ok(client)
}

fn cinq_clients_connectes_en_meme_temps() -> io::Result<()> {
    let addr = start_server()?;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(welcomed(addr)?);
    }
    for (index, client) in clients.iter_mut().enumerate().rev() {
        client.write_all(format!("client {index}\n").as_bytes())?;
        assert_eq!(
            read_line(client)?,
            format!("reçu : client {index}\n"),
            "client {index}"
        );
    }
    Ok(())
}

fn des_lignes_en_morceaux_et_en_rafale() -> io::Result<()> {
    let addr = start_server()?;
    let mut client = welcomed(addr)?;
    client.write_all(b"bon")?;
    client.flush()?;
    client.write_all(b"jour\na\nb\n")?;
    for expected in ["reçu : bonjour\n", "reçu : a\n", "reçu : b\n"] {
        assert_eq!(
            read_line(&mut client)?,
            expected,
            "une réponse par LIGNE, pas par read()"
        );
    }
    Ok(())
}

tests![
    cinq_clients_connectes_en_meme_temps,
    des_lignes_en_morceaux_et_en_rafale,
];
