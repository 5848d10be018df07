//! Le client, pour l'écho comme pour le chat : il affiche ce qui arrive PENDANT que
//! l'utilisateur tape (le client du TP 01 recevait déjà dans un thread à part).
//!
//! Côté client, des threads bloquants conviennent très bien : il n'y a qu'une connexion.
//! Trois fils d'exécution, qui ne se parlent que par un canal :
//! - le fil principal envoie au serveur les lignes tapées ;
//! - un fil lit le clavier (il peut y rester bloqué : le programme se termine quand même) ;
//! - un fil reçoit ce qu'envoie le serveur et l'affiche aussitôt.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::display::sanitize;

/// Pourquoi la session du client s'est terminée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// L'entrée standard est terminée (Ctrl+D, ou fin du fichier redirigé).
    EndOfInput,
    /// L'utilisateur a tapé `exit`.
    Exit,
    /// Le serveur a fermé la connexion.
    ServerClosed,
}

/// Après notre départ, on laisse au serveur ce délai pour finir d'envoyer ce qui était en
/// route (l'écho des dernières lignes, par exemple) et fermer à son tour.
const LINGER: Duration = Duration::from_secs(2);

/// Le fil de réception se réveille au moins aussi souvent pour voir s'il doit s'arrêter.
const RECEIVE_POLL: Duration = Duration::from_millis(100);

/// Ce qui arrive au fil principal, d'où que ça vienne.
enum Event {
    Line(Vec<u8>),
    EndOfInput,
    InputFailed(io::Error),
    /// Le fil de réception s'est arrêté (le serveur a fermé, ou une erreur).
    ReceiverDone(io::Result<()>),
}

// ANCHOR: run_client
/// Envoie au serveur chaque ligne de `input` et écrit dans `output` tout ce qu'il envoie,
/// au fur et à mesure. S'arrête sur `exit`, à la fin de `input` ou quand le serveur ferme.
///
/// `input` est lu dans un fil à part, d'où `Send + 'static` : le programme passe le clavier
/// (`BufReader<Stdin>`), les tests des tampons en mémoire ou des canaux.
pub fn run_client(
    stream: TcpStream,
    input: impl BufRead + Send + 'static,
    output: impl Write + Send,
) -> io::Result<ClientEnd> {
    let (events_tx, events) = mpsc::channel();
    spawn_input_reader(input, events_tx.clone());

    // Une deuxième poignée sur la MÊME socket, pour le fil de réception. Son délai de lecture
    // lui permet de vérifier régulièrement s'il doit s'arrêter.
    let receiving = stream.try_clone()?;
    receiving.set_read_timeout(Some(RECEIVE_POLL))?;
    let leaving = AtomicBool::new(false);
    let stop = AtomicBool::new(false);

    // `thread::scope` attend la fin du fil de réception avant de rendre la main : il ne peut
    // pas survivre à `run_client`, et il peut donc emprunter `output`.
    thread::scope(|scope| {
        let (leaving, stop) = (&leaving, &stop);
        scope.spawn(move || {
            let result = receive(receiving, output, leaving, stop);
            let _ = events_tx.send(Event::ReceiverDone(result));
        });
        let end = converse(&stream, &events, leaving);
        stop.store(true, Ordering::Relaxed);
        end
    })
}
// ANCHOR_END: run_client

// ANCHOR: converse
/// Le fil principal : envoie les lignes tapées, jusqu'à `exit`, la fin de l'entrée ou le
/// départ du serveur.
fn converse(
    stream: &TcpStream,
    events: &Receiver<Event>,
    leaving: &AtomicBool,
) -> io::Result<ClientEnd> {
    loop {
        // Si tous les fils sont partis, le canal est fermé : il n'y a plus rien à attendre.
        let Ok(event) = events.recv() else {
            return Ok(ClientEnd::ServerClosed);
        };
        match event {
            Event::Line(mut line) => {
                if line.ends_with(b"\r") {
                    line.pop();
                }
                if line == b"exit" {
                    return leave(stream, events, leaving, ClientEnd::Exit);
                }
                line.push(b'\n');
                match (&*stream).write_all(&line) {
                    Ok(()) => {}
                    // Le serveur est parti : le fil de réception va le constater et le dire.
                    Err(err) if is_disconnection(&err) => {
                        wait_for_receiver(events);
                        return Ok(ClientEnd::ServerClosed);
                    }
                    Err(err) => return Err(err),
                }
            }
            Event::EndOfInput => return leave(stream, events, leaving, ClientEnd::EndOfInput),
            Event::InputFailed(err) => {
                leave(stream, events, leaving, ClientEnd::EndOfInput)?;
                return Err(err);
            }
            Event::ReceiverDone(result) => return result.map(|()| ClientEnd::ServerClosed),
        }
    }
}

