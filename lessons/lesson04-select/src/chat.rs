//! Le serveur de chat à boucle d'événements (TP 04, § 2.1), sur un seul thread.
//!
//! Même mécanique que l'écho, avec deux différences qui changent tout :
//! - on relaie des LIGNES complètes, pas des morceaux de flux : il faut les
//!   reconstituer, en bornant leur longueur, puis les mettre en forme pour un
//!   terminal (`display.rs`) ;
//! - ce qu'envoie un client va chez TOUS les autres : un client trop bavard ou trop
//!   lent ne doit ni ralentir les autres ni faire grossir la mémoire.
//!
//! Les deux règles qui en découlent, et qui ne perdent jamais une ligne acceptée :
//! - **un expéditeur trop rapide est freiné** : au-delà de `max_rate` lignes par
//!   seconde (seau à jetons), on cesse de LIRE sa socket jusqu'au prochain jeton. Ses
//!   octets restent dans les tampons du noyau, puis son propre `write()` bloque :
//!   c'est TCP qui le ralentit ;
//! - **un destinataire qui ne lit plus est déconnecté**, et les autres prévenus : on
//!   le sait à ce que le noyau REFUSE ses octets (`WouldBlock`) et à ce que son
//!   courrier en attente dépasse un budget en octets (limite dure, ou limite douce
//!   pendant 10 s).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::time::{Duration, Instant};

use course_kit::log;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::display::message_rows;
use crate::mailbox::{LINE_OVERHEAD, Mailbox, Progress};
use crate::protocol;
use crate::rate_limit::TokenBucket;
use crate::shutdown::{Closing, Shutdown, close_all};
use crate::{
    Config, EVENTS_CAPACITY, FIRST_CLIENT, LISTENER, READ_BUFFER_SIZE,
    READS_PER_WAKEUP, WAKER, accept_all, refuse, start_loop, this_turn,
    wait_for_events,
};

/// Taille demandée pour le tampon d'envoi du noyau de chaque participant.
///
/// Sans réglage, le noyau l'agrandit tout seul selon le débit possible : sous Linux,
/// jusqu'à 4 Mio par socket (`tcp_wmem`), et sur la boucle locale il y parvient
/// d'emblée. Mille clients qui ne lisent plus coûtaient ainsi des centaines de Mio de
/// mémoire du NOYAU (mesuré : 390 Mio pour 1000 dormeurs, avec un serveur qui n'en
/// occupait que 4), hors de portée de nos limites. 64 Kio (Linux en réserve le double
/// pour sa comptabilité) laissent passer des centaines de lignes d'avance, bien assez
/// pour un chat, même lointain.
const SEND_BUFFER: usize = 64 * 1024;

// ANCHOR: client
/// Un participant du chat.
struct Client {
    stream: TcpStream,
    /// Son nom pour les autres : `[127.0.0.1:54321]`.
    name: String,
    /// Les lignes pour lui que le noyau n'a pas encore acceptées (partagées,
    /// comptées en octets).
    mailbox: Mailbox,
    /// Le noyau a refusé nos derniers octets (`WouldBlock`) : on attend WRITABLE.
    blocked: bool,
    /// Depuis quand son courrier dépasse la limite douce alors que le noyau refuse.
    backed_up_since: Option<Instant>,
    /// Ce qu'on a demandé à `Poll` de surveiller : READABLE, plus WRITABLE quand
    /// `blocked`.
    interest: Interest,
    /// Octets reçus pas encore traités (au plus une ligne entamée et un `read()`).
    inbox: Inbox,
    /// La ligne en cours est trop longue : on jette tout jusqu'au prochain `\n`.
    discarding: bool,
    /// Il a fermé son sens d'envoi (lecture de 0 octet) : il reste peut-être des
    /// lignes à traiter.
    finished: bool,
    /// Lit-on ce client en ce moment ?
    reading: Reading,
    /// Ses jetons (`None` : pas de limite de débit).
    bucket: Option<TokenBucket>,
    /// Quand on lui a dit « Doucement » pour la dernière fois.
    slowed_down_at: Option<Instant>,
    /// Déjà inscrit dans la liste des envois de fin de tour.
    queued: bool,
    /// Sur le départ : on ne lui envoie plus rien et on ignore ses événements.
    leaving: bool,
}

