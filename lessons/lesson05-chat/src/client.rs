//! Le client du salon : ce que l'utilisateur tape part vers le serveur, ce que le
//! serveur envoie s'affiche, les deux EN MÊME TEMPS.
//!
//! Le client du document 01 y arrive avec deux threads ; celui du document 02 n'y
//! arrive pas (il attend une réponse après chaque envoi, et ne voit donc rien pendant
//! qu'on tape). Ici, une seule tâche tokio attend les deux sources avec `select!`.

use std::io;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::FramedRead;

use crate::protocol::{Command, Line, LineCodec, parse_line, sanitize};
use lesson01_echo::is_disconnection;

/// Longueur maximale d'une ligne reçue du serveur (la liste de `/who` peut être
/// longue).
pub const MAX_SERVER_LINE: usize = 1024 * 1024;

/// Après `/quit`, temps laissé au serveur pour dire au revoir et fermer.
pub(crate) const QUIT_DELAY: Duration = Duration::from_secs(2);

/// Pourquoi la session du client s'est terminée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// L'utilisateur est parti : `/quit`, `exit` ou fin de l'entrée (Ctrl+D).
    Quit,
    /// Le serveur a fermé la connexion.
    ServerClosed,
}

// ANCHOR: client
/// Relie `input` (le clavier) et `output` (l'écran) au serveur, jusqu'à la fin de la
/// session.
///
/// Avec `nick`, le pseudo est envoyé tout de suite ; sans, l'utilisateur répond
/// lui-même à la question du serveur. `input` et `output` sont génériques : le
/// programme passe le clavier et l'écran, les tests des tampons en mémoire.
pub async fn run_client(
    stream: TcpStream,
    nick: Option<&str>,
    input: impl AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> io::Result<ClientEnd> {
    let (reader, mut writer) = stream.into_split();
    // Le même découpeur que le serveur : une ligne sans fin envoyée par un serveur
    // hostile ne remplira pas la mémoire du client non plus.
    let mut incoming = FramedRead::new(reader, LineCodec::new(MAX_SERVER_LINE));
    // `split(b'\n')` rend des octets, sans exiger d'UTF-8 : c'est le serveur qui
    // juge.
    let mut typed = input.split(b'\n');
    if let Some(nick) = nick {
        writer.write_all(format!("{nick}\n").as_bytes()).await?;
    }
    // Après `/quit`, on n'écoute plus le clavier, et on n'attend le serveur que
    // QUIT_DELAY.
    let mut leaving: Option<Instant> = None;
    loop {
        let deadline = leaving.unwrap_or_else(|| Instant::now() + QUIT_DELAY);
        tokio::select! {
            received = incoming.next() => match received {
                Some(Ok(line)) => show(&mut output, line).await?,
                Some(Err(err)) if !is_disconnection(&err) => return Err(err),
                // Fin du flux (0 octet) ou coupure brutale (RST).
                _ => return closed(&mut output, leaving.is_some()).await,
            },
            typed_line = typed.next_segment(), if leaving.is_none() => {
                let mut line = typed_line?.unwrap_or_else(|| b"/quit".to_vec());
                if is_quit(&line) {
                    leaving = Some(Instant::now() + QUIT_DELAY);
                }
                line.push(b'\n');
                if let Err(err) = writer.write_all(&line).await {
                    if !is_disconnection(&err) {
                        return Err(err);
                    }
                    return closed(&mut output, leaving.is_some()).await;
                }
            },
            () = sleep_until(deadline), if leaving.is_some() => {
                return Ok(ClientEnd::Quit);
            }
        }
    }
}
// ANCHOR_END: client

/// Affiche une ligne du serveur.
async fn show(output: &mut (impl AsyncWrite + Unpin), line: Line) -> io::Result<()> {
    let text = displayable(line);
    output.write_all(format!("{text}\n").as_bytes()).await?;
    output.flush().await
}

/// Le texte d'une ligne du serveur, prêt à afficher (ici comme dans l'interface plein
/// écran, `tui.rs`). Même de l'UTF-8 invalide s'affiche (remplacé par `�`), et les
/// caractères de contrôle sont neutralisés : un serveur ne pilote pas notre terminal.
pub(crate) fn displayable(line: Line) -> String {
    match line {
        Line::Bytes(bytes) => sanitize(&String::from_utf8_lossy(&bytes)).into_owned(),
        Line::TooLong => "[ligne trop longue, ignorée]".to_owned(),
    }
}

/// Le serveur a fermé : normal si on venait de dire `/quit`, à signaler sinon.
async fn closed(
    output: &mut (impl AsyncWrite + Unpin),
    leaving: bool,
) -> io::Result<ClientEnd> {
    if leaving {
        return Ok(ClientEnd::Quit);
    }
    output
        .write_all("Le serveur a fermé la connexion.\n".as_bytes())
        .await?;
    output.flush().await?;
    Ok(ClientEnd::ServerClosed)
}

/// Vrai pour `/quit [raison]` et `exit`.
pub(crate) fn is_quit(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    matches!(parse_line(&text), Ok(Some(Command::Quit(_))))
}
