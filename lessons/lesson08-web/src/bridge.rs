//! La passerelle : UN WebSocket d'un côté, UNE connexion TCP au salon de l'autre.
//!
//! Chaque message texte du navigateur devient une ligne envoyée au salon ; chaque
//! ligne du salon devient un message texte. Deux tâches indépendantes, une par sens :
//! si l'une attend (le salon ralentit un client trop bavard, ou le navigateur lit
//! lentement), l'autre continue.
//!
//! La passerelle ne garde presque rien en mémoire : une trame à la fois dans chaque
//! sens. Quand le navigateur ne lit plus, elle cesse de lire le salon ; la socket
//! TCP se remplit, et c'est la file d'envoi du salon, comptée en octets (leçon 05),
//! qui décide, avec les mêmes limites que pour `nc`, de déconnecter ce lecteur.
//! Pour que la passerelle ne devienne pas une seconde file, cachée et sans limite,
//! les tampons du noyau sont petits et fixes de son côté aussi.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use lesson05_chat::ChatServer;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;
use tokio_util::codec::{FramedRead, LinesCodec};
use tracing::info;

use crate::{CLOSE_GRACE, MAX_MESSAGE};

/// Délai pour joindre le salon (sur cette machine, c'est immédiat).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Tampon de réception de la connexion au salon : petit, pour que ce que le
/// navigateur ne lit pas reste dans la file du salon, là où il est compté.
const RECEIVE_BUFFER: usize = 16 * 1024;

/// Une trame que le navigateur n'a pas prise après ce délai : il ne lit plus rien
/// (le salon l'aura déjà déconnecté, s'il lui devait assez d'octets). On ferme
/// plutôt que d'attendre sans fin.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

// ANCHOR: bridge
/// Relie le WebSocket `socket` (le navigateur `peer`) au salon `room`.
pub(crate) async fn bridge(socket: WebSocket, room: ChatServer, peer: SocketAddr) {
    let (mut sink, frames) = socket.split();
    let tcp = match timeout(CONNECT_TIMEOUT, enter(&room, peer)).await {
        Ok(Ok(tcp)) => tcp,
        _ => {
            let refusal = close(close_code::ERROR, "Le salon ne répond pas.");
            let _ = timeout(CLOSE_GRACE, sink.send(refusal)).await;
            return;
        }
    };
    // Pas d'algorithme de Nagle : une ligne de chat part tout de suite (leçon 05).
    let _ = tcp.set_nodelay(true);
    if let Ok(local) = tcp.local_addr() {
        info!("WebSocket de {peer} relié au salon (connexion {local})");
    }
    let (from_room, to_room) = tcp.into_split();
    // Le sens montant dit au sens descendant comment finir : le navigateur est
    // parti (`None`), ou il a envoyé ce qu'on refuse (une trame de fermeture).
    let (verdict, verdict_rx) = oneshot::channel();
    let up = browser_to_room(frames, to_room, verdict);
    let down = room_to_browser(from_room, sink, verdict_rx);
    tokio::pin!(up, down);
    // Quand un sens est fini, l'autre a un temps borné pour finir aussi.
    tokio::select! {
        () = &mut up => { let _ = timeout(CLOSE_GRACE, down).await; }
        () = &mut down => { let _ = timeout(CLOSE_GRACE, up).await; }
    }
    info!("WebSocket de {peer} fermé");
}
// ANCHOR_END: bridge

// ANCHOR: enter
/// Ouvre une connexion TCP sur la boucle locale et en confie l'autre bout au salon,
/// AU NOM du navigateur `peer` (`ChatServer::admit`) : les limites du salon (places
/// par adresse, arrivées, essais de `/oper`) comptent ainsi chaque navigateur à son
/// adresse, au lieu de les voir tous venir de 127.0.0.1, l'adresse de la passerelle.
///
/// Notre côté a un petit tampon de réception, réglé AVANT `connect` : la taille de
/// la fenêtre TCP s'annonce pendant la poignée de main.
async fn enter(room: &ChatServer, peer: SocketAddr) -> io::Result<TcpStream> {
    let door = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(RECEIVE_BUFFER as u32)?;
    let ours = socket.connect(door.local_addr()?).await?;
    let expected = ours.local_addr()?;
    loop {
        let (theirs, from) = door.accept().await?;
        // Un autre programme de la machine pourrait se glisser sur ce port entre
        // `bind` et `connect` : seule NOTRE connexion entre dans le salon.
        if from == expected {
            room.admit(theirs, peer);
            return Ok(ours);
        }
    }
}
// ANCHOR_END: enter

