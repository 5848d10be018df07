//! Outils partagés par les tests : un vrai serveur sur 127.0.0.1 (port 0) dans le
//! même processus, et un client IRC de test dont chaque lecture a un délai maximal.
//! Un serveur cassé fait échouer un test, jamais bloquer.

#![allow(dead_code)] // chaque fichier de test n'utilise qu'une partie de ces outils

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use lesson07_irc::{Config, listen, serve};
use test_kit::TaskClient;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Délai maximal de chaque attente, et nombre maximal de lignes qu'une attente
/// saute : ceux de tous les tests du cours (crate `test-kit`).
pub use test_kit::{MAX_LINES, TIMEOUT};

/// Les réglages des tests : sans limite de débit, avec des délais courts.
pub fn test_config() -> Config {
    course_kit_quiet();
    Config {
        max_rate: 0,
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    }
}

/// Le journal du serveur se tait pendant les tests (une ligne par connexion
/// rendrait leur sortie illisible).
fn course_kit_quiet() {
    course_kit::journal::set_enabled(false);
}

/// Un serveur lancé dans une tâche, et de quoi l'arrêter (crate `test-kit`).
pub use test_kit::TaskServer as TestServer;

/// Démarre un vrai serveur sur un port libre choisi par le noyau (port 0).
pub async fn start_server(config: Config) -> io::Result<TestServer> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    Ok(TestServer::spawn(addr, |stop| {
        serve(listener, config, stop)
    }))
}

/// Un message reçu, découpé comme le ferait un client : préfixe, commande,
/// paramètres (le dernier sans son `:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub raw: String,
    pub prefix: String,
    pub command: String,
    pub params: Vec<String>,
}

impl Reply {
    pub fn parse(raw: &str) -> Reply {
        let parsed = lesson07_irc::message::parse(raw)
            .unwrap_or_else(|| panic!("ligne vide reçue : {raw:?}"));
        Reply {
            raw: raw.to_owned(),
            prefix: parsed.prefix.unwrap_or_default(),
            command: parsed.command,
            params: parsed.params,
        }
    }

    /// Le dernier paramètre (le texte), ou "".
    pub fn text(&self) -> &str {
        self.params.last().map_or("", String::as_str)
    }
}

/// Un client IRC de test.
pub struct Client {
    /// La connexion de `test-kit` : chaque attente a son échéance.
    pub conn: TaskClient,
    pub nick: String,
}

impl Deref for Client {
    type Target = TaskClient;
    fn deref(&self) -> &TaskClient {
        &self.conn
    }
}

impl DerefMut for Client {
    fn deref_mut(&mut self) -> &mut TaskClient {
        &mut self.conn
    }
}

impl Client {
    /// Se connecte, sans rien envoyer.
    pub async fn connect(addr: SocketAddr) -> io::Result<Client> {
        Ok(Client::from(TaskClient::connect(addr).await?))
    }

    /// Se connecte avec un tampon de réception minuscule : un client qui ne lit pas
    /// remplit vite les tampons du noyau.
    pub async fn connect_small_buffer(addr: SocketAddr) -> io::Result<Client> {
        Ok(Client::from(TaskClient::connect_small_buffer(addr).await?))
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        Client::from(TaskClient::from_stream(stream))
    }

    fn from(conn: TaskClient) -> Client {
        let nick = String::new();
        Client { conn, nick }
    }

    /// Se connecte et s'inscrit sous `nick` ; lit tout jusqu'à la fin du message
    /// du jour (`376` ou `422`).
    pub async fn register(addr: SocketAddr, nick: &str) -> io::Result<Client> {
        let mut client = Client::connect(addr).await?;
        client.send(&format!("NICK {nick}")).await?;
        client
            .send(&format!("USER {nick} 0 * :Vrai {nick}"))
            .await?;
        let welcome = client.expect_command("001").await;
        assert_eq!(welcome.params[0], nick, "001 doit nommer le pseudo");
        client
            .skip_until(|reply| reply.command == "376" || reply.command == "422")
            .await?;
        client.nick = nick.to_owned();
        Ok(client)
    }

    /// Envoie une ligne (`\r\n` ajouté).
    pub async fn send(&mut self, line: &str) -> io::Result<()> {
        self.send_raw(format!("{line}\r\n").as_bytes()).await
    }

    /// La prochaine ligne brute, sans `\r\n`. Erreur si rien n'arrive à temps ou
    /// si le serveur ferme la connexion.
    pub async fn raw_line(&mut self) -> io::Result<String> {
        let mut line = self.read_line_bytes(64 * 1024).await?;
        assert!(line.ends_with(b"\r\n"), "une ligne sans \\r\\n : {line:?}");
        assert!(
            line.len() <= 512,
            "une ligne de plus de 512 octets : {line:?}"
        );
        line.truncate(line.len() - 2);
        Ok(String::from_utf8(line).expect("le serveur n'envoie que de l'UTF-8"))
    }

