//! Le client en ligne de commande, pour l'écho comme pour le chat.
//!
//! Le client de la leçon 01 envoyait une ligne puis attendait sa réponse : dans un
//! chat, les messages des autres arrivent n'importe quand, même pendant qu'on tape.
//! Il faut donc attendre deux choses à la fois, le clavier et le réseau. Comme le
//! client Python du cours (§6), on confie chacune à un thread :
//!
//! - le thread « clavier » lit les lignes tapées et les passe au thread principal ;
//! - le thread « réception » affiche tout ce qui arrive du serveur, dès que ça
//!   arrive, après l'avoir nettoyé (voir [`crate::display::sanitize`]) ;
//! - le thread principal envoie les lignes, et décide quand s'arrêter.
//!
//! Le client Python, lui, ne s'arrêtait jamais : ni `exit`, ni fin de l'entrée, et
//! son thread de réception bouclait sans fin sur `recv()` qui rend `b""` une fois le
//! serveur parti.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, select};

use crate::display::sanitize;
use lesson01_echo::is_disconnection;

/// Une ligne reçue plus longue que cela est affichée en plusieurs morceaux.
const MAX_SCREEN_LINE: usize = 64 * 1024;

/// Temps laissé au serveur pour fermer la connexion après notre départ, avant qu'on
/// la coupe.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Pourquoi la session du client s'est terminée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// L'entrée est terminée (Ctrl+D, ou fin du fichier redirigé).
    EndOfInput,
    /// L'utilisateur a tapé `exit`.
    Exit,
    /// Le serveur a fermé la connexion.
    ServerClosed,
}

// ANCHOR: client
/// Envoie chaque ligne de `input` au serveur et affiche dans `output` tout ce qu'il
/// envoie, au moment où il l'envoie.
///
/// `input` et `output` sont passés à des threads, d'où `Send + 'static` : le
/// programme donne le clavier et l'écran, les tests des tampons en mémoire.
pub fn run_chat_client(
    stream: TcpStream,
    input: impl BufRead + Send + 'static,
    output: impl Write + Send + 'static,
) -> io::Result<ClientEnd> {
    // L'écran est partagé : le thread de réception y écrit, le thread principal y
    // écrira le message de fin. Un Mutex garantit qu'ils n'y écrivent pas en même
    // temps.
    let output = Arc::new(Mutex::new(output));
    let typed = spawn_keyboard(input)?;
    let server_gone = spawn_receiver(stream.try_clone()?, Arc::clone(&output))?;

    loop {
        // select! attend le premier des deux événements : une ligne tapée, ou la fin
        // de la réception. C'est ce qui permet de réagir au départ du serveur
        // sans attendre que l'utilisateur appuie sur Entrée.
        select! {
            recv(typed) -> line => match line {
                Ok(Ok(line)) if line == b"exit" => {
                    return leave(&stream, &server_gone, ClientEnd::Exit);
                }
                Ok(Ok(line)) => {
                    if let Err(err) = send_line(&stream, line) {
                        if !is_disconnection(&err) {
                            return Err(err);
                        }
                        // Le serveur est parti : la réception va s'en
                        // apercevoir aussi.
                        let _ = server_gone.recv_timeout(LEAVE_TIMEOUT);
                        return server_closed(&output);
                    }
                }
                Ok(Err(err)) => {
                    leave(&stream, &server_gone, ClientEnd::EndOfInput)?;
                    return Err(err);
                }
                // Le thread clavier a fini : fin de l'entrée.
                Err(_) => return leave(&stream, &server_gone, ClientEnd::EndOfInput),
            },
            recv(server_gone) -> _ => return server_closed(&output),
        }
    }
}
// ANCHOR_END: client