/// Pourquoi l'on cesse, un moment, de lire un client. On ne le lit pas, c'est tout :
/// ses octets attendent dans le noyau, rien n'est perdu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Active,
    /// Plus de jetons : on reprend à `until` (un rendez-vous est pris).
    OutOfTokens {
        until: Instant,
    },
    /// Son propre courrier dépasse la limite douce : on reprend quand il l'aura lu.
    /// Sinon, un client qui ne lit jamais pourrait nous faire accumuler ses
    /// réponses (« ligne trop longue »…) sans fin.
    MailboxFull,
}
// ANCHOR_END: client

/// Pourquoi un client quitte le chat.
enum Departure {
    /// Il a fermé la connexion (lecture de 0 octet).
    Left,
    /// La connexion a échoué (RST, etc.).
    Failed(io::Error),
    /// Il ne lisait plus : son courrier a dépassé la limite dure, ou la limite douce
    /// trop longtemps.
    TooSlow,
}

/// Le travail à finir avant de se rendormir, rempli pendant le traitement des
/// événements.
#[derive(Default)]
struct Work {
    /// Clients à qui on a ajouté des lignes : on leur écrit UNE fois en fin de tour.
    to_flush: Vec<Token>,
    /// Clients à déconnecter (et dont il faut annoncer le départ aux autres).
    to_disconnect: Vec<(Token, Departure)>,
    /// Clients à relire au prochain tour sans attendre d'événement.
    ready_again: Vec<Token>,
}

struct ChatServer {
    config: Config,
    /// `Token → client`, avec des jetons jamais réutilisés (voir `EchoServer`).
    clients: HashMap<Token, Client>,
    next_token: usize,
    work: Work,
    /// Les rendez-vous : à tel instant, réexaminer tel client (fin d'une pause de
    /// lecture, fin du délai d'un destinataire lent). Le plus proche est en tête
    /// du tas.
    timers: BinaryHeap<Reverse<(Instant, Token)>>,
    accept_failed: bool,
}

// ANCHOR: event_loop
/// Sert le chat à tous les clients, sur un seul thread, pour toujours.
pub fn serve_chat(listener: TcpListener, config: Config) -> io::Result<()> {
    serve_chat_until(listener, config, &Shutdown::new())
}

/// Sert le chat jusqu'à ce que `shutdown` soit demandé (Ctrl+C, ou un test) : alors
/// chacun reçoit l'annonce de l'arrêt, ce qui l'attend part (au plus 1 s), et la
/// fonction rend la main.
///
/// Chaque tour : attendre les événements (ou le prochain rendez-vous), lire les
/// lignes arrivées et les ranger dans le courrier de chaque destinataire, puis
/// seulement à la fin, écrire une fois à chacun. Si trois lignes sont arrivées
/// pendant le même tour, un destinataire les reçoit en UN seul appel système : c'est
/// ce qui tient la charge quand tout le monde parle en même temps.
pub fn serve_chat_until(
    listener: TcpListener,
    config: Config,
    shutdown: &Shutdown,
) -> io::Result<()> {
    let (mut poll, listener) = start_loop(listener, shutdown)?;

    let mut server = ChatServer {
        config,
        clients: HashMap::new(),
        next_token: FIRST_CLIENT,
        work: Work::default(),
        timers: BinaryHeap::new(),
        accept_failed: false,
    };
    let mut events = Events::with_capacity(EVENTS_CAPACITY);
    let mut read_buffer = vec![0u8; READ_BUFFER_SIZE];

    while !shutdown.is_requested() {
        let timeout = server.next_timeout(Instant::now());
        wait_for_events(&mut poll, &mut events, timeout)?;
        let now = Instant::now();
        server.run_due_timers(now);
        let retries = std::mem::take(&mut server.work.ready_again);
        let registry = poll.registry();
        for (token, (readable, writable)) in this_turn(&events, retries) {
            match token {
                LISTENER => {
                    server.accept_failed = accept_all(&listener, |stream, peer| {
                        server.admit(stream, peer, registry, now)
                    });
                }
                // Le réveil de l'arrêt : la condition de la boucle s'en occupe.
                WAKER => {}
                _ => {
                    server.on_event(token, readable, writable, &mut read_buffer, now)
                }
            }
        }
        server.settle(registry, now);
    }
    // On ferme d'abord la socket d'écoute : les nouveaux venus sont refusés par le
    // noyau.
    drop(listener);
    server.shut_down(&mut poll)
}
// ANCHOR_END: event_loop

