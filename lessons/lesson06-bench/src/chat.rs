//! Charge de chat en boucle OUVERTE : les messages partent à heure fixe, que le serveur
//! suive ou non. C'est ainsi qu'un serveur débordé se voit : la file d'attente grossit et
//! la latence explose, au lieu que le client ralentisse poliment (boucle fermée).
//!
//! Chaque message porte un marqueur `~essai:émetteur:numéro:horodatage~`, cherché n'importe
//! où dans la ligne reçue : peu importe le préfixe ajouté par le serveur (`[adresse]`,
//! `alice:` ou `<alice>`). Chaque livraison est vérifiée (rien de perdu, ordre de chaque
//! émetteur respecté) et chronométrée de l'envoi à la réception. Les lignes qui
//! commencent par `***` (annonces du serveur) sont ignorées.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::echo::{connect_many, new_histogram};
use crate::servers::Protocol;
use crate::system;

/// Longueur des lignes de chat envoyées, fin de ligne comprise (un message court réaliste).
pub const CHAT_LINE_LEN: usize = 100;

/// Un client du salon simulé.
struct Member {
    stream: TcpStream,
    /// Octets en attente d'envoi (le serveur ne lit pas assez vite), au plus [`MAX_UNSENT`].
    unsent: Vec<u8>,
    /// Début de ligne reçu, pas encore terminé (borné par [`MAX_LINE`]).
    partial: Vec<u8>,
    /// Le client muet ne lit jamais : ses tampons se remplissent.
    reads: bool,
    open: bool,
    /// Lignes de l'essai 0 reçues (synchronisation et remplissage) : tant qu'il n'en a reçu
    /// aucune, le serveur ne lui diffuse pas encore les messages des autres.
    warmup_lines: u64,
    /// A reçu « *** Bienvenue » (leçon 05, après son pseudo).
    welcomed: bool,
}

/// Le résultat d'un palier de débit.
#[derive(Debug, Clone)]
pub struct ChatStep {
    /// Livraisons par seconde demandées (messages × destinataires).
    pub offered: f64,
    /// Messages réellement envoyés.
    pub sent: u64,
    /// Livraisons attendues : chaque message, à chaque client qui lit sauf l'émetteur.
    pub expected: u64,
    /// Livraisons reçues dans l'ordre.
    pub delivered: u64,
    /// Messages reçus hors de l'ordre de leur émetteur, dupliqués ou renvoyés à leur auteur.
    pub disordered: u64,
    /// Durée de l'envoi.
    pub window: Duration,
    /// Envoi + vidange.
    pub total: Duration,
    /// Latence de livraison, en nanosecondes.
    pub latency: Histogram<u64>,
    /// Temps CPU du serveur pendant l'envoi et la vidange.
    pub server_cpu: Option<Duration>,
    /// Plus grand retard du générateur sur son horaire (un à-coup de l'ordonnanceur suffit).
    pub max_lag: Duration,
    /// Retard du générateur au dernier envoi : s'il reste grand, le générateur n'a pas
    /// suivi l'horaire et c'est lui, pas le serveur, qui limite.
    pub final_lag: Duration,
    /// Connexions fermées par le serveur.
    pub closed: u64,
}

impl ChatStep {
    fn new(offered: f64, window: Duration) -> ChatStep {
        ChatStep {
            offered,
            sent: 0,
            expected: 0,
            delivered: 0,
            disordered: 0,
            window,
            total: window,
            latency: new_histogram(),
            server_cpu: None,
            max_lag: Duration::ZERO,
            final_lag: Duration::ZERO,
            closed: 0,
        }
    }

    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.delivered)
    }

    pub fn deliveries_per_second(&self) -> f64 {
        self.delivered as f64 / self.window.as_secs_f64().max(1e-9)
    }

    pub fn cpu_per_delivery_us(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.delivered > 0).then(|| cpu.as_secs_f64() * 1e6 / self.delivered as f64)
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.99) as f64 / 1e6
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.50) as f64 / 1e6
    }

    /// Le générateur a-t-il tenu son horaire ?
    pub fn generator_kept_up(&self) -> bool {
        self.final_lag < Duration::from_millis(50)
    }
}

