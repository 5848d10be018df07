//! Tests du programme lui-même : aide en français, erreurs attendues, et le serveur lancé
//! comme le fera le banc d'essai de la leçon 06 (`server --addr … --max-clients …`).

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Chatter, TIMEOUT, connect};

const BINARY: &str = env!("CARGO_BIN_EXE_lesson04-select");

/// Lance le vrai programme et attend sa fin, au plus TIMEOUT (sinon on le tue).
fn run_binary(args: &[&str]) -> io::Result<Output> {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output()
}

/// Un serveur lancé comme programme à part, tué quand le test se termine (même en échec).
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lance `lesson04-select <args> --addr 127.0.0.1:0` et lit l'adresse réelle sur la première
/// ligne de sa sortie, comme le banc d'essai.
fn spawn_server(args: &[&str]) -> io::Result<ServerProcess> {
    let mut child = Command::new(BINARY)
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("sortie standard redirigée");
    let (line_tx, line) = mpsc::channel();
    thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = line_tx.send(first);
    });
    let mut server = ServerProcess {
        child,
        addr: "127.0.0.1:0".parse().unwrap(),
    };
    server.addr = announced_addr(&line);
    Ok(server)
}

/// L'adresse que le serveur annonce sur la première ligne de sa sortie.
fn announced_addr(lines: &mpsc::Receiver<String>) -> SocketAddr {
    let first = lines
        .recv_timeout(TIMEOUT)
        .expect("le serveur doit annoncer son adresse dès le démarrage");
    assert!(
        first.contains("en écoute sur"),
        "première ligne : {first:?}"
    );
    first
        .split_whitespace()
        .find_map(|word| word.parse::<SocketAddr>().ok())
        .unwrap_or_else(|| panic!("pas d'adresse dans la première ligne : {first:?}"))
}

#[test]
fn l_aide_est_en_francais_pour_chaque_commande() -> io::Result<()> {
    for (args, expected) in [
        (
            &["--help"][..],
            &["Utilisation", "Commandes", "serveur", "chat", "client"][..],
        ),
        (&["server", "--help"], &["écho"]),
        (&["serveur", "--help"], &["écho"]),
        (
            &["chat", "--help"],
            &[
                "chat",
                "--max-line",
                "--max-rate",
                "1 Mio",
                "64 Kio pendant 10 s",
                "Ctrl+C",
            ],
        ),
        (&["client", "--help"], &["exit"]),
    ] {
        let output = run_binary(args)?;
        assert!(output.status.success(), "{args:?} doit réussir");
        let help = String::from_utf8_lossy(&output.stdout);
        let common = [
            "Utilisation",
            "--addr",
            "--max-clients",
            "Affiche cette aide",
        ];
        for needle in expected.iter().chain(&common) {
            assert!(
                help.contains(needle),
                "l'aide de {args:?} doit mentionner « {needle} » :\n{help}"
            );
        }
    }
    Ok(())
}

#[test]
fn un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur() -> io::Result<()> {
    let occupied = TcpListener::bind("127.0.0.1:0")?;
    let addr = occupied.local_addr()?.to_string();
    for command in ["server", "chat"] {
        let output = run_binary(&[command, "--addr", &addr])?;
        assert!(
            !output.status.success(),
            "`{command}` doit échouer si le port est pris"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("déjà utilisée"),
            "message attendu en français : {stderr}"
        );
        assert!(
            !stderr.contains("panicked"),
            "une erreur attendue ne doit pas paniquer : {stderr}"
        );
    }
    Ok(())
}

#[test]
fn une_connexion_refusee_donne_un_message_francais() -> io::Result<()> {
    // On réserve un port puis on le libère : plus personne n'y écoute.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let output = run_binary(&["client", "--addr", &addr])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connexion refusée"),
        "message attendu en français : {stderr}"
    );
    Ok(())
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
        let output = run_binary(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{args:?} n'a pas de sens et doit échouer"
        );
        assert!(
            stderr.contains(&format!("valeur refusée pour {option}"))
                && stderr.contains("n'est pas un entier entre"),
            "{args:?} : message attendu en français : {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?} : {stderr}");
    }
    Ok(())
}

