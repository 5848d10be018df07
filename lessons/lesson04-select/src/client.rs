//! Le client, pour l'écho comme pour le chat, écrit comme les serveurs de cette
//! leçon : UNE boucle d'événements, sur un seul thread, qui attend à la fois le
//! serveur et le clavier.
//!
//! La leçon 03 écrit le même client avec un thread par source bloquante (le clavier,
//! la réception) et `select!` sur leurs canaux. Ici, la socket est inscrite dans
//! `mio` comme une connexion du serveur : lisible, le serveur a parlé ; inscriptible,
//! on peut envoyer la suite de ce qui a été tapé. Un seul fil d'exécution décide de
//! tout, sans drapeau partagé.
//!
//! Le clavier garde pourtant son thread, et c'est la leçon de ce fichier : l'entrée
//! standard ne peut pas être inscrite dans `mio` de façon portable. Sous Windows, une
//! console n'est pas une socket et le mécanisme d'attente du système (IOCP) ne sait
//! pas l'attendre ; même sous Linux, `epoll` refuse un fichier ordinaire (une entrée
//! redirigée, `< lignes.txt`). Le thread « clavier » lit donc les lignes, les dépose
//! dans un canal et réveille la boucle avec un `mio::Waker`, comme le gestionnaire de
//! Ctrl+C réveille le serveur (voir `shutdown.rs`). tokio fait de même : il lit
//! l'entrée standard dans un thread à part (leçon 05).

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};

use crate::display::sanitize;
use crate::{Outgoing, readiness, wait_for_events};
use lesson01_echo::is_disconnection;

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

/// Le jeton de la connexion au serveur.
const SERVER: Token = Token(0);

/// Le jeton du réveil déclenché par le thread « clavier ».
const KEYBOARD: Token = Token(1);

/// Après notre départ, on laisse au serveur ce délai pour finir d'envoyer ce qui
/// était en route (l'écho des dernières lignes, par exemple) et fermer à son tour.
const LINGER: Duration = Duration::from_secs(2);

/// Octets tapés qui attendent que le noyau les accepte. Au-delà, on cesse de prendre
/// les lignes du clavier : le canal se remplit, et c'est le thread « clavier » qui
/// attend (contre-pression, comme le serveur en exerce sur un client trop bavard).
const MAX_PENDING: usize = 64 * 1024;

/// Au-delà, une ligne reçue sans fin est affichée telle quelle plutôt que gardée
/// indéfiniment.
const MAX_PARTIAL_LINE: usize = 64 * 1024;

/// Ce que le thread « clavier » dépose dans le canal.
enum Typed {
    Line(Vec<u8>),
    EndOfInput,
    Failed(io::Error),
}

// ANCHOR: run_client
/// Envoie au serveur chaque ligne de `input` et écrit dans `output` tout ce qu'il
/// envoie, au fur et à mesure. S'arrête sur `exit`, à la fin de `input` ou quand le
/// serveur ferme.
///
/// `input` est lu dans un thread à part, d'où `Send + 'static` : le programme passe
/// le clavier (`BufReader<Stdin>`), les tests des tampons en mémoire ou des canaux.
pub fn run_client(
    stream: TcpStream,
    input: impl BufRead + Send + 'static,
    mut output: impl Write,
) -> io::Result<ClientEnd> {
    let mut poll = Poll::new()?;
    // Comme pour les connexions du serveur : non bloquante, sinon un `read` sans
    // données figerait la boucle, et avec elle le clavier.
    stream.set_nonblocking(true)?;
    let mut socket = mio::net::TcpStream::from_std(stream);
    poll.registry()
        .register(&mut socket, SERVER, Interest::READABLE)?;
    let waker = Arc::new(Waker::new(poll.registry(), KEYBOARD)?);
    let typed = spawn_keyboard(input, Arc::clone(&waker))?;
    let mut session = Session {
        socket,
        typed,
        _waker: waker,
        outgoing: Outgoing::default(),
        received: Vec::new(),
        leaving: None,
        shut_down: false,
        wants_write: false,
    };
    session.run(&mut poll, &mut output)
}

