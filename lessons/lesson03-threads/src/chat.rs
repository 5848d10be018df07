//! Le serveur de chat : chaque ligne reçue est relayée à tous les autres clients.
//!
//! ## Le piège : la liste des clients partagée
//!
//! Le chat Python du cours (§6) partage une liste `clients` entre tous les threads, sans
//! verrou : un thread la parcourt pour diffuser pendant qu'un autre y retire un client qui
//! part. Selon le moment, le message part vers une socket fermée, ou un client est sauté.
//! Le TP 04 (§2.2) le remarque : « il peut y avoir des éléments qui ne sont pas à jour ».
//!
//! En Rust, la traduction directe ne compile même pas. Pour que plusieurs threads voient la
//! même liste, il faut la partager, par exemple dans un `Arc<Vec<TcpStream>>` ; or un `Arc`
//! ne donne qu'un accès partagé (`&`), et `push` ou `remove` exigent un accès exclusif
//! (`&mut`). Le compilateur refuse : la course de données est une erreur de compilation. Il
//! oblige à choisir une vraie solution :
//!
//! 1. un registre partagé derrière un verrou, `Arc<Mutex<HashMap<..>>>` ;
//! 2. un seul thread propriétaire de la liste, le **hub**, à qui les autres envoient des
//!    événements (arrivée, ligne, départ) par un canal.
//!
//! Nous prenons la seconde. Avec un verrou, il faut penser à ne jamais écrire sur une socket
//! en le tenant, sinon un seul client lent bloque la diffusion et tous les threads qui
//! attendent le verrou. Avec le hub, il n'y a pas de verrou à oublier : lui seul touche la
//! liste et il traite les événements l'un après l'autre, donc la course du TP 04 ne peut pas
//! se produire, par construction. Et le hub n'écrit jamais sur une socket : il dépose les
//! lignes dans une file bornée par client, vidée par un thread écrivain propre à ce client.
//! Un client qui ne lit plus remplit SA file ; le hub le constate et le déconnecte. Les
//! autres ne l'attendent jamais plus d'un court délai de grâce (voir [`SLOW_CLIENT_GRACE`]).
//!
//! Chaque client a donc deux threads : un **lecteur** (socket → hub) et un **écrivain**
//! (file → socket).
//!
//! ```text
//!   lecteur A ──┐                          ┌──▶ file A ──▶ écrivain A ──▶ socket A
//!   lecteur B ──┼──▶ canal ──▶ hub (liste) ┼──▶ file B ──▶ écrivain B ──▶ socket B
//!   accept()  ──┘                          └──▶ file C ──▶ écrivain C ──▶ socket C
//! ```
//!
//! Pourquoi un délai de grâce, et pas un verdict immédiat dès que la file est pleine ? Parce
//! qu'un bavard qui inonde le salon remplit en une fraction de milliseconde la file d'un client
//! honnête dont l'écrivain n'a simplement pas eu le processeur à ce moment-là (essayé : sur
//! deux cœurs, `yes | nc` suffisait à faire déconnecter un `nc` qui lisait normalement).
//! Attendre un peu laisse l'écrivain rattraper son retard ; pendant ce temps, le hub ne lit
//! plus ses événements, les lecteurs attendent, et TCP freine le bavard : c'est lui qui ralentit,
//! pas les autres. Un client vraiment bloqué ne coûte ce délai qu'une fois : il est déconnecté.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender};

use crate::{ClientLimit, ClientSlot, DEFAULT_MAX_CLIENTS, accept_failed, refuse_and_log};

/// Longueur maximale d'une ligne, en octets, par défaut.
pub const DEFAULT_MAX_LINE: usize = 1024;

/// Nombre de lignes en attente pour un client, par défaut, avant qu'il soit jugé trop lent.
pub const DEFAULT_QUEUE_CAPACITY: usize = 256;

/// Capacité du canal des événements vers le hub. Borné lui aussi : si le hub prend du retard,
/// les lecteurs attendent, cessent de lire leur socket, et TCP freine les clients bavards
/// (c'est la contre-pression). La mémoire du serveur reste bornée.
const EVENT_QUEUE_CAPACITY: usize = 1024;

/// Temps accordé à un client dont la file est pleine pour en libérer une place, avant d'être
/// jugé trop lent et déconnecté. Court, car le hub, donc tout le salon, attend pendant ce temps.
pub const SLOW_CLIENT_GRACE: Duration = Duration::from_millis(100);

/// Un écrivain bloqué plus longtemps que cela sur une écriture abandonne le client.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Réglages du serveur de chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatConfig {
    /// Nombre maximal de clients connectés en même temps.
    pub max_clients: usize,
    /// Longueur maximale d'une ligne reçue, en octets (sans le `\n`).
    pub max_line: usize,
    /// Nombre de lignes en attente d'envoi pour un client. File pleine plus de
    /// [`SLOW_CLIENT_GRACE`] : le client est déconnecté.
    pub queue_capacity: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_line: DEFAULT_MAX_LINE,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }
}

