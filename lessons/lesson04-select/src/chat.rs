//! Le serveur de chat à boucle d'événements (TP 04, § 2.1), sur un seul thread.
//!
//! Même mécanique que l'écho, avec deux différences qui changent tout :
//! - on relaie des LIGNES complètes, pas des morceaux de flux : il faut les reconstituer, en
//!   bornant leur longueur ;
//! - ce qu'envoie un client va chez TOUS les autres : un seul client lent ne doit ni ralentir
//!   les autres ni faire grossir la mémoire. Il est déconnecté.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::mem;
use std::net::{SocketAddr, TcpListener};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::{
    Config, EVENTS_CAPACITY, LISTENER, Outgoing, READ_BUFFER_SIZE, READS_PER_WAKEUP, accept_all,
    into_mio_listener, readiness, refuse, wait_for_events,
};

// ANCHOR: client
/// Un participant du chat.
struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    /// Les lignes des autres, pas encore acceptées par le noyau.
    outgoing: Outgoing,
    /// Ce qu'on a demandé à `Poll` de surveiller : READABLE, plus WRITABLE s'il reste à envoyer.
    interest: Interest,
    /// Début de la ligne en cours, en attendant son `\n` (jamais plus de `max_line` octets).
    line: Vec<u8>,
    /// La ligne en cours est trop longue : on jette tout jusqu'au prochain `\n`.
    discarding: bool,
    /// Déjà inscrit dans la liste des envois de fin de tour.
    queued: bool,
    /// Sur le départ : on ne lui envoie plus rien et on ignore ses événements.
    leaving: bool,
}
// ANCHOR_END: client

/// Pourquoi un client quitte le chat.
enum Departure {
    /// Il a fermé la connexion (lecture de 0 octet).
    Left,
    /// La connexion a échoué (RST, etc.).
    Failed(io::Error),
    /// Il ne lisait plus : son courrier en attente a dépassé la limite.
    TooSlow,
}

/// Le travail à finir avant de se rendormir, rempli pendant le traitement des événements.
#[derive(Default)]
struct Work {
    /// Clients à qui on a ajouté des octets : on leur écrit UNE fois en fin de tour.
    to_flush: Vec<Token>,
    /// Clients à déconnecter (et dont il faut annoncer le départ aux autres).
    to_disconnect: Vec<(Token, Departure)>,
    /// Clients à relire au prochain tour sans attendre d'événement (budget épuisé).
    ready_again: Vec<Token>,
}

struct ChatServer {
    config: Config,
    /// `Token → client`, avec des jetons jamais réutilisés (voir `EchoServer`).
    clients: HashMap<Token, Client>,
    next_token: usize,
    work: Work,
    accept_failed: bool,
}

// ANCHOR: event_loop
/// Sert le chat à tous les clients, sur un seul thread, pour toujours.
///
/// Chaque tour : attendre les événements, lire les lignes arrivées et les ranger dans le
/// courrier de chaque destinataire, puis seulement à la fin, écrire une fois à chacun. Si trois
/// lignes sont arrivées pendant le même tour, un destinataire les reçoit en UN seul `write()` :
/// les lignes se regroupent d'elles-mêmes, et c'est ce qui tient la charge quand tout le monde
/// parle en même temps (un appel système par destinataire et par tour, pas par ligne).
pub fn serve_chat(listener: TcpListener, config: Config) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut listener = into_mio_listener(listener)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut server = ChatServer {
        config,
        clients: HashMap::new(),
        next_token: LISTENER.0 + 1,
        work: Work::default(),
        accept_failed: false,
    };
    let mut events = Events::with_capacity(EVENTS_CAPACITY);
    let mut read_buffer = vec![0u8; READ_BUFFER_SIZE];

    loop {
        wait_for_events(&mut poll, &mut events, !server.work.ready_again.is_empty())?;
        let retries = mem::take(&mut server.work.ready_again);
        let registry = poll.registry();
        let ready = events.iter().map(|event| (event.token(), readiness(event)));
        // Les connexions interrompues au tour précédent reprennent comme si elles étaient lisibles.
        let retries = retries.into_iter().map(|token| (token, (true, false)));
        for (token, (readable, writable)) in ready.chain(retries) {
            if token == LISTENER {
                server.accept_failed = accept_all(&listener, |stream, peer| {
                    server.admit(stream, peer, registry)
                });
            } else {
                server.on_event(token, readable, writable, &mut read_buffer);
            }
        }
        server.settle(registry);
    }
}
// ANCHOR_END: event_loop

