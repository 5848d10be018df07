//! Tests cachés de l'exercice 13.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use exercises::ex13_relay::{RoundRobin, relay};

use crate::common::*;

fn le_backend_parle_et_ferme_le_premier() -> io::Result<()> {
    let (mut user, front) = socket_pair()?;
    let (back, mut backend) = socket_pair()?;
    let relaying = spawn(move || relay(front, back));
    backend.write_all(b"bonjour")?;
    backend.shutdown(Shutdown::Write)?;
    let mut greeting = Vec::new();
    user.read_to_end(&mut greeting)?;
    assert_eq!(
        greeting, b"bonjour",
        "le client reçoit le message puis la fin"
    );
    user.write_all(b"merci")?;
    user.shutdown(Shutdown::Write)?;
    let mut thanks = Vec::new();
    backend.read_to_end(&mut thanks)?;
    assert_eq!(thanks, b"merci", "l'autre sens fonctionne encore");
    let counts = relaying.join_within(TIMEOUT, "relay")??;
    assert_eq!(counts, (5, 7), "relay rend les octets relayés dans chaque sens (client → backend, backend → client)");
    Ok(())
}

fn un_seul_backend() -> io::Result<()> {
    let addr: SocketAddr = "127.0.0.1:1001".parse().expect("adresse de test");
    let mut round_robin = RoundRobin::new(vec![addr]);
    for _ in 0..3 {
        assert_eq!(round_robin.next_backend(), Some(addr), "un seul backend : le tourniquet le rend à chaque fois");
    }
    Ok(())
}

tests![le_backend_parle_et_ferme_le_premier, un_seul_backend];