/// Départ poli : on ferme notre sens d'envoi (le serveur lira 0 octet), puis on attend, un
/// temps borné, que le serveur ferme à son tour après nous avoir envoyé ce qui était en route.
fn leave(
    stream: &TcpStream,
    events: &Receiver<Event>,
    leaving: &AtomicBool,
    end: ClientEnd,
) -> io::Result<ClientEnd> {
    leaving.store(true, Ordering::Relaxed);
    match stream.shutdown(Shutdown::Write) {
        // Le serveur est peut-être déjà parti : la socket n'est alors plus connectée.
        Err(err) if err.kind() != ErrorKind::NotConnected => return Err(err),
        _ => {}
    }
    wait_for_receiver(events);
    Ok(end)
}

/// Attend (au plus `LINGER`) que le fil de réception constate la fermeture du serveur.
fn wait_for_receiver(events: &Receiver<Event>) {
    let deadline = Instant::now() + LINGER;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(remaining) {
            Ok(Event::ReceiverDone(_)) => return,
            // Des lignes tapées après `exit` : on les ignore.
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
        }
    }
}
// ANCHOR_END: converse

// ANCHOR: receive
/// Le fil de réception : affiche ce qui arrive du serveur, ligne par ligne, dès que ça arrive.
///
/// Chaque ligne passe par `sanitize` avant d'atteindre l'écran : un serveur hostile (ou
/// cassé) ne doit pas pouvoir piloter le terminal de l'utilisateur (changer le titre de la
/// fenêtre, effacer l'écran, ou lui faire « taper » une réponse avec les séquences qui
/// interrogent le terminal).
fn receive(
    stream: TcpStream,
    mut output: impl Write,
    leaving: &AtomicBool,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut buffer = [0u8; 4096];
    // Ce qui est arrivé après le dernier `\n` : on attend la fin de la ligne pour l'afficher
    // (un caractère UTF-8 peut être coupé entre deux `read`).
    let mut partial = Vec::new();
    loop {
        match (&stream).read(&mut buffer) {
            // 0 octet : le serveur a fermé la connexion.
            Ok(0) => break,
            Ok(received) => {
                partial.extend_from_slice(&buffer[..received]);
                show_complete_lines(&mut output, &mut partial)?;
            }
            // Rien reçu pendant RECEIVE_POLL : doit-on s'arrêter ?
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) if is_disconnection(&err) => break,
            Err(err) => return Err(err),
        }
    }
    if !partial.is_empty() {
        // Une dernière ligne sans `\n` : on l'affiche quand même.
        partial.push(b'\n');
        show_complete_lines(&mut output, &mut partial)?;
    }
    // Si c'est nous qui partons, la fermeture du serveur n'est que la réponse attendue.
    if !leaving.load(Ordering::Relaxed) {
        writeln!(output, "Le serveur a fermé la connexion.")?;
        output.flush()?;
    }
    Ok(())
}

/// Au-delà, une ligne sans fin est affichée telle quelle plutôt que gardée indéfiniment.
const MAX_PARTIAL_LINE: usize = 64 * 1024;

/// Affiche, neutralisées, les lignes complètes de `partial`, et n'y garde que le reste.
fn show_complete_lines(output: &mut impl Write, partial: &mut Vec<u8>) -> io::Result<()> {
    let end = match partial.iter().rposition(|&byte| byte == b'\n') {
        Some(last) => last + 1,
        None if partial.len() > MAX_PARTIAL_LINE => partial.len(),
        None => return Ok(()),
    };
    let text = String::from_utf8_lossy(&partial[..end]);
    for line in text.split_inclusive('\n') {
        let (line, newline) = match line.strip_suffix('\n') {
            Some(line) => (line.strip_suffix('\r').unwrap_or(line), "\n"),
            None => (line, ""),
        };
        write!(output, "{}{newline}", sanitize(line))?;
    }
    partial.drain(..end);
    output.flush()
}
// ANCHOR_END: receive

/// Lit `input` ligne par ligne dans un fil à part et transmet chaque ligne par le canal.
fn spawn_input_reader(input: impl BufRead + Send + 'static, events: Sender<Event>) {
    thread::spawn(move || {
        for line in input.split(b'\n') {
            let (event, failed) = match line {
                Ok(line) => (Event::Line(line), false),
                Err(err) => (Event::InputFailed(err), true),
            };
            // Un envoi qui échoue veut dire que `run_client` est terminé : inutile de continuer.
            if events.send(event).is_err() || failed {
                return;
            }
        }
        let _ = events.send(Event::EndOfInput);
    });
}

/// Le serveur peut partir poliment (lecture de 0 octet) ou brutalement : RST (« connection
/// reset ») ou « broken pipe » quand on écrit sur une connexion déjà fermée.
fn is_disconnection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}
