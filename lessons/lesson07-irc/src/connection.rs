//! La vie d'une connexion : une seule tâche qui lit les messages du client, écrit ce
//! qui lui est destiné et surveille ses délais, avec un `select!`. Et sa file
//! d'envoi, la *SendQ* des serveurs IRC, comptée en octets.
//!
//! ## Qui est « trop lent » ?
//!
//! Le même principe qu'à la leçon 05 : on ne compte pas les LIGNES en attente (une
//! rafale de tout un salon en remplit n'importe quelle file avant que le serveur ait
//! pu écrire), mais les OCTETS que le noyau n'a pas encore acceptés pour ce client,
//! et le temps pendant lequel il les refuse :
//!
//! - au-delà de la limite dure ([`Config::hard_limit`], 1 Mio), le client est
//!   déconnecté tout de suite (`ERROR :SendQ exceeded`) : c'est ce qui borne la
//!   mémoire ;
//! - au-delà de la limite douce ([`Config::soft_limit`], 64 Kio), on ne le lit plus,
//!   et s'il y reste [`Config::backed_up_timeout`] (10 s) pendant que le noyau
//!   refuse nos octets, il est déconnecté de même.
//!
//! [`Config::hard_limit`]: crate::Config::hard_limit
//! [`Config::soft_limit`]: crate::Config::soft_limit
//! [`Config::backed_up_timeout`]: crate::Config::backed_up_timeout

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use course_kit::log;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use crate::message::IrcCodec;
use crate::server::Config;
use crate::session::Session;
use crate::state::Shared;

/// Capacité initiale du tampon de lecture : petite, il grandit au besoin (jusqu'à
/// 512 octets de message en attente, voir `IrcCodec`).
const READ_BUFFER: usize = 128;

/// Ce que coûte une ligne en attente en plus de ses octets (le pointeur, la place
/// dans la file) : un déluge de lignes minuscules ne passe pas sous la limite.
pub(crate) const LINE_OVERHEAD: usize = 32;

/// Au plus tant de lignes par appel système d'écriture.
const MAX_SLICES: usize = 256;

/// Le découpeur posé sur la moitié « lecture » de la socket.
pub(crate) type Lines<'a> = FramedRead<ReadHalf<'a>, IrcCodec>;

// ANCHOR: sendq
/// La SendQ d'un client, côté expéditeurs : l'état en garde une copie pour lui
/// écrire. Elle n'attend jamais : mettre une ligne dans la file est immédiat.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    lines: mpsc::UnboundedSender<Arc<str>>,
    /// Octets mis dans la file et pas encore acceptés par le noyau.
    queued: Arc<AtomicUsize>,
    hard_limit: usize,
}

impl Outbox {
    /// Met `line` dans la file. Faux, sans rien mettre, si la file dépasserait la
    /// limite dure : ce client doit être déconnecté (« SendQ exceeded »).
    ///
    /// Une ligne diffusée à tout un salon est mise en forme UNE fois : chaque file
    /// en garde un pointeur partagé (`Arc<str>`), jamais une copie.
    pub(crate) fn push(&self, line: &Arc<str>) -> bool {
        let cost = line.len() + LINE_OVERHEAD;
        let before = self.queued.fetch_add(cost, Ordering::Relaxed);
        if before + cost > self.hard_limit {
            self.queued.fetch_sub(cost, Ordering::Relaxed);
            return false;
        }
        // Une erreur veut dire que la connexion se termine déjà.
        let _ = self.lines.send(Arc::clone(line));
        true
    }

    /// La toute dernière ligne (`ERROR :…`), mise même au-delà de la limite : une
    /// seule, la connexion se ferme juste après.
    pub(crate) fn push_last(&self, line: Arc<str>) {
        self.queued
            .fetch_add(line.len() + LINE_OVERHEAD, Ordering::Relaxed);
        let _ = self.lines.send(line);
    }
}

/// La même file, côté connexion : ce qui reste à écrire sur la socket.
pub(crate) struct Output {
    incoming: mpsc::UnboundedReceiver<Arc<str>>,
    queued: Arc<AtomicUsize>,
    /// Les lignes sorties du canal, pas encore entièrement écrites.
    lines: VecDeque<Arc<str>>,
    /// Octets de la première ligne déjà écrits.
    sent: usize,
    /// Depuis quand la file dépasse la limite douce ET le noyau refuse nos octets.
    backed_up_since: Option<Instant>,
    soft_limit: usize,
}