impl ChatServer {
    // ANCHOR: timers
    /// Combien de temps `poll` peut dormir : rien si des clients sont à relire tout
    /// de suite, jusqu'au prochain rendez-vous s'il y en a un, sinon jusqu'au
    /// prochain événement.
    fn next_timeout(&self, now: Instant) -> Option<Duration> {
        if !self.work.ready_again.is_empty() {
            return Some(Duration::ZERO);
        }
        self.timers
            .peek()
            .map(|Reverse((when, _))| when.saturating_duration_since(now))
    }

    /// Traite les rendez-vous échus. Un rendez-vous peut être périmé (le client est
    /// parti, ou sa situation a changé) : on réexamine le client, on ne se fie
    /// pas au rendez-vous.
    fn run_due_timers(&mut self, now: Instant) {
        while let Some(&Reverse((when, token))) = self.timers.peek() {
            if when > now {
                return;
            }
            self.timers.pop();
            self.on_timer(token, now);
        }
    }

    fn on_timer(&mut self, token: Token, now: Instant) {
        let delay = self.config.slow_reader_delay;
        let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving) else {
            return;
        };
        if let Reading::OutOfTokens { until } = client.reading {
            if until <= now {
                // Un jeton est revenu. Mais aucun événement ne viendra pour les
                // octets déjà arrivés pendant la pause (déclenchement
                // par front) : on le relit nous-mêmes.
                client.reading = Reading::Active;
                self.work.ready_again.push(token);
            }
        }
        let too_long = client
            .backed_up_since
            .is_some_and(|since| now.saturating_duration_since(since) >= delay);
        if too_long {
            self.schedule_departure(token, Departure::TooSlow);
        }
    }
    // ANCHOR_END: timers

    // ANCHOR: admit
    /// Inscrit un nouveau participant, lui souhaite la bienvenue et l'annonce aux
    /// autres.
    fn admit(
        &mut self,
        mut stream: TcpStream,
        peer: SocketAddr,
        registry: &Registry,
        now: Instant,
    ) {
        if self.clients.len() >= self.config.max_clients {
            refuse(stream, self.config.max_clients);
            return;
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        if let Err(err) = registry.register(&mut stream, token, Interest::READABLE) {
            log!("Impossible de surveiller {peer} : {err}");
            return;
        }
        // On regroupe déjà nous-mêmes les lignes d'un tour en un seul envoi :
        // l'algorithme de Nagle, qui retient un petit envoi tant que le
        // précédent n'est pas acquitté, n'ajouterait que du retard (40 ms au
        // moins avec l'accusé retardé du client).
        let _ = stream.set_nodelay(true);
        // Le tampon d'envoi du noyau, borné lui aussi (voir `SEND_BUFFER`). Un échec
        // n'est pas grave : le courrier reste borné par nos propres limites.
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
        if self.config.verbose {
            log!("Client connecté : {peer}");
        }
        let name = protocol::name_of(peer);
        let others = self.clients.len();
        if others < self.config.announce_limit {
            self.broadcast(None, shared(&protocol::joined(&name)));
        }
        let bucket = (self.config.max_rate > 0)
            .then(|| TokenBucket::new(self.config.max_rate, now));
        let welcome = protocol::welcome(&name, others);
        self.clients.insert(
            token,
            Client {
                stream,
                name,
                mailbox: Mailbox::default(),
                blocked: false,
                backed_up_since: None,
                interest: Interest::READABLE,
                inbox: Inbox::default(),
                discarding: false,
                finished: false,
                reading: Reading::Active,
                bucket,
                slowed_down_at: None,
                queued: false,
                leaving: false,
            },
        );
        self.send_to(token, &welcome);
    }
    // ANCHOR_END: admit

    // ANCHOR: on_event
    /// Un client est prêt : on note qu'il faut lui écrire, et on lit ce qu'il a
    /// envoyé.
    fn on_event(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        read_buffer: &mut [u8],
        now: Instant,
    ) {
        // Client déjà parti (ou sur le départ) plus tôt dans ce tour : événement
        // périmé.
        let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving) else {
            return;
        };
        if writable && client.blocked {
            // La place est revenue dans son tampon d'envoi : on écrira en fin de
            // tour.
            client.blocked = false;
            if !client.queued {
                client.queued = true;
                self.work.to_flush.push(token);
            }
        }
        if readable {
            self.read_lines(token, read_buffer, now);
        }
    }

    /// Traite les lignes reçues et lit la suite, jusqu'à `WouldBlock` (déclenchement
    /// par front !), jusqu'à une pause (plus de jetons, courrier plein) ou
    /// jusqu'à épuisement du budget de lectures.
    fn read_lines(&mut self, token: Token, read_buffer: &mut [u8], now: Instant) {
        for _ in 0..READS_PER_WAKEUP {
            if !self.handle_lines(token, now) {
                return; // en pause ou sur le départ
            }
            let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving)
            else {
                return;
            };
            if client.finished {
                // Toutes ses lignes sont traitées, et il n'enverra plus rien.
                self.schedule_departure(token, Departure::Left);
                return;
            }
            match client.stream.read(read_buffer) {
                Ok(0) => {
                    // Fin du flux : un reste sans `\n` formera une dernière ligne.
                    client.finished = true;
                    client.inbox.end_of_stream();
                }
                Ok(received) => client.inbox.append(&read_buffer[..received]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => {
                    self.schedule_departure(token, Departure::Failed(err));
                    return;
                }
            }
        }
        // Il reste peut-être des octets, mais aucun nouvel événement ne viendra pour
        // eux.
        self.work.ready_again.push(token);
    }
    // ANCHOR_END: on_event

    // ANCHOR: lines
    /// Traite les lignes complètes déjà reçues. Renvoie `true` s'il faut lire la
    /// suite, `false` si le client est en pause (ou parti).
    fn handle_lines(&mut self, token: Token, now: Instant) -> bool {
        let (max_line, soft_limit) = (self.config.max_line, self.config.soft_limit);
        loop {
            let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving)
            else {
                return false;
            };
            if client.reading != Reading::Active {
                return false;
            }
            if client.mailbox.cost() > soft_limit {
                client.reading = Reading::MailboxFull;
                return false;
            }
            match client.next_line(now, max_line) {
                Step::NeedMore => return true,
                Step::OutOfTokens(until) => {
                    client.reading = Reading::OutOfTokens { until };
                    self.timers.push(Reverse((until, token)));
                    self.slow_down(token, now);
                    return false;
                }
                Step::TooLong => {
                    self.send_to(token, &protocol::line_too_long(max_line))
                }
                Step::Message(Some(message)) => self.broadcast(Some(token), message),
                Step::Message(None) => {} // ligne vide : rien à envoyer
            }
        }
    }

    /// Prévient un client freiné, au plus une fois toutes les 30 s.
    fn slow_down(&mut self, token: Token, now: Instant) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        let due = client.slowed_down_at.is_none_or(|at| {
            now.saturating_duration_since(at) >= protocol::SLOW_DOWN_NOTICE_EVERY
        });
        if due {
            client.slowed_down_at = Some(now);
            self.send_to(token, &protocol::slow_down(self.config.max_rate));
        }
    }
    // ANCHOR_END: lines

    // ANCHOR: broadcast
    /// Range `message` dans le courrier de chaque participant, sauf `sender`.
    ///
    /// Le message est le même pour tous : chacun reçoit un `Rc`, pas une copie. Rien
    /// n'est écrit ici (sauf pour un courrier déjà gros, voir `queue`) : les
    /// envois se font en fin de tour, dans `settle`.
    ///
    /// Le script du TP (§ 2.1) choisissait bien les destinataires (`soc != sc`), mais
    /// il faisait `sc.sendall(data)` : `sendall` attend que le destinataire ait
    /// de la place, si bien qu'un seul client qui ne lit plus figeait tout le
    /// salon. Et il relayait des morceaux de `recv(1500)`, pas des lignes : une
    /// ligne pouvait arriver coupée en deux.
    fn broadcast(&mut self, sender: Option<Token>, message: Rc<[u8]>) {
        for (&token, client) in &mut self.clients {
            if Some(token) != sender {
                queue(&mut self.work, &self.config, token, client, &message);
            }
        }
    }

    /// Range `text` dans le courrier d'un seul participant.
    fn send_to(&mut self, token: Token, text: &str) {
        if let Some(client) = self.clients.get_mut(&token) {
            queue(&mut self.work, &self.config, token, client, &shared(text));
        }
    }
    // ANCHOR_END: broadcast

    fn schedule_departure(&mut self, token: Token, departure: Departure) {
        if let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving) {
            client.leaving = true;
            self.work.to_disconnect.push((token, departure));
        }
    }

    // ANCHOR: settle
    /// Fin de tour : déconnecte ceux qui doivent partir (en prévenant les autres),
    /// puis écrit à chacun ce qui l'attend. Un départ ajoute des annonces, un
    /// envoi raté ajoute un départ : on boucle jusqu'à ce que les deux listes
    /// soient vides.
    fn settle(&mut self, registry: &Registry, now: Instant) {
        loop {
            if let Some((token, departure)) = self.work.to_disconnect.pop() {
                self.disconnect(registry, token, departure);
            } else if let Some(token) = self.work.to_flush.pop() {
                self.flush(registry, token, now);
            } else {
                return;
            }
        }
    }

    /// Écrit à un client ce que le noyau accepte, tient à jour le chronomètre du
    /// lecteur lent, et ne surveille WRITABLE que pendant que le noyau refuse nos
    /// octets.
    ///
    /// `mio` est déclenché par front : inscrire WRITABLE en permanence ne ferait PAS
    /// tourner la boucle (un seul événement, quand la place revient ; c'est ce
    /// que fait tokio). On ne l'inscrit pourtant que pendant que le noyau refuse
    /// nos octets : le code dit ainsi ce qu'on attend, et il se transpose tel
    /// quel à `select` (le TP en Python, déclenché par niveau), où surveiller
    /// l'écriture en permanence réveillerait la boucle sans arrêt.
    fn flush(&mut self, registry: &Registry, token: Token, now: Instant) {
        let (soft_limit, delay) =
            (self.config.soft_limit, self.config.slow_reader_delay);
        let Some(client) = self.clients.get_mut(&token).filter(|c| !c.leaving) else {
            return;
        };
        client.queued = false;
        if let Err(err) = client.write_pending() {
            self.schedule_departure(token, Departure::Failed(err));
            return;
        }
        if client.mailbox.cost() > soft_limit {
            // Le chronomètre ne part que si le noyau refuse : un destinataire dont le
            // courrier est gros parce que le SERVEUR vient de beaucoup
            // produire n'est pas en faute.
            if client.blocked && client.backed_up_since.is_none() {
                client.backed_up_since = Some(now);
                self.timers.push(Reverse((now + delay, token)));
            }
        } else {
            client.backed_up_since = None;
            if client.reading == Reading::MailboxFull {
                client.reading = Reading::Active;
                self.work.ready_again.push(token);
            }
        }
        let wanted = if client.blocked {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if wanted != client.interest {
            match registry.reregister(&mut client.stream, token, wanted) {
                Ok(()) => client.interest = wanted,
                Err(err) => self.schedule_departure(token, Departure::Failed(err)),
            }
        }
    }

    /// Retire un client et annonce son départ aux autres.
    fn disconnect(
        &mut self,
        registry: &Registry,
        token: Token,
        departure: Departure,
    ) {
        let Some(mut client) = self.clients.remove(&token) else {
            return;
        };
        let _ = registry.deregister(&mut client.stream);
        let name = client.name;
        if self.config.verbose {
            match &departure {
                Departure::Failed(err) => {
                    log!("Connexion avec {name} interrompue : {err}")
                }
                Departure::TooSlow => log!("{name} ne lisait plus : déconnecté."),
                Departure::Left => {
                    log!("{name} parti ({} restants).", self.clients.len())
                }
            }
        }
        // Une déconnexion forcée est toujours annoncée, pour que chacun sache
        // pourquoi un participant a disparu. Les autres départs, seulement
        // dans un salon assez petit.
        let small_room = self.clients.len() < self.config.announce_limit;
        let notice = match departure {
            Departure::TooSlow => Some(protocol::too_slow(&name)),
            _ if !small_room => None,
            Departure::Left => Some(protocol::left(&name)),
            Departure::Failed(_) => Some(protocol::connection_lost(&name)),
        };
        if let Some(notice) = notice {
            self.broadcast(None, shared(&notice));
        }
        if self.accept_failed {
            // Un descripteur de fichier vient de se libérer : on retente accept().
            self.work.ready_again.push(LISTENER);
        }
        // `client.stream` est détruit ici : la socket est fermée.
    }
    // ANCHOR_END: settle

    // ANCHOR: shut_down
    /// L'arrêt : plus personne n'est lu, chacun reçoit l'annonce après ce qui
    /// l'attendait déjà, puis `close_all` envoie et ferme (FIN), en au plus
    /// `SHUTDOWN_GRACE`.
    fn shut_down(mut self, poll: &mut Poll) -> io::Result<()> {
        let notice = shared(protocol::SHUTTING_DOWN);
        for client in self.clients.values_mut() {
            // Sans limite dure ici : c'est la dernière ligne, elle ne fera pas
            // grossir le courrier.
            client.mailbox.push(Rc::clone(&notice));
        }
        close_all(poll, std::mem::take(&mut self.clients))
    }
    // ANCHOR_END: shut_down
}