/// Un salon de chat simulé : `clients` connexions au même serveur.
pub struct ChatRoom {
    poll: Poll,
    members: Vec<Member>,
    /// Index des clients qui parlent et lisent.
    speakers: Vec<usize>,
    epoch: Instant,
    run: u32,
    server_pid: Option<u32>,
    /// Numéro attendu du prochain message de chaque émetteur, pour chaque destinataire :
    /// `expected_seq[destinataire * n + émetteur]`.
    expected_seq: Vec<u32>,
    events: Events,
    buffer: Vec<u8>,
}

/// Longueur des lignes de remplissage (sous la limite de 1 024 octets des leçons).
const FILL_LINE_LEN: usize = 800;
/// Clients qui donnent leur pseudo ensemble (leçon 05).
const JOIN_BATCH: usize = 25;
/// Lignes de remplissage en vol au plus.
const FILL_WINDOW: u64 = 64;

/// File d'envoi maximale d'un client simulé, en plus des tampons du noyau. Une ligne qui
/// n'y tient plus n'est pas envoyée : elle reste comptée comme envoyée, donc perdue. Un
/// générateur en boucle ouverte face à un serveur qui ne lit plus garde ainsi une mémoire
/// bornée, et la panne se voit dans les pertes.
const MAX_UNSENT: usize = 64 * 1024;
/// Ligne reçue la plus longue que l'on garde : les vraies font au plus un kilo-octet. Au-delà,
/// le début est jeté (la ligne, illisible, compte comme perdue) plutôt que d'occuper la mémoire.
const MAX_LINE: usize = 64 * 1024;

/// Combien de temps on attend les dernières livraisons après l'envoi.
const DRAIN: Duration = Duration::from_secs(2);

impl ChatRoom {
    /// Connecte `clients` clients (dont un muet si `silent`), entre dans le salon selon
    /// `protocol`, puis vérifie que chacun reçoit bien les messages des autres.
    pub fn join(
        addr: SocketAddr,
        clients: usize,
        protocol: Protocol,
        silent: bool,
        server_pid: Option<u32>,
    ) -> io::Result<ChatRoom> {
        let poll = Poll::new()?;
        let mut members = Vec::with_capacity(clients);
        let mut streams = Vec::with_capacity(clients);
        if silent {
            streams.push(connect_silent(addr)?);
        }
        streams.extend(connect_many(addr, clients - streams.len())?);
        for (index, stream) in streams.into_iter().enumerate() {
            let reads = !(silent && index == 0);
            members.push(Member {
                stream,
                unsent: Vec::new(),
                partial: Vec::new(),
                reads,
                open: true,
                warmup_lines: 0,
                welcomed: false,
            });
        }
        for (index, member) in members.iter_mut().enumerate() {
            let interest = if member.reads {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::WRITABLE
            };
            poll.registry()
                .register(&mut member.stream, Token(index), interest)?;
        }
        let speakers = (0..clients).filter(|&i| members[i].reads).collect();
        let mut room = ChatRoom {
            poll,
            members,
            speakers,
            epoch: Instant::now(),
            run: 0,
            server_pid,
            expected_seq: vec![0; clients * clients],
            events: Events::with_capacity(1024),
            buffer: vec![0u8; 256 * 1024],
        };
        if protocol == Protocol::Nickname {
            room.register()?;
        }
        room.synchronize()?;
        Ok(room)
    }

    /// Donne un pseudo à chaque client, par groupes de [`JOIN_BATCH`], en attendant le
    /// « *** Bienvenue » de chaque groupe : de vrais clients arrivent au fil de l'eau, pas
    /// 500 d'un coup (chaque arrivée est annoncée à tout le salon).
    fn register(&mut self) -> io::Result<()> {
        let clients = self.members.len();
        for first in (0..clients).step_by(JOIN_BATCH) {
            let batch = first..(first + JOIN_BATCH).min(clients);
            for index in batch.clone() {
                self.queue(index, format!("b{index}\n").as_bytes());
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let waiting = batch
                    .clone()
                    .filter(|&i| self.members[i].reads && !self.members[i].welcomed)
                    .count();
                if waiting == 0 {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(io::Error::new(
                        ErrorKind::TimedOut,
                        format!(
                            "{waiting} clients n'ont pas reçu « *** Bienvenue » après leur pseudo"
                        ),
                    ));
                }
                self.poll_once(Duration::from_millis(10))?;
            }
        }
        Ok(())
    }

