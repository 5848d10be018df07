//! Scénario « chat » : la boucle OUVERTE, à la manière de wrk2.
//!
//! Les messages partent selon un horaire fixé d'avance, que le serveur suive ou non,
//! comme une classe qui continue d'écrire pendant que le serveur est figé. Un serveur
//! débordé se voit : la file d'attente grossit et la latence explose, au lieu que les
//! clients ralentissent avec lui.
//!
//! Chaque ligne porte un marqueur `~tirage:émetteur:numéro:prévu:envoyé~`, cherché
//! n'importe où dans la ligne reçue : chaque serveur ajoute son préfixe
//! (`[127.0.0.1:54321] `, `b3: `).

use std::hash::{BuildHasher, RandomState};
use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Poll};

use crate::net::{connect_all, receive_available, register, send_pending};
use crate::stats::{Latencies, Progress};
use crate::system::cpu_time;

/// Une charge : `messages` lignes de `line_len` octets (fin de ligne comprise),
/// réparties régulièrement sur la durée `over`, envoyées par les clients à tour de
/// rôle.
#[derive(Debug, Clone, Copy)]
pub struct ChatLoad {
    pub messages: u64,
    pub over: Duration,
    pub line_len: usize,
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
const DRAIN: Duration = Duration::from_secs(2);
/// Octets en attente d'envoi au plus par client (en plus des tampons du noyau) :
/// au-delà, la ligne n'est pas envoyée et compte perdue. La mémoire du générateur
/// reste bornée.
const MAX_UNSENT: usize = 1024 * 1024;
/// Ligne reçue la plus longue que l'on garde ; au-delà, le début est jeté.
const MAX_LINE: usize = 64 * 1024;

/// Un client simulé : sa socket, ce qui attend d'être écrit, le début d'une ligne
/// reçue.
struct Member {
    stream: TcpStream,
    unsent: Vec<u8>,
    partial: Vec<u8>,
    open: bool,
    welcomed: bool,
}

impl Member {
    /// Écrit ce que le noyau accepte ; le reste partira quand la socket sera
    /// inscriptible (WRITABLE).
    fn flush(&mut self) {
        self.open &= send_pending(&mut self.stream, &mut self.unsent).is_ok();
    }

    /// Lit tout, découpe en lignes, passe les marqueurs à `on_marker`, répond au
    /// pseudo.
    fn receive(&mut self, buffer: &mut [u8], on_marker: &mut dyn FnMut(Marker)) {
        let mut asked_nick = false;
        let read = receive_available(&mut self.stream, buffer, |data| {
            for piece in data.split_inclusive(|&byte| byte == b'\n') {
                if self.partial.len() + piece.len() > MAX_LINE {
                    self.partial.clear();
                }
                self.partial.extend_from_slice(piece);
                if !piece.ends_with(b"\n") {
                    continue;
                }
                let line = &self.partial[..];
                if line.starts_with(b"***") {
                    // Les annonces du serveur ; la question est `NICK_PROMPT` de la
                    // leçon 05.
                    self.welcomed |= line.starts_with(b"*** Bienvenue");
                    asked_nick |= line.starts_with("*** Votre pseudo".as_bytes());
                } else if let Some(marker) = Marker::find(line) {
                    on_marker(marker);
                }
                self.partial.clear();
            }
        });
        self.open &= read.is_ok();
        if asked_nick {
            // Un pseudo court et unique : le port local de la connexion.
            let port = self.stream.local_addr().map_or(0, |addr| addr.port());
            self.unsent.extend(format!("b{port}\n").bytes());
        }
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
    /// Cherche `~tirage:émetteur:numéro:prévu:envoyé~` n'importe où dans la ligne.
    pub fn find(line: &[u8]) -> Option<Marker> {
        let text = String::from_utf8_lossy(line);
        let text = text.split('~').nth(1)?;
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
        let mut room = ChatRoom {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            members: Vec::with_capacity(clients),
            epoch: Instant::now(),
            tag: 0,
            expected_seq: vec![0; clients * clients],
            buffer: vec![0; 256 * 1024],
        };
        for (index, mut stream) in connect_all(addr, clients)?.into_iter().enumerate()
        {
            register(&room.poll, &mut stream, index)?;
            let (unsent, partial, open, welcomed) =
                (Vec::new(), Vec::new(), true, false);
            room.members.push(Member {
                stream,
                unsent,
                partial,
                open,
                welcomed,
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while let waiting @ 1.. = room.members.iter().filter(|m| !m.welcomed).count()
        {
            if Instant::now() > deadline {
                let message =
                    format!("{waiting} clients n'ont jamais reçu « *** Bienvenue »");
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
        let drain_end = Instant::now() + DRAIN;
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
        let mut line = Vec::with_capacity(line_len);
        let _ = write!(line, "~{}:{sender}:{seq}:{scheduled}:{now}~ ", self.tag);
        line.resize(line_len.max(line.len() + 1) - 1, b'x');
        line.push(b'\n');
        let member = &mut self.members[sender];
        if member.unsent.len() + line.len() <= MAX_UNSENT {
            member.unsent.extend_from_slice(&line);
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
        let (tag, clients) = (self.tag, self.members.len());
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
            member.receive(&mut self.buffer, &mut |marker| {
                if marker.tag == tag {
                    outcome.check(marker, index, now_us, seqs);
                }
            });
            member.flush();
        }
        Ok(())
    }
}