impl ChatServer {
    // ANCHOR: admit
    /// Inscrit un nouveau participant, lui souhaite la bienvenue et l'annonce aux autres.
    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr, registry: &Registry) {
        if self.clients.len() >= self.config.max_clients {
            refuse(stream, self.config.max_clients);
            return;
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        if let Err(err) = registry.register(&mut stream, token, Interest::READABLE) {
            log_error!("Impossible de surveiller {peer} : {err}");
            return;
        }
        // On regroupe déjà nous-mêmes les lignes d'un tour en un seul envoi : l'algorithme de
        // Nagle, qui retient un petit envoi tant que le précédent n'est pas acquitté,
        // n'ajouterait que du retard (jusqu'à 40 ms avec l'acquittement différé du client).
        let _ = stream.set_nodelay(true);
        if self.config.verbose {
            log_info!("Client connecté : {peer}");
        }
        let others = self.clients.len();
        if others < self.config.announce_limit {
            self.broadcast(
                None,
                format!("*** [{peer}] a rejoint le chat.\n").as_bytes(),
            );
        }
        self.clients.insert(
            token,
            Client {
                stream,
                peer,
                outgoing: Outgoing::default(),
                interest: Interest::READABLE,
                line: Vec::new(),
                discarding: false,
                queued: false,
                leaving: false,
            },
        );
        let welcome =
            format!("*** Bienvenue, vous êtes [{peer}]. Autres personnes connectées : {others}.\n");
        self.send_to(token, welcome.as_bytes());
    }
    // ANCHOR_END: admit

    // ANCHOR: on_event
    /// Un client est prêt : on note qu'il faut lui écrire, et on lit ce qu'il a envoyé.
    fn on_event(&mut self, token: Token, readable: bool, writable: bool, read_buffer: &mut [u8]) {
        // Client déjà parti (ou sur le départ) plus tôt dans ce tour : événement périmé.
        let Some(client) = self
            .clients
            .get_mut(&token)
            .filter(|client| !client.leaving)
        else {
            return;
        };
        if writable && !client.queued {
            // La place est revenue dans son tampon d'envoi : on écrira en fin de tour.
            client.queued = true;
            self.work.to_flush.push(token);
        }
        if readable {
            self.read_lines(token, read_buffer);
        }
    }

    /// Lit jusqu'à `WouldBlock` (déclenchement par front !) ou jusqu'à épuisement du budget.
    fn read_lines(&mut self, token: Token, read_buffer: &mut [u8]) {
        for _ in 0..READS_PER_WAKEUP {
            let Some(client) = self
                .clients
                .get_mut(&token)
                .filter(|client| !client.leaving)
            else {
                return;
            };
            match client.stream.read(read_buffer) {
                Ok(0) => {
                    // Fin du flux : un reste sans `\n` forme une dernière ligne.
                    if !client.line.is_empty() {
                        self.on_segment(token, &[], true);
                    }
                    self.schedule_departure(token, Departure::Left);
                    return;
                }
                Ok(received) => self.on_bytes(token, &read_buffer[..received]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => {
                    self.schedule_departure(token, Departure::Failed(err));
                    return;
                }
            }
        }
        // Il reste peut-être des octets, mais aucun nouvel événement ne viendra pour eux.
        self.work.ready_again.push(token);
    }
    // ANCHOR_END: on_event

    // ANCHOR: lines
    /// Découpe les octets reçus en lignes. TCP ne connaît pas les lignes : un `read()` peut
    /// rendre une demi-ligne, ou trois lignes et le début d'une quatrième.
    fn on_bytes(&mut self, token: Token, mut data: &[u8]) {
        while !data.is_empty() {
            match data.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    self.on_segment(token, &data[..end], true);
                    data = &data[end + 1..];
                }
                None => {
                    self.on_segment(token, data, false);
                    data = &[];
                }
            }
        }
    }

    /// Traite un morceau de ligne ; `complete` indique qu'il se terminait par `\n`.
    fn on_segment(&mut self, token: Token, segment: &[u8], complete: bool) {
        let max_line = self.config.max_line;
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if client.discarding {
            // Suite d'une ligne déjà refusée : on jette, jusqu'au `\n` qui la termine.
            client.discarding = !complete;
            return;
        }
        if client.line.len() + segment.len() > max_line {
            // On ne garde JAMAIS une ligne entière trop longue en mémoire : on prévient tout de
            // suite et on jette la suite au fil de l'eau, même si elle fait des mégaoctets.
            client.line = Vec::new();
            client.discarding = !complete;
            let notice = format!("*** Ligne trop longue ({max_line} octets maximum), ignorée.\n");
            self.send_to(token, notice.as_bytes());
            return;
        }
        if !complete {
            client.line.extend_from_slice(segment);
            return;
        }
        // La ligne est complète. Le cas courant (ligne entière dans un seul `read()`) ne
        // copie rien ; sinon on assemble le début gardé et la fin.
        let message = if client.line.is_empty() {
            format_message(client.peer, segment)
        } else {
            let mut line = mem::take(&mut client.line);
            line.extend_from_slice(segment);
            format_message(client.peer, &line)
        };
        if let Some(message) = message {
            self.broadcast(Some(token), message.as_bytes());
        }
    }
    // ANCHOR_END: lines

    // ANCHOR: broadcast
    /// Range `message` dans le courrier de chaque participant, sauf `sender`.
    ///
    /// Rien n'est écrit ici : un `write()` pourrait ne prendre qu'une partie du message, et il
    /// ne faut surtout pas attendre. Les envois se font en fin de tour, dans `settle`.
    ///
    /// Le script du TP (§ 2.1) choisissait bien les destinataires (`soc != sc`), mais il
    /// faisait `sc.sendall(data)` : `sendall` attend que le destinataire ait de la place, si
    /// bien qu'un seul client qui ne lit plus figeait tout le salon. Et il relayait des
    /// morceaux de `recv(1500)`, pas des lignes : une ligne pouvait arriver coupée en deux.
    fn broadcast(&mut self, sender: Option<Token>, message: &[u8]) {
        let cap = self.config.chat_buffer_cap;
        for (&token, client) in &mut self.clients {
            if Some(token) != sender {
                queue(&mut self.work, token, client, message, cap);
            }
        }
    }

    /// Range `message` dans le courrier d'un seul participant.
    fn send_to(&mut self, token: Token, message: &[u8]) {
        let cap = self.config.chat_buffer_cap;
        if let Some(client) = self.clients.get_mut(&token) {
            queue(&mut self.work, token, client, message, cap);
        }
    }
    // ANCHOR_END: broadcast

    fn schedule_departure(&mut self, token: Token, departure: Departure) {
        if let Some(client) = self
            .clients
            .get_mut(&token)
            .filter(|client| !client.leaving)
        {
            client.leaving = true;
            self.work.to_disconnect.push((token, departure));
        }
    }

    // ANCHOR: settle
    /// Fin de tour : déconnecte ceux qui doivent partir (en prévenant les autres), puis écrit
    /// à chacun ce qui l'attend. Un départ ajoute des annonces, un envoi raté ajoute un départ :
    /// on boucle jusqu'à ce que les deux listes soient vides.
    fn settle(&mut self, registry: &Registry) {
        loop {
            if let Some((token, departure)) = self.work.to_disconnect.pop() {
                self.disconnect(registry, token, departure);
            } else if let Some(token) = self.work.to_flush.pop() {
                self.flush(registry, token);
            } else {
                return;
            }
        }
    }

    /// Écrit à un client tout ce que le noyau accepte, et ne surveille WRITABLE que s'il reste
    /// quelque chose : on sera réveillé quand la place reviendra.
    fn flush(&mut self, registry: &Registry, token: Token) {
        let Some(client) = self
            .clients
            .get_mut(&token)
            .filter(|client| !client.leaving)
        else {
            return;
        };
        client.queued = false;
        let result = client.outgoing.flush(&mut client.stream).and_then(|()| {
            let wanted = if client.outgoing.is_empty() {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            if wanted != client.interest {
                registry.reregister(&mut client.stream, token, wanted)?;
                client.interest = wanted;
            }
            Ok(())
        });
        if let Err(err) = result {
            self.schedule_departure(token, Departure::Failed(err));
        }
    }

    /// Retire un client et annonce son départ aux autres.
    fn disconnect(&mut self, registry: &Registry, token: Token, departure: Departure) {
        let Some(mut client) = self.clients.remove(&token) else {
            return;
        };
        let _ = registry.deregister(&mut client.stream);
        let peer = client.peer;
        if self.config.verbose {
            match &departure {
                Departure::Failed(err) => log_info!("Connexion avec {peer} interrompue : {err}"),
                _ => log_info!("Client {peer} parti ({} restants).", self.clients.len()),
            }
        }
        // Une déconnexion forcée est toujours annoncée, pour que chacun sache pourquoi un
        // participant a disparu. Les autres départs, seulement dans un salon assez petit.
        let small_room = self.clients.len() < self.config.announce_limit;
        let notice = match departure {
            Departure::TooSlow => Some(format!(
                "*** [{peer}] a été déconnecté : il ne lisait plus ses messages.\n"
            )),
            _ if !small_room => None,
            Departure::Left => Some(format!("*** [{peer}] a quitté le chat.\n")),
            Departure::Failed(_) => Some(format!(
                "*** [{peer}] a été déconnecté (connexion coupée).\n"
            )),
        };
        if let Some(notice) = notice {
            self.broadcast(None, notice.as_bytes());
        }
        if self.accept_failed {
            // Un descripteur de fichier vient de se libérer : on retente accept().
            self.work.ready_again.push(LISTENER);
        }
        // `client` est détruit ici : sa socket est fermée.
    }
    // ANCHOR_END: settle
}

