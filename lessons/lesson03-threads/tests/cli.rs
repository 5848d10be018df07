//! Tests du vrai programme : aide en français, erreurs attendues, démarrage avec une
//! adresse choisie par le noyau. Chaque processus a une échéance et il est tué à la
//! fin du test.

mod common;

use std::io::{self, BufReader, Read, Write};
use std::net::Shutdown;

use common::PROGRAM;
use test_kit::{
    Program, assert_echo_survives_closed_outputs, assert_fails_with,
    assert_help_mentions, connect, read_line, run,
};

// `l_aide_est_en_francais_pour_chaque_commande`, `un_port_deja_pris_…` (pour chacun
// des deux serveurs) et `une_connexion_refusee_…` : les tests du programme que passe
// chaque leçon, écrits une fois dans test-kit.
test_kit::french_cli_tests! {
    program: PROGRAM,
    help_of_each_command: [
        ["--help"] => [
            "Utilisation", "Commandes", "serveur", "chat", "client", "--addr",
        ],
        ["server", "--help"] => ["Utilisation", "--max-clients", "défaut : 100"],
        ["chat", "--help"] => ["--max-clients", "--max-line", "défaut : 1024"],
        ["client", "-h"] => ["Utilisation", "--addr", "Affiche cette aide"],
    ],
    servers: [["server"], ["chat"]],
    clients: [["client"]],
}

#[test]
fn une_limite_nulle_est_refusee() -> io::Result<()> {
    let output = run(PROGRAM, &["chat", "--max-line", "0"])?;
    assert_fails_with(&output, "entre 1 et 65536");
    Ok(())
}

#[test]
fn les_valeurs_extremes_des_options_sont_refusees_en_francais() -> io::Result<()> {
    let huge = "18446744073709551615"; // usize::MAX
    let cases: [&[&str]; 7] = [
        &["server", "--max-clients", "0"],
        &["server", "--max-clients", huge],
        &["chat", "--max-clients", "0"],
        &["chat", "--max-clients", "100001"],
        &["chat", "--max-line", huge],
        &["chat", "--max-rate", huge],
        &["chat", "--max-rate", "-1"],
    ];
    for args in cases {
        let output = run(PROGRAM, args)?;
        assert_eq!(output.status.code(), Some(2), "{args:?} doit être refusé");
        // Une phrase en français (« valeur refusée… », ou « option inconnue : -1 »
        // quand clap prend la valeur pour une option), pas le message anglais
        // de clap.
        assert_fails_with(&output, "Erreur : ");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("invalid"),
            "{args:?} : une phrase en français, pas le message anglais de clap"
        );
    }
    Ok(())
}

#[test]
fn l_aide_du_chat_explique_chaque_limite() -> io::Result<()> {
    assert_help_mentions(
        PROGRAM,
        &["chat", "--help"],
        &[
            "--max-rate",
            "Doucement",
            "1 Mio",
            "64 Kio",
            "10 s",
            "80 colonnes",
            "Ctrl+C",
        ],
    )?;
    Ok(())
}

#[cfg(unix)]
#[test]
fn sigterm_previent_les_clients_et_le_programme_sort_avec_succes() -> io::Result<()> {
    let mut server = Program::start(PROGRAM, &["chat", "--addr", "127.0.0.1:0"])?;
    let mut alice = BufReader::new(connect(server.listening_addr())?);
    assert!(read_line(&mut alice)?.starts_with("*** Bienvenue"));
    server.signal("TERM")?;
    assert_eq!(
        read_line(&mut alice)?,
        "*** Le serveur s'arrête. Au revoir !\n",
        "le client doit être prévenu de l'arrêt"
    );
    let mut rest = Vec::new();
    alice.read_to_end(&mut rest)?; // un FIN, pas un RST
    assert!(rest.is_empty(), "rien après l'avis d'arrêt : {rest:?}");
    server.stdout.expect_line("Serveur arrêté.");
    assert_eq!(
        server.wait().code(),
        Some(0),
        "un arrêt demandé n'est pas un échec"
    );
    Ok(())
}

#[test]
fn le_serveur_d_echo_annonce_son_adresse_puis_sert() -> io::Result<()> {
    let mut server = Program::start(
        PROGRAM,
        &["server", "--addr", "127.0.0.1:0", "--max-clients", "20000"],
    )?;
    let mut stream = connect(server.listening_addr())?;
    stream.write_all(b"ping\n")?;
    stream.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed)?;
    assert_eq!(
        echoed, b"ping\n",
        "le programme doit servir l'écho à l'adresse annoncée"
    );
    server.stderr.expect(
        |line| line.starts_with("Client connecté : 127.0.0.1:"),
        "l'arrivée du client dans le journal, sur la sortie d'erreur",
    );
    Ok(())
}

#[test]
fn le_serveur_de_chat_annonce_son_adresse_puis_sert() -> io::Result<()> {
    let mut server = Program::start(
        PROGRAM,
        &["chat", "--addr", "127.0.0.1:0", "--max-clients", "20000"],
    )?;
    let addr = server.listening_addr();
    assert!(
        server.stdout.seen()[0]
            .starts_with("Serveur de chat en écoute sur 127.0.0.1:"),
        "première ligne : {:?}",
        server.stdout.seen()
    );
    let mut alice = BufReader::new(connect(addr)?);
    assert!(read_line(&mut alice)?.starts_with("*** Bienvenue"));
    let mut bob = BufReader::new(connect(addr)?);
    assert!(read_line(&mut bob)?.starts_with("*** Bienvenue"));
    assert!(read_line(&mut alice)?.ends_with("a rejoint le salon.\n"));
    bob.get_mut().write_all(b"ohe\n")?;
    assert!(
        read_line(&mut alice)?.ends_with("] ohe\n"),
        "le programme doit relayer les lignes"
    );
    Ok(())
}

#[test]
fn le_serveur_survit_a_des_sorties_fermees() -> io::Result<()> {
    // Le serveur écrit une ligne de journal par client : avec `eprintln!`, la
    // première écriture sur ce tube fermé ferait paniquer la boucle d'accept et
    // arrêterait le serveur.
    assert_echo_survives_closed_outputs(PROGRAM, &["server"])
}
