//! Tests cachés de l'exercice 09.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use exercises::ex09_mio_echo::serve;

use crate::common::*;

fn start_server() -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || serve(listener));
    Ok(addr)
}

fn cinquante_clients() -> io::Result<()> {
    let addr = start_server()?;
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(connect(addr)?);
    }
    for (index, client) in clients.iter_mut().enumerate() {
        client.write_all(format!("n° {index}\n").as_bytes())?;
    }
    for (index, client) in clients.iter_mut().enumerate() {
        assert_eq!(
            read_line(client)?,
            format!("n° {index}\n"),
            "client {index}"
        );
    }
    Ok(())
}

fn un_client_qui_ne_lit_pas_ne_bloque_pas_les_autres() -> io::Result<()> {
    let addr = start_server()?;
    let greedy = connect(addr)?;
    let mut writer = greedy.try_clone()?;
    writer.set_write_timeout(Some(Duration::from_secs(3)))?;
    // Il envoie sans jamais lire : ses échos s'accumulent. Un serveur qui ferait un
    // write_all bloquant pour lui figerait tout le monde.
    spawn(move || {
        let chunk = pattern(64 * 1024);
        for _ in 0..64 {
            if writer.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let mut polite = connect(addr)?;
    for round in 0..3 {
        polite.write_all(format!("tour {round}\n").as_bytes())?;
        assert_eq!(
            read_line(&mut polite)?,
            format!("tour {round}\n"),
            "le client poli est servi"
        );
    }
    drop(greedy);
    Ok(())
}

/// Le même défaut que le test visible, autrement : envois en petits morceaux, lecture octet
/// par octet ou presque.
fn un_lecteur_tres_lent_recoit_tout() -> io::Result<()> {
    let addr = start_server()?;
    let client = crate::ex09_mio_echo::small_buffer_client(addr)?;
    let data = pattern(6 * 1024 * 1024 + 17);
    let received = crate::ex09_mio_echo::echo_through_slow_reader(client, data.clone(), 512)?;
    assert_eq!(
        received.len(),
        data.len(),
        "écho incomplet pour un lecteur lent : les octets que write() n'a pas acceptés sont perdus"
    );
    assert!(received == data, "écho dans le désordre");
    Ok(())
}

tests![
    cinquante_clients,
    un_lecteur_tres_lent_recoit_tout,
    un_client_qui_ne_lit_pas_ne_bloque_pas_les_autres
];
