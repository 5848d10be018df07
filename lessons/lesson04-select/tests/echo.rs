//! Tests du serveur d'écho à boucle d'événements, sur de vraies sockets TCP
//! (127.0.0.1).

mod common;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{start_echo, start_stoppable_echo};
use lesson04_select::Config;
use socket2::{Domain, Socket, Type};
use test_kit::{
    TIMEOUT, assert_echoes_a_mebibyte, assert_echoes_binary, assert_turned_away,
    connect, pattern, roundtrip,
};

#[test]
fn les_octets_binaires_et_non_utf8_sont_renvoyes_intacts() -> io::Result<()> {
    assert_echoes_binary(start_echo(Config::default())?)
}

#[test]
fn un_mebioctet_revient_entier_malgre_les_ecritures_partielles() -> io::Result<()> {
    // Ici, le reste d'une écriture partielle attend dans le tampon de sortie du
    // client, jusqu'à ce que sa socket soit de nouveau prête en écriture.
    assert_echoes_a_mebibyte(start_echo(Config::default())?)
}

#[test]
fn l_echo_revient_a_l_expediteur_et_pas_au_dernier_client_accepte() -> io::Result<()>
{
    // Le bogue du TP (§ 1.2) : `sclient.sendall(data)` renvoyait l'écho au DERNIER
    // client accepté. On connecte A puis B ; c'est A qui parle.
    let addr = start_echo(Config::default())?;
    let mut first = connect(addr)?;
    let mut last = connect(addr)?;
    // B fait un aller-retour : il est donc accepté, c'est bien le dernier arrivé.
    last.write_all(b"B est la\n")?;
    let mut reply = [0u8; 9];
    last.read_exact(&mut reply)?;

    first.write_all(b"pour A\n")?;
    let mut reply = [0u8; 7];
    first.read_exact(&mut reply)?;
    assert_eq!(&reply, b"pour A\n", "A doit recevoir son propre écho");

    // Un marqueur plutôt qu'une attente : si l'écho de A était parti chez B, B le
    // lirait AVANT son marqueur.
    last.write_all(b"marqueur\n")?;
    let mut reply = [0u8; 9];
    last.read_exact(&mut reply)?;
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "marqueur\n",
        "B ne doit recevoir que son propre écho, pas celui de A (le bogue `sclient` du TP)"
    );
    Ok(())
}

#[test]
fn cinquante_clients_sont_servis_en_meme_temps() -> io::Result<()> {
    let addr = start_echo(Config::default())?;
    // Tous connectés d'abord : les 50 connexions sont ouvertes en même temps.
    let streams = (0..50)
        .map(|_| connect(addr))
        .collect::<io::Result<Vec<_>>>()?;
    let (results_tx, results) = mpsc::channel();
    for (index, mut stream) in streams.into_iter().enumerate() {
        let results_tx = results_tx.clone();
        thread::spawn(move || {
            let result = (|| -> io::Result<bool> {
                let message =
                    format!("client {index} : {}\n", "x".repeat(index * 100));
                for _ in 0..10 {
                    stream.write_all(message.as_bytes())?;
                    let mut reply = vec![0u8; message.len()];
                    stream.read_exact(&mut reply)?;
                    if reply != message.as_bytes() {
                        return Ok(false);
                    }
                }
                Ok(true)
            })();
            let _ = results_tx.send((index, result));
        });
    }
    for _ in 0..50 {
        let (index, result) = results.recv_timeout(TIMEOUT).expect(
            "un client n'a pas fini à temps : le serveur en bloque-t-il un ?",
        );
        assert!(
            result?,
            "le client {index} a reçu l'écho de quelqu'un d'autre"
        );
    }
    Ok(())
}

#[test]
fn une_coupure_brutale_en_plein_envoi_ne_derange_pas_le_serveur() -> io::Result<()> {
    let addr = start_echo(Config::default())?;
    let mut witness = connect(addr)?;
    witness.write_all(b"avant\n")?;
    let mut reply = [0u8; 6];
    witness.read_exact(&mut reply)?;

    let rude = connect(addr)?;
    (&rude).write_all(&pattern(256 * 1024))?;
    // SO_LINGER à 0 : la fermeture envoie un RST au lieu du FIN poli, en plein
    // échange.
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO))?;
    drop(rude);

    witness.write_all(b"apres\n")?;
    witness.read_exact(&mut reply)?;
    assert_eq!(
        &reply, b"apres\n",
        "le client déjà connecté doit être encore servi"
    );
    let received = roundtrip(addr, b"nouveau\n".to_vec())?;
    assert_eq!(
        received, b"nouveau\n",
        "le serveur doit accepter de nouveaux clients"
    );
    Ok(())
}

