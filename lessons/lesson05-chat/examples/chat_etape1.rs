//! Leçon 05, étape 1 : le plus court salon de discussion sur tokio.
//!
//! C'est la forme de nombreux tutoriels tokio : une tâche par client, un canal de
//! diffusion (`broadcast`) pour le salon, et un `select!` qui attend à la fois une
//! ligne du client et un message du salon. En une cinquantaine de lignes, tout le
//! monde parle à tout le monde.
//!
//! Ses défauts sont le sujet du chapitre : un client lent PERD des messages sans que
//! personne le sache (le canal écrase les plus anciens), une ligne sans fin fait
//! grossir la mémoire, on ne sait pas qui parle (une adresse, pas un pseudo), et
//! n'importe quel octet passe.
//!
//! `cargo run -p lesson05-chat --example chat_etape1` (écoute sur 127.0.0.1:7777)

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("Étape 1 : salon en écoute sur {addr} (Ctrl+C pour l'arrêter).");
    serve(listener).await
}

// ANCHOR: serve
/// Accepte les clients pour toujours ; chacun a sa tâche, tous partagent le canal du
/// salon.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    // 16 messages d'avance au plus : au-delà, un abonné trop lent perd les plus
    // anciens.
    let (room, _) = broadcast::channel::<(SocketAddr, String)>(16);
    loop {
        let (stream, peer) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            let _ = chat(stream, peer, room).await;
        });
    }
}

/// La vie d'un client : ce qu'il tape part au salon, ce que dit le salon lui est
/// écrit.
async fn chat(
    stream: TcpStream,
    peer: SocketAddr,
    room: broadcast::Sender<(SocketAddr, String)>,
) -> io::Result<()> {
    let mut inbox = room.subscribe();
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line? {
                Some(text) => {
                    let _ = room.send((peer, text));
                }
                None => return Ok(()), // le client est parti
            },
            message = inbox.recv() => match message {
                Ok((from, text)) if from != peer => {
                    writer.write_all(format!("{from}: {text}\n").as_bytes()).await?;
                }
                Ok(_) => {} // notre propre message
                // DÉFAUT : pendant que ce client ne lisait pas, le canal a
                // écrasé `lost` messages. Ils sont perdus, et seul le journal du
                // serveur le sait.
                Err(broadcast::error::RecvError::Lagged(lost)) => {
                    eprintln!("{peer} : {lost} message(s) perdu(s)");
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
}
// ANCHOR_END: serve

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    #[tokio::test]
    async fn un_message_arrive_chez_l_autre() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(serve(listener));
        let mut alice = TcpStream::connect(addr).await?;
        let bob = TcpStream::connect(addr).await?;
        let mut bob = BufReader::new(bob).lines();
        // Que les deux tâches soient abonnées avant d'envoyer : un premier message à
        // bob.
        let greeting = async {
            loop {
                alice.write_all(b"bonjour\n").await?;
                match timeout(Duration::from_millis(200), bob.next_line()).await {
                    Ok(line) => return line,
                    Err(_) => continue, // pas encore abonné : on renvoie
                }
            }
        };
        let line = timeout(Duration::from_secs(5), greeting)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let line = line.expect("une ligne");
        assert!(line.ends_with(": bonjour"), "reçu : {line:?}");
        Ok(())
    }
}
