//! Le serveur de chat : chaque ligne reçue est relayée à tous les autres clients.
//!
//! ## Le piège : la liste des clients partagée
//!
//! Le chat Python du cours (§6) partage une liste `clients` entre tous les threads,
//! sans verrou : un thread la parcourt pour diffuser pendant qu'un autre y retire un
//! client qui part. Selon le moment, le message part vers une socket fermée, ou un
//! client est sauté. Le TP 04 (§2.2) le remarque : « il peut y avoir des éléments qui
//! ne sont pas à jour ».
//!
//! En Rust, la traduction directe ne compile même pas. Pour que plusieurs threads
//! voient la même liste, il faut la partager, par exemple dans un
//! `Arc<Vec<TcpStream>>` ; or un `Arc` ne donne qu'un accès partagé (`&`), et `push`
//! ou `remove` exigent un accès exclusif (`&mut`). Le compilateur refuse : la course
//! de données est une erreur de compilation. Il oblige à choisir une vraie solution :
//!
//! 1. un registre partagé derrière un verrou, `Arc<Mutex<HashMap<..>>>` ;
//! 2. un seul thread propriétaire de la liste, le **hub** (module [`crate::hub`]), à
//!    qui les autres envoient des événements (arrivée, ligne, départ) par un canal.
//!
//! Nous prenons la seconde. Avec un verrou, il faut penser à ne jamais écrire sur une
//! socket en le tenant, sinon un seul client lent bloque la diffusion et tous les
//! threads qui attendent le verrou. Avec le hub, il n'y a pas de verrou à oublier :
//! lui seul touche la liste et il traite les événements l'un après l'autre, donc la
//! course du TP 04 ne peut pas se produire, par construction.
//!
//! Chaque client a deux threads : un **lecteur** (socket → hub) et un **écrivain**
//! (file → socket). Le hub n'écrit jamais sur une socket et n'attend jamais
//! personne : il dépose chaque ligne dans la file d'envoi de chaque client (module
//! [`crate::outbox`]), sans bloquer ; l'écrivain du client la vide à son rythme.
//!
//! ```text
//!   lecteur A ──┐                          ┌──▶ file A ──▶ écrivain A ──▶ socket A
//!   lecteur B ──┼──▶ canal ──▶ hub (liste) ┼──▶ file B ──▶ écrivain B ──▶ socket B
//!   accept()  ──┘                          └──▶ file C ──▶ écrivain C ──▶ socket C
//! ```
//!
//! ## Tenir face aux rafales, aux bavards et aux clients qui ne lisent plus
//!
//! - **Un bavard est ralenti, jamais coupé** : son lecteur prend un jeton par ligne
//!   ([`crate::rate_limit`], 100 lignes/s par défaut, `--max-rate`). Sans jeton, il
//!   cesse de lire sa socket ; TCP fait attendre le programme du bavard. Aucune ligne
//!   n'est perdue, et le bavard est prévenu (« Doucement ! », au plus une fois toutes
//!   les 30 s).
//! - **Un client qui ne lit plus est déconnecté, lui seul** : quand sa socket reste
//!   engorgée au-delà d'un budget en OCTETS (limites douce et dure, voir
//!   [`crate::outbox`]). Les autres sont prévenus, et chacun des autres reçoit chaque
//!   ligne acceptée, dans l'ordre.
//! - **Personne ne peut imiter le serveur ni un autre** : texte nettoyé, blancs
//!   réduits, message coupé en lignes de 80 colonnes qui portent toutes le préfixe de
//!   l'auteur ([`crate::display`]).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream,
};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use course_kit::log;
use crossbeam_channel::Sender;

use crate::display::{message_rows, notice_about};
use crate::hub::{ClientId, Event, Hub, Member};
use crate::outbox::{self, Budget, Outbox, write_queued};
use crate::rate_limit::TokenBucket;
use crate::stop::StopSignal;
use crate::{
    ClientLimit, ClientSlot, DEFAULT_MAX_CLIENTS, accept_failed, refuse_and_log,
};
use lesson02_client_server::skip_rest_of_line;

/// Longueur maximale d'une ligne, en octets, par défaut.
pub const DEFAULT_MAX_LINE: usize = 1024;