/// Identifiant d'un client, attribué par la boucle d'accept. L'adresse ne suffirait pas :
/// un client parti puis revenu peut retrouver le même port.
type ClientId = u64;

/// Une ligne prête à envoyer. `Arc` : diffusée à cent clients, elle n'est pas copiée cent
/// fois ; chaque file ne reçoit qu'un pointeur vers la même ligne.
type Line = Arc<str>;

/// Ce que les autres threads disent au hub.
enum Event {
    /// Un client arrive : son adresse, sa file d'envoi, sa socket (pour pouvoir la couper).
    Join { id: ClientId, member: Member },
    /// Une ligne à diffuser à tous les autres (déjà préfixée et nettoyée).
    Say { id: ClientId, line: Line },
    /// Une ligne pour ce client seulement (un message d'erreur).
    Notice { id: ClientId, line: Line },
    /// Le client est parti (ou sa connexion est rompue).
    Leave { id: ClientId },
}

// ANCHOR: serve_chat
/// Accepte les clients pour toujours ; chacun reçoit un lecteur et un écrivain.
pub fn serve_chat(listener: TcpListener, config: ChatConfig) -> io::Result<()> {
    let (events, inbox) = crossbeam_channel::bounded(EVENT_QUEUE_CAPACITY);
    let hub = thread::Builder::new()
        .name("hub".into())
        .spawn(move || Hub::default().run(inbox))?;

    let limit = ClientLimit::new(config.max_clients);
    let mut next_id: ClientId = 0;
    loop {
        let (stream, peer) = match listener.accept() {
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
        log_info!("Client connecté : {peer} ({} en cours).", limit.active());
        // L'écrivain regroupe déjà les lignes en attente en un seul envoi : l'algorithme de
        // Nagle, qui retient un petit envoi tant que le précédent n'est pas acquitté,
        // n'ajouterait que du retard (jusqu'à 40 ms avec l'acquittement différé du client).
        let _ = stream.set_nodelay(true);
        next_id += 1;
        if let Err(err) = start_client(next_id, stream, peer, slot, &events, config) {
            log_error!("Impossible de servir {peer} : {err}");
            // Le hub ne s'arrête que s'il a paniqué : sans lui, plus de chat possible.
            if hub.is_finished() {
                return Err(io::Error::other("le hub du chat s'est arrêté"));
            }
        }
    }
}

/// Présente le client au hub et lance ses deux threads.
fn start_client(
    id: ClientId,
    stream: TcpStream,
    peer: SocketAddr,
    slot: ClientSlot,
    events: &Sender<Event>,
    config: ChatConfig,
) -> io::Result<()> {
    let (queue, pending) = crossbeam_channel::bounded(config.queue_capacity);
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    // Trois threads se partagent la MÊME socket : le lecteur, l'écrivain et le hub (qui doit
    // pouvoir la couper). Un `Arc` plutôt que `try_clone()`, qui dupliquerait le descripteur
    // de fichier : un seul descripteur par client, c'est trois fois plus de clients possibles
    // avant d'atteindre la limite du système (`ulimit -n`). La connexion se ferme quand le
    // dernier des trois lâche son `Arc`.
    let stream = Arc::new(stream);
    let writer_stream = Arc::clone(&stream);
    let hub_stream = Arc::clone(&stream);

    thread::Builder::new()
        .name(format!("écrivain-{}", peer.port()))
        .spawn(move || write_queued(writer_stream, pending))?;

    // Le hub apprend l'arrivée AVANT que le lecteur existe : il connaît donc toujours le
    // client quand arrive sa première ligne. (Si le hub a disparu, l'écrivain s'arrête seul :
    // sa file est détruite avec l'événement refusé.)
    let member = Member {
        addr: peer,
        queue,
        stream: hub_stream,
    };
    if events.send(Event::Join { id, member }).is_err() {
        return Err(io::Error::other("le hub du chat s'est arrêté"));
    }

    let reader_events = events.clone();
    let spawned = thread::Builder::new()
        .name(format!("lecteur-{}", peer.port()))
        .spawn(move || read_lines(id, stream, peer, slot, reader_events, config.max_line));
    if let Err(err) = spawned {
        // Pas de lecteur, donc personne pour annoncer le départ : on le fait à sa place.
        let _ = events.send(Event::Leave { id });
        return Err(err);
    }
    Ok(())
}
// ANCHOR_END: serve_chat

// ANCHOR: hub
/// Le seul propriétaire de la liste des clients. Aucun verrou : personne d'autre n'y accède.
#[derive(Default)]
struct Hub {
    members: HashMap<ClientId, Member>,
}

struct Member {
    addr: SocketAddr,
    queue: Sender<Line>,
    stream: Arc<TcpStream>,
}

impl Member {
    /// Dépose une ligne dans la file du client ; renvoie `false` s'il est trop lent.
    fn push(&self, line: Line) -> bool {
        // Place libre : la ligne est déposée aussitôt. File pleine : on attend au plus
        // SLOW_CLIENT_GRACE qu'une place se libère ; au-delà, le verdict tombe.
        // (Disconnected : l'écrivain est mort, son lecteur annoncera bientôt le départ.)
        !matches!(
            self.queue.send_timeout(line, SLOW_CLIENT_GRACE),
            Err(SendTimeoutError::Timeout(_))
        )
    }
}

impl Hub {
    /// Traite les événements un par un, dans l'ordre d'arrivée : deux lignes ne sont jamais
    /// diffusées « en même temps », et la liste est toujours à jour.
    fn run(mut self, inbox: Receiver<Event>) {
        for event in inbox {
            match event {
                Event::Join { id, member } => self.join(id, member),
                Event::Say { id, line } => self.broadcast(Some(id), line),
                Event::Notice { id, line } => self.send_to(id, line),
                Event::Leave { id } => self.leave(id),
            }
        }
        // La boucle s'arrête quand tous les émetteurs du canal ont disparu : le serveur s'arrête.
    }

    fn join(&mut self, id: ClientId, member: Member) {
        let addr = member.addr;
        let others = self.members.len();
        self.members.insert(id, member);
        let welcome =
            format!("*** Bienvenue {addr} ! Autres personnes dans le salon : {others}.\n");
        self.send_to(id, welcome.into());
        self.broadcast(Some(id), format!("*** {addr} a rejoint le salon\n").into());
    }

    fn leave(&mut self, id: ClientId) {
        // Absent de la liste s'il a déjà été déconnecté pour lenteur : pas de second avis.
        if let Some(member) = self.members.remove(&id) {
            let notice = format!("*** {} a quitté le salon\n", member.addr);
            self.broadcast(None, notice.into());
        }
    }

    /// Envoie une ligne à un seul client.
    fn send_to(&mut self, id: ClientId, line: Line) {
        let too_slow = match self.members.get(&id) {
            Some(member) => !member.push(line),
            None => false,
        };
        if too_slow {
            // Déconnecté, et les autres sont prévenus.
            self.broadcast_all(Vec::new(), vec![id]);
        }
    }

    /// Envoie une ligne à tous, sauf à `except` (l'auteur de la ligne).
    fn broadcast(&mut self, except: Option<ClientId>, line: Line) {
        self.broadcast_all(vec![(except, line)], Vec::new());
    }

    /// Diffuse les lignes de `pending` ; chaque client trop lent est déconnecté, ce qui produit
    /// un nouvel avis à diffuser. Une liste de travail plutôt qu'une récursion : même avec des
    /// milliers de clients lents d'un coup, la pile du hub ne grandit pas.
    fn broadcast_all(&mut self, pending: Vec<(Option<ClientId>, Line)>, slow: Vec<ClientId>) {
        let mut pending = VecDeque::from(pending);
        let mut slow = slow;
        loop {
            for id in slow.drain(..) {
                if let Some(notice) = self.disconnect_slow(id) {
                    pending.push_back((None, notice));
                }
            }
            let Some((except, line)) = pending.pop_front() else {
                return;
            };
            for (&id, member) in &self.members {
                if Some(id) == except {
                    continue;
                }
                if !member.push(Line::clone(&line)) {
                    slow.push(id);
                }
            }
        }
    }

    /// Retire un client dont la file est restée pleine ; renvoie l'avis à diffuser aux autres.
    fn disconnect_slow(&mut self, id: ClientId) -> Option<Line> {
        let member = self.members.remove(&id)?;
        // shutdown() agit sur la connexion elle-même, donc sur toutes ses poignées : le lecteur
        // lit 0 octet, l'écrivain échoue sur sa prochaine écriture. Les deux threads se
        // terminent seuls ; retirer le client de la liste a détruit l'émetteur de sa file.
        let _ = member.stream.shutdown(Shutdown::Both);
        log_info!("Client {} trop lent : déconnecté.", member.addr);
        Some(format!("*** {} est trop lent, déconnecté\n", member.addr).into())
    }
}
// ANCHOR_END: hub

// ANCHOR: reader
/// Le lecteur d'un client : découpe ce qu'il envoie en lignes et les passe au hub.
fn read_lines(
    id: ClientId,
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    slot: ClientSlot,
    events: Sender<Event>,
    max_line: usize,
) {
    // `&TcpStream` implémente `Read` : pas besoin de posséder la socket pour la lire.
    let mut reader = BufReader::new(&*stream);
    let mut line = Vec::new();
    let outcome = loop {
        let event = match read_line_bounded(&mut reader, max_line, &mut line) {
            Ok(LineRead::Line) if line.is_empty() => continue,
            Ok(LineRead::Line) => Event::Say {
                id,
                line: format_line(peer, &line),
            },
            Ok(LineRead::TooLong) => {
                let error =
                    format!("*** Ligne trop longue (plus de {max_line} octets), ignorée.\n");
                // On prévient tout de suite, puis on jette la suite de la ligne au fil de
                // l'eau : le reste n'est jamais gardé en mémoire.
                let _ = events.send(Event::Notice {
                    id,
                    line: error.into(),
                });
                match skip_until_newline(&mut reader) {
                    Ok(()) => continue,
                    Err(err) => break Err(err),
                }
            }
            Ok(LineRead::End) => break Ok(()),
            Err(err) => break Err(err),
        };
        if events.send(event).is_err() {
            break Ok(()); // le hub a disparu : le serveur s'arrête
        }
    };
    drop(slot); // la place est rendue avant que la connexion se ferme (voir echo.rs)
    let _ = events.send(Event::Leave { id });
    match outcome {
        Ok(()) => log_info!("Client {peer} parti."),
        Err(err) => log_info!("Connexion avec {peer} interrompue : {err}"),
    }
}

/// Préfixe une ligne par son auteur et neutralise les caractères de contrôle.
///
/// Sans ce nettoyage, un client pourrait envoyer `\x1b[2J` (effacer l'écran) ou d'autres
/// séquences d'échappement que le terminal des AUTRES interpréterait. Seule la tabulation
/// passe. Les octets qui ne sont pas de l'UTF-8 valide deviennent « � ».
pub fn format_line(author: SocketAddr, raw: &[u8]) -> Arc<str> {
    let text: String = String::from_utf8_lossy(raw)
        .chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect();
    format!("[{author}] {text}\n").into()
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
/// `read_until` seul lirait jusqu'au `\n`, même s'il n'arrive jamais : un client malveillant
/// ferait grossir le tampon jusqu'à épuiser la mémoire. `take(max_line + 1)` l'arrête au plus
/// tard après `max_line + 1` octets : s'il n'y a toujours pas de `\n`, la ligne est trop longue.
pub fn read_line_bounded(
    reader: &mut impl BufRead,
    max_line: usize,
    line: &mut Vec<u8>,
) -> io::Result<LineRead> {
    line.clear();
    let limit = (max_line as u64).saturating_add(1); // `--max-line` énorme : pas de débordement
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
        return Ok(LineRead::Line); // dernière ligne, sans `\n`, juste avant la fermeture
    }
    line.clear();
    Ok(LineRead::TooLong)
}

/// Jette tout jusqu'au prochain `\n` inclus, morceau par morceau, sans rien garder.
pub fn skip_until_newline(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(()); // fermeture : la prochaine lecture le dira
        }
        match available.iter().position(|&byte| byte == b'\n') {
            Some(newline) => {
                reader.consume(newline + 1);
                return Ok(());
            }
            None => {
                let len = available.len();
                reader.consume(len);
            }
        }
    }
}
// ANCHOR_END: bounded_line

