//! Scénario « chat » : la boucle OUVERTE, à la manière de wrk2.
//!
//! Les messages partent selon un horaire fixé d'avance, que le serveur suive ou non,
//! comme une classe qui continue d'écrire pendant que le serveur est figé. Un serveur
//! débordé se voit : la file d'attente grossit et la latence explose, au lieu que les
//! clients ralentissent avec lui.
//!
//! Chaque ligne porte un marqueur `~tirage:émetteur:numéro:prévu:envoyé~`, cherché
//! n'importe où dans la ligne reçue : chaque serveur ajoute son préfixe
//! (`[127.0.0.1:54321] `, `b3: `). Ce qui entoure le message (un pseudo à donner,
//! une fin de ligne) dépend du protocole du serveur : c'est le [`Dialect`].

use std::hash::{BuildHasher, RandomState};
use std::io::{self, ErrorKind, Write};
use std::net::{self as std_net, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Poll};

use crate::net::{connect, nonblocking, receive_available, register, send_pending};
use crate::stats::{Latencies, Progress};
use crate::system::cpu_time;

/// Une charge : `messages` lignes de `line_len` octets (fin de ligne comprise),
/// réparties régulièrement sur la durée `over`, envoyées par les clients à tour de
/// rôle. Ce qui n'est pas arrivé `drain` après le dernier envoi compte perdu.
#[derive(Debug, Clone, Copy)]
pub struct ChatLoad {
    pub messages: u64,
    pub over: Duration,
    pub line_len: usize,
    pub drain: Duration,
}

impl ChatLoad {
    /// `rate` messages par seconde pendant `over`.
    pub fn steady(rate: f64, over: Duration, line_len: usize) -> ChatLoad {
        let messages = (rate * over.as_secs_f64()).round().max(1.0) as u64;
        let burst = ChatLoad::burst(messages, line_len);
        ChatLoad { over, ..burst }
    }

    // ANCHOR: burst
    /// Une rafale : le même horaire, comprimé à l'instant zéro. Tout part d'un coup,
    /// comme une classe qui colle en même temps un long texte ; la latence de
    /// chaque ligne part de l'instant de la rafale : c'est l'attente de celui qui
    /// lit la dernière.
    pub fn burst(messages: u64, line_len: usize) -> ChatLoad {
        // Toutes les heures prévues valent l'heure du départ.
        let over = Duration::ZERO;
        ChatLoad {
            messages,
            over,
            line_len,
            drain: DRAIN,
        }
    }
    // ANCHOR_END: burst

    /// L'heure prévue du `k`-ième message, fixée avant de commencer.
    fn scheduled(&self, start: Instant, k: u64) -> Instant {
        start + self.over.mul_f64(k as f64 / self.messages as f64)
    }
}

/// Ce qu'a mesuré une charge : messages, livraisons attendues (chez chacun des
/// autres), reçues dans l'ordre, dans le désordre, clients déconnectés, deux
/// latences, durée, CPU du serveur.
#[derive(Clone, Default)]
pub struct ChatOutcome {
    pub sent: u64,
    pub expected: u64,
    pub delivered: u64,
    pub disordered: u64,
    pub closed: u64,
    /// Depuis l'heure PRÉVUE de l'envoi (« corrigée »), depuis l'envoi réel (« non
    /// corrigée »).
    pub corrected: Latencies,
    pub uncorrected: Latencies,
    pub total: Duration,
    pub server_cpu: Option<Duration>,
}

impl ChatOutcome {
    // ANCHOR: check_delivery
    /// Vérifie un message reçu par le client `receiver` à `now_us`, sachant le
    /// prochain numéro attendu de chaque émetteur (`seqs`). Un message en double,
    /// en avance (le précédent est perdu) ou renvoyé à son auteur compte « dans
    /// le désordre » ; un absent compte perdu.
    pub fn check(
        &mut self,
        marker: Marker,
        receiver: usize,
        now_us: u64,
        seqs: &mut [u32],
    ) {
        let Some(expected) = seqs.get_mut(marker.sender) else {
            return; // Un émetteur inconnu : ce n'est pas un message de ce salon.
        };
        if marker.sender == receiver || marker.seq != *expected {
            // Un chat ne renvoie pas son message à l'auteur : compté « livré », ce
            // retour masquerait une perte chez un autre client.
            self.disordered += 1;
        } else {
            self.delivered += 1;
            // Les deux latences de la même livraison : depuis l'heure prévue, et
            // depuis l'envoi réel. Elles ne diffèrent que si le message a
            // attendu avant de partir.
            let since =
                |at_us: u64| Duration::from_micros(now_us.saturating_sub(at_us));
            self.corrected.record(since(marker.scheduled_us));
            self.uncorrected.record(since(marker.sent_us));
        }
        *expected = (*expected).max(marker.seq.saturating_add(1));
    }
    // ANCHOR_END: check_delivery

    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.delivered)
    }

    /// Rien de perdu, rien dans le désordre, personne de déconnecté.
    pub fn is_complete(&self) -> bool {
        self.lost() == 0 && self.disordered == 0 && self.closed == 0
    }
}

