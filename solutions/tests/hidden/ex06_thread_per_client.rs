//! Tests cachés de l'exercice 06.

use std::io::{self, Write};
use std::net::SocketAddr;

use exercises::ex06_thread_per_client::serve;

use crate::common::*;
use crate::ex06_thread_per_client::join_server;

fn start_server() -> io::Result<(SocketAddr, Spawned<io::Result<()>>)> {
    let (listener, addr) = local_listener()?;
    let server = spawn(move || serve(listener));
    Ok((addr, server))
}

fn cinq_clients_connectes_en_meme_temps() -> io::Result<()> {
    let (addr, server) = start_server()?;
    let mut clients = Vec::new();
    for index in 0..5 {
        clients.push(join_server(addr, &server, &format!("le client {index}"))?);
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
    let (addr, server) = start_server()?;
    let mut client = join_server(addr, &server, "le client")?;
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
