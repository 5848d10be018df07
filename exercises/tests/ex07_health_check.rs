//! Tests de l'exercice 07 : connexion avec délai et contrôle de santé.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

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
    let start = Instant::now();
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Down,
        "personne n'écoute : Down"
    );
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "le contrôle doit rendre la main dans le délai ({:?})",
        start.elapsed()
    );
    Ok(())
}

fn un_serveur_muet_est_down_dans_le_delai() -> io::Result<()> {
    let (_listener, addr) = silent_server()?;
    let start = Instant::now();
    let health = check_health(addr, Duration::from_millis(300));
    let elapsed = start.elapsed();
    assert_eq!(
        health,
        Health::Down,
        "le port est ouvert mais le service ne répond pas : Down"
    );
    assert!(
        elapsed < Duration::from_millis(1500),
        "délai de 300 ms, rendu en {elapsed:?} : avez-vous réglé set_read_timeout ?"
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

fn check_all_verifie_les_serveurs_en_parallele() -> io::Result<()> {
    let up = answering_server(b"PONG\n")?;
    let mut silent = Vec::new();
    for _ in 0..6 {
        silent.push(silent_server()?);
    }
    let closed = closed_port()?;
    let mut addrs = vec![up];
    addrs.extend(silent.iter().map(|(_, addr)| *addr));
    addrs.push(closed);

    let start = Instant::now();
    let results = check_all(&addrs, Duration::from_millis(500));
    let elapsed = start.elapsed();

    let mut expected = vec![(up, Health::Up)];
    expected.extend(silent.iter().map(|(_, addr)| (*addr, Health::Down)));
    expected.push((closed, Health::Down));
    assert_eq!(
        results, expected,
        "un résultat par serveur, dans l'ordre de la liste"
    );
    assert!(
        elapsed < Duration::from_millis(2000),
        "6 serveurs muets à 500 ms chacun : {elapsed:?} ; en parallèle, ce serait ~500 ms"
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