/// Débit maximal par client, en lignes par seconde (et en rafale), par défaut.
pub const DEFAULT_MAX_RATE: u32 = 100;

/// Un bavard ralenti est prévenu au plus une fois par intervalle : le prévenir à
/// chaque ligne retenue ferait de l'avis lui-même un flot.
pub const SLOWDOWN_NOTICE_INTERVAL: Duration = Duration::from_secs(30);

/// À l'arrêt, temps laissé à chaque écrivain pour vider sa file avant de fermer.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// Capacité du canal des événements vers le hub. Borné lui aussi : si le hub prend du
/// retard, les lecteurs attendent, cessent de lire leur socket, et TCP freine les
/// clients bavards (c'est la contre-pression). La mémoire du serveur reste bornée.
const EVENT_QUEUE_CAPACITY: usize = 1024;

/// Réglages du serveur de chat. Les trois derniers sont des constantes dans le
/// programme ([`outbox::SOFT_LIMIT`], [`outbox::HARD_LIMIT`],
/// [`outbox::SOFT_TIMEOUT`]) ; les tests prennent des valeurs plus petites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatConfig {
    /// Nombre maximal de clients connectés en même temps.
    pub max_clients: usize,
    /// Longueur maximale d'une ligne reçue, en octets (sans le `\n`).
    pub max_line: usize,
    /// Lignes par seconde et par client (rafale du même nombre) ; 0 : pas de limite.
    pub max_rate: u32,
    /// Budget en octets de la file d'envoi de chaque client.
    pub budget: Budget,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_line: DEFAULT_MAX_LINE,
            max_rate: DEFAULT_MAX_RATE,
            budget: Budget {
                soft_limit: outbox::SOFT_LIMIT,
                hard_limit: outbox::HARD_LIMIT,
                soft_timeout: outbox::SOFT_TIMEOUT,
            },
        }
    }
}

// ANCHOR: wording
/// L'avis d'arrêt, le même dans les leçons 03 à 05.
pub const SHUTDOWN_NOTICE: &str = "*** Le serveur s'arrête. Au revoir !\n";

/// Le nom d'un client dans les avis et devant ses lignes : `[127.0.0.1:54321]`.
fn who(addr: SocketAddr) -> String {
    format!("[{addr}]")
}

pub fn welcome_notice(addr: SocketAddr, others: usize) -> String {
    notice_about(&who(addr), |who| {
        format!("*** Bienvenue, {who} ! Autres personnes dans le salon : {others}.")
    })
}

pub fn joined_notice(addr: SocketAddr) -> String {
    notice_about(&who(addr), |who| format!("*** {who} a rejoint le salon."))
}

pub fn left_notice(addr: SocketAddr) -> String {
    notice_about(&who(addr), |who| format!("*** {who} a quitté le salon."))
}

pub fn slow_notice(addr: SocketAddr) -> String {
    notice_about(&who(addr), |who| {
        format!("*** {who} ne lisait plus ses messages : déconnecté(e).")
    })
}

pub fn too_long_notice(max_line: usize) -> String {
    format!("*** Ligne trop longue (plus de {max_line} octets) : ignorée.\n")
}

pub fn slowdown_notice(max_rate: u32) -> String {
    format!(
        "*** Doucement ! Au plus {max_rate} lignes par seconde : la suite attend son \
         tour.\n"
    )
}

/// Met en forme le message d'un client pour les autres : `[adresse] texte`, en lignes
/// d'au plus 80 colonnes qui portent toutes le préfixe. Les octets qui ne sont pas de
/// l'UTF-8 valide deviennent « � ». `None` : message vide, rien à envoyer.
pub fn format_message(author: SocketAddr, raw: &[u8]) -> Option<Arc<str>> {
    let prefix = format!("{} ", who(author));
    let rows = message_rows(&prefix, &String::from_utf8_lossy(raw));
    (!rows.is_empty()).then(|| rows.into())
}
// ANCHOR_END: wording

// ANCHOR: serve_chat
/// Accepte les clients pour toujours ; chacun reçoit un lecteur et un écrivain.
pub fn serve_chat(listener: TcpListener, config: ChatConfig) -> io::Result<()> {
    serve_chat_until(listener, config, &StopSignal::new())
}