    /// Tant qu'un client qui lit n'a rien reçu, le dernier client envoie un message de
    /// l'essai 0 toutes les 50 ms : quand tous l'ont reçu, le serveur les connaît tous.
    fn synchronize(&mut self) -> io::Result<()> {
        let Some(&pinger) = self.speakers.last() else {
            return Ok(());
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seq = 0;
        let mut next_ping = Instant::now();
        loop {
            let waiting = self
                .speakers
                .iter()
                .filter(|&&i| i != pinger && self.members[i].warmup_lines == 0)
                .count();
            if waiting == 0 {
                return Ok(());
            }
            let now = Instant::now();
            if now > deadline {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("{waiting} clients n'ont jamais reçu les messages des autres"),
                ));
            }
            if now >= next_ping {
                self.send_marked(pinger, seq, now);
                seq += 1;
                next_ping = now + Duration::from_millis(50);
            }
            self.poll_once(Duration::from_millis(10))?;
        }
    }

    /// Remplit les tampons du client muet : un client envoie `bytes` octets de longues
    /// lignes (essai 0, non comptées), que les autres lisent au fur et à mesure. Entre le
    /// tampon de réception du muet et le tampon d'envoi du serveur vers lui, le noyau garde
    /// environ 1,6 Mo en boucle locale : il faut les remplir pour que le test ait un sens.
    /// L'envoi se fait par fenêtre de [`FILL_WINDOW`] lignes, pour que les clients qui lisent
    /// ne prennent jamais de retard (un serveur aurait le droit de les juger trop lents).
    /// Renvoie `false` si les autres n'ont pas tout reçu avant `timeout` (serveur bloqué).
    pub fn fill_silent(&mut self, bytes: usize, timeout: Duration) -> io::Result<bool> {
        let Some(&filler) = self.speakers.first() else {
            return Ok(true);
        };
        let lines = bytes.div_ceil(FILL_LINE_LEN) as u64;
        let start_counts: Vec<u64> = self.members.iter().map(|m| m.warmup_lines).collect();
        let mut sent = 0;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let slowest = self
                .speakers
                .iter()
                .filter(|&&i| i != filler && self.members[i].open)
                .map(|&i| self.members[i].warmup_lines - start_counts[i])
                .min()
                .unwrap_or(lines);
            if slowest >= lines {
                return Ok(true);
            }
            while sent < lines && sent < slowest + FILL_WINDOW {
                let mut line = Vec::with_capacity(FILL_LINE_LEN);
                let _ = write!(line, "bench ~0:{filler}:{sent}:0~ ");
                line.resize(FILL_LINE_LEN - 1, b'f');
                line.push(b'\n');
                self.queue(filler, &line);
                sent += 1;
            }
            self.poll_once(Duration::from_millis(10))?;
        }
        Ok(false)
    }

    // ANCHOR: open_loop
    /// Un palier : chaque client qui parle envoie à tour de rôle, pour un total de
    /// `deliveries_per_second` livraisons par seconde, pendant `duration`.
    pub fn step(&mut self, deliveries_per_second: f64, duration: Duration) -> io::Result<ChatStep> {
        self.run += 1;
        self.expected_seq.fill(0);
        let listeners = self.speakers.len().saturating_sub(1).max(1) as f64;
        let messages_per_second = deliveries_per_second / listeners;
        let interval = Duration::from_secs_f64(1.0 / messages_per_second.max(1e-3));
        let mut step = ChatStep::new(deliveries_per_second, duration);
        let cpu_start = self.server_pid.and_then(system::cpu_time);
        let start = Instant::now();
        let end = start + duration;
        let mut scheduled = start;
        let mut counter: u64 = 0;
        let speakers = self.speakers.len().max(1) as u64;
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            // Boucle ouverte : on envoie tout ce que l'horaire demande, même en retard.
            while scheduled <= now && scheduled < end {
                step.final_lag = now - scheduled;
                step.max_lag = step.max_lag.max(step.final_lag);
                let sender = self.speakers[(counter % speakers) as usize];
                // La latence part de l'heure PRÉVUE : si le générateur prend du retard, ce
                // retard compte. Partir de l'heure réelle cacherait justement les moments où
                // tout bloque (l'« omission coordonnée » des mesures en boucle fermée).
                self.send_marked(sender, (counter / speakers) as u32, scheduled);
                counter += 1;
                scheduled += interval;
            }
            let until = scheduled.min(end).saturating_duration_since(Instant::now());
            self.poll_into(until.min(Duration::from_millis(5)), &mut step)?;
        }
        step.sent = counter;
        self.finish(&mut step, start, cpu_start)?;
        Ok(step)
    }

    // ANCHOR_END: open_loop

    /// Attend les dernières livraisons, puis relève la durée, le temps CPU du serveur et les
    /// connexions qu'il a fermées.
    fn finish(
        &mut self,
        step: &mut ChatStep,
        start: Instant,
        cpu_start: Option<Duration>,
    ) -> io::Result<()> {
        self.drain(step)?;
        step.total = start.elapsed();
        let cpu_end = self.server_pid.and_then(system::cpu_time);
        if let (Some(begin), Some(end)) = (cpu_start, cpu_end) {
            step.server_cpu = Some(end.saturating_sub(begin));
        }
        step.closed = self
            .speakers
            .iter()
            .filter(|&&i| !self.members[i].open)
            .count() as u64;
        Ok(())
    }

    // ANCHOR: burst
    /// Une rafale : chaque client qui parle envoie `lines` lignes d'un coup, comme une classe
    /// qui colle toute en même temps un long texte. La latence part de l'instant de la rafale :
    /// c'est le temps qu'attend un élève pour voir arriver la dernière ligne des autres.
    pub fn burst(&mut self, lines: u32) -> io::Result<ChatStep> {
        self.run += 1;
        self.expected_seq.fill(0);
        let mut step = ChatStep::new(0.0, Duration::ZERO);
        let cpu_start = self.server_pid.and_then(system::cpu_time);
        let start = Instant::now();
        for seq in 0..lines {
            for index in 0..self.speakers.len() {
                let sender = self.speakers[index];
                self.send_marked(sender, seq, start);
            }
        }
        step.sent = u64::from(lines) * self.speakers.len() as u64;
        self.finish(&mut step, start, cpu_start)?;
        step.window = step.total;
        Ok(step)
    }
    // ANCHOR_END: burst

    /// Attend les dernières livraisons (au plus [`DRAIN`]) : tout message envoyé est attendu
    /// chez chaque autre client qui lit encore.
    fn drain(&mut self, step: &mut ChatStep) -> io::Result<()> {
        let open_listeners = self
            .speakers
            .iter()
            .filter(|&&i| self.members[i].open)
            .count()
            .saturating_sub(1) as u64;
        step.expected = step.sent * open_listeners;
        let drain_end = Instant::now() + DRAIN;
        while step.delivered < step.expected && Instant::now() < drain_end {
            self.poll_into(Duration::from_millis(10), step)?;
        }
        Ok(())
    }

    /// Envoie depuis `sender` une ligne marquée de l'essai courant, horodatée `at`.
    fn send_marked(&mut self, sender: usize, seq: u32, at: Instant) {
        let micros = at.saturating_duration_since(self.epoch).as_micros();
        let mut line = Vec::with_capacity(CHAT_LINE_LEN);
        let _ = write!(line, "bench ~{}:{sender}:{seq}:{micros}~ ", self.run);
        line.resize(CHAT_LINE_LEN - 1, b'x');
        line.push(b'\n');
        self.queue(sender, &line);
    }

    /// Ajoute `bytes` à la file d'envoi de `index` (sauf si elle est pleine, voir
    /// [`MAX_UNSENT`]) et tente de l'écrire tout de suite.
    fn queue(&mut self, index: usize, bytes: &[u8]) {
        let member = &mut self.members[index];
        if member.unsent.len() + bytes.len() <= MAX_UNSENT {
            member.unsent.extend_from_slice(bytes);
        }
        flush(member);
    }

    fn poll_once(&mut self, timeout: Duration) -> io::Result<()> {
        let mut ignored = ChatStep::new(0.0, Duration::ZERO);
        self.poll_into(timeout, &mut ignored)
    }

    /// Attend des événements au plus `timeout`, écrit ce qui attend, lit et vérifie tout
    /// ce qui est arrivé.
    fn poll_into(&mut self, timeout: Duration, step: &mut ChatStep) -> io::Result<()> {
        // Des emprunts séparés des champs : parcourir les événements sans les recopier.
        let ChatRoom {
            poll,
            members,
            epoch,
            run,
            expected_seq,
            events,
            buffer,
            ..
        } = self;
        match poll.poll(events, Some(timeout)) {
            Err(err) if err.kind() == ErrorKind::Interrupted => return Ok(()),
            other => other?,
        }
        let clients = members.len();
        for event in events.iter() {
            let index = event.token().0;
            let member = &mut members[index];
            if !member.open {
                continue;
            }
            flush(member);
            if !member.reads {
                continue;
            }
            let now_micros = epoch.elapsed().as_micros() as u64;
            let seqs = &mut expected_seq[index * clients..(index + 1) * clients];
            read_lines(member, buffer, |line| {
                check_line(line, *run, index, now_micros, seqs, step)
            });
        }
        Ok(())
    }
}

