//! Chaque serveur tourne dans son PROPRE processus : c'est la seule façon de mesurer
//! son temps CPU et sa mémoire sans compter ceux du générateur. Pour un serveur Rust,
//! le comparatif se relance lui-même (`current_exe`) avec la commande cachée
//! `serve NOM ADRESSE` ; un serveur Python est lancé avec l'interpréteur (`python3`,
//! ou la variable `BENCH_PYTHON`). L'enfant écrit `PRÊT <adresse>` une fois à
//! l'écoute (la leçon 08 : `PRÊT <salon> <page>`). ngIRCd, un programme installé,
//! se lance à part (`ngircd.rs`).

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::servers::{ServerSpec, Start};
use crate::{ngircd, system};

/// File d'attente des connexions des serveurs mesurés : assez pour des rafales de
/// centaines de connexions (le scénario capacité en ouvre 250 d'un coup).
pub const BACKLOG: i32 = 1024;

/// Ce que l'enfant attend au plus pour annoncer son adresse.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Un serveur démarré dans un processus enfant, arrêté (tué) quand on le lâche ; son
/// dossier de travail (la configuration de ngIRCd) est alors effacé.
pub struct RunningServer {
    child: Child,
    pub addr: SocketAddr,
    /// La page et `/ws` de la leçon 08.
    pub web: Option<SocketAddr>,
    workdir: Option<PathBuf>,
}

impl RunningServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.workdir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// L'interpréteur des serveurs Python : `BENCH_PYTHON` s'il est donné, sinon
/// `python3`.
pub fn python() -> OsString {
    std::env::var_os("BENCH_PYTHON").unwrap_or_else(|| "python3".into())
}

/// L'interpréteur Python est-il là ?
pub fn python_available() -> bool {
    system::answers_version(&python())
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Démarre `server` dans un processus enfant épinglé sur `core` (si donné), à
/// l'écoute sur un port libre de 127.0.0.1, et attend qu'il annonce son adresse.
/// `exe` est le binaire du comparatif.
pub fn spawn(
    exe: &Path,
    server: &ServerSpec,
    core: Option<usize>,
) -> io::Result<RunningServer> {
    let mut command = match server.start {
        Start::Ngircd => {
            let (child, addr, workdir) = ngircd::spawn(exe, core)?;
            let (web, workdir) = (None, Some(workdir));
            return Ok(RunningServer {
                child,
                addr,
                web,
                workdir,
            });
        }
        Start::Python(script) => {
            let mut command = Command::new(python());
            command.arg(python_dir().join(script)).arg("0");
            command
        }
        Start::Lesson(_) | Start::Reference(_) | Start::Later(_) | Start::Web(_) => {
            let mut command = Command::new(exe);
            command.args(["serve", server.name, "127.0.0.1:0"]);
            command
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    system::prepare_child(&mut command, core);
    let mut child = command.spawn()?;
    let ready = match child.stdout.take() {
        Some(stdout) => wait_ready(&forward_lines(stdout)),
        None => Err(io::Error::other("sortie du serveur indisponible")),
    };
    match ready {
        Ok((addr, web)) => Ok(RunningServer {
            child,
            addr,
            web,
            workdir: None,
        }),
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(err)
        }
    }
}

/// Lit la sortie du serveur dans un thread, pour pouvoir l'attendre avec un délai. Le
/// thread vide le tuyau jusqu'à la mort du serveur : un serveur qui écrit ne doit ni
/// bloquer sur un tuyau plein ni recevoir SIGPIPE. Une fois l'adresse lue, le
/// récepteur est lâché et les lignes suivantes sont jetées au lieu de s'accumuler en
/// mémoire.
fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = sender.send(line);
        }
    });
    receiver
}

/// Attend « PRÊT <adresse> » (ou « PRÊT <salon> <page> »), au plus
/// [`READY_TIMEOUT`].
fn wait_ready(
    lines: &mpsc::Receiver<String>,
) -> io::Result<(SocketAddr, Option<SocketAddr>)> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).map_err(|err| match err {
            mpsc::RecvTimeoutError::Timeout => io::Error::new(
                io::ErrorKind::TimedOut,
                "le serveur n'a pas annoncé son adresse à temps",
            ),
            mpsc::RecvTimeoutError::Disconnected => io::Error::other(
                "le serveur s'est arrêté avant d'annoncer son adresse",
            ),
        })?;
        if let Some(addrs) = line.strip_prefix("PRÊT ") {
            let parse = |addr: &str| {
                addr.parse().map_err(|_| {
                    io::Error::other(format!("adresse illisible : {addr}"))
                })
            };
            let mut addrs = addrs.split_whitespace();
            let first = parse(addrs.next().unwrap_or_default())?;
            return Ok((first, addrs.next().map(parse).transpose()?));
        }
    }
}

/// Le côté enfant (commande cachée `serve`) : écoute, annonce son adresse, puis sert
/// pour toujours.
pub fn serve_here(server: &ServerSpec, addr: SocketAddr) -> io::Result<()> {
    // Les limites de fichiers s'héritent du parent, mais on peut aussi être lancé à
    // la main.
    let _ = system::raise_file_limit(30_000);
    let listener = listen(addr)?;
    let web = match server.start {
        Start::Web(_) => Some(listen(addr)?),
        _ => None,
    };
    let mut out = io::stdout().lock();
    write!(out, "PRÊT {}", listener.local_addr()?)?;
    if let Some(web) = &web {
        write!(out, " {}", web.local_addr()?)?;
    }
    writeln!(out)?;
    out.flush()?;
    drop(out);
    server.serve(listener, web)
}

/// La socket d'écoute (même recette que la leçon 01, avec une file d'attente plus
/// longue).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