/// Comme [`serve_chat`], jusqu'à ce que `stop` soit déclenché : chaque client reçoit
/// alors l'avis d'arrêt, sa file est vidée (au plus [`FLUSH_TIMEOUT`]), sa connexion
/// fermée par un FIN, et la fonction revient.
pub fn serve_chat_until(
    listener: TcpListener,
    config: ChatConfig,
    stop: &StopSignal,
) -> io::Result<()> {
    let (events, inbox) = crossbeam_channel::bounded(EVENT_QUEUE_CAPACITY);
    let hub = thread::Builder::new()
        .name("hub".into())
        .spawn(move || Hub::default().run(inbox))?;
    watch_for_stop(stop.clone(), events.clone(), listener.local_addr()?)?;
    // Chaque écrivain garde un clone de `writers_alive` ; quand le dernier a fini, le
    // canal est « déconnecté » : c'est ainsi qu'on attend la fin des écrivains à
    // l'arrêt.
    let (writers_alive, writers_done) = crossbeam_channel::bounded::<()>(0);

    let limit = ClientLimit::new(config.max_clients);
    let mut next_id: ClientId = 0;
    loop {
        let accepted = listener.accept();
        if stop.is_stopped() {
            if let Ok((stream, _)) = accepted {
                // arrivé pendant l'arrêt (ou le réveil, voir plus bas)
                say_goodbye(stream);
            }
            break;
        }
        let (stream, peer) = match accepted {
            Ok(connection) => connection,
            Err(err) => {
                accept_failed(&err);
                continue;
            }
        };
        let Some(slot) = limit.try_acquire() else {
            refuse_and_log(stream, peer, config.max_clients);
            continue;
        };
        log!("Client connecté : {peer} ({} en cours).", limit.active());
        // L'écrivain regroupe déjà les lignes en attente en un seul envoi :
        // l'algorithme de Nagle, qui retient un petit envoi tant que le
        // précédent n'est pas acquitté, n'ajouterait que du retard (40 ms au
        // moins avec l'accusé retardé du client).
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let client = NewClient {
            id: next_id,
            stream,
            peer,
            slot,
        };
        if let Err(err) = start_client(client, &events, &writers_alive, config) {
            log!("Impossible de servir {peer} : {err}");
            // Le hub ne s'arrête que s'il a paniqué : sans lui, plus de chat
            // possible.
            if hub.is_finished() && !stop.is_stopped() {
                return Err(io::Error::other("le hub du chat s'est arrêté"));
            }
        }
    }
    drop(writers_alive);
    // Les écrivains ont FLUSH_TIMEOUT pour vider leur file ; une seconde de plus pour
    // finir l'écriture en cours. Un écrivain bloqué au-delà ne retient pas
    // l'arrêt.
    let _ = writers_done.recv_timeout(FLUSH_TIMEOUT + Duration::from_secs(1));
    log!("Serveur de chat arrêté.");
    Ok(())
}

/// Lance le thread qui attend la demande d'arrêt. `accept()` est bloquant et rien ne
/// l'interrompt de l'extérieur, de façon portable : ce thread prévient le hub, puis
/// se connecte au serveur lui-même pour réveiller la boucle d'accept, qui voit alors
/// l'arrêt.
fn watch_for_stop(
    stop: StopSignal,
    events: Sender<Event>,
    local: SocketAddr,
) -> io::Result<()> {
    let wake_up = wake_up_address(local);
    thread::Builder::new().name("arrêt".into()).spawn(move || {
        stop.wait();
        let _ = events.send(Event::Shutdown);
        let _ = TcpStream::connect_timeout(&wake_up, FLUSH_TIMEOUT);
    })?;
    Ok(())
}

/// On ne peut pas se connecter à `0.0.0.0` ou `[::]` partout (Windows refuse) : on
/// vise la boucle locale de la même famille.
fn wake_up_address(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            (Ipv4Addr::LOCALHOST, local.port()).into()
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            (Ipv6Addr::LOCALHOST, local.port()).into()
        }
        _ => local,
    }
}

