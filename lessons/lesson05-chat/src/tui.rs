//! Le client plein écran : les messages défilent en haut, la saisie reste en bas, et
//! une ligne qui arrive pendant qu'on tape ne coupe plus le texte en cours.
//!
//! Le client ligne à ligne ([`crate::client`]) écrit chaque ligne reçue là où se
//! trouve le curseur du terminal : au milieu de ce qu'on tape (« je suis en train
//! d'écrbob: coucou »). Ici, le programme dessine lui-même tout l'écran avec
//! ratatui : le terminal passe en mode « brut » (chaque touche arrive tout de suite,
//! sans écho ni ligne à éditer par le terminal) et sur l'écran alternatif (celui des
//! éditeurs : en partant, on retrouve le terminal tel qu'il était).
//!
//! Quatre fichiers : `app.rs` (l'état et les touches, sans terminal ni réseau),
//! `view.rs` (le dessin), `editor.rs` et `message.rs` (la saisie, les lignes reçues).
//! Ici : la boucle qui relie clavier, réseau et écran.

mod app;
mod editor;
mod message;
mod view;

use std::future::Future;
use std::io;

use crossterm::event::{Event, EventStream};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::FramedRead;

pub use app::{Action, App, Link};
pub use message::Message;
pub use view::{draw, message_rows, nick_color};

use crate::client::{ClientEnd, MAX_SERVER_LINE, QUIT_DELAY, displayable};
use crate::protocol::LineCodec;
use lesson01_echo::is_disconnection;

/// Lignes tapées qui attendent la tâche d'écriture. Un humain n'en remplit pas
/// autant ; si c'est plein, le serveur ne lit plus (voir [`run_ui`]).
const OUTGOING: usize = 64;

// ANCHOR: run_tui
/// Lance l'interface plein écran sur le vrai terminal, et le rend TOUJOURS dans son
/// état normal en partant : fin normale, erreur (par le `Drop` de `Restore`) ou
/// panique (`ratatui::try_init` installe un crochet de panique qui le fait aussi).
///
/// `stop` : un signal d'arrêt (SIGTERM). Ctrl+C, lui, n'est plus un signal en mode
/// brut : c'est une touche comme une autre, traitée par [`App::on_key`].
pub async fn run_tui(
    stream: TcpStream,
    nick: Option<&str>,
    stop: impl Future<Output = ()>,
) -> io::Result<ClientEnd> {
    let mut terminal = ratatui::try_init().inspect_err(|_| ratatui::restore())?;
    let _restore = Restore;
    run_ui(&mut terminal, EventStream::new(), stream, nick, stop).await
}

/// Rend au terminal son mode normal quand elle disparaît, même sur une erreur (`?`).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
// ANCHOR_END: run_tui