// ANCHOR: queue
/// Ajoute `message` au courrier de `client`, ou le condamne s'il dépasse la limite.
///
/// C'est la règle qui protège tout le monde : un client qui ne lit plus voit son courrier
/// grossir. Plutôt que de l'attendre (tous les autres attendraient) ou de tout garder (la
/// mémoire exploserait), on le déconnecte.
fn queue(work: &mut Work, token: Token, client: &mut Client, message: &[u8], cap: usize) {
    if client.leaving {
        return;
    }
    if client.outgoing.pending() + message.len() > cap {
        client.leaving = true;
        work.to_disconnect.push((token, Departure::TooSlow));
        return;
    }
    client.outgoing.push(message);
    if !client.queued {
        client.queued = true;
        work.to_flush.push(token);
    }
}
// ANCHOR_END: queue

// ANCHOR: format_message
/// Prépare la ligne relayée : `[adresse] texte`, ou `None` pour une ligne vide.
///
/// Les caractères de contrôle (sauf la tabulation) sont remplacés par `�` : sinon n'importe
/// qui pourrait envoyer des séquences d'échappement (`ESC [ 2 J` efface l'écran) que le
/// terminal des autres exécuterait. Les octets qui ne sont pas de l'UTF-8 valide deviennent
/// eux aussi `�`.
fn format_message(peer: SocketAddr, line: &[u8]) -> Option<String> {
    // `nc` sous Windows et `telnet` terminent les lignes par `\r\n`.
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return None;
    }
    let text: String = String::from_utf8_lossy(line)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    Some(format!("[{peer}] {text}\n"))
}
// ANCHOR_END: format_message
