//! Leçon 05, étape 2 : une file par client, comptée en octets.
//!
//! L'étape 1 diffusait par un canal `broadcast`, qui écrase sans le dire les
//! messages qu'un client lent n'a pas encore lus. Ici, chaque client a sa propre
//! file (`mpsc`) et un compteur des octets qui y attendent : aucun message n'est
//! écrasé. Un client dont la file dépasserait `BUDGET` ne lit plus : il est
//! déconnecté, et les autres en sont prévenus. La mémoire reste bornée, et personne
//! ne perd rien sans le savoir.
//!
//! Ce qui manque encore, et que la leçon ajoute : les pseudos, la limite de débit,
//! des lignes bornées, la neutralisation du texte, les commandes, l'historique,
//! l'arrêt propre.
//!
//! `cargo run -p lesson05-chat --example chat_etape2` (écoute sur 127.0.0.1:7777)

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Au-delà de ce nombre d'octets en attente pour lui, un client est déconnecté.
const BUDGET: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("Étape 2 : salon en écoute sur {addr} (Ctrl+C pour l'arrêter).");
    serve(listener).await
}

// ANCHOR: room
/// Ce que le salon sait d'un client : sa file, les octets qui y attendent, et la
/// tâche qui la vide dans la socket.
struct Member {
    queue: mpsc::UnboundedSender<Arc<str>>,
    queued: Arc<AtomicUsize>,
    writer: JoinHandle<()>,
}

type Room = Arc<Mutex<HashMap<SocketAddr, Member>>>;

/// Accepte les clients pour toujours ; chacun a sa tâche et sa file.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let room = Room::default();
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(chat(stream, peer, room.clone()));
    }
}

/// La vie d'un client : sa file est vidée par une tâche à part (l'écrivain), si bien
/// qu'un client qui ne lit pas ne bloque que son propre écrivain.
async fn chat(stream: TcpStream, peer: SocketAddr, room: Room) {
    let (reader, writer) = stream.into_split();
    let (queue, incoming) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn(write_queue(writer, incoming, queued.clone()));
    let member = Member {
        queue,
        queued,
        writer,
    };
    room.lock().unwrap().insert(peer, member);
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(text)) = lines.next_line().await {
        broadcast(&room, peer, &format!("{peer}: {text}\n"));
    }
    // Parti : sa file se ferme, son écrivain envoie ce qui reste puis s'arrête.
    room.lock().unwrap().remove(&peer);
}

/// Vide la file dans la socket ; chaque ligne écrite sort du compte.
async fn write_queue(
    mut writer: OwnedWriteHalf,
    mut incoming: mpsc::UnboundedReceiver<Arc<str>>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(line) = incoming.recv().await {
        if writer.write_all(line.as_bytes()).await.is_err() {
            return;
        }
        queued.fetch_sub(line.len(), Ordering::Relaxed);
    }
}
// ANCHOR_END: room