/// Ce que l'on attend au plus, après le dernier envoi, les dernières livraisons.
pub const DRAIN: Duration = Duration::from_secs(2);
/// Octets en attente d'envoi au plus par client (en plus des tampons du noyau) :
/// au-delà, la ligne n'est pas envoyée et compte perdue. La mémoire du générateur
/// reste bornée.
const MAX_UNSENT: usize = 1024 * 1024;
/// Ligne reçue la plus longue que l'on garde ; au-delà, le début est jeté.
const MAX_LINE: usize = 64 * 1024;

// ANCHOR: dialect
/// Ce que le protocole d'un serveur ajoute autour des messages du banc ; la mesure,
/// elle, ne change pas. Par défaut, des lignes finies par `\n`. Le comparatif
/// (`tools/bench-suite`) définit aussi IRC et le WebSocket de la leçon 08.
pub trait Dialect {
    /// Une connexion neuve, encore bloquante, avant la boucle : s'inscrire,
    /// changer de protocole… Rien par défaut.
    fn open(&self, _stream: &mut std_net::TcpStream, _nick: &str) -> io::Result<()> {
        Ok(())
    }

    /// Une ligne du serveur sans marqueur : ce qu'on y répond (dans `reply`), et
    /// `true` si elle dit que le client est entré dans le salon.
    fn on_line(&self, line: &[u8], nick: &str, reply: &mut Vec<u8>) -> bool;

    /// Ajoute à `out` le message `text`, tel qu'il part sur la connexion.
    fn frame(&self, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(text);
        out.push(b'\n');
    }

    /// La première ligne complète de `data`, et le nombre d'octets qu'elle occupe.
    fn next_line<'a>(&self, data: &'a [u8]) -> Option<(&'a [u8], usize)> {
        let end = data.iter().position(|&byte| byte == b'\n')? + 1;
        Some((&data[..end], end))
    }
}

/// Les chats des leçons 03 à 05 : chacun salue d'un « *** Bienvenue » ; la leçon 05
/// demande d'abord un pseudo (sa question est `NICK_PROMPT`).
pub struct Lesson05;

impl Dialect for Lesson05 {
    fn on_line(&self, line: &[u8], nick: &str, reply: &mut Vec<u8>) -> bool {
        if line.starts_with("*** Votre pseudo".as_bytes()) {
            self.frame(nick.as_bytes(), reply);
        }
        line.starts_with(b"*** Bienvenue")
    }
}
// ANCHOR_END: dialect

/// Un client simulé : sa socket, son pseudo, ce qui attend d'être écrit, le début
/// d'une ligne reçue.
struct Member {
    stream: TcpStream,
    nick: String,
    unsent: Vec<u8>,
    received: Vec<u8>,
    open: bool,
    welcomed: bool,
}

impl Member {
    /// Écrit ce que le noyau accepte ; le reste partira quand la socket sera
    /// inscriptible (WRITABLE).
    fn flush(&mut self) {
        self.open &= send_pending(&mut self.stream, &mut self.unsent).is_ok();
    }

    /// Lit tout, découpe en lignes, passe les marqueurs à `on_marker` ; le reste
    /// (annonces, questions du serveur) va au dialecte.
    fn receive(
        &mut self,
        dialect: &dyn Dialect,
        buffer: &mut [u8],
        on_marker: &mut dyn FnMut(Marker),
    ) {
        let Member {
            stream,
            nick,
            unsent,
            received,
            welcomed,
            ..
        } = self;
        let read = receive_available(stream, buffer, |data| {
            received.extend_from_slice(data);
            let mut used = 0;
            while let Some((line, len)) = dialect.next_line(&received[used..]) {
                used += len;
                match Marker::find(line) {
                    Some(marker) => on_marker(marker),
                    None => *welcomed |= dialect.on_line(line, nick, unsent),
                }
            }
            received.drain(..used);
            if received.len() > MAX_LINE {
                received.clear(); // Une ligne sans fin : on jette son début.
            }
        });
        self.open &= read.is_ok();
    }
}