/// Le client muet a le plus petit tampon de réception possible, fixé AVANT la connexion
/// (la fenêtre TCP annoncée en dépend) : il sature vite.
fn connect_silent(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_recv_buffer_size(1)?;
    socket.connect_timeout(&addr.into(), Duration::from_secs(10))?;
    socket.set_tcp_nodelay(true)?;
    socket.set_nonblocking(true)?;
    Ok(TcpStream::from_std(socket.into()))
}

fn flush(member: &mut Member) {
    while member.open && !member.unsent.is_empty() {
        match member.stream.write(&member.unsent) {
            Ok(written) => {
                member.unsent.drain(..written);
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => member.open = false,
        }
    }
}

/// Lit tout ce qui est arrivé et appelle `on_line` pour chaque ligne complète.
fn read_lines(member: &mut Member, buffer: &mut [u8], mut on_line: impl FnMut(&[u8]) -> bool) {
    loop {
        let received = match member.stream.read(buffer) {
            Ok(0) => {
                member.open = false;
                return;
            }
            Ok(received) => received,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                member.open = false;
                return;
            }
        };
        let mut data = &buffer[..received];
        while let Some(end) = data.iter().position(|&b| b == b'\n') {
            let whole;
            let line = if member.partial.is_empty() {
                &data[..end]
            } else {
                member.partial.extend_from_slice(&data[..end]);
                whole = std::mem::take(&mut member.partial);
                &whole[..]
            };
            let warmup = on_line(line);
            member.warmup_lines += u64::from(warmup);
            member.welcomed |= line.starts_with(b"*** Bienvenue");
            data = &data[end + 1..];
        }
        if member.partial.len() + data.len() > MAX_LINE {
            member.partial.clear();
        }
        member.partial.extend_from_slice(data);
    }
}

