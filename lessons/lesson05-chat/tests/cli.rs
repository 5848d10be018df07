//! Tests du vrai programme : le serveur et les clients lancés comme processus, tels que les
//! étudiants les lancent. Chaque processus a une échéance : passé ce délai, il est tué et le
//! test échoue.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);
const BINARY: &str = env!("CARGO_BIN_EXE_lesson05-chat");

/// Un processus lancé, dont on lit la sortie ligne par ligne avec des délais.
struct Running {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Toutes les lignes lues jusqu'ici, pour des messages d'échec utiles.
    seen: Vec<String>,
}

impl Running {
    fn spawn(name: &'static str, command: &mut Command) -> io::Result<Running> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout redirigée");
        let (sender, lines) = mpsc::channel();
        // Un thread lit la sortie : le test peut ainsi attendre une ligne avec un délai.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Running {
            name,
            child,
            stdin,
            lines,
            seen: Vec::new(),
        })
    }

    fn lesson(name: &'static str, args: &[&str]) -> io::Result<Running> {
        Running::spawn(name, Command::new(BINARY).args(args))
    }

    /// Attend une ligne qui vérifie `wanted` et la renvoie.
    fn expect(&mut self, wanted: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{} : {what} attendu, reçu : {:?}", self.name, self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{} : sortie terminée avant {what} ; reçu : {:?}",
                    self.name, self.seen
                ),
            }
        }
    }

    fn expect_line(&mut self, expected: &str) {
        self.expect(|line| line == expected, &format!("{expected:?}"));
    }

    fn type_line(&mut self, line: &str) -> io::Result<()> {
        let stdin = self.stdin.as_mut().expect("entrée ouverte");
        writeln!(stdin, "{line}")?;
        stdin.flush()
    }

    /// Attend la fin du processus, au plus TIMEOUT.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} ne s'est pas arrêté ; sortie : {:?}",
                self.name,
                self.seen
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Quoi qu'il arrive au test, aucun processus ne lui survit.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lance le serveur sur un port libre et renvoie son adresse, lue sur sa sortie.
fn start_server(args: &[&str]) -> io::Result<(Running, String)> {
    let mut full = vec!["server", "--addr", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let mut server = Running::lesson("serveur", &full)?;
    let addr = listening_addr(&mut server);
    Ok((server, addr))
}

/// Lit la première ligne du serveur, « Salon de discussion en écoute sur ADRESSE (…) ».
fn listening_addr(server: &mut Running) -> String {
    let banner = server.expect(|l| l.contains("en écoute sur"), "l'adresse d'écoute");
    banner
        .split("en écoute sur ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("adresse dans la bannière")
        .to_owned()
}

/// Envoie un signal à un processus (Unix seulement) avec la commande `kill`.
#[cfg(unix)]
fn signal(child: &Child, name: &str) -> io::Result<()> {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()?;
    assert!(status.success(), "kill -{name} a échoué");
    Ok(())
}

#[test]
fn une_vraie_conversation_entre_deux_clients_et_le_serveur() -> io::Result<()> {
    let (mut server, addr) = start_server(&[])?;
    let client = |nick| ["client", "--nick", nick, "--addr", &addr].map(str::to_owned);

    let mut alice = Running::spawn("alice", Command::new(BINARY).args(client("alice")))?;
    alice.expect(|l| l.starts_with("*** Bienvenue, alice !"), "la bienvenue");
    let mut bob = Running::spawn("bob", Command::new(BINARY).args(client("bob")))?;
    bob.expect(|l| l.starts_with("*** Bienvenue, bob !"), "la bienvenue");
    alice.expect_line("*** bob a rejoint le salon.");

    bob.type_line("salut alice")?;
    alice.expect_line("bob: salut alice");
    alice.type_line("/msg bob rien que pour toi")?;
    bob.expect_line("[privé] alice: rien que pour toi");
    alice.type_line("/quit bonne nuit")?;
    alice.expect_line("*** Au revoir, alice !");
    alice.expect_line("Au revoir !");
    assert!(alice.wait().success(), "le client quitte avec le code 0");
    bob.expect_line("*** alice a quitté le salon (bonne nuit).");

    #[cfg(unix)]
    {
        // Ctrl+C sur le serveur : bob est prévenu, son client s'arrête, le serveur aussi.
        signal(&server.child, "INT")?;
        bob.expect_line("*** Le serveur s'arrête. Au revoir !");
        bob.expect_line("Le serveur a fermé la connexion.");
        assert!(
            bob.wait().success(),
            "serveur parti : code 0 pour le client"
        );
        server.expect_line("Serveur arrêté.");
        assert!(server.wait().success(), "arrêt par Ctrl+C : code 0");
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn sigterm_arrete_le_serveur_proprement() -> io::Result<()> {
    let (mut server, addr) = start_server(&[])?;
    let mut client = connect(&addr)?;
    read_until(&mut client, "*** Votre pseudo ?")?;
    let started = Instant::now();
    signal(&server.child, "TERM")?;
    read_until(&mut client, "*** Le serveur s'arrête. Au revoir !")?;
    assert!(server.wait().success(), "SIGTERM : code 0");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "arrêt en moins de 3 s : {:?}",
        started.elapsed()
    );
    Ok(())
}

/// Un client TCP bloquant, avec délais.
fn connect(addr: &str) -> io::Result<TcpStream> {
    let addr: SocketAddr = addr.parse().expect("adresse valide");
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Lit jusqu'à une ligne qui commence par `prefix`.
fn read_until(stream: &mut TcpStream, prefix: &str) -> io::Result<String> {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte)? == 0 {
            panic!(
                "connexion fermée avant {prefix:?} ; reçu : {}",
                String::from_utf8_lossy(&received)
            );
        }
        received.push(byte[0]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(line) = text.lines().last().filter(|_| text.ends_with('\n')) {
            if line.starts_with(prefix) {
                return Ok(line.to_owned());
            }
        }
    }
}

#[test]
fn le_mot_de_passe_oper_peut_venir_de_l_environnement() -> io::Result<()> {
    let mut server = Running::spawn(
        "serveur",
        Command::new(BINARY)
            .args(["server", "--addr", "127.0.0.1:0"])
            .env("CHAT_OPER_PASSWORD", "sésame"),
    )?;
    let addr = listening_addr(&mut server);
    let mut client = connect(&addr)?;
    read_until(&mut client, "*** Votre pseudo ?")?;
    client.write_all("alice\n/oper sésame\n".as_bytes())?;
    read_until(&mut client, "*** Vous êtes maintenant opérateur")?;
    Ok(())
}

/// Lance le programme et attend sa fin, au plus TIMEOUT (sinon on le tue).
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

#[test]
fn l_aide_est_en_francais() -> io::Result<()> {
    let output = run_binary(&["--help"])?;
    assert!(output.status.success(), "--help doit réussir");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
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
    ] {
        assert!(
            help.contains(expected),
            "l'aide doit mentionner « {expected} » :\n{help}"
        );
    }
    let output = run_binary(&["client", "--help"])?;
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--nick"), "aide du client :\n{help}");
    Ok(())
}

#[test]
fn une_valeur_absurde_est_refusee_avant_de_demarrer() -> io::Result<()> {
    // 0 n'a pas de sens ici, et 2^64 − 1 débordait (--max-line faisait une ligne de 0 octet).
    let huge = u64::MAX.to_string();
    for option in [
        "--max-line",
        "--max-clients",
        "--max-per-address",
        "--register-timeout",
        "--idle-timeout",
    ] {
        for value in ["0", huge.as_str()] {
            let output = run_binary(&["server", "--addr", "127.0.0.1:0", option, value])?;
            assert!(
                !output.status.success(),
                "{option} {value} n'a pas de sens et doit être refusé"
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("il faut un entier entre") && !stderr.contains("panicked"),
                "{option} {value} : message attendu en français : {stderr}"
            );
        }
    }
    let output = run_binary(&["server", "--addr", "127.0.0.1:0", "--max-rate", &huge])?;
    assert!(
        !output.status.success(),
        "--max-rate {huge} doit être refusé"
    );
    Ok(())
}

#[test]
fn un_port_deja_pris_donne_un_message_francais_et_un_code_d_erreur() -> io::Result<()> {
    let occupied = TcpListener::bind("127.0.0.1:0")?;
    let addr = occupied.local_addr()?.to_string();
    let output = run_binary(&["--addr", &addr])?;
    assert!(!output.status.success(), "le port est pris : échec attendu");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("déjà utilisée"),
        "message attendu : {stderr}"
    );
    assert!(!stderr.contains("panicked"), "pas de panique : {stderr}");
    Ok(())
}

#[test]
fn une_connexion_refusee_donne_un_message_francais_et_un_code_d_erreur() -> io::Result<()> {
    // On réserve un port puis on le libère : plus personne n'y écoute.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let output = run_binary(&["client", "--nick", "alice", "--addr", &addr])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connexion refusée"),
        "message attendu : {stderr}"
    );
    Ok(())
}