// ANCHOR: writer
/// L'écrivain d'un client : vide sa file et écrit sur la socket.
///
/// C'est le seul thread qui écrit sur cette socket : deux lignes ne peuvent pas s'y mélanger.
/// S'il est bloqué parce que le client ne lit plus, il est le seul à attendre.
fn write_queued(stream: Arc<TcpStream>, pending: Receiver<Line>) {
    let mut socket: &TcpStream = &stream; // `&TcpStream` implémente aussi `Write`
    let mut batch = Vec::new();
    // recv() échoue quand le hub a retiré le client de la liste (l'émetteur de la file est
    // détruit) ET que la file est vide : tout ce qui était prévu a été écrit.
    while let Ok(line) = pending.recv() {
        // Regrouper ce qui attend déjà : une seule écriture (un seul appel système, souvent un
        // seul paquet) pour N lignes, au lieu de N. Sous forte charge, cela change tout.
        // `take(len)` : ce qui attend MAINTENANT, pas ce qui arrivera pendant qu'on copie.
        batch.clear();
        batch.extend_from_slice(line.as_bytes());
        for line in pending.try_iter().take(pending.len()) {
            batch.extend_from_slice(line.as_bytes());
        }
        if socket.write_all(&batch).is_err() {
            // Connexion rompue ou client bloqué depuis WRITE_TIMEOUT : on coupe tout, ce qui
            // réveille aussi le lecteur, qui annoncera le départ au hub.
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}
// ANCHOR_END: writer
