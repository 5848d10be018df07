//! Tests de la leçon 01, sur de vraies sockets TCP en boucle locale (127.0.0.1, port
//! 0). Chaque lecture a un délai maximal : un serveur cassé fait échouer un test,
//! jamais bloquer.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use lesson01_echo::{ClientEnd, listen, run_client, serve};
use test_kit::{
    Program, TIMEOUT, assert_echo_survives_closed_outputs, assert_echoes_a_mebibyte,
    assert_echoes_binary, connect, roundtrip, run,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson01-echo");

/// Démarre un vrai serveur sur un port libre choisi par le noyau (port 0).
fn start_server() -> io::Result<SocketAddr> {
    // Des dizaines de serveurs dans ce processus : pas de journal.
    course_kit::journal::set_enabled(false);
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve(&listener));
    Ok(addr)
}

#[test]
fn le_texte_est_renvoye_a_l_identique() -> io::Result<()> {
    let addr = start_server()?;
    let received = roundtrip(addr, b"bonjour\n".to_vec())?;
    assert_eq!(
        received, b"bonjour\n",
        "l'écho doit être identique à l'envoi"
    );
    Ok(())
}

#[test]
fn les_octets_binaires_et_non_utf8_sont_renvoyes_intacts() -> io::Result<()> {
    assert_echoes_binary(start_server()?)
}

#[test]
fn un_mebioctet_revient_entier_malgre_les_lectures_partielles() -> io::Result<()> {
    assert_echoes_a_mebibyte(start_server()?)
}

#[test]
fn plusieurs_clients_sont_servis_l_un_apres_l_autre() -> io::Result<()> {
    let addr = start_server()?;
    for i in 0..5 {
        let message = format!("client numéro {i}\n").into_bytes();
        let received = roundtrip(addr, message.clone())?;
        assert_eq!(received, message, "le client {i} n'a pas reçu son écho");
    }
    Ok(())
}

#[test]
fn le_deuxieme_client_attend_que_le_premier_parte() -> io::Result<()> {
    let addr = start_server()?;
    let mut first = connect(addr)?;
    first.write_all(b"premier\n")?;
    let mut reply = [0u8; 8];
    first.read_exact(&mut reply)?; // le serveur est maintenant occupé avec le premier client

    // La connexion du second réussit : c'est le noyau qui a fait la poignée de main.
    let mut second = connect(addr)?;
    second.write_all(b"second\n")?;
    second.set_read_timeout(Some(Duration::from_millis(300)))?;
    let mut buffer = [0u8; 7];
    let early = second.read(&mut buffer);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)),
        "le second client ne doit rien recevoir tant que le premier est servi, reçu : {early:?}"
    );

    drop(first); // le premier part : le serveur rappelle accept() et prend le second
    second.set_read_timeout(Some(TIMEOUT))?;
    second.read_exact(&mut buffer)?;
    assert_eq!(
        &buffer, b"second\n",
        "le second client doit être servi après le départ du premier"
    );
    Ok(())
}

#[test]
fn un_client_qui_coupe_brutalement_ne_derange_pas_le_serveur() -> io::Result<()> {
    let addr = start_server()?;
    let rude = connect(addr)?;
    (&rude).write_all(b"je pars sans dire au revoir")?;
    // SO_LINGER à 0 : la fermeture envoie un RST au lieu du FIN poli.
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO))?;
    drop(rude);

    let received = roundtrip(addr, b"toujours la ?\n".to_vec())?;
    assert_eq!(
        received, b"toujours la ?\n",
        "le serveur doit continuer après un RST"
    );
    Ok(())
}

