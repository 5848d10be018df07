//! Tests du programme lui-même : aide en français, erreurs attendues, et le serveur
//! lancé avec une adresse choisie par le noyau (`--addr 127.0.0.1:0`), qu'il annonce
//! sur sa première ligne. Chaque processus a une échéance, et il est tué à la fin du
//! test.

mod common;

use std::io::{self, Read, Write};

use common::Chatter;
use test_kit::{
    Program, assert_echo_survives_closed_outputs, assert_fails_with,
    assert_turned_away, connect, run, run_with_input,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson04-select");

/// Lance `lesson04-select <args> --addr 127.0.0.1:0` ; l'adresse réelle se lit
/// ensuite avec `listening_addr`.
fn start_server(args: &[&str]) -> io::Result<Program> {
    let mut full = args.to_vec();
    full.extend(["--addr", "127.0.0.1:0"]);
    Program::start(PROGRAM, &full)
}

// `l_aide_est_en_francais_pour_chaque_commande`, `un_port_deja_pris_…` (pour chacun
// des deux serveurs) et `une_connexion_refusee_…` : les tests du programme que passe
// chaque leçon, écrits une fois dans test-kit. L'aide de chaque commande cite
// l'utilisation, `--addr`, `--max-clients` et « Affiche cette aide ».
test_kit::french_cli_tests! {
    program: PROGRAM,
    help_of_each_command: [
        ["--help"] => [
            "Utilisation", "Commandes", "serveur", "chat", "client",
            "--addr", "--max-clients", "Affiche cette aide",
        ],
        ["server", "--help"] => [
            "écho", "Utilisation", "--addr", "--max-clients", "Affiche cette aide",
        ],
        ["serveur", "--help"] => [
            "écho", "Utilisation", "--addr", "--max-clients", "Affiche cette aide",
        ],
        ["chat", "--help"] => [
            "chat", "--max-line", "--max-rate", "1 Mio", "64 Kio pendant 10 s",
            "Ctrl+C",
            "Utilisation", "--addr", "--max-clients", "Affiche cette aide",
        ],
        ["client", "--help"] => [
            "exit", "Utilisation", "--addr", "--max-clients", "Affiche cette aide",
        ],
    ],
    servers: [["server"], ["chat"]],
    clients: [["client"]],
}

#[test]
fn les_valeurs_extremes_des_options_sont_refusees_en_francais() -> io::Result<()> {
    let huge = "18446744073709551615"; // usize::MAX : ni panique ni débordement
    for (option, value) in [
        ("--max-line", "0"),
        ("--max-line", huge),
        ("--max-clients", "0"),
        ("--max-clients", huge),
        ("--max-rate", huge),
        ("--max-rate", "-1"),
    ] {
        // `--option=valeur` : sinon clap prendrait « -1 » pour une option.
        let option_value = format!("{option}={value}");
        let args = ["chat", &option_value, "--addr", "127.0.0.1:0"];
        let output = run(PROGRAM, &args)?;
        assert_fails_with(
            &output,
            &format!(
                "valeur refusée pour {option} : « {value} » n'est pas un entier entre"
            ),
        );
    }
    Ok(())
}

#[test]
fn le_programme_annonce_son_adresse_et_respecte_max_clients() -> io::Result<()> {
    let mut server = start_server(&["server", "--max-clients", "1"])?;
    let addr = server.listening_addr();
    let mut first = connect(addr)?;
    first.write_all(b"ping\n")?;
    let mut reply = [0u8; 5];
    first.read_exact(&mut reply)?;
    assert_eq!(&reply, b"ping\n", "l'écho du programme");

    // --max-clients 1 : le deuxième client est refusé.
    assert_turned_away(
        addr,
        "*** Serveur complet (1 connexion au maximum) : réessayez plus tard.\n",
    )
}

#[test]
fn le_programme_de_chat_respecte_max_line() -> io::Result<()> {
    let mut server = start_server(&["chat", "--max-line", "5"])?;
    let mut alice = Chatter::join(server.listening_addr())?;
    alice.say("trop longue\n")?;
    assert_eq!(
        alice.line()?,
        "*** Ligne trop longue (plus de 5 octets) : ignorée.\n"
    );
    Ok(())
}

#[test]
fn le_client_du_programme_dit_au_revoir_a_la_fin_de_l_entree() -> io::Result<()> {
    let mut server = start_server(&["server"])?;
    let addr = server.listening_addr().to_string();
    let output = run_with_input(PROGRAM, &["client", "--addr", &addr], b"salut\n")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "le client doit finir sans erreur");
    assert!(
        stdout.contains("salut\n") && stdout.contains("Au revoir"),
        "le client affiche l'écho puis dit au revoir : {stdout:?}"
    );
    Ok(())
}

#[test]
fn le_journal_va_sur_la_sortie_d_erreur_avec_verbose() -> io::Result<()> {
    let mut server = start_server(&["chat", "--verbose"])?;
    let alice = Chatter::join(server.listening_addr())?;
    let name = alice.name.clone();
    server.stderr.expect(
        |line| line.starts_with("Client connecté : 127.0.0.1:"),
        "l'arrivée d'alice dans le journal",
    );
    drop(alice);
    server.stderr.expect(
        |line| line.starts_with(&format!("{name} parti")),
        "le départ d'alice dans le journal",
    );
    Ok(())
}

#[test]
fn le_serveur_survit_a_des_sorties_fermees() -> io::Result<()> {
    // Les tubes de sortie sont fermés après la première ligne. Avec `--verbose`, le
    // serveur écrit une ligne de journal par client : `eprintln!` paniquerait sur
    // ce tube fermé.
    assert_echo_survives_closed_outputs(PROGRAM, &["server", "--verbose"])
}

/// SIGTERM, comme `kill` ou un gestionnaire de services (Ctrl+C envoie SIGINT, traité
/// de même).
#[cfg(unix)]
#[test]
fn sigterm_previent_les_clients_et_le_programme_dit_serveur_arrete() -> io::Result<()>
{
    let mut server = start_server(&["chat"])?;
    let mut alice = Chatter::join(server.listening_addr())?;
    server.signal("TERM")?;
    assert_eq!(
        alice.line()?,
        "*** Le serveur s'arrête. Au revoir !\n",
        "le client est prévenu de l'arrêt"
    );
    let mut rest = Vec::new();
    alice.reader.read_to_end(&mut rest)?;
    server.stdout.expect_line("Serveur arrêté.");
    let status = server.wait();
    assert!(
        status.success(),
        "arrêt demandé : code de sortie 0 ({status})"
    );
    Ok(())
}