impl Closing for Client {
    fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    fn send_pending(&mut self) -> io::Result<bool> {
        Ok(self.mailbox.write_to(&mut self.stream)? == Progress::Drained)
    }
}

// ANCHOR: queue
/// Ajoute `message` au courrier de `client`, ou le condamne si la limite dure serait
/// dépassée.
///
/// Ce qui compte, ce sont les octets que le NOYAU n'a pas acceptés, pas le nombre de
/// lignes qu'un tour chargé a mises en file : quand le courrier passe la limite
/// douce, on essaie d'écrire tout de suite. Un destinataire qui lit reçoit ; seul
/// celui dont le noyau refuse les octets (son tampon de réception et notre tampon
/// d'envoi sont pleins) voit son courrier grossir. Les serveurs IRC appellent ce
/// budget la *SendQ* ; Redis a le même réglage à deux
/// seuils, `client-output-buffer-limit` (une limite dure, une limite douce tenue N
/// secondes).
fn queue(
    work: &mut Work,
    config: &Config,
    token: Token,
    client: &mut Client,
    message: &Rc<[u8]>,
) {
    if client.leaving {
        return;
    }
    if client.mailbox.cost() + message.len() + LINE_OVERHEAD > config.hard_limit {
        client.leaving = true;
        work.to_disconnect.push((token, Departure::TooSlow));
        return;
    }
    client.mailbox.push(Rc::clone(message));
    if client.mailbox.cost() > config.soft_limit && !client.blocked {
        if let Err(err) = client.write_pending() {
            client.leaving = true;
            work.to_disconnect.push((token, Departure::Failed(err)));
            return;
        }
    }
    if !client.queued {
        client.queued = true;
        work.to_flush.push(token);
    }
}
// ANCHOR_END: queue

