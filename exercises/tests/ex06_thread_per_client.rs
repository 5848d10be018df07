//! Tests de l'exercice 06 : un serveur qui lance un thread par client.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};

use exercises::ex06_thread_per_client::{WELCOME, handle_client, serve};

use crate::common::*;

/// Démarre `serve` sur un port libre ; le thread du serveur tourne jusqu'à la fin du test.
fn start_server() -> io::Result<(SocketAddr, Spawned<io::Result<()>>)> {
    let (listener, addr) = local_listener()?;
    let server = spawn(move || serve(listener));
    Ok((addr, server))
}

/// Se connecte et lit l'accueil. Sans accueil, le message dit si `serve()` s'est arrêté (et
/// pourquoi) ou s'il tourne encore, occupé avec un autre client (un serveur séquentiel).
pub fn join_server(
    addr: SocketAddr,
    server: &Spawned<io::Result<()>>,
    who: &str,
) -> io::Result<std::net::TcpStream> {
    let mut client = connect(addr).map_err(|err| not_served(server, who, err))?;
    let welcome = read_line(&mut client).map_err(|err| not_served(server, who, err))?;
    assert_eq!(
        welcome,
        format!("{WELCOME}\n"),
        "{who} devait recevoir l'accueil"
    );
    Ok(client)
}

/// Pourquoi `who` n'a pas été servi.
fn not_served(server: &Spawned<io::Result<()>>, who: &str, err: io::Error) -> io::Error {
    let why = server.stopped_hint("serve()").unwrap_or_else(|| {
        "serve() tourne encore mais ne répond pas : est-il occupé avec un autre client ? Chaque \
         client accepté doit être servi dans son propre thread (thread::spawn), pendant que la \
         boucle d'accept attend le suivant"
            .to_string()
    });
    let what = match err.kind() {
        io::ErrorKind::TimedOut => format!("rien reçu en {TIMEOUT:?}"),
        _ => err.to_string(),
    };
    io::Error::new(
        err.kind(),
        format!("{who} n'a pas reçu l'accueil ({what}) : {why}"),
    )
}

fn send_and_expect(client: &mut std::net::TcpStream, line: &str, who: &str) -> io::Result<()> {
    client.write_all(format!("{line}\n").as_bytes())?;
    let reply = read_line(client)?;
    assert_eq!(
        reply,
        format!("reçu : {line}\n"),
        "{who} a envoyé {line:?} et le serveur a répondu {reply:?}"
    );
    Ok(())
}

fn chaque_ligne_recoit_un_accuse() -> io::Result<()> {
    let (addr, server) = start_server()?;
    let mut client = join_server(addr, &server, "le client")?;
    send_and_expect(&mut client, "bonjour", "le client")?;
    send_and_expect(&mut client, "encore un", "le client")?;
    Ok(())
}

fn deux_clients_sont_servis_en_meme_temps() -> io::Result<()> {
    let (addr, server) = start_server()?;
    // A reste connecté sans rien dire ; un serveur séquentiel ne servirait pas B.
    let mut alice = join_server(addr, &server, "le 1er client")?;
    let mut bob = join_server(
        addr,
        &server,
        "le 2e client (pendant que le 1er reste connecté)",
    )?;
    send_and_expect(&mut bob, "je suis B", "le 2e client")?;
    send_and_expect(&mut alice, "je suis A", "le 1er client")?;
    send_and_expect(&mut bob, "toujours là", "le 2e client")?;
    Ok(())
}

fn un_client_qui_part_brutalement_ne_gene_pas_les_autres() -> io::Result<()> {
    let (addr, server) = start_server()?;
    {
        let mut rude = connect(addr)?;
        rude.write_all(b"une ligne sans fin")?;
        // Le client part au milieu d'une ligne.
    }
    let quiet = connect(addr)?;
    drop(quiet);
    let mut client = join_server(addr, &server, "le client suivant")?;
    send_and_expect(&mut client, "ça marche", "le client suivant")?;
    assert!(
        server.try_finished().is_none(),
        "serve() s'est arrêté : un client qui part ne doit pas arrêter le serveur"
    );
    Ok(())
}

fn l_utf8_invalide_recoit_une_erreur() -> io::Result<()> {
    let (addr, server) = start_server()?;
    let mut client = join_server(addr, &server, "le client")?;
    client.write_all(b"\xff\xfe\n")?;
    let reply = read_line(&mut client)?;
    assert_eq!(
        reply, "ERREUR: texte non UTF-8\n",
        "réponse à une ligne non UTF-8"
    );
    send_and_expect(&mut client, "ok", "le client")?;
    Ok(())
}

fn handle_client_se_termine_quand_le_client_ferme() -> io::Result<()> {
    let (mut client, server_side) = socket_pair()?;
    let handler = spawn(move || handle_client(server_side));
    assert_eq!(read_line(&mut client)?, format!("{WELCOME}\n"), "l'accueil");
    client.write_all(b"fin\r\n")?;
    assert_eq!(
        read_line(&mut client)?,
        "reçu : fin\n",
        "le \\r\\n est retiré"
    );
    client.shutdown(Shutdown::Write)?;
    let result = handler.join_within(TIMEOUT, "handle_client après la fermeture du client")?;
    assert!(
        result.is_ok(),
        "une fin de flux est une fin normale : {result:?}"
    );
    Ok(())
}

tests![
    chaque_ligne_recoit_un_accuse,
    deux_clients_sont_servis_en_meme_temps,
    un_client_qui_part_brutalement_ne_gene_pas_les_autres,
    l_utf8_invalide_recoit_une_erreur,
    handle_client_se_termine_quand_le_client_ferme,
];
