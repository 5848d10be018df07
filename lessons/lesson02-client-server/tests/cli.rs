//! Tests du programme lui-même (`main.rs`) : aide, erreurs en français, et une vraie
//! conversation où l'opérateur tape sur l'entrée standard du serveur. Chaque processus lancé
//! a une échéance : au-delà, il est tué et le test échoue.

use std::io::{self, BufRead, BufReader, Cursor, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use lesson02_client_server::{GREETING, listen, serve};

const TIMEOUT: Duration = Duration::from_secs(5);
const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson02-client-server");

/// Démarre un vrai serveur sur un port libre ; son opérateur ne répond jamais (entrée vide).
fn start_server() -> io::Result<SocketAddr> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve(&listener, Cursor::new(""), io::sink()));
    Ok(addr)
}

/// Attend la fin de `child`, au plus TIMEOUT (sinon on le tue), et récupère ses sorties.
fn wait_with_deadline(mut child: Child) -> io::Result<Output> {
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            break;
        }
        thread::sleep(Duration::from_millis(20)); // on sonde le processus, ce n'est pas une synchronisation
    }
    child.wait_with_output()
}

/// Lance le vrai programme avec une entrée standard vide et attend sa fin.
fn run_binary(args: &[&str]) -> io::Result<Output> {
    let child = Command::new(PROGRAM)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    wait_with_deadline(child)
}

#[test]
fn l_aide_est_en_francais() -> io::Result<()> {
    let output = run_binary(&["--help"])?;
    assert!(output.status.success(), "--help doit réussir");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "Utilisation",
        "Commandes",
        "serveur",
        "client",
        "--addr",
        "127.0.0.1:7777",
        "Affiche cette aide",
        "exit",
    ] {
        assert!(
            help.contains(expected),
            "l'aide doit mentionner « {expected} » :\n{help}"
        );
    }
    Ok(())
}

#[test]
fn un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur() -> io::Result<()> {
    let occupied = TcpListener::bind("127.0.0.1:0")?;
    let addr = occupied.local_addr()?.to_string();
    let output = run_binary(&["serveur", "--addr", &addr])?;
    assert!(
        !output.status.success(),
        "le programme doit échouer si le port est pris"
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
    Ok(())
}

#[test]
fn une_connexion_refusee_donne_un_message_francais() -> io::Result<()> {
    // On réserve un port puis on le libère : plus personne n'y écoute.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let output = run_binary(&["client", "--addr", &addr])?;
    assert!(!output.status.success(), "le client doit échouer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connexion refusée"),
        "message attendu en français : {stderr}"
    );
    Ok(())
}

#[test]
fn le_programme_client_affiche_l_accueil_et_part_a_la_fin_de_l_entree() -> io::Result<()> {
    let addr = start_server()?.to_string();
    let output = run_binary(&["client", "--addr", &addr])?;
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

/// Transmet les lignes de la sortie du programme par un canal, pour les lire avec un délai.
fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (sender, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if line.map(|line| sender.send(line)).is_err() {
                break;
            }
        }
    });
    lines
}

/// Tue le processus si le test s'arrête en route (échec d'une assertion).
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn le_programme_serveur_lit_les_reponses_de_l_operateur_sur_son_entree() -> io::Result<()> {
    let mut child = Command::new(PROGRAM)
        .args(["--addr", "127.0.0.1:0"]) // sans commande : le serveur
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut operator = child.stdin.take().expect("entrée standard redirigée");
    let lines = lines_of(child.stdout.take().expect("sortie standard redirigée"));
    let mut guard = KillOnDrop(Some(child));

    // Le serveur affiche son adresse réelle (port choisi par le noyau) et comment s'y connecter.
    let mut banner = Vec::new();
    let addr: SocketAddr = loop {
        let line = lines
            .recv_timeout(TIMEOUT)
            .expect("le serveur doit annoncer son adresse");
        banner.push(line.clone());
        if let Some((_, addr)) = line.split_once("en écoute sur ") {
            let addr = addr.split_whitespace().next().unwrap_or_default();
            break addr.parse().expect("adresse affichée invalide");
        }
    };

    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut from_server = BufReader::new(stream.try_clone()?);
    let mut receive = || -> io::Result<String> {
        let mut line = String::new();
        from_server.read_line(&mut line)?;
        Ok(line)
    };
    assert_eq!(receive()?, format!("{GREETING}\n"));

    // L'opérateur tape sa réponse d'avance : le serveur la lira à son tour.
    operator.write_all("salut, ici l'opérateur\n".as_bytes())?;
    (&stream).write_all(b"bonjour\n")?;
    assert_eq!(receive()?, "salut, ici l'opérateur\n");

    // L'opérateur ferme son entrée (Ctrl+D) : le client reçoit exit, le serveur s'arrête.
    drop(operator);
    (&stream).write_all(b"il y a quelqu'un ?\n")?;
    assert_eq!(receive()?, "exit\n");
    assert_eq!(receive()?, "", "la connexion doit ensuite être fermée");

    let child = guard.0.take().expect("processus lancé");
    let output = wait_with_deadline(child)?;
    assert!(
        output.status.success(),
        "fin de l'entrée de l'opérateur : arrêt normal. stderr : {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Le processus est fini : le canal se ferme après sa dernière ligne.
    while let Ok(line) = lines.recv_timeout(TIMEOUT) {
        banner.push(line);
    }
    let banner = banner.join("\n");
    assert!(
        banner.contains("client --addr") && banner.contains("nc 127.0.0.1"),
        "le serveur doit expliquer comment s'y connecter :\n{banner}"
    );
    Ok(())
}