    /// Le prochain message.
    pub async fn reply(&mut self) -> io::Result<Reply> {
        Ok(Reply::parse(&self.raw_line().await?))
    }

    /// Lit jusqu'à un message qui vérifie `wanted` et le rend. Échoue, en disant ce
    /// qu'il a sauté, s'il n'arrive pas parmi les `MAX_LINES` suivants.
    pub async fn skip_until(
        &mut self,
        wanted: impl Fn(&Reply) -> bool,
    ) -> io::Result<Reply> {
        let mut skipped = Vec::new();
        for _ in 0..MAX_LINES {
            let reply = match self.reply().await {
                Ok(reply) => reply,
                Err(err) => panic!("{err} ; sautées avant : {skipped:?}"),
            };
            if wanted(&reply) {
                return Ok(reply);
            }
            skipped.push(reply.raw);
        }
        panic!("rien d'attendu en {MAX_LINES} lignes");
    }

    /// Le prochain message DOIT avoir cette commande (ou ce numéro).
    pub async fn expect_command(&mut self, command: &str) -> Reply {
        match self.reply().await {
            Ok(reply) => {
                assert_eq!(
                    reply.command, command,
                    "attendu {command}, reçu {:?}",
                    reply.raw
                );
                reply
            }
            Err(err) => panic!("attendu {command}, mais : {err}"),
        }
    }

    /// Saute jusqu'au message de cette commande (les autres lignes ne comptent pas).
    pub async fn wait_for(&mut self, command: &str) -> Reply {
        self.skip_until(|reply| reply.command == command)
            .await
            .unwrap()
    }

    /// Synchronise : envoie `PING jeton` et rend tout ce qui arrive avant le `PONG`.
    /// Le serveur traite les commandes d'un client dans l'ordre : tout ce que les
    /// précédentes ont provoqué est donc arrivé.
    pub async fn sync(&mut self) -> Vec<Reply> {
        self.send("PING :sync").await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..MAX_LINES {
            let reply = self.reply().await.expect("PONG attendu");
            if reply.command == "PONG" && reply.text() == "sync" {
                return seen;
            }
            seen.push(reply);
        }
        panic!("pas de PONG en {MAX_LINES} lignes");
    }

    /// Rejoint `channel` et lit jusqu'à la fin de `NAMES`.
    pub async fn join(&mut self, channel: &str) {
        self.send(&format!("JOIN {channel}")).await.unwrap();
        self.wait_for("366").await;
    }

    /// Envoie `burst` d'un coup PENDANT qu'il lit : `count` messages `PRIVMSG`
    /// attendus, rangés par expéditeur (le premier mot du texte est un numéro de
    /// séquence). Rend aussi les autres lignes reçues (notices, départs). Lire en
    /// même temps est obligatoire : un client qui n'écrit qu'en ne lisant rien
    /// serait lui-même un lecteur lent.
    pub async fn flood_and_collect(
        &mut self,
        burst: Vec<u8>,
        count: usize,
    ) -> io::Result<(HashMap<String, Vec<u32>>, Vec<String>)> {
        let TaskClient { reader, writer } = &mut self.conn;
        let writing = async { timeout(TIMEOUT * 4, writer.write_all(&burst)).await? };
        let reading = async {
            let mut by_sender: HashMap<String, Vec<u32>> = HashMap::new();
            let mut others = Vec::new();
            let mut received = 0;
            // Borné : au plus 100 lignes qui ne sont pas des messages.
            for _ in 0..count + 100 {
                if received == count {
                    break;
                }
                let mut line = Vec::new();
                let read =
                    timeout(TIMEOUT, reader.read_until(b'\n', &mut line)).await??;
                if read == 0 {
                    break;
                }
                let reply = Reply::parse(String::from_utf8_lossy(&line).trim_end());
                if reply.command != "PRIVMSG" {
                    others.push(reply.raw);
                    continue;
                }
                received += 1;
                let sender = reply.prefix.split('!').next().unwrap_or_default();
                let number =
                    reply.text().split(' ').next().and_then(|n| n.parse().ok());
                let number =
                    number.unwrap_or_else(|| panic!("numéro ? {:?}", reply.raw));
                by_sender.entry(sender.to_owned()).or_default().push(number);
            }
            Ok::<_, io::Error>((by_sender, others))
        };
        let (written, collected) = tokio::join!(writing, reading);
        written?;
        collected
    }
}