/// Un marqueur trouvé dans une ligne reçue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub run: u32,
    pub sender: usize,
    pub seq: u32,
    pub micros: u64,
}

/// Cherche `~essai:émetteur:numéro:horodatage~` n'importe où dans la ligne.
pub fn find_marker(line: &[u8]) -> Option<Marker> {
    if line.starts_with(b"***") {
        return None;
    }
    let start = line.iter().position(|&b| b == b'~')? + 1;
    let len = line[start..].iter().position(|&b| b == b'~')?;
    let text = std::str::from_utf8(&line[start..start + len]).ok()?;
    let mut fields = text.split(':');
    let marker = Marker {
        run: fields.next()?.parse().ok()?,
        sender: fields.next()?.parse().ok()?,
        seq: fields.next()?.parse().ok()?,
        micros: fields.next()?.parse().ok()?,
    };
    fields.next().is_none().then_some(marker)
}

// ANCHOR: check_delivery
/// Vérifie une ligne reçue par le client `receiver`. Renvoie `true` si elle porte un
/// marqueur de l'essai 0 (la synchronisation).
fn check_line(
    line: &[u8],
    run: u32,
    receiver: usize,
    now_micros: u64,
    seqs: &mut [u32],
    step: &mut ChatStep,
) -> bool {
    let Some(marker) = find_marker(line) else {
        return false;
    };
    if marker.run != run || marker.sender >= seqs.len() {
        // Un message d'un palier précédent, arrivé en retard : il ne compte pas.
        return marker.run == 0;
    }
    if marker.sender == receiver {
        // Un chat ne renvoie pas son message à l'auteur : compté « livré », ce retour
        // masquerait une perte chez un autre client.
        step.disordered += 1;
        return run == 0;
    }
    let expected = &mut seqs[marker.sender];
    if marker.seq == *expected {
        step.delivered += 1;
        let nanos = now_micros.saturating_sub(marker.micros) * 1000;
        let _ = step.latency.record(nanos.max(1));
    } else {
        step.disordered += 1;
    }
    if marker.seq >= *expected {
        *expected = marker.seq.saturating_add(1);
    }
    run == 0
}