impl Client {
    /// Écrit ce que le noyau accepte, sauf s'il a déjà refusé (on attend alors
    /// WRITABLE : réessayer tout de suite ne donnerait qu'un `WouldBlock` de
    /// plus).
    fn write_pending(&mut self) -> io::Result<()> {
        if !self.blocked && !self.mailbox.is_empty() {
            self.blocked =
                self.mailbox.write_to(&mut self.stream)? == Progress::Blocked;
        }
        Ok(())
    }

    // ANCHOR: next_line
    /// La prochaine ligne complète de `inbox`, si elle est là et si un jeton la paie.
    ///
    /// CHAQUE ligne coûte un jeton, quelle qu'elle soit : même une ligne refusée
    /// (trop longue) ou vide. Sinon, un client pourrait faire travailler le
    /// serveur (et recevoir des réponses d'erreur) sans limite.
    fn next_line(&mut self, now: Instant, max_line: usize) -> Step {
        if self.discarding {
            // Suite d'une ligne déjà refusée : on jette, jusqu'au `\n` qui la
            // termine.
            match self.inbox.find_newline() {
                Some(end) => {
                    self.inbox.consume(end + 1);
                    self.discarding = false;
                }
                None => {
                    self.inbox.clear();
                    return Step::NeedMore;
                }
            }
        }
        let end = self.inbox.find_newline();
        // On ne garde JAMAIS une ligne entière trop longue en mémoire : dès que la
        // limite est dépassée, on prévient et on jette la suite au fil de
        // l'eau.
        let too_long = end.unwrap_or(self.inbox.len()) > max_line;
        if end.is_none() && !too_long {
            return Step::NeedMore;
        }
        if let Some(bucket) = &mut self.bucket {
            if let Err(until) = bucket.take(now) {
                return Step::OutOfTokens(until);
            }
        }
        match end {
            Some(end) if !too_long => {
                let message = format_message(&self.name, self.inbox.first(end));
                self.inbox.consume(end + 1);
                Step::Message(message)
            }
            Some(end) => {
                self.inbox.consume(end + 1);
                Step::TooLong
            }
            None => {
                self.inbox.clear();
                self.discarding = true;
                Step::TooLong
            }
        }
    }
    // ANCHOR_END: next_line
}

