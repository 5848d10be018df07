//! Tests de l'exercice 09 : un serveur d'écho sur une boucle d'événements mio.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

use exercises::ex09_mio_echo::serve;

use crate::common::*;

fn start_server() -> io::Result<(SocketAddr, Spawned<io::Result<()>>)> {
    let (listener, addr) = local_listener()?;
    let server = spawn(move || serve(listener));
    Ok((addr, server))
}

fn expect_echo(client: &mut TcpStream, line: &str, who: &str) -> io::Result<()> {
    client.write_all(line.as_bytes())?;
    let reply = read_line(client).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("{who} n'a pas reçu son écho ({err}) : l'écho part-il au dernier client accepté, comme dans le bogue du TP ?"),
        )
    })?;
    assert_eq!(
        reply, line,
        "{who} devait recevoir son propre message en écho"
    );
    Ok(())
}

fn chaque_client_recoit_son_propre_echo() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let mut alice = connect(addr)?;
    let mut bob = connect(addr)?;
    // Alice parle après l'arrivée de Bob : le serveur du TP renverrait l'écho à Bob.
    expect_echo(&mut alice, "je suis A\n", "le 1er client")?;
    expect_echo(&mut bob, "je suis B\n", "le 2e client")?;
    expect_echo(&mut alice, "encore A\n", "le 1er client")?;
    Ok(())
}

fn dix_clients_entrelaces() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(connect(addr)?);
    }
    for (index, client) in clients.iter_mut().enumerate().rev() {
        expect_echo(
            client,
            &format!("client {index}\n"),
            &format!("le client {index}"),
        )?;
    }
    Ok(())
}

/// Un client au tampon de réception minuscule : le serveur ne peut lui renvoyer que quelques
/// Kio à la fois, ses `write()` sont donc partiels ou rendent `WouldBlock`.
pub fn small_buffer_client(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    with_timeouts(&stream)?;
    Ok(stream)
}

/// Envoie `data` depuis un thread, puis `shutdown(Write)`, pendant qu'on lit l'écho par
/// petits morceaux (un lecteur lent) ; rend tout ce qui est revenu avant la fin ou le délai.
pub fn echo_through_slow_reader(client: TcpStream, data: Vec<u8>, read_size: usize) -> io::Result<Vec<u8>> {
    let mut writer = client.try_clone()?;
    let sender = spawn(move || -> io::Result<()> {
        writer.write_all(&data)?;
        writer.shutdown(Shutdown::Write)
    });
    let mut client = client;
    let mut received = Vec::new();
    let mut chunk = vec![0; read_size];
    loop {
        match client.read(&mut chunk) {
            Ok(0) => break,
            Ok(count) => received.extend_from_slice(&chunk[..count]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break, // délai : le test dira ce qui manque
        }
    }
    let _ = sender.join_within(TIMEOUT, "l'envoi");
    Ok(received)
}

fn un_gros_envoi_revient_entier() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let client = small_buffer_client(addr)?;
    let data = pattern(4 * 1024 * 1024);
    let received = echo_through_slow_reader(client, data.clone(), 1024)?;
    assert!(
        received.len() == data.len(),
        "écho incomplet : {} octets revenus sur {}. write() n'accepte souvent qu'une partie des \
         octets (ou rend WouldBlock) quand le client lit lentement : gardez le reste dans le \
         tampon de CE client et renvoyez-le à l'événement WRITABLE ; et quand read() rend 0 \
         (le client a fini d'envoyer), finissez d'écrire ce tampon avant de le retirer",
        received.len(),
        data.len()
    );
    assert!(
        received == data,
        "l'écho renvoyé diffère de l'envoi (ordre ou octets perdus)"
    );
    Ok(())
}

fn un_client_qui_part_ne_gene_pas_les_autres() -> io::Result<()> {
    let (addr, server) = start_server()?;
    let mut stay = connect(addr)?;
    {
        let mut leaving = connect(addr)?;
        leaving.write_all(b"au revoir sans attendre")?;
    }
    {
        // Un départ brutal : SO_LINGER à 0 fait envoyer un RST au lieu d'un FIN.
        let rude = connect(addr)?;
        socket2::SockRef::from(&rude).set_linger(Some(std::time::Duration::ZERO))?;
    }
    expect_echo(&mut stay, "toujours là\n", "le client resté")?;
    let mut late = connect(addr)?;
    expect_echo(&mut late, "nouveau\n", "un nouveau client")?;
    assert!(
        server.try_finished().is_none(),
        "serve() s'est arrêté : un client qui part ne doit pas arrêter le serveur"
    );
    Ok(())
}

fn les_octets_binaires_sont_intacts() -> io::Result<()> {
    let (addr, _server) = start_server()?;
    let mut client = connect(addr)?;
    let data: Vec<u8> = (0..=255u8).collect();
    client.write_all(&data)?;
    let mut received = vec![0; data.len()];
    client.read_exact(&mut received)?;
    assert_eq!(
        received, data,
        "l'écho ne doit ni décoder ni modifier les octets"
    );
    Ok(())
}

tests![
    chaque_client_recoit_son_propre_echo,
    dix_clients_entrelaces,
    un_gros_envoi_revient_entier,
    un_client_qui_part_ne_gene_pas_les_autres,
    les_octets_binaires_sont_intacts,
];
