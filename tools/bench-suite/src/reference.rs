//! Les serveurs de référence du comparatif, écrits au plus court.
//!
//! - [`serve_mio_echo`] : la limite physique. Une boucle epoll (via mio) sur un seul
//!   thread, qui ne fait RIEN d'autre que lire et réécrire : chaque serveur des
//!   leçons se lit en « combien de fois plus cher que ça ».
//! - [`serve_tokio_echo`] : le même écho en tokio, une tâche par client.
//! - [`serve_tokio_chat`] : un chat construit comme `examples/chat.rs` de tokio : une
//!   file NON bornée par client et UNE écriture (donc un appel système) par ligne.
//!   Une seule différence : au lieu de demander un nom, il salue chaque arrivée d'un
//!   « *** Bienvenue », comme les leçons : le générateur sait ainsi que le client est
//!   inscrit.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use mio::net::{TcpListener as MioListener, TcpStream as MioStream};
use mio::{Events, Interest, Poll, Token};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

const LISTENER: Token = Token(usize::MAX);

/// Un client de l'écho mio : sa socket et les octets qu'il reste à lui renvoyer.
struct EchoClient {
    stream: MioStream,
    unsent: Vec<u8>,
}

// ANCHOR: mio_echo
/// Écho epoll minimal : un thread, un tampon de lecture partagé, aucune allocation
/// par message. Un écho qui ne part pas en entier attend l'événement WRITABLE.
pub fn serve_mio_echo(listener: TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut clients: HashMap<Token, EchoClient> = HashMap::new();
    let mut next_token = 0;
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        for event in &events {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut clients, &mut next_token)?;
                continue;
            }
            let token = event.token();
            let Some(client) = clients.get_mut(&token) else {
                continue;
            };
            if !pump_echo(client, &mut buffer) {
                if let Some(mut gone) = clients.remove(&token) {
                    poll.registry().deregister(&mut gone.stream)?;
                }
            }
        }
    }
}
// ANCHOR_END: mio_echo

fn accept_all(
    listener: &MioListener,
    poll: &Poll,
    clients: &mut HashMap<Token, EchoClient>,
    next_token: &mut usize,
) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nodelay(true);
                let token = Token(*next_token);
                *next_token += 1;
                poll.registry().register(
                    &mut stream,
                    token,
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                let unsent = Vec::new();
                clients.insert(token, EchoClient { stream, unsent });
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(()),
            // Trop de fichiers ouverts, connexion avortée… : on garde le serveur
            // debout.
            Err(_) => return Ok(()),
        }
    }
}

/// Lit tout ce qui est arrivé et le renvoie. Renvoie `false` quand le client est
/// parti.
fn pump_echo(client: &mut EchoClient, buffer: &mut [u8]) -> bool {
    loop {
        if !client.unsent.is_empty() {
            match client.stream.write(&client.unsent) {
                Ok(written) => {
                    client.unsent.drain(..written);
                    continue;
                }
                // Tampon d'envoi plein : on ne lit plus ce client tant qu'il ne lit
                // pas.
                Err(err) if err.kind() == ErrorKind::WouldBlock => return true,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
        let received = match client.stream.read(buffer) {
            Ok(0) => return false,
            Ok(received) => received,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        match client.stream.write(&buffer[..received]) {
            Ok(written) => {
                client.unsent.extend_from_slice(&buffer[written..received])
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                client.unsent.extend_from_slice(&buffer[..received]);
            }
            Err(_) => return false,
        }
    }
}

/// Démarre un environnement tokio et y fait tourner `server`.
pub(crate) fn run_tokio<F: Future<Output = io::Result<()>>>(
    server: F,
) -> io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(server)
}

// ANCHOR: tokio_echo
/// Écho tokio : une tâche par client, un tampon de 4 Kio par tâche.
pub fn serve_tokio_echo(listener: TcpListener) -> io::Result<()> {
    run_tokio(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while let Ok(received @ 1..) = stream.read(&mut buffer).await {
                    if stream.write_all(&buffer[..received]).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}
// ANCHOR_END: tokio_echo

type Peers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Arc<str>>>>>;

// ANCHOR: tokio_chat
/// Chat tokio « à la `examples/chat.rs` » : chaque client a une file NON bornée ;
/// chaque ligne relayée coûte une écriture, donc un appel système, par destinataire.
pub fn serve_tokio_chat(listener: TcpListener) -> io::Result<()> {
    run_tokio(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let peers: Peers = Arc::default();
        loop {
            let Ok((stream, addr)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(chat_client(stream, addr, Arc::clone(&peers)));
        }
    })
}

async fn chat_client(stream: tokio::net::TcpStream, addr: SocketAddr, peers: Peers) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let (sender, mut queue) = mpsc::unbounded_channel::<Arc<str>>();
    let _ = sender.send("*** Bienvenue\n".into());
    lock(&peers).insert(addr, sender);
    loop {
        tokio::select! {
            Some(line) = queue.recv() => {
                if writer.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
            }
            // `next_line` peut être abandonné par select! sans rien perdre.
            received = lines.next_line() => {
                let Ok(Some(text)) = received else { break };
                let line: Arc<str> = format!("{addr}: {text}\n").into();
                for (peer, queue) in lock(&peers).iter() {
                    if *peer != addr {
                        let _ = queue.send(Arc::clone(&line));
                    }
                }
            }
        }
    }
    lock(&peers).remove(&addr);
}
// ANCHOR_END: tokio_chat

/// Un verrou empoisonné (panique d'une autre tâche) ne doit pas arrêter le serveur.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
