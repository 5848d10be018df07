//! Outils des tests : le vrai serveur (page, WebSocket et salon) sur 127.0.0.1,
//! ports choisis par le noyau, dans le même processus ; un client TCP (comme `nc`)
//! et un client WebSocket (comme la page), dont chaque attente est bornée.

#![allow(dead_code)] // chaque fichier de test n'utilise qu'une partie de ces outils

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lesson05_chat::{Config, listen};
use lesson08_web::serve;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use test_kit::TaskServer;
pub use test_kit::{MAX_LINES, TIMEOUT};

/// Les réglages des tests : sans limite de débit, fermeture rapide.
pub fn test_config() -> Config {
    Config {
        max_rate: 0,
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    }
}

/// Le serveur lancé dans une tâche (`test-kit`) : l'adresse de la page, celle du
/// salon, et de quoi l'arrêter.
pub struct TestServer {
    pub web: SocketAddr,
    pub chat: SocketAddr,
    task: TaskServer,
}

/// Démarre le serveur : la page sur un port libre, le salon aussi.
pub async fn start(config: Config) -> io::Result<TestServer> {
    start_on("127.0.0.1:0".parse().unwrap(), config).await
}

/// Démarre le serveur avec la page sur `web` (le test du navigateur garde son port :
/// la page doit le retrouver quand le serveur revient), le salon sur un port libre.
pub async fn start_on(web: SocketAddr, config: Config) -> io::Result<TestServer> {
    let (web, chat) = (listen(web)?, listen("127.0.0.1:0".parse().unwrap())?);
    let (web_addr, chat_addr) = (web.local_addr()?, chat.local_addr()?);
    let task = TaskServer::spawn(web_addr, |stop| serve(web, chat, config, stop));
    Ok(TestServer {
        web: web_addr,
        chat: chat_addr,
        task,
    })
}

impl TestServer {
    /// L'`Origin` qu'un navigateur joint quand la page vient de ce serveur.
    pub fn origin(&self) -> String {
        format!("http://{}", self.web)
    }

    /// Déclenche l'arrêt (comme Ctrl+C) et attend que `serve` se termine.
    pub async fn stop(self) -> io::Result<()> {
        self.task.stop().await
    }
}

/// Ce qui se lit ligne à ligne : un client TCP, ou un client WebSocket (une ligne
/// par message).
#[allow(async_fn_in_trait)] // les tests n'en ont pas besoin de `Send`
pub trait ReadLines {
    /// La prochaine ligne ; erreur si rien n'arrive à temps.
    async fn line(&mut self) -> io::Result<String>;

    /// Lit jusqu'à une ligne qui vérifie `wanted`, parmi les `MAX_LINES` suivantes.
    async fn skip_until(
        &mut self,
        wanted: impl Fn(&str) -> bool,
    ) -> io::Result<String> {
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            if wanted(&line) {
                return Ok(line);
            }
        }
        panic!("la ligne attendue n'est pas arrivée en {MAX_LINES} lignes");
    }
}

/// Un client du protocole en lignes, comme `nc`.
pub struct Tcp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// L'attente maximale d'une ligne : TIMEOUT, plus quand la ligne dépend d'un
    /// navigateur (plus lent à réagir sur une machine chargée).
    pub patience: Duration,
}

impl Tcp {
    /// Se connecte au salon et s'inscrit sous `nick`.
    pub async fn join(addr: SocketAddr, nick: &str) -> io::Result<Tcp> {
        let stream = timeout(TIMEOUT, TcpStream::connect(addr)).await??;
        let (reader, writer) = stream.into_split();
        let mut client = Tcp {
            reader: BufReader::new(reader),
            writer,
            patience: TIMEOUT,
        };
        client.send(nick).await?;
        client
            .skip_until(|line| line.starts_with("*** Bienvenue"))
            .await?;
        Ok(client)
    }

    pub async fn send(&mut self, line: &str) -> io::Result<()> {
        let bytes = format!("{line}\n");
        timeout(TIMEOUT, self.writer.write_all(bytes.as_bytes())).await?
    }
}

impl ReadLines for Tcp {
    /// La prochaine ligne, sans son `\n` ; erreur si rien n'arrive à temps.
    async fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        let Ok(read) = timeout(self.patience, self.reader.read_line(&mut line)).await
        else {
            let waited = self.patience;
            return Err(io::Error::other(format!(
                "aucune ligne reçue en {waited:?}"
            )));
        };
        if read? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Un client WebSocket, comme la page : un message texte par ligne.
pub struct Ws {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    /// Ouvre `/ws` avec cet en-tête `Origin` (aucun si `None`).
    pub async fn connect(
        web: SocketAddr,
        origin: Option<&str>,
    ) -> tungstenite::Result<Ws> {
        let mut request = format!("ws://{web}/ws").into_client_request()?;
        if let Some(origin) = origin {
            let value = HeaderValue::from_str(origin).expect("origine valide");
            request.headers_mut().insert("origin", value);
        }
        let connected = timeout(TIMEOUT, tokio_tungstenite::connect_async(request));
        let (socket, _response) = connected
            .await
            .map_err(|_| tungstenite::Error::ConnectionClosed)??;
        Ok(Ws { socket })
    }

