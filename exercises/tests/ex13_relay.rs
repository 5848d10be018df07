//! Tests de l'exercice 13 : le relais TCP et le répartiteur à tour de rôle.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use exercises::ex13_relay::{RoundRobin, relay, serve_proxy};

use crate::common::*;

/// Un backend qui écrit `name` puis `\n` à chaque client, puis ferme.
fn named_backend(name: &'static str) -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(format!("{name}\n").as_bytes());
        }
    });
    Ok(addr)
}

fn read_all(stream: &mut std::net::TcpStream, what: &str) -> io::Result<String> {
    let mut text = Vec::new();
    stream
        .read_to_end(&mut text)
        .map_err(|err| timeout_hint(err, what))?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}

fn la_fin_d_un_sens_est_transmise() -> io::Result<()> {
    let (mut user, proxy_front) = socket_pair()?;
    let (proxy_back, mut backend) = socket_pair()?;
    let relaying = spawn(move || relay(proxy_front, proxy_back));

    user.write_all("requête".as_bytes())?;
    user.shutdown(Shutdown::Write)?;
    // Le backend lit jusqu'à la fin : il faut que le relais lui transmette notre FIN.
    let request = read_all(
        &mut backend,
        "(le backend attend la fin de la requête : transmettez-vous shutdown(Write) ?)",
    )?;
    assert_eq!(request, "requête", "le backend reçoit la requête entière");
    backend.write_all("réponse".as_bytes())?;
    drop(backend);
    let response = read_all(&mut user, "(le client attend la réponse)")?;
    assert_eq!(
        response, "réponse",
        "la réponse doit encore passer après la fin de la requête : ne fermez pas tout au premier FIN"
    );
    let counts = relaying.join_within(TIMEOUT, "relay après la fin des deux sens")??;
    assert_eq!(
        counts,
        (8, 8),
        "8 octets dans chaque sens (« ê » et « é » en font 2)"
    );
    Ok(())
}

fn un_dialogue_passe_dans_les_deux_sens_sans_fermer() -> io::Result<()> {
    let (mut user, proxy_front) = socket_pair()?;
    let (proxy_back, mut backend) = socket_pair()?;
    let _relaying = spawn(move || relay(proxy_front, proxy_back));
    for round in 0..3 {
        user.write_all(format!("ping {round}\n").as_bytes())?;
        assert_eq!(
            read_line(&mut backend)?,
            format!("ping {round}\n"),
            "le backend reçoit le ping"
        );
        backend.write_all(format!("pong {round}\n").as_bytes())?;
        let reply = read_line(&mut user)?;
        assert_eq!(
            reply,
            format!("pong {round}\n"),
            "le client attend sa réponse : les deux sens doivent être copiés EN MÊME TEMPS"
        );
    }
    Ok(())
}

fn un_gros_volume_dans_les_deux_sens() -> io::Result<()> {
    let (user, proxy_front) = socket_pair()?;
    let (proxy_back, backend) = socket_pair()?;
    let relaying = spawn(move || relay(proxy_front, proxy_back));
    let upload = pattern(500_000);
    let download: Vec<u8> = pattern(700_000).into_iter().rev().collect();

    let send = |mut stream: std::net::TcpStream, data: Vec<u8>| {
        spawn(move || -> io::Result<()> {
            stream.write_all(&data)?;
            stream.shutdown(Shutdown::Write)
        })
    };
    let user_sender = send(user.try_clone()?, upload.clone());
    let backend_sender = send(backend.try_clone()?, download.clone());
    // Les deux bouts lisent EN MÊME TEMPS : si le client attendait la fin de l'autre sens
    // pour lire, le sens backend → client resterait bloqué, tampons pleins, et sur une
    // machine chargée son délai d'écriture pourrait expirer.
    let mut user = user;
    let user_reader = spawn(move || -> io::Result<Vec<u8>> {
        let mut at_user = Vec::new();
        user.read_to_end(&mut at_user)?;
        Ok(at_user)
    });
    let mut backend = backend;
    let mut at_backend = Vec::new();
    backend.read_to_end(&mut at_backend)?;
    let at_user = user_reader.join_within(TIMEOUT * 2, "la lecture côté client")??;
    assert!(
        at_backend == upload,
        "les 500 000 octets du client arrivent intacts au backend"
    );
    assert!(
        at_user == download,
        "les 700 000 octets du backend arrivent intacts au client"
    );
    user_sender.join_within(TIMEOUT, "l'envoi du client")??;
    backend_sender.join_within(TIMEOUT, "l'envoi du backend")??;
    let counts = relaying.join_within(TIMEOUT, "relay")??;
    assert_eq!(
        counts,
        (500_000, 700_000),
        "les compteurs d'octets de chaque sens"
    );
    Ok(())
}

