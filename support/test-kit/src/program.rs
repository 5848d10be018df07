//! Lancer un programme du cours comme le ferait un étudiant, avec une échéance.
//!
//! Deux façons, selon ce que teste le test :
//!
//! - [`run`] : le programme doit se terminer de lui-même (`--help`, un port déjà
//!   pris, une connexion refusée) ; on attend sa fin, au plus [`TIMEOUT`], et l'on
//!   rend ses sorties ;
//! - [`Program`] : le programme tourne pendant le test (un serveur, un client à qui
//!   l'on tape des lignes) ; on lit ses lignes au fil de l'eau, chaque attente
//!   bornée, et il est tué à la fin du test, même si une assertion échoue avant.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::{MAX_LINE_BYTES, MAX_LINES, TIMEOUT, occupied_addr, unused_addr};

/// La bibliothèque standard ne sait pas attendre la fin d'un processus avec une
/// échéance : on regarde donc s'il est fini à ce rythme. Ce n'est pas une
/// synchronisation, seule l'échéance décide quand on abandonne.
const POLL: Duration = Duration::from_millis(10);

/// Ce que [`run`] garde au plus de chaque sortie ; le reste est lu et jeté, pour que
/// le programme ne reste jamais bloqué sur un tube plein.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

/// Le nombre de lignes rappelées dans un message d'échec : les dernières lues.
const SHOWN_LINES: usize = 20;

/// Lance `program` avec `args` et une entrée standard vide, attend sa fin (au plus
/// [`TIMEOUT`]) et rend son code de sortie et ses deux sorties.
///
/// Un programme qui tourne encore à l'échéance est tué, et le test échoue en le
/// disant, avec ce que le programme avait écrit.
pub fn run(program: impl AsRef<OsStr>, args: &[&str]) -> io::Result<Output> {
    finish(Command::new(program).args(args), None)
}

/// Comme [`run`], avec `input` sur l'entrée standard du programme, qui est ensuite
/// fermée (comme un Ctrl+D après la dernière ligne).
pub fn run_with_input(
    program: impl AsRef<OsStr>,
    args: &[&str],
    input: &[u8],
) -> io::Result<Output> {
    finish(Command::new(program).args(args), Some(input))
}

fn finish(command: &mut Command, input: Option<&[u8]>) -> io::Result<Output> {
    let name = describe(command);
    let stdin = if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    let mut child = command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        let input = input.to_vec();
        // Depuis un thread : un programme qui ne lit pas son entrée ne bloque pas le
        // test. En sortant, `stdin` est détruit : le programme lit la fin de
        // son entrée.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    // Les sorties sont lues PENDANT que le programme tourne : un tube plein le
    // bloquerait.
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status = wait_until(&mut child, Instant::now() + TIMEOUT)?;
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    match status {
        Some(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        None => panic!(
            "« {name} » tournait encore après {TIMEOUT:?} : il a été tué.\n\
             Sa sortie standard : {:?}\nSa sortie d'erreur : {:?}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    }
}

/// Vérifie qu'un programme a échoué comme le veut la maison (voir
/// `CONTRIBUTING.md`) : un code de sortie non nul, `expected` dans sa sortie d'erreur
/// (la phrase française qui explique), et aucune panique.
#[track_caller]
pub fn assert_fails_with(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "le programme devait échouer ; sa sortie d'erreur : {stderr}"
    );
    assert!(
        stderr.contains(expected),
        "message attendu (« {expected} ») absent de : {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "une erreur attendue ne doit pas paniquer : {stderr}"
    );
}

/// Vérifie que `program args --addr ADRESSE` (un serveur) échoue en une phrase
/// française, sans paniquer, quand l'adresse est déjà prise par un autre programme.
#[track_caller]
pub fn assert_addr_in_use_is_explained(
    program: impl AsRef<OsStr>,
    args: &[&str],
) -> io::Result<()> {
    let (_occupied, addr) = occupied_addr()?;
    let output = run(program, &with_addr(args, &addr.to_string()))?;
    assert_fails_with(&output, "déjà utilisée");
    Ok(())
}

/// Vérifie que `program args --addr ADRESSE` (un client) échoue en une phrase
/// française, sans paniquer, quand personne n'écoute à l'adresse.
#[track_caller]
pub fn assert_refusal_is_explained(
    program: impl AsRef<OsStr>,
    args: &[&str],
) -> io::Result<()> {
    let output = run(program, &with_addr(args, &unused_addr()?.to_string()))?;
    assert_fails_with(&output, "connexion refusée");
    Ok(())
}

/// `args` suivis de `--addr addr` : chaque programme du cours prend son adresse
/// ainsi.
pub(crate) fn with_addr<'a>(args: &[&'a str], addr: &'a str) -> Vec<&'a str> {
    let mut full = args.to_vec();
    full.extend(["--addr", addr]);
    full
}

/// Lance `program args` (par exemple `--help`), vérifie qu'il réussit et que sa
/// sortie standard mentionne chacun des `words`, et la rend.
#[track_caller]
pub fn assert_help_mentions(
    program: impl AsRef<OsStr>,
    args: &[&str],
    words: &[&str],
) -> io::Result<String> {
    let output = run(program, args)?;
    assert!(output.status.success(), "{args:?} doit réussir");
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    for word in words {
        assert!(
            help.contains(word),
            "l'aide de {args:?} doit mentionner « {word} » :\n{help}"
        );
    }
    Ok(help)
}

/// Lit tout `pipe` dans un thread ; le résultat arrive par le canal rendu.
fn read_all(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (sender, received) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let _ = pipe.by_ref().take(MAX_OUTPUT).read_to_end(&mut kept);
            let _ = io::copy(&mut pipe, &mut io::sink());
            let _ = sender.send(kept);
        });
    }
    received
}