    /// Ouvre `/ws` comme la page, avec un tampon de réception minuscule : un client
    /// qui ne lit pas remplit vite les tampons du noyau.
    pub async fn connect_small_buffer(
        server: &TestServer,
    ) -> tungstenite::Result<Ws> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        Ws::handshake(socket, server).await
    }

    /// Ouvre `/ws` comme la page, depuis l'adresse locale `ip` (127.0.0.2, par
    /// exemple : sous Linux, toute la plage 127.0.0.0/8 est la boucle locale).
    pub async fn connect_from(
        server: &TestServer,
        ip: std::net::IpAddr,
    ) -> tungstenite::Result<Ws> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(ip, 0))?;
        Ws::handshake(socket, server).await
    }

    /// La poignée de main WebSocket sur `socket`, avec l'`Origin` de la page.
    async fn handshake(
        socket: tokio::net::TcpSocket,
        server: &TestServer,
    ) -> tungstenite::Result<Ws> {
        let stream = timeout(TIMEOUT, socket.connect(server.web))
            .await
            .map_err(|_| tungstenite::Error::ConnectionClosed)??;
        let mut request = format!("ws://{}/ws", server.web).into_client_request()?;
        let origin = HeaderValue::from_str(&server.origin()).expect("origine valide");
        request.headers_mut().insert("origin", origin);
        let handshake =
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream));
        let (socket, _response) = timeout(TIMEOUT, handshake)
            .await
            .map_err(|_| tungstenite::Error::ConnectionClosed)??;
        Ok(Ws { socket })
    }

    /// Ouvre `/ws` comme la page du serveur, et s'inscrit sous `nick`.
    pub async fn join(server: &TestServer, nick: &str) -> io::Result<Ws> {
        let mut ws = Ws::connect(server.web, Some(&server.origin()))
            .await
            .map_err(io::Error::other)?;
        ws.send(nick).await?;
        ws.skip_until(|line| line.starts_with("*** Bienvenue"))
            .await?;
        Ok(ws)
    }

    pub async fn send(&mut self, line: &str) -> io::Result<()> {
        self.send_message(Message::text(line)).await
    }

    pub async fn send_message(&mut self, message: Message) -> io::Result<()> {
        match timeout(TIMEOUT, self.socket.send(message)).await {
            Ok(sent) => sent.map_err(io::Error::other),
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        }
    }

    /// Le prochain message : `Err` si rien n'arrive à temps ou si la connexion finit.
    pub async fn next(&mut self) -> io::Result<Message> {
        match timeout(TIMEOUT, self.socket.next()).await {
            Ok(Some(Ok(message))) => Ok(message),
            Ok(Some(Err(err))) => Err(io::Error::other(err)),
            Ok(None) => Err(io::ErrorKind::UnexpectedEof.into()),
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        }
    }
}

impl ReadLines for Ws {
    /// La prochaine ligne (message texte) ; erreur pour tout autre message.
    async fn line(&mut self) -> io::Result<String> {
        match self.next().await? {
            Message::Text(text) => Ok(text.as_str().to_owned()),
            other => Err(io::Error::other(format!(
                "attendu du texte, reçu {other:?}"
            ))),
        }
    }
}

impl Ws {
    /// Lit tout ce qui reste, jusqu'à la fermeture (trame ou fin de la connexion) ;
    /// faux si la connexion reste ouverte sans rien envoyer pendant TIMEOUT.
    pub async fn close_frame_or_end(&mut self) -> bool {
        for _ in 0..1_000_000 {
            match self.next().await {
                Ok(Message::Close(_)) => return true,
                Ok(_) => continue,
                Err(err) => return err.kind() != io::ErrorKind::TimedOut,
            }
        }
        false
    }

    /// Lit jusqu'à la trame de fermeture du serveur et la renvoie.
    pub async fn close_frame(&mut self) -> Option<CloseFrame> {
        for _ in 0..MAX_LINES {
            match self.next().await {
                Ok(Message::Close(frame)) => return frame,
                Ok(_) => continue,
                Err(err) => panic!("pas de trame de fermeture, mais : {err}"),
            }
        }
        panic!("pas de trame de fermeture en {MAX_LINES} messages");
    }
}