/// Une connexion aux petits tampons du noyau, de notre côté (réglés AVANT `connect`,
/// pour que la fenêtre TCP annoncée au serveur soit petite dès le départ).
fn connect_small_buffers(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.set_send_buffer_size(16 * 1024)?;
    socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

#[test]
fn un_client_qui_ne_lit_pas_est_freine_sans_perte_et_les_autres_sont_servis()
-> io::Result<()> {
    // Il envoie sans jamais lire son écho. Un serveur qui le freine (contre-pression)
    // cesse de le lire dès que l'écho en attente atteint sa limite : les tampons
    // TCP se remplissent, et ses `write()` finissent par ATTENDRE (le délai court
    // nous le signale). Un serveur qui garderait tout en mémoire accepterait
    // tout, jusqu'au plafond : 128 Mio, bien plus que ce que les tampons du noyau
    // peuvent retenir. On ne mesure pas ces tampons : on vérifie seulement que
    // l'envoi a fini par attendre, puis que rien n'est perdu.
    const CEILING: usize = 128 * 1024 * 1024;
    let addr = start_echo(Config::default())?;
    let mut greedy = connect_small_buffers(addr)?;
    greedy.set_write_timeout(Some(Duration::from_millis(300)))?;
    // 256 périodes du motif : les morceaux se suivent sans rompre le motif.
    let chunk = pattern(251 * 256);
    let mut sent = 0;
    let held_back = loop {
        if sent >= CEILING {
            break false;
        }
        match greedy.write(&chunk[sent % chunk.len()..]) {
            Ok(count) => sent += count,
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                break true;
            }
            Err(err) => return Err(err),
        }
    };
    assert!(
        held_back,
        "le serveur a accepté {sent} octets sans qu'on lise l'écho : il doit cesser de lire ce \
         client quand l'écho en attente atteint sa limite (contre-pression)"
    );

    // Pendant ce temps, les autres sont servis normalement.
    let received = roundtrip(addr, b"je ne suis pas ralenti\n".to_vec())?;
    assert_eq!(received, b"je ne suis pas ralenti\n");

    // Et rien n'est perdu : quand il lit enfin, il reçoit exactement ce qu'il a
    // envoyé, dans l'ordre (vérifié morceau par morceau, sans tout garder en
    // mémoire).
    let mut checked = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    while checked < sent {
        let wanted = buffer.len().min(sent - checked);
        greedy.read_exact(&mut buffer[..wanted])?;
        let intact = buffer[..wanted]
            .iter()
            .enumerate()
            .all(|(i, &byte)| byte == ((checked + i) % 251) as u8);
        assert!(
            intact,
            "l'écho différé doit être complet et dans l'ordre (écart après l'octet {checked})"
        );
        checked += wanted;
    }
    Ok(())
}

#[test]
fn au_dela_du_maximum_un_client_est_refuse_avec_un_message() -> io::Result<()> {
    let config = Config {
        max_clients: 2,
        ..Config::default()
    };
    let addr = start_echo(config)?;
    let mut present = Vec::new();
    for name in ["un\n", "deux\n"] {
        let mut stream = connect(addr)?;
        stream.write_all(name.as_bytes())?;
        let mut reply = vec![0u8; name.len()];
        stream.read_exact(&mut reply)?; // accepté et servi
        present.push(stream);
    }

    assert_turned_away(
        addr,
        "*** Serveur complet (2 connexions au maximum) : réessayez plus tard.\n",
    )?;

    // Un client part poliment ; quand il lit la fin du flux, le serveur l'a déjà
    // retiré.
    let mut leaving = present.remove(0);
    leaving.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    leaving.read_to_end(&mut rest)?;
    let received = roundtrip(addr, b"une place libre\n".to_vec())?;
    assert_eq!(
        received, b"une place libre\n",
        "une place libérée doit servir au suivant"
    );
    Ok(())
}

#[test]
fn a_l_arret_l_echo_en_cours_est_rendu_puis_la_connexion_fermee() -> io::Result<()> {
    let server = start_stoppable_echo(Config::default())?;
    let mut client = connect(server.addr)?;
    client.write_all(b"ping\n")?;
    let mut reply = [0u8; 5];
    client.read_exact(&mut reply)?;
    assert_eq!(&reply, b"ping\n");

    server.shutdown.request();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest)?;
    assert!(
        rest.is_empty(),
        "après l'arrêt, la fin du flux (FIN) : {rest:?}"
    );
    server.assert_stops();
    Ok(())
}
