//! Tests de l'exercice 07 : connexion avec délai et contrôle de santé.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::Duration;

use exercises::ex07_health_check::{Health, check_all, check_health, connect_with_timeout};

use crate::common::*;

/// Un serveur qui répond `reply` à la première ligne de chaque client.
fn answering_server(reply: &'static [u8]) -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = with_timeouts(&stream);
            let mut stream = stream;
            if read_line(&mut stream).is_ok() {
                let _ = stream.write_all(reply);
            }
        }
    });
    Ok(addr)
}

/// Un serveur muet : le noyau accepte les connexions (backlog), le programme ne lit jamais.
fn silent_server() -> io::Result<(TcpListener, SocketAddr)> {
    local_listener()
}

/// Une adresse où personne n'écoute : on réserve un port puis on le libère.
fn closed_port() -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    drop(listener);
    Ok(addr)
}

fn un_serveur_qui_repond_pong_est_up() -> io::Result<()> {
    let addr = answering_server(b"PONG\n")?;
    assert_eq!(
        check_health(addr, Duration::from_secs(2)),
        Health::Up,
        "le serveur répond PONG : il est Up (avez-vous bien envoyé \"PING\\n\" ?)"
    );
    Ok(())
}

fn un_port_ferme_est_down() -> io::Result<()> {
    let addr = closed_port()?;
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Down,
        "personne n'écoute : Down"
    );
    Ok(())
}

fn un_serveur_muet_est_down_dans_le_delai() -> io::Result<()> {
    let (_listener, addr) = silent_server()?;
    // Le serveur accepte (le noyau le fait pour lui) mais ne répond jamais : sans délai de
    // lecture, check_health attendrait pour toujours. On ne mesure pas le temps : on vérifie
    // que le contrôle rend la main, et qu'il dit Down.
    let health = spawn(move || check_health(addr, Duration::from_millis(300))).join_within(
        TIMEOUT,
        "check_health face à un serveur muet, avec un délai de 300 ms (avez-vous réglé \
         set_read_timeout ?)",
    )?;
    assert_eq!(
        health,
        Health::Down,
        "le port est ouvert mais le service ne répond pas : Down"
    );
    Ok(())
}

fn une_mauvaise_reponse_est_down() -> io::Result<()> {
    let addr = answering_server(b"PANG\n")?;
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Down,
        "le serveur répond PANG au lieu de PONG : Down"
    );
    let addr = answering_server(b"")?;
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Down,
        "le serveur ferme sans répondre : Down"
    );
    Ok(())
}

fn connect_with_timeout_regle_les_delais() -> io::Result<()> {
    let (_listener, addr) = silent_server()?;
    let timeout = Duration::from_millis(700);
    let stream = connect_with_timeout(addr, timeout)?;
    assert_eq!(
        stream.read_timeout()?,
        Some(timeout),
        "délai de lecture attendu : {timeout:?}"
    );
    assert_eq!(
        stream.write_timeout()?,
        Some(timeout),
        "délai d'écriture attendu : {timeout:?}"
    );
    assert!(
        connect_with_timeout(closed_port()?, timeout).is_err(),
        "personne n'écoute : la connexion doit échouer"
    );
    Ok(())
}

/// Un serveur qui signale chaque `PING` reçu par `arrivals`, puis ne répond `PONG` qu'une fois
/// sa barrière (`gate`) ouverte par le test.
fn gated_server(
    arrivals: mpsc::Sender<SocketAddr>,
    gate: mpsc::Receiver<()>,
) -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = with_timeouts(&stream);
            if read_line(&mut stream).is_ok() {
                let _ = arrivals.send(addr);
                // Barrière ouverte, ou test fini (le canal est alors détruit) : on répond.
                let _ = gate.recv_timeout(TIMEOUT * 2);
                let _ = stream.write_all(b"PONG\n");
            }
        }
    });
    Ok(addr)
}

fn check_all_verifie_les_serveurs_en_parallele() -> io::Result<()> {
    const SERVERS: usize = 6;
    // Chaque serveur attend que le test ouvre sa barrière avant de répondre, et le test ne les
    // ouvre qu'une fois les six PING arrivés : ils n'arrivent tous que si les six contrôles
    // tournent EN MÊME TEMPS. Des contrôles l'un après l'autre resteraient bloqués sur le
    // premier serveur, qui attend sa barrière. Rien n'est chronométré.
    let (arrived, arrivals) = mpsc::channel();
    let mut gates = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..SERVERS {
        let (open, gate) = mpsc::channel();
        addrs.push(gated_server(arrived.clone(), gate)?);
        gates.push(open);
    }
    let closed = closed_port()?;
    addrs.push(closed);

    // Un délai large : aucun contrôle ne doit expirer pendant que les autres démarrent.
    let checked = addrs.clone();
    let checking = spawn(move || check_all(&checked, TIMEOUT + Duration::from_secs(1)));
    for received in 0..SERVERS {
        if arrivals.recv_timeout(TIMEOUT).is_err() {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!(
                    "check_all n'a envoyé PING qu'à {received} serveur(s) sur {SERVERS} pendant \
                     que le premier attendait sa réponse : les contrôles doivent se faire en \
                     même temps, un thread par serveur"
                ),
            ));
        }
    }
    for open in &gates {
        let _ = open.send(());
    }
    let results = checking.join_within(TIMEOUT, "check_all")?;

    let mut expected: Vec<_> = addrs[..SERVERS]
        .iter()
        .map(|&addr| (addr, Health::Up))
        .collect();
    expected.push((closed, Health::Down));
    assert_eq!(
        results, expected,
        "un résultat par serveur, dans l'ordre de la liste"
    );
    Ok(())
}

tests![
    un_serveur_qui_repond_pong_est_up,
    un_port_ferme_est_down,
    un_serveur_muet_est_down_dans_le_delai,
    une_mauvaise_reponse_est_down,
    connect_with_timeout_regle_les_delais,
    check_all_verifie_les_serveurs_en_parallele,
];
