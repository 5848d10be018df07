//! Tests de l'exercice 09 : un serveur d'écho sur une boucle d'événements mio.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

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

/// Taille demandée pour les tampons du noyau dans les tests d'un gros envoi (le noyau peut
/// l'arrondir) : petite, pour que les `write()` du serveur deviennent partiels très vite.
const SMALL_BUFFER: usize = 4096;

/// Au-delà de ce délai sans progrès, un envoi vers un serveur qui borne son tampon est
/// considéré comme arrêté par lui.
const STALLED_AFTER: Duration = Duration::from_millis(500);

/// Un serveur écoute sur une socket aux petits tampons d'envoi et de réception ; les sockets
/// qu'il accepte en héritent, et c'est le test qui crée celle-ci. Rend aussi la place que ces
/// deux tampons réservent, d'après le noyau.
pub fn start_server_with_small_buffers() -> io::Result<(SocketAddr, usize)> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_send_buffer_size(SMALL_BUFFER)?;
    socket.set_recv_buffer_size(SMALL_BUFFER)?;
    let buffers = socket.send_buffer_size()? + socket.recv_buffer_size()?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(128)?;
    let listener: std::net::TcpListener = socket.into();
    let addr = listener.local_addr()?;
    spawn(move || serve(listener));
    Ok((addr, buffers))
}

/// Envoie `data` par morceaux de `write_size` SANS lire l'écho des `unread` premiers octets,
/// puis lit tout l'écho par morceaux de `read_size` pendant que le reste part. Rend ce qui est
/// revenu avant la fin du flux ou le délai.
///
/// Pourquoi cela trouve à coup sûr un serveur qui ignore ce que `write()` rend : tant que le
/// client ne lit pas, l'écho ne peut aller que dans le tampon d'envoi du serveur et le tampon
/// de réception du client, et l'envoi ne peut attendre que dans les deux autres. `unread`
/// dépasse la place de ces quatre tampons : un serveur juste garde le reste de l'écho dans sa
/// mémoire à lui ; l'autre le perd.
pub fn echo_with_reader_paused(
    addr: SocketAddr,
    data: Vec<u8>,
    unread: usize,
    write_size: usize,
    read_size: usize,
) -> io::Result<Vec<u8>> {
    let client = small_buffer_client(addr)?;
    // Un serveur qui lit ne laisse jamais un envoi sans progrès aussi longtemps : au-delà, il a
    // cessé de lire parce qu'il borne son tampon (c'est permis), et l'on passe à la lecture.
    client.set_write_timeout(Some(STALLED_AFTER))?;
    let mut sent = 0;
    while sent < unread.min(data.len()) {
        let end = unread.min(data.len()).min(sent + write_size);
        match (&client).write(&data[sent..end]) {
            Ok(count) => sent += count,
            Err(err) if is_timeout(&err) => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }

    client.set_write_timeout(Some(TIMEOUT))?;

    // On lit enfin ; le reste part pendant ce temps, depuis un autre thread.
    let mut writer = client.try_clone()?;
    let rest = data[sent..].to_vec();
    let sender = spawn(move || -> io::Result<()> {
        for piece in rest.chunks(write_size) {
            writer.write_all(piece)?;
        }
        // Le client a fini d'envoyer : le serveur doit encore finir de renvoyer l'écho.
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
            Err(_) => break, // délai ou coupure : le test dira ce qui manque
        }
    }
    let _ = sender.join_within(TIMEOUT, "l'envoi");
    Ok(received)
}

/// Un client aux petits tampons d'envoi et de réception.
fn small_buffer_client(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_send_buffer_size(SMALL_BUFFER)?;
    socket.set_recv_buffer_size(SMALL_BUFFER)?;
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    with_timeouts(&stream)?;
    Ok(stream)
}

/// La place des tampons du noyau d'un client créé par `small_buffer_client`, d'après le noyau.
pub fn client_buffers() -> io::Result<usize> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_send_buffer_size(SMALL_BUFFER)?;
    socket.set_recv_buffer_size(SMALL_BUFFER)?;
    Ok(socket.send_buffer_size()? + socket.recv_buffer_size()?)
}

fn un_gros_envoi_revient_entier() -> io::Result<()> {
    let (addr, server_buffers) = start_server_with_small_buffers()?;
    // 32 Kio de plus que ce que les quatre tampons du noyau peuvent garder : un serveur qui
    // garde le reste dans un tampon d'au moins 64 Kio ne cesse pas de lire avant.
    let unread = server_buffers + client_buffers()? + 32 * 1024;
    let data = pattern(4 * 1024 * 1024);
    let received = echo_with_reader_paused(addr, data.clone(), unread, 64 * 1024, 1024)?;
    assert!(
        received.len() == data.len(),
        "écho incomplet : {} octets revenus sur {}. Quand le client ne lit pas assez vite, \
         write() n'accepte qu'une partie des octets (ou rend WouldBlock) : gardez le reste dans \
         le tampon de CE client et renvoyez-le à l'événement WRITABLE ; et quand read() rend 0 \
         (le client a fini d'envoyer), finissez d'écrire ce tampon avant de le retirer \
         (indice 2 de book/src/exercices/ex09-echo-avec-mio.md)",
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
        socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO))?;
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