/// Lance le thread « clavier » : il lit les lignes de `input`, dépose chacune dans le
/// canal rendu, et réveille la boucle. Le canal ne garde qu'une ligne d'avance : si
/// la boucle cesse d'en prendre, le thread attend.
fn spawn_keyboard(
    input: impl BufRead + Send + 'static,
    waker: Arc<Waker>,
) -> io::Result<Receiver<Typed>> {
    let (lines, typed) = mpsc::sync_channel(1);
    thread::Builder::new()
        .name("clavier".into())
        .spawn(move || {
            let deliver = |event| {
                // Un envoi qui échoue veut dire que `run_client` est fini : plus
                // personne n'écoute. Le réveil, lui, ne peut échouer
                // que si la boucle est déjà partie.
                let delivered = lines.send(event).is_ok();
                let _ = waker.wake();
                delivered
            };
            for line in input.split(b'\n') {
                let (event, failed) = match line {
                    Ok(line) => (Typed::Line(line), false),
                    Err(err) => (Typed::Failed(err), true),
                };
                if !deliver(event) || failed {
                    return;
                }
            }
            deliver(Typed::EndOfInput);
        })?;
    Ok(typed)
}
// ANCHOR_END: run_client

/// Le départ : pourquoi, et l'erreur de lecture du clavier s'il y en a eu une.
struct Leaving {
    end: ClientEnd,
    error: Option<io::Error>,
    /// Quand on cesse d'attendre le serveur, une fois notre FIN envoyé.
    deadline: Option<Instant>,
}

/// L'état du client, que seule la boucle d'événements modifie.
struct Session {
    socket: mio::net::TcpStream,
    typed: Receiver<Typed>,
    /// Le réveil reste vivant tant que la boucle tourne : le thread « clavier »
    /// s'arrête après la dernière ligne, et s'il détruisait le SEUL `Waker`, le
    /// noyau fermerait son descripteur et oublierait le réveil qu'il venait de
    /// déclencher. La boucle dormirait alors pour toujours, sans jamais lire la
    /// fin de l'entrée.
    _waker: Arc<Waker>,
    /// Les lignes tapées que le noyau n'a pas encore acceptées.
    outgoing: Outgoing,
    /// Ce qui est arrivé après le dernier `\n` : on attend la fin de la ligne pour
    /// l'afficher (un caractère UTF-8 peut être coupé entre deux `read`).
    received: Vec<u8>,
    leaving: Option<Leaving>,
    /// Notre sens d'envoi est fermé (FIN envoyé).
    shut_down: bool,
    /// La socket est inscrite aussi pour « inscriptible ».
    wants_write: bool,
}

impl Session {
    // ANCHOR: converse
    /// La boucle : attendre un événement, lire ce qui est arrivé, prendre ce qui est
    /// tapé, envoyer ce qui peut l'être, et recommencer jusqu'à ce que la session
    /// se termine.
    fn run(
        &mut self,
        poll: &mut Poll,
        output: &mut impl Write,
    ) -> io::Result<ClientEnd> {
        let mut events = Events::with_capacity(16);
        loop {
            // Sans départ en cours, on dort jusqu'au prochain événement : un client
            // inactif ne consomme aucun temps processeur. Après notre
            // FIN, au plus jusqu'à l'échéance.
            let deadline = self.leaving.as_ref().and_then(|leaving| leaving.deadline);
            let timeout = deadline
                .map(|deadline| deadline.saturating_duration_since(Instant::now()));
            wait_for_events(poll, &mut events, timeout)?;
            let overdue = |leaving: &mut Leaving| {
                leaving
                    .deadline
                    .is_some_and(|deadline| Instant::now() >= deadline)
            };
            if let Some(leaving) = self.leaving.take_if(overdue) {
                // Le serveur n'a pas fermé à temps : on part quand même.
                return finish(leaving);
            }
            for event in &events {
                // Le réveil du clavier n'a rien à lire : le canal est vidé plus bas,
                // à chaque tour, quel que soit l'événement.
                if event.token() == SERVER {
                    let (readable, _) = readiness(event);
                    if readable && self.receive(output)? {
                        return self.server_closed(output);
                    }
                }
            }
            self.take_typed();
            if self.send_pending()? {
                return self.server_closed(output);
            }
            self.update_interest(poll)?;
        }
    }

    /// Prend les lignes tapées, tant que ce qui attend d'être envoyé reste sous
    /// `MAX_PENDING`. Après `exit` ou la fin de l'entrée, on n'en prend plus.
    fn take_typed(&mut self) {
        while self.leaving.is_none() && self.outgoing.pending() < MAX_PENDING {
            let typed = match self.typed.try_recv() {
                Ok(typed) => typed,
                Err(TryRecvError::Empty) => return,
                // Le thread « clavier » est parti sans rien dire (il a paniqué) : fin
                // de l'entrée.
                Err(TryRecvError::Disconnected) => Typed::EndOfInput,
            };
            match typed {
                Typed::Line(mut line) => {
                    if line.ends_with(b"\r") {
                        line.pop();
                    }
                    if line == b"exit" {
                        self.leave(ClientEnd::Exit, None);
                    } else {
                        line.push(b'\n');
                        self.outgoing.push(&line);
                    }
                }
                Typed::EndOfInput => self.leave(ClientEnd::EndOfInput, None),
                Typed::Failed(err) => self.leave(ClientEnd::EndOfInput, Some(err)),
            }
        }
    }