#[test]
fn un_fichier_d_historique_inaccessible_donne_un_message_francais() -> io::Result<()> {
    let path = std::env::temp_dir().join("lesson05-absent/sous-dossier/h.jsonl");
    let path = path.to_string_lossy();
    let output = run_binary(&["--addr", "127.0.0.1:0", "--history-file", &path])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("impossible d'ouvrir le fichier d'historique"),
        "message attendu : {stderr}"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn sans_descripteur_libre_le_serveur_continue_d_accepter_ensuite() -> io::Result<()> {
    // `ulimit -n 40` : le serveur n'a droit qu'à 40 fichiers ouverts. Les connexions en trop
    // font échouer accept() (« too many open files ») ; il doit le dire et continuer.
    let log = std::env::temp_dir().join(format!("lesson05-emfile-{}.log", std::process::id()));
    let mut server = Running::spawn(
        "serveur",
        Command::new("sh")
            .arg("-c")
            .arg(
                "ulimit -n 40 && exec \"$0\" server --addr 127.0.0.1:0 --max-clients 1000 2>\"$1\"",
            )
            .arg(BINARY)
            .arg(&log),
    )?;
    let addr = listening_addr(&mut server);
    // La foule reste connectée : le serveur ne peut pas toutes les accepter. (Fermées trop
    // tôt, chaque connexion libérerait son descripteur avant la suivante, et accept()
    // n'échouerait jamais.) On attend, borné, que le journal le dise.
    let crowd: Vec<TcpStream> = (0..60).map(|_| connect(&addr)).collect::<io::Result<_>>()?;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("accept() a échoué") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "l'échec d'accept() doit être journalisé :\n{logged}"
        );
        thread::sleep(Duration::from_millis(20)); // nouvelle lecture du journal
    }
    let mut last = connect(&addr)?;
    drop(crowd); // des descripteurs se libèrent : le serveur reprend les connexions en attente
    read_until(&mut last, "*** Votre pseudo ?")?;
    last.write_all(b"tardif\n")?;
    read_until(&mut last, "*** Bienvenue, tardif !")?;
    drop(server);
    let _ = std::fs::remove_file(&log);
    Ok(())
}
