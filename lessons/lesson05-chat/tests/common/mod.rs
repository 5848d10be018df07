//! Outils partagés par les tests : un vrai serveur sur 127.0.0.1 (port 0) dans le
//! même processus, et un client de test dont chaque lecture a un délai maximal. Un
//! serveur cassé fait échouer un test, jamais bloquer.

#![allow(dead_code)] // chaque fichier de test n'utilise qu'une partie de ces outils

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lesson05_chat::{Config, listen, serve};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Délai maximal de chaque lecture, connexion ou attente, et nombre maximal de
/// lignes qu'une attente saute : ceux de tous les tests du cours (crate
/// `test-kit`).
pub use test_kit::{MAX_LINES, TIMEOUT};

/// Ce qu'un client qui ne lisait plus trouve au plus dans ses tampons, en lignes,
/// quand il se remet à lire : la file d'envoi du serveur (1 Mio au plus, des lignes
/// d'une soixantaine d'octets dans les tests) et les tampons du noyau. Une borne
/// large, qui ne sert qu'à ne jamais lire sans fin.
const MAX_BACKLOG: usize = 200_000;

/// Les réglages des tests : sans limite de débit, avec des délais courts.
pub fn test_config() -> Config {
    Config {
        max_rate: 0,
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    }
}

/// Un serveur lancé dans une tâche, et de quoi l'arrêter.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

/// Démarre un vrai serveur sur un port libre choisi par le noyau (port 0).
pub async fn start_server(config: Config) -> io::Result<TestServer> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let task = tokio::spawn(serve(listener, config, shutdown));
    Ok(TestServer { addr, stop, task })
}

impl TestServer {
    /// Déclenche l'arrêt propre (comme Ctrl+C) et attend que `serve` se termine.
    pub async fn stop(self) -> io::Result<()> {
        let _ = self.stop.send(());
        match timeout(TIMEOUT, self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => panic!("le serveur a paniqué : {panic}"),
            Err(_) => panic!("le serveur ne s'est pas arrêté en {TIMEOUT:?}"),
        }
    }
}

/// Un client de test : lit des lignes avec un délai maximal.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    pub writer: OwnedWriteHalf,
}

impl Client {
    /// Se connecte, sans rien lire.
    pub async fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = timeout(TIMEOUT, TcpStream::connect(addr)).await??;
        Ok(Client::from_stream(stream))
    }

    /// Se connecte avec un tampon de réception minuscule : un client qui ne lit pas
    /// remplit alors vite les tampons du noyau.
    pub async fn connect_small_buffer(addr: SocketAddr) -> io::Result<Client> {
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let stream = timeout(TIMEOUT, socket.connect(addr)).await??;
        Ok(Client::from_stream(stream))
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        stream.set_nodelay(true).unwrap();
        let (reader, writer) = stream.into_split();
        Client {
            reader: BufReader::new(reader),
            writer,
        }
    }

    /// Se connecte et lit l'accueil, jusqu'à la question du pseudo.
    pub async fn greeted(addr: SocketAddr) -> io::Result<Client> {
        let mut client = Client::connect(addr).await?;
        client.read_prompt().await?;
        Ok(client)
    }

    /// Lit les lignes jusqu'à la question du pseudo.
    pub async fn read_prompt(&mut self) -> io::Result<()> {
        self.skip_until(|line| line.starts_with("*** Votre pseudo ?"))
            .await
            .map(drop)
    }

    /// Se connecte et s'inscrit sous `nick`. Renvoie le client et la ligne de
    /// bienvenue.
    pub async fn join_with_welcome(
        addr: SocketAddr,
        nick: &str,
    ) -> io::Result<(Client, String)> {
        let mut client = Client::greeted(addr).await?;
        client.send(nick).await?;
        let welcome = client.line().await?;
        assert!(
            welcome.starts_with(&format!("*** Bienvenue, {nick} !")),
            "{nick} attendait la bienvenue, reçu : {welcome:?}"
        );
        Ok((client, welcome))
    }

    /// Se connecte et s'inscrit sous `nick`.
    pub async fn join(addr: SocketAddr, nick: &str) -> io::Result<Client> {
        Ok(Client::join_with_welcome(addr, nick).await?.0)
    }

    /// Envoie une ligne (le `\n` est ajouté).
    pub async fn send(&mut self, line: &str) -> io::Result<()> {
        self.send_raw(format!("{line}\n").as_bytes()).await
    }

    /// Envoie des octets tels quels, en un seul `write`.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        timeout(TIMEOUT, self.writer.write_all(bytes)).await?
    }

    /// La prochaine ligne, sans son `\n`. Erreur si rien n'arrive à temps ou si le
    /// serveur ferme la connexion.
    pub async fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let read =
            timeout(TIMEOUT, self.reader.read_until(b'\n', &mut line)).await??;
        if read == 0 || !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connexion fermée (reçu en dernier : {line:?})"),
            ));
        }
        line.pop();
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Vérifie que la prochaine ligne est exactement `expected`.
    pub async fn expect(&mut self, expected: &str) {
        match self.line().await {
            Ok(line) => assert_eq!(line, expected, "ligne inattendue"),
            Err(err) => panic!("attendu {expected:?}, mais : {err}"),
        }
    }

    /// Lit jusqu'à une ligne qui vérifie `wanted` et la renvoie. Échoue, en disant ce
    /// qu'il a sauté, si elle n'arrive pas parmi les `MAX_LINES` suivantes.
    pub async fn skip_until(
        &mut self,
        wanted: impl Fn(&str) -> bool,
    ) -> io::Result<String> {
        let mut skipped = Vec::new();
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            if wanted(&line) {
                return Ok(line);
            }
            skipped.push(line);
        }
        panic!(
            "la ligne attendue n'est pas arrivée en {MAX_LINES} lignes ; les dernières : {:?}",
            &skipped[skipped.len() - 5..]
        );
    }

    /// Lit tout jusqu'à la fermeture par le serveur ; renvoie les lignes reçues.
    /// Échoue si la connexion reste ouverte plus de TIMEOUT sans rien envoyer, ou
    /// après `MAX_BACKLOG` lignes.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while lines.len() < MAX_BACKLOG {
            let mut line = Vec::new();
            match timeout(TIMEOUT, self.reader.read_until(b'\n', &mut line)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return lines,
                Ok(Ok(_)) => {
                    lines.push(String::from_utf8_lossy(&line).trim_end().to_owned())
                }
                Err(_) => {
                    panic!("le serveur n'a pas fermé la connexion ; reçu : {lines:?}")
                }
            }
        }
        panic!(
            "le serveur n'a pas fermé la connexion après {MAX_BACKLOG} lignes ; les dernières : {:?}",
            &lines[lines.len() - 5..]
        );
    }
}

/// Un chemin de fichier unique dans le dossier temporaire, effacé à la fin du test.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> TempFile {
        let unique = format!(
            "lesson05-{name}-{}-{:?}.jsonl",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        TempFile(std::env::temp_dir().join(unique))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