/// Ce que donne la prochaine ligne d'un client.
enum Step {
    /// Pas de ligne complète : il faut lire la suite.
    NeedMore,
    /// Une ligne attend, mais plus de jeton avant `Instant`.
    OutOfTokens(Instant),
    /// La ligne dépasse `max_line` : refusée.
    TooLong,
    /// Une ligne, mise en forme (`None` si elle était vide).
    Message(Option<Rc<[u8]>>),
}

/// Les octets reçus d'un client, pas encore découpés en lignes. On avance `start` au
/// lieu de décaler les octets à chaque ligne, et l'on ne compacte qu'à la réception
/// suivante.
#[derive(Debug, Default)]
struct Inbox {
    bytes: Vec<u8>,
    start: usize,
}

impl Inbox {
    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn len(&self) -> usize {
        self.pending().len()
    }

    fn find_newline(&self) -> Option<usize> {
        self.pending().iter().position(|&byte| byte == b'\n')
    }

    fn first(&self, count: usize) -> &[u8] {
        &self.pending()[..count]
    }

    fn consume(&mut self, count: usize) {
        self.start += count;
        if self.start == self.bytes.len() {
            self.clear();
        }
    }

    fn append(&mut self, data: &[u8]) {
        self.bytes.drain(..self.start);
        self.start = 0;
        self.bytes.extend_from_slice(data);
    }

