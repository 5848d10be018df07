//! Les fins de connexion que le serveur sait provoquer (`--fermeture`,
//! `--sans-reuseaddr`), vues du côté du client, sur de vraies sockets en boucle
//! locale.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use lesson01_echo::{Ending, ListenOptions, listen_with, serve_client};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Un serveur qui sert UN client selon `ending`, puis rend sa socket d'écoute.
fn serve_one(
    ending: Ending,
    options: ListenOptions,
) -> io::Result<(SocketAddr, thread::JoinHandle<TcpListener>)> {
    let listener = listen_with("127.0.0.1:0".parse().unwrap(), options)?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let _ = serve_client(stream, ending);
        }
        listener
    });
    Ok((addr, server))
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Lit exactement `expected.len()` octets et les compare.
fn expect_bytes(stream: &mut TcpStream, expected: &[u8]) -> io::Result<()> {
    let mut received = vec![0; expected.len()];
    stream.read_exact(&mut received)?;
    assert_eq!(
        received, expected,
        "l'écho de la première ligne doit revenir"
    );
    Ok(())
}

fn is_reset(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
    )
}

#[test]
fn le_serveur_qui_ferme_le_premier_envoie_une_fin_de_flux() -> io::Result<()> {
    let (addr, _server) = serve_one(Ending::ServerFirst, ListenOptions::default())?;
    let mut client = connect(addr)?;
    client.write_all(b"un\n")?;
    expect_bytes(&mut client, b"un\n")?;
    let mut rest = Vec::new();
    client.read_to_end(&mut rest)?;
    assert!(
        rest.is_empty(),
        "après la première ligne, plus rien : {rest:?}"
    );
    Ok(())
}

#[test]
fn ecrire_a_un_pair_parti_reussit_d_abord_puis_echoue() -> io::Result<()> {
    let (addr, _server) = serve_one(Ending::ServerFirst, ListenOptions::default())?;
    let mut client = connect(addr)?;
    client.write_all(b"un\n")?;
    expect_bytes(&mut client, b"un\n")?;
    assert_eq!(
        client.read(&mut [0; 16])?,
        0,
        "le serveur a fermé : fin de flux"
    );
    // Le noyau accepte ces octets : il ne sait pas encore que le pair a tout fermé.
    // Ils partent, et le pair répond par un RST ; ils sont perdus, sans erreur
    // ici.
    client.write_all(b"deux\n")?;
    // Une écriture suivante voit le RST. Il arrive de façon asynchrone : on réessaie,
    // avec une échéance (ce n'est pas une attente arbitraire, on surveille un
    // état).
    let deadline = Instant::now() + TIMEOUT;
    let failure = loop {
        match client.write(b"trois\n") {
            Err(err) => break err,
            Ok(_) if Instant::now() > deadline => {
                panic!("aucune écriture n'a échoué après la fermeture du pair")
            }
            Ok(_) => thread::yield_now(),
        }
    };
    assert!(
        matches!(
            failure.kind(),
            ErrorKind::BrokenPipe
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
        ),
        "erreur attendue : « broken pipe » ou « connection reset », pas {failure:?}"
    );
    Ok(())
}

#[test]
fn une_fermeture_avec_so_linger_nul_arrive_comme_une_reinitialisation()
-> io::Result<()> {
    let (addr, _server) = serve_one(Ending::Reset, ListenOptions::default())?;
    let mut client = connect(addr)?;
    client.write_all(b"un\n")?;
    expect_bytes(&mut client, b"un\n")?;
    let err = client.read(&mut [0; 16]).expect_err(
        "un RST doit arriver comme une erreur, pas comme une fin de flux",
    );
    assert!(is_reset(&err), "réinitialisation attendue, pas {err:?}");
    Ok(())
}

#[test]
fn fermer_sans_lire_ce_qui_est_arrive_reinitialise_la_connexion() -> io::Result<()> {
    let (addr, _server) = serve_one(Ending::Unread, ListenOptions::default())?;
    let mut client = connect(addr)?;
    client.write_all(b"personne ne lira ceci\n")?;
    let err = client.read(&mut [0; 16]).expect_err(
        "des octets non lus à la fermeture : le noyau doit envoyer un RST",
    );
    assert!(is_reset(&err), "réinitialisation attendue, pas {err:?}");
    Ok(())
}

/// Fait une conversation d'une ligne avec un serveur qui ferme le premier, attend
/// qu'il ait rendu sa socket d'écoute, et renvoie l'adresse : sa connexion garde le
/// port en TIME_WAIT.
#[cfg(unix)]
fn server_closes_first(options: ListenOptions) -> io::Result<SocketAddr> {
    let (addr, server) = serve_one(Ending::ServerFirst, options)?;
    let mut client = connect(addr)?;
    client.write_all(b"un\n")?;
    expect_bytes(&mut client, b"un\n")?;
    let mut rest = Vec::new();
    client.read_to_end(&mut rest)?;
    drop(client);
    drop(server.join().expect("le thread serveur a paniqué"));
    Ok(addr)
}

/// Sous Unix, sans SO_REUSEADDR, une connexion du port encore en TIME_WAIT (ou en fin
/// de fermeture) empêche d'écouter à nouveau sur ce port.
#[cfg(unix)]
#[test]
fn sans_reuseaddr_le_port_reste_bloque_apres_une_fermeture_par_le_serveur()
-> io::Result<()> {
    let without = ListenOptions {
        reuse_address: false,
        ..ListenOptions::default()
    };
    let addr = server_closes_first(without)?;
    let err =
        listen_with(addr, without).expect_err("le port devrait être encore bloqué");
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");
    Ok(())
}

/// Avec SO_REUSEADDR (le défaut), le même scénario laisse écouter à nouveau tout de
/// suite.
#[cfg(unix)]
#[test]
fn avec_reuseaddr_on_ecoute_a_nouveau_tout_de_suite() -> io::Result<()> {
    let addr = server_closes_first(ListenOptions::default())?;
    listen_with(addr, ListenOptions::default())
        .expect("avec SO_REUSEADDR, on peut écouter à nouveau malgré TIME_WAIT");
    Ok(())
}

#[test]
fn un_backlog_de_un_est_accepte() -> io::Result<()> {
    let options = ListenOptions {
        backlog: 1,
        ..ListenOptions::default()
    };
    let (addr, _server) = serve_one(Ending::ClientFirst, options)?;
    let mut client = connect(addr)?;
    client.write_all(b"ok\n")?;
    expect_bytes(&mut client, b"ok\n")?;
    Ok(())
}