/// Ce qu'a lu `read_all` ; le programme est fini, son tube est donc fermé (sauf si un
/// processus qu'il a lancé le garde ouvert : on n'attend pas plus que l'échéance).
fn collect(received: Receiver<Vec<u8>>) -> Vec<u8> {
    received.recv_timeout(TIMEOUT).unwrap_or_default()
}

/// Attend la fin de `child` jusqu'à `deadline` ; au-delà, le tue et rend `None`.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
) -> io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(POLL);
    }
}

/// « lesson01-echo server --addr 127.0.0.1:0 », pour les messages d'échec.
fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let mut name = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    for arg in command.get_args() {
        name.push(' ');
        name.push_str(&arg.to_string_lossy());
    }
    name
}

/// Un programme qui tourne pendant le test : on tape sur son entrée, on lit ses
/// lignes, et il est tué quand le `Program` est détruit (à la fin du test, même en
/// échec).
pub struct Program {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Les lignes de sa sortie standard (ce qu'il dit à la personne qui l'a lancé).
    pub stdout: Lines,
    /// Les lignes de sa sortie d'erreur (le journal d'un serveur, les messages
    /// d'erreur).
    pub stderr: Lines,
}

impl Program {
    /// Lance `program` avec `args`.
    pub fn start(program: impl AsRef<OsStr>, args: &[&str]) -> io::Result<Program> {
        Program::spawn(Command::new(program).args(args))
    }

    /// Lance une commande préparée par le test (une variable d'environnement, un
    /// `sh -c`…). Ses trois flux sont redirigés vers le test.
    pub fn spawn(command: &mut Command) -> io::Result<Program> {
        Program::launch(command, None)
    }

    /// Lance `program`, lit la première ligne de sa sortie standard, puis ferme ses
    /// deux tubes de sortie, comme `programme 2>&1 | head -1` : chaque écriture
    /// suivante du programme échoue (« broken pipe »). Sert à vérifier qu'un
    /// serveur survit à une sortie fermée.
    pub fn start_then_close_outputs(
        program: impl AsRef<OsStr>,
        args: &[&str],
    ) -> io::Result<Program> {
        Program::launch(Command::new(program).args(args), Some(1))
    }

    fn launch(command: &mut Command, keep: Option<usize>) -> io::Result<Program> {
        let name = describe(command);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .map(|pipe| Lines::read(&name, pipe, keep));
        let stderr = match (keep, child.stderr.take()) {
            // Le tube d'erreur est fermé dès le départ.
            (Some(_), _) | (None, None) => Lines::closed(&name),
            (None, Some(pipe)) => Lines::read(&name, pipe, None),
        };
        Ok(Program {
            stdout: stdout.unwrap_or_else(|| Lines::closed(&name)),
            stderr,
            name,
            child,
            stdin,
        })
    }

