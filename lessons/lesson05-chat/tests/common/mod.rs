//! Outils partagés par les tests : un vrai serveur sur 127.0.0.1 (port 0) dans le
//! même processus, et un client de test dont chaque lecture a un délai maximal. Un
//! serveur cassé fait échouer un test, jamais bloquer.

#![allow(dead_code)] // chaque fichier de test n'utilise qu'une partie de ces outils

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lesson05_chat::{Config, listen, serve};
use test_kit::MAX_LINE_BYTES;

/// Délai maximal de chaque lecture, connexion ou attente, et nombre maximal de
/// lignes qu'une attente saute : ceux de tous les tests du cours (crate
/// `test-kit`).
#[allow(unused_imports)] // chaque fichier de test n'en utilise qu'une partie
pub use test_kit::{MAX_LINES, TIMEOUT};

/// Les réglages des tests : sans limite de débit, avec des délais courts.
pub fn test_config() -> Config {
    Config {
        max_rate: 0,
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    }
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

/// Un client de test : la connexion de `test-kit`, dont chaque attente a son
/// échéance (`connect`, `connect_small_buffer`, `send_raw`, `until_closed`…).
pub use test_kit::TaskClient as Client;

/// Ce qu'un client du salon sait faire de plus : s'inscrire, lire des lignes.
#[allow(async_fn_in_trait)] // les tests n'ont pas besoin de futurs `Send`
pub trait Chat: Sized {
    async fn greeted(addr: SocketAddr) -> io::Result<Self>;
    async fn read_prompt(&mut self) -> io::Result<()>;
    async fn join_with_welcome(
        addr: SocketAddr,
        nick: &str,
    ) -> io::Result<(Self, String)>;
    async fn join(addr: SocketAddr, nick: &str) -> io::Result<Self>;
    async fn send(&mut self, line: &str) -> io::Result<()>;
    async fn line(&mut self) -> io::Result<String>;
    async fn expect(&mut self, expected: &str);
    async fn skip_until(
        &mut self,
        wanted: impl Fn(&str) -> bool,
    ) -> io::Result<String>;
}

impl Chat for Client {
    /// Se connecte et lit l'accueil, jusqu'à la question du pseudo.
    async fn greeted(addr: SocketAddr) -> io::Result<Self> {
        let mut client = Client::connect(addr).await?;
        client.read_prompt().await?;
        Ok(client)
    }

    /// Lit les lignes jusqu'à la question du pseudo.
    async fn read_prompt(&mut self) -> io::Result<()> {
        self.skip_until(|line| line.starts_with("*** Votre pseudo ?"))
            .await
            .map(drop)
    }

    /// Se connecte et s'inscrit sous `nick`. Renvoie le client et la ligne de
    /// bienvenue.
    async fn join_with_welcome(
        addr: SocketAddr,
        nick: &str,
    ) -> io::Result<(Self, String)> {
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
    async fn join(addr: SocketAddr, nick: &str) -> io::Result<Self> {
        Ok(Client::join_with_welcome(addr, nick).await?.0)
    }

    /// Envoie une ligne (le `\n` est ajouté).
    async fn send(&mut self, line: &str) -> io::Result<()> {
        self.send_raw(format!("{line}\n").as_bytes()).await
    }

    /// La prochaine ligne, sans son `\n`. Erreur si rien n'arrive à temps ou si le
    /// serveur ferme la connexion.
    async fn line(&mut self) -> io::Result<String> {
        let mut line = self.read_line_bytes(MAX_LINE_BYTES as u64).await?;
        line.pop();
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Vérifie que la prochaine ligne est exactement `expected`.
    async fn expect(&mut self, expected: &str) {
        match self.line().await {
            Ok(line) => assert_eq!(line, expected, "ligne inattendue"),
            Err(err) => panic!("attendu {expected:?}, mais : {err}"),
        }
    }

    /// Lit jusqu'à une ligne qui vérifie `wanted` et la renvoie. Échoue, en disant ce
    /// qu'il a sauté, si elle n'arrive pas parmi les `MAX_LINES` suivantes.
    async fn skip_until(
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