    fn leave(&mut self, end: ClientEnd, error: Option<io::Error>) {
        self.leaving = Some(Leaving {
            end,
            error,
            deadline: None,
        });
    }

    /// Envoie ce que le noyau accepte ; une fois tout parti, si l'on s'en va, ferme
    /// notre sens d'envoi (le serveur lira 0 octet) et laisse `LINGER` au serveur
    /// pour fermer le sien. `Ok(true)` : le serveur est parti (envoyer vers une
    /// connexion coupée échoue).
    fn send_pending(&mut self) -> io::Result<bool> {
        match self.outgoing.flush(&mut self.socket) {
            Ok(()) => {}
            Err(err) if is_disconnection(&err) => return Ok(true),
            Err(err) => return Err(err),
        }
        let Some(leaving) = &mut self.leaving else {
            return Ok(false);
        };
        if self.outgoing.is_empty() && !self.shut_down {
            match self.socket.shutdown(Shutdown::Write) {
                // Le serveur est peut-être déjà parti : la socket n'est alors plus
                // connectée.
                Err(err) if err.kind() != ErrorKind::NotConnected => return Err(err),
                _ => {}
            }
            self.shut_down = true;
            leaving.deadline = Some(Instant::now() + LINGER);
        }
        Ok(false)
    }

    /// On ne demande « inscriptible » que s'il reste des octets à envoyer, comme le
    /// serveur (voir `wanted_interest` dans echo.rs) : avec `select`, déclenché par
    /// niveau, une socket au tampon d'envoi libre réveillerait la boucle sans arrêt ;
    /// avec `mio`, déclenché par front, ce serait sans danger, mais la règle dit ce
    /// qu'on attend et vaut pour les deux.
    fn update_interest(&mut self, poll: &Poll) -> io::Result<()> {
        let wants_write = !self.outgoing.is_empty();
        if wants_write != self.wants_write {
            let interest = if wants_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            poll.registry()
                .reregister(&mut self.socket, SERVER, interest)?;
            self.wants_write = wants_write;
        }
        Ok(())
    }
    // ANCHOR_END: converse

    /// Le serveur a fermé (ou coupé) la connexion. Si c'est nous qui partions, ce
    /// n'est que la réponse attendue ; sinon, on le dit.
    fn server_closed(&mut self, output: &mut impl Write) -> io::Result<ClientEnd> {
        if !self.received.is_empty() {
            // Une dernière ligne sans `\n` : on l'affiche quand même.
            self.received.push(b'\n');
            show_complete_lines(output, &mut self.received)?;
        }
        if let Some(leaving) = self.leaving.take() {
            return finish(leaving);
        }
        writeln!(output, "Le serveur a fermé la connexion.")?;
        output.flush()?;
        Ok(ClientEnd::ServerClosed)
    }

    // ANCHOR: receive
    /// Lit tout ce qui est arrivé du serveur, jusqu'à `WouldBlock`, et affiche chaque
    /// ligne complète dès qu'elle est là. `Ok(true)` : le serveur a fermé la
    /// connexion.
    ///
    /// Chaque ligne passe par `sanitize` avant d'atteindre l'écran : un serveur
    /// hostile (ou cassé) ne doit pas pouvoir piloter le terminal de
    /// l'utilisateur (changer le titre de la fenêtre, effacer l'écran, ou lui
    /// faire « taper » une réponse avec les séquences qui interrogent le
    /// terminal).
    fn receive(&mut self, output: &mut impl Write) -> io::Result<bool> {
        let mut buffer = [0u8; 4096];
        loop {
            match self.socket.read(&mut buffer) {
                // 0 octet : le serveur a fermé la connexion.
                Ok(0) => return Ok(true),
                Ok(received) => {
                    self.received.extend_from_slice(&buffer[..received]);
                    show_complete_lines(output, &mut self.received)?;
                }
                // Tout est lu : `mio` nous réveillera quand il y aura du nouveau.
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) if is_disconnection(&err) => return Ok(true),
                Err(err) => return Err(err),
            }
        }
    }
}

/// La fin de la session, après notre départ : la raison, ou l'erreur du clavier.
fn finish(leaving: Leaving) -> io::Result<ClientEnd> {
    match leaving.error {
        Some(err) => Err(err),
        None => Ok(leaving.end),
    }
}

/// Affiche, neutralisées, les lignes complètes de `partial`, et n'y garde que le
/// reste.
fn show_complete_lines(
    output: &mut impl Write,
    partial: &mut Vec<u8>,
) -> io::Result<()> {
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
