//! Tests du programme lui-même (`main.rs`) : aide, erreurs en français, et une vraie
//! conversation où l'opérateur tape sur l'entrée standard du serveur. Chaque
//! processus lancé a une échéance : au-delà, il est tué et le test échoue.

use std::io::{self, BufReader, Cursor, Write};
use std::net::SocketAddr;
use std::thread;

use lesson02_client_server::{GREETING, listen, serve};
use test_kit::{Program, connect, read_line, run};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson02-client-server");

/// Démarre un vrai serveur sur un port libre ; son opérateur ne répond jamais (entrée
/// vide).
fn start_server() -> io::Result<SocketAddr> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve(&listener, Cursor::new(""), io::sink()));
    Ok(addr)
}

// `l_aide_est_en_francais`, `un_port_deja_pris_…` et `une_connexion_refusee_…` :
// les tests du programme que passe chaque leçon, écrits une fois dans test-kit.
test_kit::french_cli_tests! {
    program: PROGRAM,
    help: [
        "Utilisation", "Commandes", "serveur", "client", "--addr", "127.0.0.1:7777",
        "Affiche cette aide", "exit",
    ],
    servers: [["serveur"]],
    clients: [["client"]],
}

#[test]
fn le_programme_client_affiche_l_accueil_et_part_a_la_fin_de_l_entree()
-> io::Result<()> {
    let addr = start_server()?.to_string();
    let output = run(PROGRAM, &["client", "--addr", &addr])?;
    assert!(
        output.status.success(),
        "fin de l'entrée : sortie normale. stderr : {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(GREETING),
        "le client affiche l'accueil :\n{stdout}"
    );
    assert!(stdout.contains("Au revoir"), "{stdout}");
    Ok(())
}

#[test]
fn le_programme_serveur_lit_les_reponses_de_l_operateur_sur_son_entree()
-> io::Result<()> {
    let mut server = Program::start(PROGRAM, &["--addr", "127.0.0.1:0"])?; // sans commande : le serveur

    // Le serveur affiche son adresse réelle (port choisi par le noyau) et comment s'y
    // connecter.
    let addr = server.listening_addr();
    server.stdout.expect(
        |line| line.contains("client --addr"),
        "la commande du client",
    );
    server
        .stdout
        .expect(|line| line.contains("nc 127.0.0.1"), "la commande nc");

    let mut from_server = BufReader::new(connect(addr)?);
    assert_eq!(read_line(&mut from_server)?, format!("{GREETING}\n"));

    // L'opérateur tape sa réponse d'avance : le serveur la lira à son tour.
    server.type_line("salut, ici l'opérateur")?;
    from_server.get_mut().write_all(b"bonjour\n")?;
    assert_eq!(read_line(&mut from_server)?, "salut, ici l'opérateur\n");

    // L'opérateur ferme son entrée (Ctrl+D) : le client reçoit exit, le serveur
    // s'arrête.
    server.close_stdin();
    from_server.get_mut().write_all(b"il y a quelqu'un ?\n")?;
    assert_eq!(read_line(&mut from_server)?, "exit\n");
    assert_eq!(
        read_line(&mut from_server)?,
        "",
        "la connexion doit ensuite être fermée"
    );
    assert!(
        server.wait().success(),
        "fin de l'entrée de l'opérateur : arrêt normal"
    );
    Ok(())
}