fn le_tourniquet_revient_au_premier() -> io::Result<()> {
    let addrs: Vec<SocketAddr> = ["127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"]
        .iter()
        .map(|addr| addr.parse().expect("adresse de test"))
        .collect();
    let mut round_robin = RoundRobin::new(addrs.clone());
    let picked: Vec<_> = (0..7).map(|_| round_robin.next_backend()).collect();
    let expected: Vec<_> = [0, 1, 2, 0, 1, 2, 0]
        .iter()
        .map(|&i| Some(addrs[i]))
        .collect();
    assert_eq!(picked, expected, "1er, 2e, 3e, puis de nouveau le 1er...");
    assert_eq!(
        RoundRobin::new(Vec::new()).next_backend(),
        None,
        "aucun backend : None"
    );
    Ok(())
}

fn le_repartiteur_alterne_les_backends() -> io::Result<()> {
    let backends = vec![named_backend("backend A")?, named_backend("backend B")?];
    let (listener, addr) = local_listener()?;
    let _proxy = spawn(move || serve_proxy(listener, backends));
    for expected in ["backend A\n", "backend B\n", "backend A\n", "backend B\n"] {
        let mut client = connect(addr)?;
        let answer = read_all(&mut client, "(réponse du backend à travers le répartiteur)")?;
        assert_eq!(
            answer, expected,
            "les clients successifs vont à tour de rôle vers A et B"
        );
    }
    Ok(())
}

fn un_backend_injoignable_ne_tue_pas_le_repartiteur() -> io::Result<()> {
    let (closed, dead) = local_listener()?;
    drop(closed);
    let backends = vec![dead, named_backend("vivant")?];
    let (listener, addr) = local_listener()?;
    let proxy = spawn(move || serve_proxy(listener, backends));

    let mut unlucky = connect(addr)?;
    // Sous Windows, se connecter à un port fermé échoue au bout d'environ 2 s (le SYN est
    // réessayé), autant que le délai de connexion au backend : on attend un peu plus.
    unlucky.set_read_timeout(Some(TIMEOUT + std::time::Duration::from_secs(1)))?;
    let mut rest = Vec::new();
    match unlucky.read_to_end(&mut rest) {
        Ok(_) => assert!(
            rest.is_empty(),
            "backend injoignable : la connexion est fermée"
        ),
        Err(err) => assert!(
            !is_timeout(&err),
            "backend injoignable : fermez la connexion de ce client au lieu de la laisser pendre"
        ),
    }
    let mut lucky = connect(addr)?;
    assert_eq!(
        read_all(&mut lucky, "(le 2e client)")?,
        "vivant\n",
        "le client suivant est servi"
    );
    assert!(
        proxy.try_finished().is_none(),
        "le répartiteur doit continuer de tourner"
    );
    Ok(())
}

tests![
    la_fin_d_un_sens_est_transmise,
    un_dialogue_passe_dans_les_deux_sens_sans_fermer,
    un_gros_volume_dans_les_deux_sens,
    le_tourniquet_revient_au_premier,
    le_repartiteur_alterne_les_backends,
    un_backend_injoignable_ne_tue_pas_le_repartiteur,
];