// ANCHOR: run_ui
/// La boucle : dessiner, puis attendre la première de ces choses, avec `select!` :
/// une ligne du serveur, une touche, l'échéance après `/quit`, un signal d'arrêt.
///
/// Le terminal (`Backend`) et les touches (`keys`) sont des paramètres : le
/// programme passe le vrai terminal et le flux de crossterm, un test un écran en
/// mémoire et des touches écrites d'avance.
///
/// Pourquoi un flux de touches (`EventStream`) plutôt qu'un thread qui lit le
/// clavier : une seule boucle, la même forme que le client ligne à ligne, et rien à
/// arrêter en partant. Les écritures, elles, passent par une tâche à part : si le
/// serveur ne lit plus (il ralentit un client trop rapide, voir `rate_limit.rs`),
/// c'est elle qui attend, et l'écran continue de répondre (Échap marche toujours).
pub async fn run_ui<B: Backend>(
    terminal: &mut Terminal<B>,
    mut keys: impl Stream<Item = io::Result<Event>> + Unpin,
    stream: TcpStream,
    nick: Option<&str>,
    stop: impl Future<Output = ()>,
) -> io::Result<ClientEnd> {
    let mut app = App::new(stream.peer_addr()?.to_string());
    let (reader, writer) = stream.into_split();
    // Le même découpeur que le serveur, avec une limite : un serveur hostile ne
    // remplit pas la mémoire du client avec une ligne sans fin.
    let mut incoming = FramedRead::new(reader, LineCodec::new(MAX_SERVER_LINE));
    let (outgoing, receiver) = mpsc::channel::<String>(OUTGOING);
    let writing = tokio::spawn(write_lines(writer, receiver));
    if let Some(nick) = nick {
        send(&outgoing, &mut app, nick.to_owned());
    }
    tokio::pin!(stop);
    let mut leaving: Option<Instant> = None;
    let end = loop {
        terminal.draw(|frame| draw(frame, &app))?;
        app.set_page(message_rows(terminal.size()?.height));
        if leaving.is_none() && app.link() == Link::Leaving {
            leaving = Some(Instant::now() + QUIT_DELAY);
        }
        let deadline = leaving.unwrap_or_else(|| Instant::now() + QUIT_DELAY);
        let connected = app.link() != Link::Closed;
        tokio::select! {
            received = incoming.next(), if connected => match received {
                Some(Ok(line)) => {
                    if let Some(request) = app.on_line(&displayable(line)) {
                        ask(&outgoing, &mut app, request);
                    }
                }
                Some(Err(err)) if !is_disconnection(&err) => return Err(err),
                // Fin du flux (0 octet) ou coupure (RST) : après notre /quit, c'est
                // la fin attendue ; sinon l'écran reste, pour qu'on lise pourquoi.
                _ if leaving.is_some() => break ClientEnd::Quit,
                _ => app.on_closed(),
            },
            key = keys.next() => match key {
                Some(Ok(Event::Key(key))) => match app.on_key(key) {
                    Action::Nothing => {}
                    Action::Send(line) => send(&outgoing, &mut app, line),
                    Action::Quit => break end_of(&app),
                },
                // Redimensionnement, souris… : on redessine, c'est tout.
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => break end_of(&app),
            },
            () = sleep_until(deadline), if leaving.is_some() => break ClientEnd::Quit,
            () = &mut stop => break end_of(&app),
        }
    };
    // Échap ou Ctrl+C dans le salon : on part poliment, par /quit.
    if matches!(app.link(), Link::InRoom | Link::Registering) {
        let _ = outgoing.try_send("/quit".to_owned());
    }
    drop(outgoing);
    // La tâche d'écriture envoie ce qui reste, puis FIN ; on ne l'attend pas plus
    // que QUIT_DELAY si le serveur ne lit plus.
    let _ = tokio::time::timeout(QUIT_DELAY, writing).await;
    Ok(end)
}
// ANCHOR_END: run_ui

/// Comment finit la session quand on quitte : le serveur était-il déjà parti ?
fn end_of(app: &App) -> ClientEnd {
    match app.link() {
        Link::Closed => ClientEnd::ServerClosed,
        _ => ClientEnd::Quit,
    }
}

// ANCHOR: send
/// Confie une ligne à la tâche d'écriture, sans jamais attendre : si sa file est
/// pleine, le serveur ne lit plus nos lignes, et celle-ci revient dans la saisie.
fn send(outgoing: &mpsc::Sender<String>, app: &mut App, line: String) {
    match outgoing.try_send(line.clone()) {
        Ok(()) => app.sent(&line),
        Err(_) => app.not_sent(line),
    }
}

/// Envoie une demande de ce client (`/who`) ; si elle ne peut pas partir, la
/// prochaine arrivée ou le prochain départ la refera.
fn ask(outgoing: &mpsc::Sender<String>, app: &mut App, request: String) {
    if outgoing.try_send(request).is_err() {
        app.request_lost();
    }
}

/// La seule à écrire sur la socket : une ligne après l'autre, puis FIN quand la
/// boucle a fini (le canal se ferme).
async fn write_lines(mut writer: OwnedWriteHalf, mut lines: mpsc::Receiver<String>) {
    while let Some(mut line) = lines.recv().await {
        line.push('\n');
        if writer.write_all(line.as_bytes()).await.is_err() {
            return; // le serveur est parti : la lecture le dira
        }
    }
    let _ = writer.shutdown().await;
}
// ANCHOR_END: send
