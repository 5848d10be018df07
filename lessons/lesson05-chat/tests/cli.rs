//! Tests du vrai programme : le serveur et les clients lancés comme processus, tels
//! que les étudiants les lancent. Chaque processus a une échéance : passé ce délai,
//! il est tué et le test échoue.

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use test_kit::{
    Program, assert_addr_in_use_is_explained, assert_fails_with,
    assert_help_mentions, assert_refusal_is_explained, connect, run,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson05-chat");

/// Lance le serveur sur un port libre et renvoie le programme et son adresse, lue sur
/// sa sortie.
fn start_server(args: &[&str]) -> io::Result<(Program, SocketAddr)> {
    let mut full = vec!["server", "--addr", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let mut server = Program::start(PROGRAM, &full)?;
    let addr = server.listening_addr();
    Ok((server, addr))
}

/// Un client TCP « à la main », comme `nc`, dont chaque lecture a un délai.
fn connect_reader(addr: SocketAddr) -> io::Result<BufReader<TcpStream>> {
    Ok(BufReader::new(connect(addr)?))
}

/// Lit les lignes jusqu'à une qui commence par `prefix` (au plus `MAX_LINES`, voir
/// `test_kit::read_until`) et la rend.
#[track_caller]
fn read_until(reader: &mut BufReader<TcpStream>, prefix: &str) -> io::Result<String> {
    test_kit::read_until(
        reader,
        |line| line.starts_with(prefix),
        &format!("{prefix:?}"),
    )
}

#[test]
fn une_vraie_conversation_entre_deux_clients_et_le_serveur() -> io::Result<()> {
    let (mut server, addr) = start_server(&[])?;
    let addr = addr.to_string();
    let client = |nick| ["client", "--nick", nick, "--addr", &addr];

    let mut alice = Program::start(PROGRAM, &client("alice"))?;
    alice
        .stdout
        .expect(|l| l.starts_with("*** Bienvenue, alice !"), "la bienvenue");
    let mut bob = Program::start(PROGRAM, &client("bob"))?;
    bob.stdout
        .expect(|l| l.starts_with("*** Bienvenue, bob !"), "la bienvenue");
    alice.stdout.expect_line("*** bob a rejoint le salon.");

    bob.type_line("salut alice")?;
    alice.stdout.expect_line("bob: salut alice");
    alice.type_line("/msg bob rien que pour toi")?;
    bob.stdout.expect_line("[privé] alice: rien que pour toi");
    alice.type_line("/quit bonne nuit")?;
    alice.stdout.expect_line("*** Au revoir, alice !");
    alice.stdout.expect_line("Au revoir !");
    assert!(alice.wait().success(), "le client quitte avec le code 0");
    bob.stdout
        .expect_line("*** alice a quitté le salon (bonne nuit).");

    #[cfg(unix)]
    {
        // Ctrl+C sur le serveur : bob est prévenu, son client s'arrête, le serveur
        // aussi.
        server.signal("INT")?;
        bob.stdout
            .expect_line("*** Le serveur s'arrête. Au revoir !");
        bob.stdout.expect_line("Le serveur a fermé la connexion.");
        assert!(
            bob.wait().success(),
            "serveur parti : code 0 pour le client"
        );
        server.stdout.expect_line("Serveur arrêté.");
        assert!(server.wait().success(), "arrêt par Ctrl+C : code 0");
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn sigterm_arrete_le_serveur_proprement() -> io::Result<()> {
    let (mut server, addr) = start_server(&[])?;
    let mut client = connect_reader(addr)?;
    read_until(&mut client, "*** Votre pseudo ?")?;
    server.signal("TERM")?;
    read_until(&mut client, "*** Le serveur s'arrête. Au revoir !")?;
    // Le journal (tracing) est sur la sortie d'erreur, la bannière et l'au revoir sur
    // la sortie standard.
    server.stderr.expect(
        |line| line.contains("SIGTERM reçu"),
        "le signal dans le journal",
    );
    server.stdout.expect_line("Serveur arrêté.");
    assert!(server.wait().success(), "SIGTERM : code 0");
    Ok(())
}

#[test]
fn le_mot_de_passe_oper_peut_venir_de_l_environnement() -> io::Result<()> {
    let mut server = Program::spawn(
        Command::new(PROGRAM)
            .args(["server", "--addr", "127.0.0.1:0"])
            .env("CHAT_OPER_PASSWORD", "sésame"),
    )?;
    let mut client = connect_reader(server.listening_addr())?;
    read_until(&mut client, "*** Votre pseudo ?")?;
    client
        .get_mut()
        .write_all("alice\n/oper sésame\n".as_bytes())?;
    read_until(&mut client, "*** Vous êtes maintenant opérateur")?;
    Ok(())
}

#[test]
fn l_aide_est_en_francais() -> io::Result<()> {
    assert_help_mentions(
        PROGRAM,
        &["--help"],
        &[
            "Utilisation",
            "serveur",
            "client",
            "--addr",
            "--max-clients",
            "--history",
            "--history-file",
            "--oper-password",
            "CHAT_OPER_PASSWORD",
            "--max-line",
            "Affiche cette aide",
        ],
    )?;
    assert_help_mentions(PROGRAM, &["client", "--help"], &["--nick"])?;
    Ok(())
}

#[test]
fn une_valeur_absurde_est_refusee_avant_de_demarrer() -> io::Result<()> {
    // 0 n'a pas de sens ici, et 2^64 − 1 débordait (--max-line faisait une ligne de 0
    // octet).
    let huge = u64::MAX.to_string();
    for option in [
        "--max-line",
        "--max-clients",
        "--max-per-address",
        "--register-timeout",
        "--idle-timeout",
    ] {
        for value in ["0", huge.as_str()] {
            let output =
                run(PROGRAM, &["server", "--addr", "127.0.0.1:0", option, value])?;
            assert_fails_with(&output, "n'est pas un entier entre");
        }
    }
    let output = run(
        PROGRAM,
        &["server", "--addr", "127.0.0.1:0", "--max-rate", &huge],
    )?;
    assert_fails_with(&output, "valeur refusée pour --max-rate");
    Ok(())
}

#[test]
fn un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur() -> io::Result<()>
{
    assert_addr_in_use_is_explained(PROGRAM, &[])
}

#[test]
fn une_connexion_refusee_donne_un_message_francais_et_un_code_d_erreur()
-> io::Result<()> {
    assert_refusal_is_explained(PROGRAM, &["client", "--nick", "alice"])
}

#[test]
fn un_fichier_d_historique_inaccessible_donne_un_message_francais() -> io::Result<()>
{
    let path = std::env::temp_dir().join("lesson05-absent/sous-dossier/h.jsonl");
    let path = path.to_string_lossy();
    let output = run(PROGRAM, &["--addr", "127.0.0.1:0", "--history-file", &path])?;
    assert_fails_with(&output, "impossible d'ouvrir le fichier d'historique");
    Ok(())
}

#[cfg(unix)]
#[test]
fn sans_descripteur_libre_le_serveur_continue_d_accepter_ensuite() -> io::Result<()> {
    // `ulimit -n 40` : le serveur n'a droit qu'à 40 fichiers ouverts. Les connexions
    // en trop font échouer accept() (« too many open files ») ; il doit le dire
    // et continuer.
    let mut server = Program::spawn(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 40 && exec \"$0\" server --addr 127.0.0.1:0 --max-clients 1000")
            .arg(PROGRAM),
    )?;
    let addr = server.listening_addr();
    // La foule reste connectée : le serveur ne peut pas toutes les accepter. (Fermées
    // trop tôt, chaque connexion libérerait son descripteur avant la suivante, et
    // accept() n'échouerait jamais.) Le journal, sur la sortie d'erreur, le dit.
    let crowd: Vec<TcpStream> =
        (0..60).map(|_| connect(addr)).collect::<io::Result<_>>()?;
    server.stderr.expect(
        |line| line.contains("accept() a échoué"),
        "l'échec d'accept() dans le journal",
    );
    let mut last = connect_reader(addr)?;
    drop(crowd); // des descripteurs se libèrent : le serveur reprend les connexions en attente
    read_until(&mut last, "*** Votre pseudo ?")?;
    last.get_mut().write_all(b"tardif\n")?;
    read_until(&mut last, "*** Bienvenue, tardif !")?;
    Ok(())
}