    /// Le client a fini : un reste sans `\n` devient une dernière ligne.
    fn end_of_stream(&mut self) {
        if self.len() > 0 {
            self.bytes.push(b'\n');
        }
    }

    /// Vide et rend la mémoire : un client inactif ne garde rien.
    fn clear(&mut self) {
        *self = Inbox::default();
    }
}

/// Une ligne prête à être partagée entre tous ses destinataires.
fn shared(text: &str) -> Rc<[u8]> {
    Rc::from(text.as_bytes())
}

// ANCHOR: format_message
/// Prépare le message relayé : `[adresse] texte`, ou `None` pour une ligne vide.
///
/// 1. Les octets qui ne sont pas de l'UTF-8 valide deviennent `�`.
/// 2. `message_rows`, la règle de la leçon 03, neutralise les caractères qui
///    pilotent le terminal (sinon n'importe qui pourrait effacer l'écran des autres
///    avec `ESC [ 2 J` ou retourner leur texte avec U+202E), réduit les blancs à une
///    espace et coupe le texte en rangées d'au plus 80 colonnes qui portent TOUTES
///    le préfixe de l'expéditeur : aucune rangée affichée ne peut se faire passer
///    pour une annonce `*** …` ou pour le message d'un autre.
fn format_message(name: &str, line: &[u8]) -> Option<Rc<[u8]>> {
    // `nc` sous Windows et `telnet` terminent les lignes par `\r\n`.
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let message = message_rows(&format!("{name} "), &String::from_utf8_lossy(line));
    if message.is_empty() {
        return None;
    }
    Some(shared(&message))
}
// ANCHOR_END: format_message
