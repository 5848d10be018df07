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

/// Le même défaut que le test visible, autrement : envois par morceaux d'une taille qui ne
/// tombe pas juste, lecture par petits morceaux ensuite.
fn un_lecteur_tres_lent_recoit_tout() -> io::Result<()> {
    use crate::ex09_mio_echo::{client_buffers, echo_with_reader_paused};
    let (addr, server_buffers) = crate::ex09_mio_echo::start_server_with_small_buffers()?;
    let unread = server_buffers + client_buffers()? + 24 * 1024 + 17;
    let data = pattern(6 * 1024 * 1024 + 17);
    let received = echo_with_reader_paused(addr, data.clone(), unread, 1000, 512)?;
    assert_eq!(
        received.len(),
        data.len(),
        "écho incomplet pour un client qui lit lentement : ce que write() n'a pas accepté doit \
         attendre dans le tampon de CE client, et ce tampon doit être vidé même après que \
         read() a rendu 0 (indice 2 de book/src/exercices/ex09-echo-avec-mio.md)"
    );
    assert!(received == data, "écho dans le désordre");
    Ok(())
}

tests![
    cinquante_clients,
    un_lecteur_tres_lent_recoit_tout,
    un_client_qui_ne_lit_pas_ne_bloque_pas_les_autres
];