#[test]
fn le_programme_annonce_son_adresse_et_respecte_max_clients() -> io::Result<()> {
    let server = spawn_server(&["server", "--max-clients", "1"])?;
    let mut first = connect(server.addr)?;
    first.write_all(b"ping\n")?;
    let mut reply = [0u8; 5];
    first.read_exact(&mut reply)?;
    assert_eq!(&reply, b"ping\n", "l'écho du programme");

    let mut second = connect(server.addr)?;
    let mut answer = String::new();
    second.read_to_string(&mut answer)?;
    assert!(
        answer.contains("1 connexions au maximum"),
        "--max-clients 1 : le deuxième client est refusé : {answer:?}"
    );
    Ok(())
}

#[test]
fn le_programme_de_chat_respecte_max_line() -> io::Result<()> {
    let server = spawn_server(&["chat", "--max-line", "5"])?;
    let mut alice = Chatter::join(server.addr)?;
    alice.say("trop longue\n")?;
    assert_eq!(
        alice.line()?,
        "*** Ligne trop longue (plus de 5 octets) : ignorée.\n"
    );
    Ok(())
}

#[test]
fn le_client_du_programme_dit_au_revoir_a_la_fin_de_l_entree() -> io::Result<()> {
    let server = spawn_server(&["server"])?;
    let mut child = Command::new(BINARY)
        .args(["client", "--addr", &server.addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("entrée standard redirigée");
    stdin.write_all("salut\n".as_bytes())?;
    drop(stdin); // fin de l'entrée
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "le client doit finir sans erreur");
    assert!(
        stdout.contains("salut\n") && stdout.contains("Au revoir"),
        "le client affiche l'écho puis dit au revoir : {stdout:?}"
    );
    Ok(())
}

#[test]
fn le_serveur_survit_a_une_sortie_standard_fermee() -> io::Result<()> {
    // `spawn_server` ferme le tube de sortie après la première ligne. Avec `--verbose`, le
    // serveur écrit une ligne par client : `println!` paniquerait sur ce tube fermé.
    let server = spawn_server(&["server", "--verbose"])?;
    for round in 0..3 {
        let mut stream = connect(server.addr)?;
        stream.write_all(b"encore\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        assert_eq!(
            &reply, b"encore\n",
            "tour {round} : le serveur doit servir encore"
        );
    }
    Ok(())
}

/// SIGTERM, comme `kill` ou un gestionnaire de services (Ctrl+C envoie SIGINT, traité de même).
#[cfg(unix)]
#[test]
fn sigterm_previent_les_clients_et_le_programme_dit_serveur_arrete() -> io::Result<()> {
    let mut child = Command::new(BINARY)
        .args(["chat", "--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("sortie standard redirigée");
    let (lines_tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let server = ServerProcess {
        child,
        addr: "127.0.0.1:0".parse().unwrap(),
    };
    let addr = announced_addr(&lines);
    let mut alice = Chatter::join(addr)?;

    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()?;
    assert!(killed.success(), "kill -TERM doit réussir");
    assert_eq!(
        alice.line()?,
        "*** Le serveur s'arrête. Au revoir !\n",
        "le client est prévenu de l'arrêt"
    );
    let mut rest = Vec::new();
    alice.reader.read_to_end(&mut rest)?;
    let mut server = server;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = server.child.try_wait()? {
            break status;
        }
        assert!(Instant::now() < deadline, "le serveur doit s'arrêter");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "arrêt demandé : code de sortie 0 ({status})"
    );
    // Le programme est fini, mais le thread qui lit sa sortie n'a peut-être pas tout transmis :
    // on lit jusqu'à ce qu'il se termine (fin du tube), au plus TIMEOUT par ligne.
    let mut said = Vec::new();
    while let Ok(line) = lines.recv_timeout(TIMEOUT) {
        said.push(line);
    }
    assert!(
        said.iter().any(|line| line == "Serveur arrêté."),
        "le programme dit qu'il s'est arrêté : {said:?}"
    );
    Ok(())
}