/// L'avis d'arrêt à une connexion arrivée trop tard pour entrer dans le salon.
fn say_goodbye(mut stream: TcpStream) {
    let _ = stream.write_all(SHUTDOWN_NOTICE.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// Une connexion acceptée, qui a sa place.
struct NewClient {
    id: ClientId,
    stream: TcpStream,
    peer: SocketAddr,
    slot: ClientSlot,
}

/// Présente le client au hub et lance ses deux threads.
fn start_client(
    client: NewClient,
    events: &Sender<Event>,
    writers_alive: &Sender<()>,
    config: ChatConfig,
) -> io::Result<()> {
    let NewClient {
        id,
        stream,
        peer,
        slot,
    } = client;
    // Le délai d'écriture fait rendre la main à une écriture bloquée : l'écrivain
    // vérifie alors depuis combien de temps la socket est engorgée (voir
    // outbox::write_queued).
    stream.set_write_timeout(Some(outbox::write_poll(&config.budget)))?;
    // Trois threads se partagent la MÊME socket : le lecteur, l'écrivain et le hub
    // (qui doit pouvoir la couper). Un `Arc` plutôt que `try_clone()`, qui
    // dupliquerait le descripteur de fichier : un seul descripteur par client,
    // c'est trois fois plus de clients possibles avant d'atteindre la limite du
    // système (`ulimit -n`). La connexion se ferme quand le dernier des trois
    // lâche son `Arc`.
    let stream = Arc::new(stream);
    let outbox = Arc::new(Outbox::new(config.budget));

    let writer = Writer {
        id,
        stream: Arc::clone(&stream),
        outbox: Arc::clone(&outbox),
        events: events.clone(),
        _alive: writers_alive.clone(),
    };
    thread::Builder::new()
        .name(format!("écrivain-{}", peer.port()))
        .spawn(move || writer.run())?;

    // Le hub apprend l'arrivée AVANT que le lecteur existe : il connaît donc toujours
    // le client quand arrive sa première ligne.
    let member = Member {
        addr: peer,
        outbox: Arc::clone(&outbox),
        stream: Arc::clone(&stream),
    };
    if events.send(Event::Join { id, member }).is_err() {
        // Le hub ne s'arrête qu'à l'arrêt du serveur : ce client arrive trop tard.
        outbox.close_with(SHUTDOWN_NOTICE.into(), Instant::now() + FLUSH_TIMEOUT);
        return Err(io::Error::other("le hub du chat s'est arrêté"));
    }

    let reader = Reader {
        id,
        peer,
        stream,
        outbox,
        events: events.clone(),
        config,
    };
    let spawned = thread::Builder::new()
        .name(format!("lecteur-{}", peer.port()))
        .spawn(move || reader.run(slot));
    if let Err(err) = spawned {
        // Pas de lecteur, donc personne pour annoncer le départ : on le fait à sa
        // place.
        let _ = events.send(Event::Leave { id });
        return Err(err);
    }
    Ok(())
}
// ANCHOR_END: serve_chat

/// L'écrivain d'un client et ce qu'il lui faut.
struct Writer {
    id: ClientId,
    stream: Arc<TcpStream>,
    outbox: Arc<Outbox>,
    events: Sender<Event>,
    /// Tant que ce clone existe, l'arrêt du serveur attend cet écrivain.
    _alive: Sender<()>,
}

impl Writer {
    fn run(self) {
        let Writer {
            id, events, stream, ..
        } = &self;
        write_queued(stream, &self.outbox, || {
            let _ = events.send(Event::TooSlow { id: *id });
        });
    }
}

// ANCHOR: reader
/// Le lecteur d'un client et ce qu'il lui faut.
struct Reader {
    id: ClientId,
    peer: SocketAddr,
    stream: Arc<TcpStream>,
    outbox: Arc<Outbox>,
    events: Sender<Event>,
    config: ChatConfig,
}

impl Reader {
    /// Découpe ce que le client envoie en lignes et les passe au hub, à son rythme à
    /// lui : le lecteur cesse de lire (et TCP fait attendre le client) quand il
    /// n'a plus de jeton, ou quand le client n'a pas lu ses propres réponses.
    fn run(self, slot: ClientSlot) {
        let outcome = self.read_lines();
        // la place est rendue avant que la connexion se ferme (voir echo.rs)
        drop(slot);
        let _ = self.events.send(Event::Leave { id: self.id });
        match outcome {
            Ok(()) => log!("Client {} parti.", self.peer),
            Err(err) => log!("Connexion avec {} interrompue : {err}", self.peer),
        }
    }

    fn read_lines(&self) -> io::Result<()> {
        // `&TcpStream` implémente `Read` : pas besoin de posséder la socket pour la
        // lire.
        let mut reader = BufReader::new(&*self.stream);
        let mut line = Vec::new();
        let mut bucket = (self.config.max_rate > 0)
            .then(|| TokenBucket::new(self.config.max_rate));
        let mut last_warning: Option<Instant> = None;
        loop {
            // Ses propres réponses non lues (avis « trop longue », « Doucement »)
            // dépassent la limite douce : on attend qu'il les lise avant
            // de lire la suite de ce qu'il envoie.
            self.outbox.wait_until_drained();
            if let Some(bucket) = &mut bucket {
                let wait = bucket.take();
                if !wait.is_zero() {
                    self.warn_slowdown(&mut last_warning);
                    // Ce n'est pas une attente « au hasard » : c'est le débit permis.
                    // Pendant ce temps, la socket n'est pas lue
                    // et TCP freine le client.
                    thread::sleep(wait);
                }
            }
            let event = match read_line_bounded(
                &mut reader,
                self.config.max_line,
                &mut line,
            )? {
                LineRead::Line => match format_message(self.peer, &line) {
                    Some(line) => Event::Say { id: self.id, line },
                    None => continue, /* message vide (ou seulement des blancs) :
                                       * rien à dire */
                },
                LineRead::TooLong => {
                    // On prévient tout de suite, puis on jette la suite de la ligne
                    // au fil de l'eau : le reste n'est jamais
                    // gardé en mémoire.
                    self.notify(too_long_notice(self.config.max_line));
                    skip_rest_of_line(&mut reader)?;
                    continue;
                }
                LineRead::End => return Ok(()),
            };
            if self.events.send(event).is_err() {
                return Ok(()); // le hub a disparu : le serveur s'arrête
            }
        }
    }

    /// « Doucement ! », au plus une fois par SLOWDOWN_NOTICE_INTERVAL.
    fn warn_slowdown(&self, last_warning: &mut Option<Instant>) {
        if last_warning.is_none_or(|at| at.elapsed() >= SLOWDOWN_NOTICE_INTERVAL) {
            *last_warning = Some(Instant::now());
            self.notify(slowdown_notice(self.config.max_rate));
        }
    }

    /// Un avis pour ce client seulement, déposé par le hub dans sa file.
    fn notify(&self, notice: String) {
        let _ = self.events.send(Event::Notice {
            id: self.id,
            line: notice.into(),
        });
    }
}
// ANCHOR_END: reader

// ANCHOR: bounded_line
/// Résultat d'une lecture de ligne bornée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// Une ligne complète est dans le tampon (sans `\n` ni `\r` final).
    Line,
    /// La ligne dépasse la limite ; son début a été jeté, la suite reste à jeter.
    TooLong,
    /// Le client a fermé sa connexion.
    End,
}

/// Lit une ligne d'au plus `max_line` octets dans `line`.
///
/// `read_until` seul lirait jusqu'au `\n`, même s'il n'arrive jamais : un client
/// malveillant ferait grossir le tampon jusqu'à épuiser la mémoire.
/// `take(max_line + 1)` l'arrête au plus tard après `max_line + 1` octets : s'il n'y
/// a toujours pas de `\n`, la ligne est trop longue.
pub fn read_line_bounded(
    reader: &mut impl BufRead,
    max_line: usize,
    line: &mut Vec<u8>,
) -> io::Result<LineRead> {
    line.clear();
    // `--max-line` énorme : pas de débordement
    let limit = (max_line as u64).saturating_add(1);
    if reader.by_ref().take(limit).read_until(b'\n', line)? == 0 {
        return Ok(LineRead::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop(); // `nc -C` et telnet terminent les lignes par \r\n
        }
        return Ok(LineRead::Line);
    }
    if line.len() <= max_line {
        // dernière ligne, sans `\n`, juste avant la fermeture
        return Ok(LineRead::Line);
    }
    line.clear();
    Ok(LineRead::TooLong)
}
// ANCHOR_END: bounded_line