/// Crée la file d'un client : un côté pour les expéditeurs, un pour sa connexion.
pub(crate) fn send_queue(config: &Config) -> (Outbox, Output) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let outbox = Outbox {
        lines: sender,
        queued: Arc::clone(&queued),
        hard_limit: config.hard_limit,
    };
    let output = Output {
        incoming: receiver,
        queued,
        lines: VecDeque::new(),
        sent: 0,
        backed_up_since: None,
        soft_limit: config.soft_limit,
    };
    (outbox, output)
}
// ANCHOR_END: sendq

// ANCHOR: write_now
impl Output {
    /// Vrai si la file dépasse la limite douce (on cesse alors de lire ce client).
    pub(crate) fn is_over_soft_limit(&self) -> bool {
        self.queued.load(Ordering::Relaxed) > self.soft_limit
    }

    /// Depuis quand la socket est engorgée au-delà de la limite douce.
    pub(crate) fn backed_up_since(&self) -> Option<Instant> {
        self.backed_up_since
    }

    /// Vrai s'il reste des octets que le noyau a refusés.
    fn is_waiting(&self) -> bool {
        !self.lines.is_empty()
    }

    /// Écrit tout ce que le noyau accepte MAINTENANT, sans jamais attendre, en un
    /// seul appel système pour plusieurs lignes (`writev`).
    fn write_now(&mut self, socket: &WriteHalf<'_>) -> io::Result<()> {
        let mut refused = false;
        loop {
            while let Ok(line) = self.incoming.try_recv() {
                self.lines.push_back(line);
            }
            if self.lines.is_empty() {
                break;
            }
            match self.try_write(socket) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                // Les tampons du noyau sont pleins : le client ne lit pas assez vite.
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    refused = true;
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        if !self.is_over_soft_limit() {
            self.backed_up_since = None;
        } else if refused && self.backed_up_since.is_none() {
            self.backed_up_since = Some(Instant::now());
        }
        Ok(())
    }

    fn try_write(&self, socket: &WriteHalf<'_>) -> io::Result<usize> {
        let first = &self.lines[0].as_bytes()[self.sent..];
        if self.lines.len() == 1 {
            return socket.try_write(first);
        }
        let rest = self.lines.iter().skip(1).take(MAX_SLICES - 1);
        let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(first))
            .chain(rest.map(|line| IoSlice::new(line.as_bytes())))
            .collect();
        socket.try_write_vectored(&slices)
    }

    /// Le noyau a pris `written` octets : on oublie les lignes entièrement parties.
    fn advance(&mut self, mut written: usize) {
        while let Some(first) = self.lines.front() {
            let left = first.len() - self.sent;
            if written < left {
                self.sent += written;
                return;
            }
            written -= left;
            self.sent = 0;
            self.queued
                .fetch_sub(first.len() + LINE_OVERHEAD, Ordering::Relaxed);
            self.lines.pop_front();
        }
    }
}
// ANCHOR_END: write_now

// ANCHOR: end
/// Pourquoi une connexion se termine. Le texte est la raison du `QUIT` que voient
/// les autres (et celle du `ERROR :Closing Link` que reçoit le client).
#[derive(Debug)]
pub(crate) enum End {
    /// `QUIT [:raison]`.
    Quit(Option<String>),
    /// Le client a fermé sa connexion (lecture de 0 octet).
    Closed,
    /// Erreur réseau : typiquement un RST (« connection reset by peer »).
    Error(io::Error),
    /// Pas de `NICK`/`USER` dans le délai.
    RegisterTimeout,
    /// Pas de réponse au `PING` du serveur.
    PingTimeout(u64),
    /// Mauvais mot de passe du serveur (`PASS`).
    BadPassword,
    /// Sa socket est restée engorgée : « SendQ exceeded ».
    SendQ,
    /// Expulsé (`KILL`) ou jugé trop lent par une autre connexion, qui a déjà
    /// prévenu les autres.
    Cancelled,
    /// Arrêt du serveur (Ctrl+C).
    Shutdown,
}