// ANCHOR: up
/// Du navigateur vers le salon : un message texte, une ligne.
async fn browser_to_room(
    mut frames: SplitStream<WebSocket>,
    mut room: OwnedWriteHalf,
    verdict: oneshot::Sender<Option<Message>>,
) {
    let refusal = loop {
        let frame = match frames.next().await {
            // Fin du flux : le navigateur a fermé, ou la connexion est coupée.
            None | Some(Ok(Message::Close(_))) => break None,
            Some(Ok(frame)) => frame,
            Some(Err(err)) => break Some(refuse(err)),
        };
        let text = match frame {
            Message::Text(text) => text,
            Message::Binary(_) => {
                break Some(close(
                    close_code::UNSUPPORTED,
                    "Messages texte seulement : une ligne du salon par message.",
                ));
            }
            // tungstenite répond lui-même aux « ping ».
            _ => continue,
        };
        // `write_all` attend si le salon ne lit plus ce client (trop rapide) : on
        // cesse alors de lire le navigateur, et TCP le fait attendre à son tour.
        if room.write_all(one_line(&text).as_bytes()).await.is_err() {
            break None;
        }
    };
    // FIN vers le salon : il annonce le départ aux autres, comme pour `nc`.
    let _ = room.shutdown().await;
    let _ = verdict.send(refusal);
}

/// Un message = une ligne : un saut de ligne DANS le message en ferait deux pour le
/// salon ; il devient `�`, comme tout caractère de contrôle (leçon 05).
fn one_line(text: &str) -> String {
    let mut line = text.replace(['\r', '\n'], "\u{FFFD}");
    line.push('\n');
    line
}
// ANCHOR_END: up

// ANCHOR: down
/// Du salon vers le navigateur : une ligne, un message texte.
async fn room_to_browser(
    from_room: OwnedReadHalf,
    mut sink: SplitSink<WebSocket, Message>,
    verdict: oneshot::Receiver<Option<Message>>,
) {
    let mut lines =
        FramedRead::new(from_room, LinesCodec::new_with_max_length(MAX_MESSAGE));
    tokio::pin!(verdict);
    let last = loop {
        let line = tokio::select! {
            line = lines.next() => line,
            refusal = &mut verdict => match refusal {
                Ok(Some(refusal)) => break refusal,
                // Le navigateur est parti, ou a fermé : on achève la fermeture
                // (tungstenite répond à sa trame de fermeture), sans rien ajouter.
                _ => {
                    let _ = timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            },
        };
        let Some(Ok(line)) = line else {
            // Le salon a fermé (au revoir, expulsion, arrêt) : on ferme aussi.
            break Message::Close(None);
        };
        let sent = timeout(SEND_TIMEOUT, sink.send(Message::Text(line.into()))).await;
        if !matches!(sent, Ok(Ok(()))) {
            return;
        }
    };
    let _ = timeout(CLOSE_GRACE, sink.send(last)).await;
}
// ANCHOR_END: down

/// Une trame de fermeture : un code (RFC 6455, § 7.4) et une raison lisible.
fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// La réponse à une trame que tungstenite a refusée : trop longue, ou mal formée.
fn refuse(err: axum::Error) -> Message {
    let too_long = err
        .into_inner()
        .downcast_ref::<tungstenite::Error>()
        .is_some_and(|err| matches!(err, tungstenite::Error::Capacity(_)));
    if too_long {
        close(
            close_code::SIZE,
            "Message trop long (plus de 64 Kio) : fermeture.",
        )
    } else {
        close(
            close_code::PROTOCOL,
            "Trame WebSocket invalide : fermeture.",
        )
    }
}