/// Un marqueur reçu. Le tirage distingue les mesures (l'historique de la leçon 05 en
/// rejoue d'anciennes) ; les heures prévue et réelle de l'envoi sont en µs depuis
/// l'entrée au salon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub tag: u32,
    pub sender: usize,
    pub seq: u32,
    pub scheduled_us: u64,
    pub sent_us: u64,
}

impl Marker {
    /// Cherche `~tirage:émetteur:numéro:prévu:envoyé~` n'importe où dans la ligne
    /// (un `~` peut le précéder : ngIRCd écrit `:b1!~b1@127.0.0.1 PRIVMSG …`).
    pub fn find(line: &[u8]) -> Option<Marker> {
        let text = String::from_utf8_lossy(line);
        text.split('~').skip(1).find_map(Marker::parse)
    }

    fn parse(text: &str) -> Option<Marker> {
        let fields: Result<Vec<u64>, _> = text.split(':').map(str::parse).collect();
        let &[tag, sender, seq, scheduled_us, sent_us] = fields.ok()?.as_slice()
        else {
            return None;
        };
        let (tag, sender, seq) = (tag as u32, sender as usize, seq as u32);
        Some(Marker {
            tag,
            sender,
            seq,
            scheduled_us,
            sent_us,
        })
    }
}

/// Un salon simulé, dans une seule boucle mio : ses clients, l'origine des
/// horodatages, le tirage de la mesure, et le prochain numéro attendu
/// (`expected_seq[client * n + émetteur]`).
pub struct ChatRoom {
    dialect: &'static dyn Dialect,
    poll: Poll,
    events: Events,
    members: Vec<Member>,
    epoch: Instant,
    tag: u32,
    expected_seq: Vec<u32>,
    buffer: Vec<u8>,
}

impl ChatRoom {
    /// Connecte `clients` clients et attend (30 s au plus) que le serveur les ait
    /// tous salués d'un « *** Bienvenue » (après un pseudo, leçon 05) : salué, un
    /// client est inscrit.
    pub fn join(addr: SocketAddr, clients: usize) -> io::Result<ChatRoom> {
        ChatRoom::join_with(addr, clients, &Lesson05)
    }