impl End {
    /// La raison, telle que les serveurs IRC l'écrivent.
    pub(crate) fn reason(&self) -> String {
        match self {
            End::Quit(None) => "Quit".to_owned(),
            End::Quit(Some(reason)) => format!("Quit: {reason}"),
            End::Closed => "Connection closed".to_owned(),
            End::Error(err) => format!("Read error: {}", err.kind()),
            End::RegisterTimeout => "Registration timeout".to_owned(),
            End::PingTimeout(secs) => format!("Ping timeout: {secs} seconds"),
            End::BadPassword => "Bad password".to_owned(),
            End::SendQ => "SendQ exceeded".to_owned(),
            End::Cancelled => "Killed".to_owned(),
            End::Shutdown => "Server shutting down".to_owned(),
        }
    }
}
// ANCHOR_END: end

// ANCHOR: connection
/// La vie d'une connexion, de l'accept à la fermeture.
pub(crate) async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let config = &shared.config;
    // Tout ce qui est destiné à ce client passe par SA file : ses réponses comme
    // les messages des autres. Une seule tâche écrit sur sa socket, dans l'ordre.
    let (outbox, mut output) = send_queue(config);
    let (reader, mut writer) = stream.split();
    let mut lines =
        FramedRead::with_capacity(reader, IrcCodec::default(), READ_BUFFER);
    let mut session = Session::new(peer, Arc::clone(&shared), outbox, cancel.clone());

    let end = run(&mut session, &mut lines, &writer, &mut output, &cancel).await;
    session.leave(&end);

    // Les dernières lignes (`ERROR :Closing Link…`), en temps borné : un client qui
    // ne lit pas ne retient pas le serveur plus de `shutdown_grace`.
    let _ = timeout(
        config.shutdown_grace,
        close_gracefully(&mut writer, &mut output, &mut lines),
    )
    .await;
    log!("{} : {}", session.describe(), end.reason());
}

/// La boucle d'une connexion : l'annulation, un délai échu, de la place dans la
/// socket, une ligne à envoyer, un message reçu. `select!` réagit au premier.
///
/// La lecture a une condition, `session.may_read` : un client qui envoie trop vite
/// ou ne lit pas ses réponses n'est tout simplement plus lu ; TCP fait le reste.
async fn run(
    session: &mut Session,
    lines: &mut Lines<'_>,
    writer: &WriteHalf<'_>,
    output: &mut Output,
    cancel: &CancellationToken,
) -> End {
    let timer = sleep_until(session.deadline(output));
    let cancelled = cancel.cancelled();
    tokio::pin!(timer, cancelled);
    loop {
        if let Err(err) = output.write_now(writer) {
            return End::Error(err);
        }
        let deadline = session.deadline(output);
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        let may_read = session.may_read(output);
        // `biased` : écrire passe avant lire (un serveur qui lit plus vite qu'il
        // n'écrit accumule) ; le budget de tokio garantit que les dernières
        // branches sont interrogées elles aussi.
        let step = tokio::select! {
            biased;
            line = output.incoming.recv(), if output.backed_up_since().is_none() => {
                output.lines.extend(line);
                Ok(())
            }
            read = lines.next(), if may_read => session.on_read(read, Instant::now()),
            ready = writer.writable(), if output.is_waiting() => {
                ready.map_err(End::Error)
            }
            () = &mut timer => session.on_timer(output, Instant::now()),
            () = &mut cancelled => Err(session.cancelled()),
        };
        if let Err(end) = step {
            return end;
        }
    }
}

/// Envoie ce qui reste dans la file, puis ferme poliment.
async fn close_gracefully(
    writer: &mut WriteHalf<'_>,
    output: &mut Output,
    lines: &mut Lines<'_>,
) {
    output.incoming.close();
    loop {
        if output.write_now(writer).is_err() {
            return;
        }
        if !output.is_waiting() {
            break;
        }
        if writer.writable().await.is_err() {
            return;
        }
    }
    // FIN après les dernières données : le client lit 0 octet et sait que c'est
    // fini.
    if writer.shutdown().await.is_err() {
        return;
    }
    // Fermer une socket dont des octets reçus n'ont pas été lus enverrait un RST,
    // qui peut détruire chez le client notre `ERROR` pas encore lu : on lit et on
    // jette jusqu'à sa fermeture (ou la fin du délai qui nous entoure).
    while let Some(Ok(_)) = lines.next().await {}
}
// ANCHOR_END: connection
