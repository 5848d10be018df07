//! Tests de l'exercice 15 : l'écho en UDP, et la perte d'un datagramme.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use exercises::ex15_udp_echo::{serve_udp_echo, udp_request};

use crate::common::*;

fn start_server() -> io::Result<(SocketAddr, Spawned<io::Result<()>>)> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    let server = spawn(move || serve_udp_echo(socket));
    Ok((addr, server))
}

/// Un client UDP « à la main », pour tester le serveur seul.
fn raw_client() -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    Ok(socket)
}

fn raw_exchange(client: &UdpSocket, server: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    client.send_to(payload, server)?;
    let mut buffer = vec![0u8; 70_000];
    let (len, from) = client
        .recv_from(&mut buffer)
        .map_err(|err| udp_timeout_hint(err, "(réponse du serveur UDP)"))?;
    assert_eq!(from, server, "la réponse doit venir du serveur");
    buffer.truncate(len);
    Ok(buffer)
}

fn un_datagramme_revient_a_l_identique() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let reply = udp_request(addr, b"bonjour", TIMEOUT)?;
    assert_eq!(
        reply.as_deref(),
        Some(&b"bonjour"[..]),
        "l'écho de « bonjour »"
    );
    Ok(())
}

fn chaque_client_recoit_sa_reponse() -> io::Result<()> {
    let (addr, server) = start_server()?;
    let alice = raw_client()?;
    let bob = raw_client()?;
    // Deux datagrammes arrivent avant toute réponse : chacun doit repartir vers SON expéditeur.
    alice.send_to(b"de alice", addr)?;
    bob.send_to(b"de bob", addr)?;
    let mut buffer = [0u8; 100];
    let (len, _) = bob
        .recv_from(&mut buffer)
        .map_err(|err| udp_timeout_hint(err, "(bob)"))?;
    assert_eq!(
        &buffer[..len],
        b"de bob",
        "bob reçoit son propre écho (send_to vers l'expéditeur)"
    );
    let (len, _) = alice
        .recv_from(&mut buffer)
        .map_err(|err| udp_timeout_hint(err, "(alice)"))?;
    assert_eq!(&buffer[..len], b"de alice", "alice reçoit son propre écho");
    assert!(
        server.try_finished().is_none(),
        "le serveur doit continuer de tourner"
    );
    Ok(())
}

fn un_datagramme_perdu_est_visible() -> io::Result<()> {
    // Une socket liée mais que personne ne lit : le datagramme n'aura jamais de réponse.
    let nobody = UdpSocket::bind("127.0.0.1:0")?;
    let addr = nobody.local_addr()?;
    // Sans délai de lecture, la requête attendrait pour toujours une réponse qui ne viendra
    // pas : on vérifie qu'elle rend la main, sans la chronométrer.
    let reply = spawn(move || udp_request(addr, b"il y a quelqu'un ?", Duration::from_millis(300)))
        .join_within(
            TIMEOUT,
            "udp_request sans réponse, avec un délai de 300 ms (avez-vous réglé \
             set_read_timeout ?)",
        )??;
    drop(nobody);
    assert_eq!(
        reply, None,
        "pas de réponse : Ok(None), pour que l'appelant le sache"
    );
    Ok(())
}

fn un_gros_datagramme_n_est_pas_tronque() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let client = raw_client()?;
    let payload = pattern(9000);
    let reply = raw_exchange(&client, addr, &payload)?;
    assert_eq!(
        reply.len(),
        9000,
        "un datagramme de 9000 octets revient tronqué : le tampon de recv_from est trop petit"
    );
    assert!(reply == payload, "le contenu doit revenir intact");
    Ok(())
}

fn un_datagramme_vide_est_renvoye() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let client = raw_client()?;
    assert!(
        raw_exchange(&client, addr, b"")?.is_empty(),
        "un datagramme vide est un datagramme : il revient vide"
    );
    assert_eq!(
        raw_exchange(&client, addr, b"ensuite")?,
        b"ensuite",
        "puis le suivant"
    );
    Ok(())
}

fn un_datagramme_trop_gros_est_une_erreur() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let result = udp_request(addr, &vec![0u8; 70_000], Duration::from_millis(300));
    assert!(
        result.is_err(),
        "70 000 octets ne tiennent pas dans un datagramme : l'erreur de send_to doit remonter, pas {result:?}"
    );
    Ok(())
}

tests![
    un_datagramme_revient_a_l_identique,
    chaque_client_recoit_sa_reponse,
    un_datagramme_perdu_est_visible,
    un_gros_datagramme_n_est_pas_tronque,
    un_datagramme_vide_est_renvoye,
    un_datagramme_trop_gros_est_une_erreur,
];