    /// Lit la sortie standard jusqu'à la bannière d'un serveur du cours,
    /// « … en écoute sur ADRESSE … », et rend l'adresse. Avec `--addr 127.0.0.1:0`,
    /// c'est le noyau qui choisit le port : seul le serveur le connaît, et il
    /// l'annonce.
    #[track_caller]
    pub fn listening_addr(&mut self) -> SocketAddr {
        let banner = self.stdout.expect(
            |line| line.contains("en écoute sur "),
            "la bannière « … en écoute sur ADRESSE »",
        );
        banner
            .split("en écoute sur ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| {
                panic!("{} : adresse illisible dans {banner:?}", self.name)
            })
    }

    /// Tape `line` (et un retour à la ligne) sur l'entrée standard du programme.
    pub fn type_line(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("l'entrée standard est déjà fermée"))?;
        writeln!(stdin, "{line}")?;
        stdin.flush()
    }

    /// Ferme l'entrée standard : le programme lit la fin de son entrée (Ctrl+D).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Le numéro du processus (pour `ps`, `kill`…).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Envoie un signal au programme avec la commande `kill` (`"TERM"`, `"INT"`…),
    /// comme un gestionnaire de services ou un Ctrl+C. Unix seulement.
    #[cfg(unix)]
    pub fn signal(&self, name: &str) -> io::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "kill -{name} a échoué ({status})"
            )))
        }
    }

    /// Attend la fin du programme, au plus [`TIMEOUT`], et rend son code de sortie.
    /// Un programme qui tourne encore à l'échéance est tué et le test échoue en
    /// le disant.
    #[track_caller]
    pub fn wait(&mut self) -> ExitStatus {
        match wait_until(&mut self.child, Instant::now() + TIMEOUT) {
            Ok(Some(status)) => status,
            Ok(None) => panic!(
                "{} tournait encore après {TIMEOUT:?} : il a été tué. \
                 Ses dernières lignes : {:?}",
                self.name,
                self.stdout.last_seen()
            ),
            Err(err) => {
                panic!("{} : impossible d'attendre sa fin : {err}", self.name)
            }
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // Quoi qu'il arrive au test, aucun programme ne lui survit.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Les lignes d'une sortie de programme, lues par un thread au fil de l'eau : le test
/// les attend une à une, chaque attente bornée par [`TIMEOUT`] et par [`MAX_LINES`].
pub struct Lines {
    name: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    /// Lit `source` ligne par ligne dans un thread, toute entière (un tube plein
    /// bloquerait le programme), ou seulement ses `keep` premières lignes avant
    /// de la fermer.
    fn read(
        name: &str,
        source: impl Read + Send + 'static,
        keep: Option<usize>,
    ) -> Lines {
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut source = BufReader::new(source);
            let mut left = keep.unwrap_or(usize::MAX);
            while left > 0 {
                let Some(line) = next_line(&mut source) else {
                    return; // fin de la sortie : le canal se ferme
                };
                left -= 1;
                if left == 0 {
                    // Le tube est fermé AVANT que le test ne reçoive la ligne et
                    // continue.
                    drop(source);
                    let _ = sender.send(line);
                    return;
                }
                if sender.send(line).is_err() {
                    return; // le test est fini
                }
            }
        });
        Lines {
            name: name.to_owned(),
            lines,
            seen: Vec::new(),
        }
    }

    /// Une sortie déjà fermée : aucune ligne n'y arrivera.
    fn closed(name: &str) -> Lines {
        let (_, lines) = mpsc::channel();
        Lines {
            name: name.to_owned(),
            lines,
            seen: Vec::new(),
        }
    }

    /// Lit les lignes jusqu'à la première qui vérifie `wanted`, et la rend (sans son
    /// `\n`).
    ///
    /// Le test échoue, en rappelant les dernières lignes lues et ce qu'on attendait
    /// (`what`), si la sortie se termine avant, si rien ne convient après
    /// [`TIMEOUT`], ou après [`MAX_LINES`] lignes.
    #[track_caller]
    pub fn expect(&mut self, wanted: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        for _ in 0..MAX_LINES {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line);
                    let line = &self.seen[self.seen.len() - 1];
                    if wanted(line) {
                        return line.clone();
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{} : {what} attendu, rien de tel en {TIMEOUT:?} ; \
                     dernières lignes : {:?}",
                    self.name,
                    self.last_seen()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{} : sortie terminée avant {what} ; dernières lignes : {:?}",
                    self.name,
                    self.last_seen()
                ),
            }
        }
        panic!(
            "{} : {what} absent des {MAX_LINES} lignes lues ; les dernières : {:?}",
            self.name,
            self.last_seen()
        )
    }

    /// Lit les lignes jusqu'à une ligne exactement égale à `expected` (voir
    /// [`Lines::expect`]).
    #[track_caller]
    pub fn expect_line(&mut self, expected: &str) {
        self.expect(|line| line == expected, &format!("{expected:?}"));
    }

    /// Toutes les lignes lues jusqu'ici.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    fn last_seen(&self) -> &[String] {
        &self.seen[self.seen.len().saturating_sub(SHOWN_LINES)..]
    }
}

/// La ligne suivante de `source`, sans `\n` ni `\r` final ; `None` à la fin de la
/// sortie. Une ligne de plus de [`MAX_LINE_BYTES`] octets arrive en plusieurs
/// morceaux.
fn next_line(source: &mut impl BufRead) -> Option<String> {
    let mut line = Vec::new();
    match source
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
    {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if line.last() == Some(&b'\n') {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
            }
            Some(String::from_utf8_lossy(&line).into_owned())
        }
    }
}
