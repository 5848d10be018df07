//! Les outils des tests des serveurs tokio (leçons 05, 07, 08) : le serveur lancé
//! dans une tâche du test, et un client dont chaque attente a une échéance.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::TIMEOUT;

/// Le signal d'arrêt que reçoit le serveur : il se termine quand le test appelle
/// [`TaskServer::stop`], comme à un Ctrl+C.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Un vrai serveur, lancé dans une tâche de ce processus : son adresse, et de quoi
/// l'arrêter.
pub struct TaskServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl TaskServer {
    /// Lance `serve(arrêt)` dans une tâche ; `addr` : celle où il écoute.
    pub fn spawn<S>(addr: SocketAddr, serve: impl FnOnce(Shutdown) -> S) -> TaskServer
    where
        S: Future<Output = io::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown: Shutdown = Box::pin(async {
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve(shutdown));
        TaskServer { addr, stop, task }
    }

    /// Déclenche l'arrêt propre et attend, au plus `TIMEOUT * 2`, que le serveur se
    /// termine : s'il panique ou ne s'arrête pas, le test échoue.
    pub async fn stop(self) -> io::Result<()> {
        let _ = self.stop.send(());
        match timeout(TIMEOUT * 2, self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => panic!("le serveur a paniqué : {panic}"),
            Err(_) => panic!("le serveur ne s'est pas arrêté à temps"),
        }
    }
}

/// Une connexion de test : ses deux moitiés, chaque lecture et chaque écriture avec
/// une échéance.
pub struct TaskClient {
    pub reader: BufReader<OwnedReadHalf>,
    pub writer: OwnedWriteHalf,
}

impl TaskClient {
    /// Se connecte, sans rien lire ni envoyer.
    pub async fn connect(addr: SocketAddr) -> io::Result<TaskClient> {
        let stream = timeout(TIMEOUT, TcpStream::connect(addr)).await??;
        Ok(TaskClient::from_stream(stream))
    }

    /// Se connecte avec un tampon de réception minuscule (réglé avant `connect`) :
    /// un client qui ne lit pas remplit alors vite les tampons du noyau.
    pub async fn connect_small_buffer(addr: SocketAddr) -> io::Result<TaskClient> {
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let stream = timeout(TIMEOUT, socket.connect(addr)).await??;
        Ok(TaskClient::from_stream(stream))
    }

    /// Sans l'algorithme de Nagle : chaque ligne du test part tout de suite.
    pub fn from_stream(stream: TcpStream) -> TaskClient {
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let (reader, writer) = stream.into_split();
        TaskClient {
            reader: BufReader::new(reader),
            writer,
        }
    }

    /// Envoie des octets tels quels, en un seul `write_all`.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        timeout(TIMEOUT, self.writer.write_all(bytes)).await?
    }

    /// Lit jusqu'au prochain `\n` compris, au plus `max` octets. Erreur si rien
    /// n'arrive à temps, ou si la connexion se ferme avant le `\n`.
    pub async fn read_line_bytes(&mut self, max: u64) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let mut limited = (&mut self.reader).take(max);
        let read = timeout(TIMEOUT, limited.read_until(b'\n', &mut line)).await??;
        if read == 0 || !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connexion fermée (reçu en dernier : {line:?})"),
            ));
        }
        Ok(line)
    }
}

/// Ce qu'un client qui ne lisait plus peut trouver au plus dans ses tampons, en
/// lignes, quand il se remet à lire : la file d'envoi d'un serveur (1 Mio au plus)
/// et les tampons du noyau. Une borne large, qui ne sert qu'à ne jamais lire sans
/// fin.
pub const MAX_BACKLOG: usize = 200_000;

impl TaskClient {
    /// Lit tout jusqu'à la fermeture par le serveur et rend les lignes reçues (sans
    /// fin de ligne). Échoue si la connexion reste ouverte `TIMEOUT` sans rien
    /// envoyer, ou après [`MAX_BACKLOG`] lignes.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while lines.len() < MAX_BACKLOG {
            let mut line = Vec::new();
            match timeout(TIMEOUT, self.reader.read_until(b'\n', &mut line)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return lines,
                Ok(Ok(_)) => {
                    lines.push(String::from_utf8_lossy(&line).trim_end().to_owned())
                }
                Err(_) => panic!("la connexion reste ouverte ; reçu : {lines:?}"),
            }
        }
        let last = &lines[lines.len() - 5..];
        panic!(
            "pas de fermeture après {MAX_BACKLOG} lignes ; les dernières : {last:?}"
        );
    }
}

/// Après une rafale, ce qu'un client a reçu de chacun des autres (les numéros de
/// leurs lignes, dans l'ordre d'arrivée) : `senders` émetteurs, chacun avec ses
/// `lines` lignes, toutes, dans l'ordre, sans trou. C'est la promesse d'un salon qui
/// ralentit les bavards au lieu de jeter leurs lignes.
pub fn assert_complete_in_order(
    by_sender: &std::collections::HashMap<String, Vec<u32>>,
    senders: usize,
    lines: u32,
) {
    assert_eq!(by_sender.len(), senders, "un message de chacun des autres");
    let expected: Vec<u32> = (0..lines).collect();
    for (sender, numbers) in by_sender {
        assert_eq!(
            numbers, &expected,
            "de {sender} : tout, dans l'ordre, sans trou"
        );
    }
}
