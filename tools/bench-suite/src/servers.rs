//! Les serveurs mesurés, et leur démarrage dans un processus à part.
//!
//! Chaque serveur tourne dans son PROPRE processus : c'est la seule façon de mesurer son
//! temps CPU et sa mémoire sans compter ceux du générateur de charge. Pour les serveurs
//! Rust, le banc d'essai se relance lui-même (`current_exe`) avec la commande cachée
//! `serve <nom> <adresse>` ; les serveurs Python sont lancés avec `python3`.

use std::io::{self, BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Ce que fait un serveur : de l'écho ou du chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Echo,
    Chat,
}

/// Comment un client de chat entre dans le salon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// On se connecte et on parle (leçons 03 et 04, Python, tokio).
    Plain,
    /// La première ligne est un pseudo ; on attend « *** Bienvenue » (leçon 05).
    Nickname,
}

/// Tous les serveurs que le banc d'essai sait démarrer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    RefMio,
    TokioEcho,
    Lesson03Echo,
    Lesson04Echo,
    PythonEcho,
    Lesson03Chat,
    Lesson04Chat,
    Lesson05Chat,
    TokioChat,
    PythonChat,
}

impl Server {
    pub const ALL: [Server; 10] = [
        Server::RefMio,
        Server::TokioEcho,
        Server::Lesson03Echo,
        Server::Lesson04Echo,
        Server::PythonEcho,
        Server::Lesson03Chat,
        Server::Lesson04Chat,
        Server::Lesson05Chat,
        Server::TokioChat,
        Server::PythonChat,
    ];

    /// Nom court, pour la ligne de commande et le JSON.
    pub fn name(self) -> &'static str {
        match self {
            Server::RefMio => "ref-mio",
            Server::TokioEcho => "tokio-echo",
            Server::Lesson03Echo => "l03-echo",
            Server::Lesson04Echo => "l04-echo",
            Server::PythonEcho => "py-echo",
            Server::Lesson03Chat => "l03-chat",
            Server::Lesson04Chat => "l04-chat",
            Server::Lesson05Chat => "l05-chat",
            Server::TokioChat => "tokio-chat",
            Server::PythonChat => "py-chat",
        }
    }

    /// Description en français, pour les tableaux.
    pub fn label(self) -> &'static str {
        match self {
            Server::RefMio => "référence epoll (mio, 1 thread)",
            Server::TokioEcho => "tokio (une tâche par client)",
            Server::Lesson03Echo => "leçon 03, écho (un thread par client)",
            Server::Lesson04Echo => "leçon 04, écho (boucle mio)",
            Server::PythonEcho => "Python (un thread par client)",
            Server::Lesson03Chat => "leçon 03, chat (un thread par client)",
            Server::Lesson04Chat => "leçon 04, chat (boucle mio)",
            Server::Lesson05Chat => "leçon 05 (tokio)",
            Server::TokioChat => "tokio façon examples/chat.rs",
            Server::PythonChat => "Python select",
        }
    }

    pub fn role(self) -> Role {
        match self {
            Server::RefMio
            | Server::TokioEcho
            | Server::Lesson03Echo
            | Server::Lesson04Echo
            | Server::PythonEcho => Role::Echo,
            _ => Role::Chat,
        }
    }

    pub fn protocol(self) -> Protocol {
        if self == Server::Lesson05Chat {
            Protocol::Nickname
        } else {
            Protocol::Plain
        }
    }

    pub fn is_python(self) -> bool {
        matches!(self, Server::PythonEcho | Server::PythonChat)
    }

    pub fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|server| server.name() == name)
    }
}

/// Fait tourner `server` dans le processus courant (commande cachée `serve`).
/// Ne revient qu'en cas d'erreur.
pub fn run_in_this_process(server: Server, listener: TcpListener) -> io::Result<()> {
    use crate::reference::{serve_mio_echo, serve_tokio_chat, serve_tokio_echo};
    match server {
        Server::RefMio => serve_mio_echo(listener),
        Server::TokioEcho => serve_tokio_echo(listener),
        Server::TokioChat => serve_tokio_chat(listener),
        Server::Lesson03Echo
        | Server::Lesson04Echo
        | Server::Lesson03Chat
        | Server::Lesson04Chat
        | Server::Lesson05Chat => crate::lessons::serve(server, listener),
        Server::PythonEcho | Server::PythonChat => Err(io::Error::other(
            "les serveurs Python se lancent avec python3, pas avec `serve`",
        )),
    }
}

/// Un serveur démarré dans un processus enfant, arrêté (tué) quand on le lâche.
pub struct RunningServer {
    child: Child,
    pub addr: SocketAddr,
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
    }
}

/// Où trouver les scripts Python (dans les sources de cette leçon).
pub fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// `python3` est-il là ?
pub fn python_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Démarre `server` dans un processus enfant épinglé sur `core` (si donné), à l'écoute
/// sur un port libre de 127.0.0.1, et attend qu'il annonce son adresse.
pub fn spawn(
    bench_exe: &PathBuf,
    server: Server,
    core: Option<usize>,
) -> io::Result<RunningServer> {
    let mut command = if server.is_python() {
        let script = match server {
            Server::PythonEcho => "echo_threads.py",
            _ => "chat_select.py",
        };
        let mut command = Command::new("python3");
        command.arg(python_dir().join(script)).arg("0");
        command
    } else {
        let mut command = Command::new(bench_exe);
        command.args(["serve", server.name(), "127.0.0.1:0"]);
        command
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    crate::system::prepare_child(&mut command, core);
    let mut child = command.spawn()?;
    let ready = match child.stdout.take() {
        Some(stdout) => wait_ready(&forward_lines(stdout)),
        None => Err(io::Error::other("sortie du serveur indisponible")),
    };
    match ready {
        Ok(addr) => Ok(RunningServer { child, addr }),
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(err)
        }
    }
}

/// Lit la sortie du serveur dans un thread, pour pouvoir l'attendre avec un délai.
/// Le thread vide le tuyau jusqu'à la mort du serveur : un serveur qui écrit ne doit ni
/// bloquer sur un tuyau plein ni recevoir SIGPIPE. Une fois l'adresse lue, le récepteur
/// est lâché et les lignes suivantes sont jetées, au lieu de s'accumuler en mémoire.
fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                // Personne n'écoute plus : on continue de vider le tuyau sans rien garder.
                continue;
            }
        }
    });
    receiver
}

/// Le serveur écrit « PRÊT <adresse> » une fois à l'écoute.
fn wait_ready(lines: &mpsc::Receiver<String>) -> io::Result<SocketAddr> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = lines.recv_timeout(left).map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "le serveur n'a pas annoncé son adresse à temps",
            )
        })?;
        if let Some(addr) = line.strip_prefix("PRÊT ") {
            return addr
                .trim()
                .parse()
                .map_err(|_| io::Error::other(format!("adresse illisible : {addr}")));
        }
    }
}
