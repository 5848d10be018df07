//! Tests du serveur d'écho à un thread par client, sur de vraies sockets TCP
//! (127.0.0.1, port 0). Chaque lecture a un délai maximal.

mod common;

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::Duration;

use common::any_local_port;
use lesson03_threads::{listen, serve_echo};
use test_kit::{
    assert_echoes_a_mebibyte, assert_echoes_binary, assert_turned_away, connect,
    read_line, roundtrip,
};

/// Démarre un vrai serveur d'écho sur un port libre, au plus `max_clients` clients.
fn start_server(max_clients: usize) -> io::Result<SocketAddr> {
    // Des dizaines de serveurs dans ce processus : pas de journal.
    course_kit::journal::set_enabled(false);
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_echo(listener, max_clients));
    Ok(addr)
}

#[test]
fn les_octets_binaires_et_non_utf8_sont_renvoyes_intacts() -> io::Result<()> {
    assert_echoes_binary(start_server(10)?)
}

#[test]
fn un_mebioctet_revient_entier_malgre_les_lectures_partielles() -> io::Result<()> {
    assert_echoes_a_mebibyte(start_server(10)?)
}

#[test]
fn cinquante_clients_sont_servis_en_meme_temps() -> io::Result<()> {
    let addr = start_server(100)?;
    // Tous connectés AVANT le moindre envoi : avec le serveur de la leçon 01, seul le
    // premier recevrait son écho, les 49 autres attendraient qu'il parte.
    let clients = (0..50)
        .map(|_| connect(addr))
        .collect::<io::Result<Vec<_>>>()?;
    for (i, mut client) in clients.iter().enumerate() {
        client.write_all(format!("je suis le client {i}\n").as_bytes())?;
    }
    for (i, client) in clients.iter().enumerate() {
        let reply = read_line(&mut BufReader::new(client))?;
        assert_eq!(
            reply,
            format!("je suis le client {i}\n"),
            "le client {i} doit recevoir SON écho alors que les 49 autres restent connectés"
        );
    }
    Ok(())
}

#[test]
fn un_client_qui_coupe_brutalement_ne_derange_pas_les_autres() -> io::Result<()> {
    let addr = start_server(10)?;
    let mut patient = BufReader::new(connect(addr)?);
    patient.get_mut().write_all(b"avant\n")?;
    assert_eq!(read_line(&mut patient)?, "avant\n");

    // Un client envoie beaucoup sans jamais lire, puis coupe au milieu du flux :
    // SO_LINGER à 0 fait envoyer un RST au lieu du FIN poli. Son thread, côté
    // serveur, reçoit une erreur.
    let rude = connect(addr)?;
    (&rude).write_all(&vec![b'x'; 256 * 1024])?;
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO))?;
    drop(rude);

    patient.get_mut().write_all(b"toujours la ?\n")?;
    assert_eq!(
        read_line(&mut patient)?,
        "toujours la ?\n",
        "le client déjà connecté doit continuer à être servi après le RST d'un autre"
    );
    let received = roundtrip(addr, b"nouveau\n".to_vec())?;
    assert_eq!(
        received, b"nouveau\n",
        "le serveur doit accepter de nouveaux clients après un RST"
    );
    Ok(())
}

#[test]
fn le_client_de_trop_recoit_un_refus_en_francais() -> io::Result<()> {
    let addr = start_server(2)?;
    let mut first = BufReader::new(connect(addr)?);
    let mut second = BufReader::new(connect(addr)?);
    // Un écho reçu prouve que le serveur a accepté ce client, donc réservé sa place.
    for client in [&mut first, &mut second] {
        client.get_mut().write_all(b"present\n")?;
        assert_eq!(read_line(client)?, "present\n");
    }

    assert_turned_away(
        addr,
        "*** Serveur complet (2 connexions au maximum) : réessayez plus tard.\n",
    )
}

#[test]
fn une_place_se_libere_quand_un_client_part() -> io::Result<()> {
    let addr = start_server(1)?;
    let mut first = connect(addr)?;
    first.write_all(b"je prends la place\n")?;
    first.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::new();
    // La fin de l'écho (lecture de 0 octet) signifie que le thread du serveur a fini,
    // et il rend sa place avant de fermer : le suivant doit être accepté
    // aussitôt.
    first.read_to_end(&mut echoed)?;
    assert_eq!(echoed, b"je prends la place\n");

    let received = roundtrip(addr, b"a mon tour\n".to_vec())?;
    assert_eq!(
        received, b"a mon tour\n",
        "la place du client parti doit être rendue, pas perdue"
    );
    Ok(())
}