// ANCHOR: client_threads
/// Lance le thread « clavier » : il lit les lignes de `input` et les envoie dans un
/// canal. Le canal se ferme à la fin de l'entrée.
fn spawn_keyboard(
    input: impl BufRead + Send + 'static,
) -> io::Result<Receiver<io::Result<Vec<u8>>>> {
    let (lines, typed) = crossbeam_channel::bounded(1);
    thread::Builder::new()
        .name("clavier".into())
        .spawn(move || {
            // split(b'\n') plutôt que lines() : une ligne qui n'est pas de l'UTF-8
            // valide est envoyée telle quelle au lieu d'arrêter le
            // client.
            for line in input.split(b'\n') {
                let line = line.map(|mut line| {
                    if line.ends_with(b"\r") {
                        line.pop();
                    }
                    line
                });
                let failed = line.is_err();
                // Si le thread principal est parti, send() échoue : plus personne
                // n'écoute.
                if lines.send(line).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(typed)
}

/// Lance le thread « réception » : il affiche, nettoyée, chaque ligne qui arrive du
/// serveur, puis signale par le canal renvoyé que la connexion est fermée.
fn spawn_receiver<W: Write + Send + 'static>(
    stream: TcpStream,
    output: Arc<Mutex<W>>,
) -> io::Result<Receiver<()>> {
    let (done, server_gone) = crossbeam_channel::bounded(1);
    thread::Builder::new()
        .name("réception".into())
        .spawn(move || {
            let mut received = BufReader::new(stream);
            let mut line = Vec::new();
            // Une erreur (RST, ou notre propre shutdown()) termine la réception comme
            // un FIN.
            while let Ok(true) = read_screen_line(&mut received, &mut line) {
                let mut screen = lock(&output);
                // flush() : sinon la ligne resterait dans le tampon de stdout jusqu'à
                // la suivante.
                if screen.write_all(&line).is_err() || screen.flush().is_err() {
                    break;
                }
            }
            let _ = done.send(());
        })?;
    Ok(server_gone)
}

/// Lit la ligne suivante du serveur et la prépare pour l'écran : nettoyée par la même
/// règle que le serveur ([`sanitize`]), terminée par `\n`. Un serveur hostile ou
/// cassé ne doit pas piloter notre terminal (changer le titre de la fenêtre, effacer
/// l'écran, faire « taper » une réponse du terminal dans notre ligne). Une ligne sans
/// fin est affichée par morceaux de [`MAX_SCREEN_LINE`] octets : la mémoire du client
/// reste bornée. `false` : connexion fermée.
fn read_screen_line(
    received: &mut impl BufRead,
    line: &mut Vec<u8>,
) -> io::Result<bool> {
    let mut raw = Vec::new();
    let limit = MAX_SCREEN_LINE as u64;
    if received.take(limit).read_until(b'\n', &mut raw)? == 0 {
        return Ok(false); // FIN du serveur
    }
    if raw.last() == Some(&b'\n') {
        raw.pop();
        if raw.last() == Some(&b'\r') {
            raw.pop(); // un serveur qui termine ses lignes par \r\n (comme IRC)
        }
    }
    let mut text = sanitize(&String::from_utf8_lossy(&raw));
    text.push('\n');
    line.clear();
    line.extend_from_slice(text.as_bytes());
    Ok(true)
}
// ANCHOR_END: client_threads

/// Envoie une ligne tapée, terminée par `\n`.
fn send_line(mut stream: &TcpStream, mut line: Vec<u8>) -> io::Result<()> {
    line.push(b'\n');
    stream.write_all(&line)
}

/// Un Mutex est « empoisonné » si un thread a paniqué en le tenant. Pour un écran,
/// les données restent utilisables : on continue.
fn lock<W>(output: &Mutex<W>) -> MutexGuard<'_, W> {
    output.lock().unwrap_or_else(PoisonError::into_inner)
}

// ANCHOR: leave
/// Part poliment : on ferme notre sens d'envoi (le serveur lit 0 octet et sait qu'on
/// a fini), puis on attend que le serveur ferme le sien, ce qui laisse arriver les
/// dernières lignes. L'attente est bornée : un serveur qui ne ferme pas ne nous
/// retient pas.
fn leave(
    stream: &TcpStream,
    server_gone: &Receiver<()>,
    end: ClientEnd,
) -> io::Result<ClientEnd> {
    match stream.shutdown(Shutdown::Write) {
        // Déjà déconnecté : le serveur est parti avant nous, ce n'est pas une erreur.
        Err(err) if err.kind() != ErrorKind::NotConnected => return Err(err),
        _ => {}
    }
    if server_gone.recv_timeout(LEAVE_TIMEOUT).is_err() {
        // Couper aussi la réception réveille le thread bloqué dans read().
        let _ = stream.shutdown(Shutdown::Both);
        let _ = server_gone.recv_timeout(LEAVE_TIMEOUT);
    }
    Ok(end)
}
// ANCHOR_END: leave

fn server_closed<W: Write>(output: &Mutex<W>) -> io::Result<ClientEnd> {
    let mut screen = lock(output);
    writeln!(screen, "Le serveur a fermé la connexion.")?;
    screen.flush()?;
    Ok(ClientEnd::ServerClosed)
}