#[test]
fn le_client_affiche_l_echo_et_s_arrete_sur_exit() -> io::Result<()> {
    let addr = start_server()?;
    let input = io::Cursor::new("bonjour\r\nça va ?\nexit\nignoré\n");
    let mut output = Vec::new();
    let end = run_client(connect(addr)?, input, &mut output)?;
    assert_eq!(end, ClientEnd::Exit, "`exit` doit terminer la session");
    assert_eq!(
        String::from_utf8_lossy(&output),
        "bonjour\nça va ?\n",
        "le client doit afficher chaque écho, et rien après `exit`"
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_a_la_fin_de_l_entree() -> io::Result<()> {
    let addr = start_server()?;
    let mut output = Vec::new();
    let end = run_client(connect(addr)?, io::Cursor::new("une ligne"), &mut output)?;
    assert_eq!(end, ClientEnd::EndOfInput);
    assert_eq!(
        output, b"une ligne\n",
        "la dernière ligne sans retour à la ligne est envoyée"
    );
    Ok(())
}

#[test]
fn le_client_previent_quand_le_serveur_ferme() -> io::Result<()> {
    // Un « serveur » qui accepte puis ferme aussitôt.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || listener.accept().map(|(stream, _)| drop(stream)));

    let mut output = Vec::new();
    let end = run_client(connect(addr)?, io::Cursor::new("allô ?\n"), &mut output)?;
    assert_eq!(end, ClientEnd::ServerClosed);
    let shown = String::from_utf8_lossy(&output);
    assert!(
        shown.contains("fermé la connexion"),
        "message affiché : {shown:?}"
    );
    Ok(())
}

// `l_aide_est_en_francais`, `un_port_deja_pris_…` et `une_connexion_refusee_…` :
// les tests du programme que passe chaque leçon, écrits une fois dans test-kit.
test_kit::french_cli_tests! {
    program: PROGRAM,
    help: ["Utilisation", "serveur", "client", "--addr", "Affiche cette aide"],
    servers: [["server"]],
    clients: [["client"]],
}

#[test]
fn une_ecoute_sur_ipv6_toutes_interfaces_accepte_ipv4_et_ipv6() -> io::Result<()> {
    // `[::]` écoute sur toutes les interfaces : on ne s'y connecte que par la boucle
    // locale.
    let listener = listen("[::]:0".parse().unwrap())?;
    let port = listener.local_addr()?.port();
    thread::spawn(move || serve(&listener));
    for client in ["127.0.0.1", "[::1]"] {
        let addr: SocketAddr = format!("{client}:{port}").parse().unwrap();
        let received = roundtrip(addr, b"double pile\n".to_vec())?;
        assert_eq!(
            received, b"double pile\n",
            "client {client} sur un serveur [::]"
        );
    }
    Ok(())
}

#[test]
fn le_serveur_survit_a_une_sortie_standard_fermee() -> io::Result<()> {
    // On lit la première ligne puis on ferme les tubes, comme `… 2>&1 | head -1` :
    // chaque ligne de journal suivante échoue (« broken pipe »). Avec `println!`,
    // le serveur paniquerait.
    assert_echo_survives_closed_outputs(PROGRAM, &[])
}

#[test]
fn le_journal_va_sur_la_sortie_d_erreur_et_la_banniere_sur_la_sortie_standard()
-> io::Result<()> {
    // La bannière se lit sur la sortie standard, le journal sur la sortie d'erreur :
    // on peut garder l'une et jeter l'autre (`2>journal.txt`).
    let mut server = Program::start(PROGRAM, &["--addr", "127.0.0.1:0"])?;
    let addr = server.listening_addr();
    let received = roundtrip(addr, b"journal\n".to_vec())?;
    assert_eq!(received, b"journal\n");
    server.stderr.expect(
        |line| line.starts_with("Client connecté : 127.0.0.1:"),
        "l'arrivée du client dans le journal",
    );
    server.stderr.expect(
        |line| line.ends_with("parti (8 octets renvoyés)."),
        "le départ du client dans le journal",
    );
    Ok(())
}

#[test]
fn une_option_inconnue_est_expliquee_en_une_phrase_francaise() -> io::Result<()> {
    let output = run(PROGRAM, &["--inconnue"])?;
    assert_eq!(
        output.status.code(),
        Some(2),
        "une erreur d'utilisation : code 2"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "Erreur : option inconnue : --inconnue. Voir l'aide : lesson01-echo --help\n",
        "une seule phrase, en français"
    );
    Ok(())
}