    /// Pareil, avec le protocole `dialect` : chacun est entré quand le dialecte
    /// le dit.
    pub fn join_with(
        addr: SocketAddr,
        clients: usize,
        dialect: &'static dyn Dialect,
    ) -> io::Result<ChatRoom> {
        let mut room = ChatRoom {
            dialect,
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            members: Vec::with_capacity(clients),
            epoch: Instant::now(),
            tag: 0,
            expected_seq: vec![0; clients * clients],
            buffer: vec![0; 256 * 1024],
        };
        for index in 0..clients {
            let mut stream = connect(addr)?;
            // Un pseudo court et unique : le port local de la connexion.
            let nick = format!("b{}", stream.local_addr()?.port());
            dialect.open(&mut stream, &nick)?;
            let mut stream = nonblocking(stream)?;
            register(&room.poll, &mut stream, index)?;
            let (unsent, received, open, welcomed) =
                (Vec::new(), Vec::new(), true, false);
            room.members.push(Member {
                stream,
                nick,
                unsent,
                received,
                open,
                welcomed,
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while let waiting @ 1.. = room.members.iter().filter(|m| !m.welcomed).count()
        {
            if Instant::now() > deadline {
                let message =
                    format!("{waiting} clients ne sont pas entrés dans le salon");
                return Err(io::Error::new(ErrorKind::TimedOut, message));
            }
            room.poll_once(Duration::from_millis(10), &mut ChatOutcome::default())?;
        }
        Ok(room)
    }

    /// Applique la charge au salon et vérifie chaque livraison ; `pid` : celui du
    /// serveur.
    pub fn run(
        &mut self,
        load: ChatLoad,
        pid: Option<u32>,
        progress: &mut dyn FnMut(&Progress),
    ) -> io::Result<ChatOutcome> {
        self.tag = RandomState::new().hash_one(Instant::now()) as u32; // Un tirage au sort.
        self.expected_seq.fill(0);
        let (mut outcome, cpu_start) =
            (ChatOutcome::default(), pid.and_then(cpu_time));
        let (start, speakers) = (Instant::now(), self.members.len().max(1) as u64);
        // ANCHOR: open_loop
        while outcome.sent < load.messages {
            // Boucle ouverte : on envoie tout ce que l'horaire demande, même en
            // retard, sans attendre aucune réponse. La latence partira de
            // l'heure PRÉVUE : si le message part en retard, ce retard
            // compte.
            while outcome.sent < load.messages
                && load.scheduled(start, outcome.sent) <= Instant::now()
            {
                let (sender, seq) =
                    (outcome.sent % speakers, outcome.sent / speakers);
                let scheduled = load.scheduled(start, outcome.sent);
                self.send(sender as usize, seq as u32, scheduled, load.line_len);
                outcome.sent += 1;
            }
            // Attendre le prochain envoi prévu en lisant ce qui arrive. `poll` compte
            // en millisecondes : la fin de l'attente se fait en dormant,
            // à la microseconde.
            let next = load.scheduled(start, outcome.sent.min(load.messages - 1));
            let wait = next.saturating_duration_since(Instant::now());
            if wait < Duration::from_millis(1) {
                std::thread::sleep(wait);
            }
            let wait = Duration::from_millis(wait.as_millis().min(5) as u64);
            self.poll_once(wait, &mut outcome)?;
            progress(&Progress::since(start, outcome.sent, outcome.delivered));
        }
        // ANCHOR_END: open_loop
        outcome.expected = outcome.sent * (speakers - 1); // Chacun, sauf l'émetteur.
        let drain_end = Instant::now() + load.drain;
        while outcome.delivered < outcome.expected && Instant::now() < drain_end {
            self.poll_once(Duration::from_millis(10), &mut outcome)?;
            progress(&Progress::since(start, outcome.sent, outcome.delivered));
        }
        outcome.total = start.elapsed();
        if let (Some(begin), Some(end)) = (cpu_start, pid.and_then(cpu_time)) {
            outcome.server_cpu = Some(end.saturating_sub(begin));
        }
        outcome.closed =
            self.members.iter().filter(|member| !member.open).count() as u64;
        Ok(outcome)
    }

    /// Envoie le message `seq` du client `sender`, prévu à `scheduled` ; l'heure de
    /// l'envoi réel, c'est maintenant, quand le générateur a pu s'en occuper.
    fn send(&mut self, sender: usize, seq: u32, scheduled: Instant, line_len: usize) {
        let micros =
            |at: Instant| at.saturating_duration_since(self.epoch).as_micros();
        let (scheduled, now) = (micros(scheduled), micros(Instant::now()));
        let mut text = Vec::with_capacity(line_len);
        let _ = write!(text, "~{}:{sender}:{seq}:{scheduled}:{now}~ ", self.tag);
        // `line_len` octets avec la fin de ligne `\n` de la leçon 05.
        text.resize(line_len.max(text.len() + 1) - 1, b'x');
        let member = &mut self.members[sender];
        if member.unsent.len() + line_len <= MAX_UNSENT {
            self.dialect.frame(&text, &mut member.unsent);
        }
        member.flush();
    }

    /// Attend des événements (au plus `timeout`), lit et vérifie ce qui est arrivé,
    /// écrit.
    fn poll_once(
        &mut self,
        timeout: Duration,
        outcome: &mut ChatOutcome,
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Err(err) if err.kind() == ErrorKind::Interrupted => return Ok(()),
            other => other?,
        }
        let (tag, clients, dialect) = (self.tag, self.members.len(), self.dialect);
        for event in self.events.iter() {
            // L'heure de réception, relue à chaque client : lire un gros arrivage
            // prend du temps.
            let now_us = self.epoch.elapsed().as_micros() as u64;
            let index = event.token().0;
            let member = &mut self.members[index];
            if !member.open {
                continue;
            }
            let seqs = &mut self.expected_seq[index * clients..(index + 1) * clients];
            member.receive(dialect, &mut self.buffer, &mut |marker| {
                if marker.tag == tag {
                    outcome.check(marker, index, now_us, seqs);
                }
            });
            member.flush();
        }
        Ok(())
    }
}
