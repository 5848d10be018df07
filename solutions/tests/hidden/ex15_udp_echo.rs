//! Tests cachés de l'exercice 15.

use std::io;
use std::net::UdpSocket;
use std::time::Duration;

use exercises::ex15_udp_echo::{serve_udp_echo, udp_request};

use crate::common::*;

fn les_datagrammes_etrangers_sont_ignores() -> io::Result<()> {
    let server = UdpSocket::bind("127.0.0.1:0")?;
    server.set_read_timeout(Some(TIMEOUT))?;
    let stranger = UdpSocket::bind("127.0.0.1:0")?;
    let server_addr = server.local_addr()?;
    let request = spawn(move || udp_request(server_addr, b"question", TIMEOUT));
    let mut buffer = [0u8; 100];
    let (_, client) = server.recv_from(&mut buffer)?;
    // Un intrus répond avant le serveur : le client doit l'ignorer.
    stranger.send_to(b"fausse reponse", client)?;
    server.send_to(b"vraie reponse", client)?;
    let reply = request.join_within(TIMEOUT * 2, "udp_request")??;
    assert_eq!(
        reply.as_deref(),
        Some(&b"vraie reponse"[..]),
        "seule la réponse du serveur compte"
    );
    Ok(())
}

fn vingt_requetes_et_une_vide() -> io::Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    spawn(move || serve_udp_echo(socket));
    for index in 0..20 {
        let payload = format!("requête {index}");
        let reply = udp_request(addr, payload.as_bytes(), TIMEOUT)?;
        assert_eq!(
            reply.as_deref(),
            Some(payload.as_bytes()),
            "requête {index}"
        );
    }
    let reply = udp_request(addr, b"", Duration::from_secs(1))?;
    assert_eq!(
        reply.as_deref(),
        Some(&b""[..]),
        "un datagramme vide revient vide"
    );
    Ok(())
}

tests![
    les_datagrammes_etrangers_sont_ignores,
    vingt_requetes_et_une_vide
];