// ANCHOR_END: check_delivery

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_marqueur_est_trouve_quel_que_soit_le_prefixe() {
        let expected = Some(Marker {
            run: 3,
            sender: 42,
            seq: 7,
            micros: 123456,
        });
        for line in [
            &b"bench ~3:42:7:123456~ xxx"[..],
            b"[127.0.0.1:54321] bench ~3:42:7:123456~ xxx",
            b"alice: bench ~3:42:7:123456~ xxx",
            b"<b42> bench ~3:42:7:123456~",
        ] {
            assert_eq!(
                find_marker(line),
                expected,
                "marqueur introuvable dans {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    /// Fait recevoir au client 0 les lignes `(essai, émetteur, numéro)` pendant l'essai 2.
    fn receive_all(lines: &[(u32, usize, u32)]) -> ChatStep {
        let mut step = ChatStep::new(0.0, Duration::ZERO);
        let mut seqs = vec![0; 3];
        for &(run, sender, seq) in lines {
            let line = format!("<b{sender}> bench ~{run}:{sender}:{seq}:0~ xxx");
            check_line(line.as_bytes(), 2, 0, 1_000, &mut seqs, &mut step);
        }
        step
    }

    #[test]
    fn chaque_livraison_dans_l_ordre_est_comptee_et_chronometree() {
        let step = receive_all(&[(2, 1, 0), (2, 2, 0), (2, 1, 1), (2, 2, 1)]);
        assert_eq!(step.delivered, 4, "quatre livraisons dans l'ordre");
        assert_eq!(step.disordered, 0, "aucun désordre");
        assert_eq!(step.latency.len(), 4, "une latence par livraison");
    }

    #[test]
    fn un_double_un_trou_ou_un_retour_a_l_auteur_ne_passent_pas_inapercus() {
        let doubled = receive_all(&[(2, 1, 0), (2, 1, 0)]);
        assert_eq!(
            (doubled.delivered, doubled.disordered),
            (1, 1),
            "le double est compté dans le désordre"
        );
        let gap = receive_all(&[(2, 1, 0), (2, 1, 2)]);
        assert_eq!(
            (gap.delivered, gap.disordered),
            (1, 1),
            "après un message perdu, le suivant arrive en avance"
        );
        let own = receive_all(&[(2, 0, 0)]);
        assert_eq!(
            (own.delivered, own.disordered),
            (0, 1),
            "son propre message renvoyé ne compte pas comme livré"
        );
    }

    #[test]
    fn un_message_d_un_autre_palier_ne_compte_pas() {
        let step = receive_all(&[(1, 1, 0), (3, 1, 0), (2, 9, 0)]);
        assert_eq!(
            (step.delivered, step.disordered),
            (0, 0),
            "un retardataire d'un autre palier ou un émetteur inconnu sont ignorés"
        );
    }

    #[test]
    fn les_annonces_et_les_lignes_sans_marqueur_sont_ignorees() {
        assert_eq!(find_marker(b"*** b1 ~1:2:3:4~ est parti"), None);
        assert_eq!(find_marker(b"bonjour"), None);
        assert_eq!(find_marker(b"~1:2:3~"), None, "il faut quatre champs");
    }
}