// ANCHOR: broadcast
/// Dépose la ligne (formatée une fois, partagée par un `Arc`) dans la file de chacun
/// des autres. Un client dont la file dépasserait `BUDGET` ne lit plus : son écrivain
/// est arrêté, ce qui ferme sa connexion (FIN), et les autres sont prévenus.
fn broadcast(room: &Room, from: SocketAddr, line: &str) {
    let line: Arc<str> = Arc::from(line);
    let mut members = room.lock().unwrap();
    let mut too_slow = Vec::new();
    for (&addr, member) in members.iter() {
        if addr == from {
            continue;
        }
        let queued = member.queued.fetch_add(line.len(), Ordering::Relaxed);
        if queued + line.len() > BUDGET {
            too_slow.push(addr);
        } else {
            let _ = member.queue.send(line.clone());
        }
    }
    for addr in too_slow {
        if let Some(member) = members.remove(&addr) {
            member.writer.abort();
            let notice =
                format!("*** {addr} ne lisait plus ses messages : déconnecté(e).\n");
            let notice: Arc<str> = Arc::from(notice);
            for other in members.values() {
                other.queued.fetch_add(notice.len(), Ordering::Relaxed);
                let _ = other.queue.send(notice.clone());
            }
        }
    }
}
// ANCHOR_END: broadcast

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;
    use tokio::time::timeout;

    const LIMIT: Duration = Duration::from_secs(10);

    fn timed_out(_: tokio::time::error::Elapsed) -> io::Error {
        io::Error::from(io::ErrorKind::TimedOut)
    }

    /// Un salon, deux clients : renvoie quand `bob` a reçu un premier message d'alice
    /// (les deux sont alors inscrits). Le tampon de réception de bob est petit : s'il
    /// cesse de lire, c'est la file du serveur qui se remplit, pas son noyau.
    async fn two_members() -> io::Result<(TcpStream, BufReader<TcpStream>)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(serve(listener));
        let mut alice = TcpStream::connect(addr).await?;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let mut bob = BufReader::new(socket.connect(addr).await?);
        let mut line = String::new();
        for _ in 0..50 {
            alice.write_all(b"bonjour\n").await?;
            let wait = Duration::from_millis(200);
            if let Ok(read) = timeout(wait, bob.read_line(&mut line)).await {
                read?;
                break;
            }
        }
        assert!(line.ends_with(": bonjour\n"), "reçu : {line:?}");
        Ok((alice, bob))
    }

    #[tokio::test]
    async fn une_rafale_arrive_entiere_et_dans_l_ordre() -> io::Result<()> {
        let (mut alice, mut bob) = two_members().await?;
        let sending = tokio::spawn(async move {
            for number in 0..2000 {
                alice.write_all(format!("{number}\n").as_bytes()).await?;
            }
            io::Result::Ok(alice)
        });
        for expected in 0..2000 {
            let mut line = String::new();
            timeout(LIMIT, bob.read_line(&mut line))
                .await
                .map_err(timed_out)??;
            if line.ends_with(": bonjour\n") {
                // un « bonjour » de trop, envoyé pendant l'inscription
                line.clear();
                timeout(LIMIT, bob.read_line(&mut line))
                    .await
                    .map_err(timed_out)??;
            }
            assert!(
                line.ends_with(&format!(": {expected}\n")),
                "reçu : {line:?}"
            );
        }
        sending.await.expect("l'envoi")?;
        Ok(())
    }

    #[tokio::test]
    async fn un_client_qui_ne_lit_plus_est_deconnecte_et_les_autres_prevenus()
    -> io::Result<()> {
        let (mut alice, bob) = two_members().await?;
        // bob ne lit plus rien ; alice envoie bien plus que BUDGET et que tout ce que
        // les tampons du noyau peuvent garder.
        let line = format!("{}\n", "x".repeat(999));
        let sending = tokio::spawn(async move {
            for _ in 0..(20 * BUDGET / line.len()) {
                alice.write_all(line.as_bytes()).await?;
            }
            io::Result::Ok(alice)
        });
        let alice = timeout(LIMIT, sending)
            .await
            .map_err(timed_out)?
            .expect("l'envoi")?;
        // alice est prévenue du départ de bob.
        let mut alice = BufReader::new(alice);
        let mut notice = String::new();
        for _ in 0..10 {
            notice.clear();
            timeout(LIMIT, alice.read_line(&mut notice))
                .await
                .map_err(timed_out)??;
            if notice.contains("ne lisait plus ses messages") {
                break;
            }
        }
        assert!(notice.starts_with("*** 127.0.0.1:"), "reçu : {notice:?}");
        assert!(
            notice.contains("ne lisait plus ses messages"),
            "reçu : {notice:?}"
        );
        // La connexion de bob finit par un FIN, après ce qui lui était parvenu.
        let mut bob = bob.into_inner();
        let mut sink = vec![0u8; 64 * 1024];
        let mut received = 0;
        loop {
            let read = timeout(LIMIT, bob.read(&mut sink))
                .await
                .map_err(timed_out)??;
            if read == 0 {
                break;
            }
            received += read;
            assert!(
                received < 40 * BUDGET,
                "la connexion de bob ne se ferme pas"
            );
        }
        drop(alice);
        Ok(())
    }
}
