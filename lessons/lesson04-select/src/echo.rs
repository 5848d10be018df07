//! Le serveur d'écho à boucle d'événements (TP 04, § 1.2), sur un seul thread.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::mem;
use std::net::{SocketAddr, TcpListener};

use course_kit::log;
use mio::net::TcpStream;
use mio::{Events, Interest, Registry, Token};

use crate::shutdown::{Closing, Shutdown, close_all};
use crate::{
    Config, EVENTS_CAPACITY, FIRST_CLIENT, LISTENER, Outgoing, READ_BUFFER_SIZE,
    READS_PER_WAKEUP, WAKER, accept_all, refuse, start_loop, this_turn,
    wait_for_events,
};

// ANCHOR: connection
/// Tout ce que le serveur sait d'un client. Pas de thread, pas de pile : une
/// connexion n'est plus qu'une petite structure dans une table (une centaine d'octets
/// quand elle est inactive).
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// L'écho pas encore accepté par le noyau.
    outgoing: Outgoing,
    /// Ce qu'on a demandé à `Poll` de surveiller pour cette socket.
    interest: Interest,
    /// Lecture suspendue : trop d'écho attend déjà ce client (contre-pression).
    paused: bool,
    /// Le client a fermé son sens d'envoi (on a lu 0 octet) : on finit de lui
    /// renvoyer son écho, puis on ferme.
    peer_finished: bool,
}

impl Connection {
    /// Ce qu'il faut surveiller maintenant, ou `None` si la connexion n'a plus rien à
    /// faire.
    ///
    /// On ne demande WRITABLE que s'il reste des octets à envoyer. Avec `select`
    /// (déclenché par niveau, comme le TP en Python), c'est vital : une socket
    /// est presque toujours inscriptible, et la boucle serait réveillée sans
    /// arrêt. Avec `mio`, déclenché par front, ce serait sans danger (un seul
    /// événement quand la place revient : voir l'exemple `front`) ; on garde la
    /// règle parce qu'elle dit ce qu'on attend et vaut pour les deux.
    fn wanted_interest(&self) -> Option<Interest> {
        let read =
            (!self.paused && !self.peer_finished).then_some(Interest::READABLE);
        let write = (!self.outgoing.is_empty()).then_some(Interest::WRITABLE);
        match (read, write) {
            (Some(read), Some(write)) => Some(read | write),
            (read, write) => read.or(write),
        }
    }
}
// ANCHOR_END: connection

/// L'état complet du serveur : la table des connexions et quelques compteurs.
struct EchoServer {
    config: Config,
    /// `Token → connexion`. Les jetons ne sont jamais réutilisés (`next_token` ne
    /// fait que croître) : un événement en retard pour une connexion déjà fermée
    /// ne peut pas tomber sur un nouveau client qui aurait hérité de son numéro.
    connections: HashMap<Token, Connection>,
    next_token: usize,
    /// Connexions à reprendre au prochain tour sans attendre d'événement (voir
    /// `on_event`).
    ready_again: Vec<Token>,
    /// `accept()` a échoué faute de ressources : on réessaiera quand un client
    /// partira.
    accept_failed: bool,
}

// ANCHOR: event_loop
/// Sert l'écho à tous les clients, sur un seul thread, pour toujours.
pub fn serve_echo(listener: TcpListener, config: Config) -> io::Result<()> {
    serve_echo_until(listener, config, &Shutdown::new())
}

/// Sert l'écho jusqu'à ce que `shutdown` soit demandé : alors on ne lit plus
/// personne, l'écho en attente part (au plus 1 s), chaque connexion est fermée
/// poliment (FIN), et la fonction rend la main. Pas d'annonce ici : un écho ne
/// renvoie que ce qu'on lui a envoyé.
///
/// La différence essentielle avec `select` (le TP en Python) : `mio` est « déclenché
/// par front » (*edge-triggered*). `select` répète à chaque appel « cette socket est
/// lisible » tant qu'il reste des octets ; `mio` ne prévient qu'UNE fois, quand la
/// socket DEVIENT prête. Si l'on ne lit pas tout jusqu'à `WouldBlock`, il se peut
/// qu'on ne soit plus jamais prévenu, et le client attend pour toujours. D'où les
/// boucles « jusqu'à `WouldBlock` » ci-dessous, et la liste `ready_again` quand on
/// s'arrête avant par équité.
pub fn serve_echo_until(
    listener: TcpListener,
    config: Config,
    shutdown: &Shutdown,
) -> io::Result<()> {
    let (mut poll, listener) = start_loop(listener, shutdown)?;

    let mut server = EchoServer {
        config,
        connections: HashMap::new(),
        next_token: FIRST_CLIENT,
        ready_again: Vec::new(),
        accept_failed: false,
    };
    let mut events = Events::with_capacity(EVENTS_CAPACITY);
    let mut read_buffer = vec![0u8; READ_BUFFER_SIZE];

    while !shutdown.is_requested() {
        // Le seul endroit où le thread attend : le noyau le réveille quand au moins
        // une des sockets inscrites est prête. Chaque événement porte le
        // jeton donné à l'inscription.
        let timeout =
            (!server.ready_again.is_empty()).then_some(std::time::Duration::ZERO);
        wait_for_events(&mut poll, &mut events, timeout)?;
        let retries = mem::take(&mut server.ready_again);
        let registry = poll.registry();
        for (token, (readable, writable)) in this_turn(&events, retries) {
            match token {
                LISTENER => {
                    server.accept_failed = accept_all(&listener, |stream, peer| {
                        server.admit(registry, stream, peer)
                    });
                }
                // Le réveil de l'arrêt : la condition de la boucle s'en occupe.
                WAKER => {}
                _ => server.on_event(
                    registry,
                    token,
                    readable,
                    writable,
                    &mut read_buffer,
                ),
            }
        }
    }
    drop(listener);
    close_all(&mut poll, server.connections)
}
// ANCHOR_END: event_loop

impl EchoServer {
    // ANCHOR: admit
    /// Inscrit un nouveau client auprès de `Poll`, ou le refuse si le serveur est
    /// plein.
    fn admit(
        &mut self,
        registry: &Registry,
        mut stream: TcpStream,
        peer: SocketAddr,
    ) {
        if self.connections.len() >= self.config.max_clients {
            refuse(stream, self.config.max_clients);
            return;
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        // La socket acceptée est déjà non bloquante (mio s'en charge). Au départ, on
        // ne surveille que la lecture : on n'a encore rien à lui envoyer.
        if let Err(err) = registry.register(&mut stream, token, Interest::READABLE) {
            log!("Impossible de surveiller {peer} : {err}");
            return;
        }
        // Chaque écho part dès qu'il est prêt : sans TCP_NODELAY, l'algorithme de
        // Nagle retiendrait un petit envoi tant que le précédent n'est pas
        // acquitté.
        let _ = stream.set_nodelay(true);
        if self.config.verbose {
            log!("Client connecté : {peer}");
        }
        let connection = Connection {
            stream,
            peer,
            outgoing: Outgoing::default(),
            interest: Interest::READABLE,
            paused: false,
            peer_finished: false,
        };
        self.connections.insert(token, connection);
    }
    // ANCHOR_END: admit

    // ANCHOR: on_event
    /// Traite un événement pour une connexion : envoyer ce qui attend, lire et
    /// renvoyer. Une erreur ne ferme que CETTE connexion ; les autres ne s'en
    /// aperçoivent pas.
    fn on_event(
        &mut self,
        registry: &Registry,
        token: Token,
        readable: bool,
        writable: bool,
        read_buffer: &mut [u8],
    ) {
        // La connexion a pu être fermée plus tôt dans ce même tour : l'événement est
        // périmé.
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        let cap = self.config.echo_buffer_cap;
        let result = (|| {
            if writable {
                connection.outgoing.flush(&mut connection.stream)?;
            }
            if readable && !connection.paused && !connection.peer_finished {
                return read_and_echo(connection, read_buffer, cap);
            }
            Ok(false)
        })();
        match result {
            Ok(more_to_read) => {
                if more_to_read {
                    // Budget épuisé avant `WouldBlock` : aucun nouvel événement ne
                    // viendra pour ces octets déjà arrivés, c'est
                    // donc à nous de revenir.
                    self.ready_again.push(token);
                }
                self.refresh(registry, token);
            }
            Err(err) => self.close(registry, token, Some(err)),
        }
    }
    // ANCHOR_END: on_event

    // ANCHOR: refresh
    /// Met à jour ce que `Poll` surveille pour cette connexion, ou la ferme si elle a
    /// fini.
    fn refresh(&mut self, registry: &Registry, token: Token) {
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        if connection.paused && connection.outgoing.is_empty() {
            // Le client a tout reçu : on recommence à le lire. Ce qu'il a envoyé
            // pendant la pause est déjà arrivé, sans nouvel événement :
            // on y revient au prochain tour.
            connection.paused = false;
            self.ready_again.push(token);
        }
        match connection.wanted_interest() {
            // Il a fermé son envoi et tout son écho est parti : c'est fini,
            // proprement.
            None => self.close(registry, token, None),
            Some(wanted) if wanted != connection.interest => {
                // Un appel système de plus : on ne le fait que si quelque chose a
                // changé.
                match registry.reregister(&mut connection.stream, token, wanted) {
                    Ok(()) => connection.interest = wanted,
                    Err(err) => self.close(registry, token, Some(err)),
                }
            }
            Some(_) => {}
        }
    }
    // ANCHOR_END: refresh

    /// Retire une connexion de la table ; la socket est fermée quand elle est
    /// détruite.
    fn close(&mut self, registry: &Registry, token: Token, error: Option<io::Error>) {
        let Some(mut connection) = self.connections.remove(&token) else {
            return;
        };
        let _ = registry.deregister(&mut connection.stream);
        if self.config.verbose {
            match error {
                None => log!("Client {} parti.", connection.peer),
                Some(err) => {
                    log!("Connexion avec {} interrompue : {err}", connection.peer)
                }
            }
        }
        if self.accept_failed {
            // Une place (un descripteur de fichier) vient de se libérer : on retente
            // accept().
            self.ready_again.push(LISTENER);
        }
    }
}

impl Closing for Connection {
    fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    fn send_pending(&mut self) -> io::Result<bool> {
        self.outgoing.flush(&mut self.stream)?;
        Ok(self.outgoing.is_empty())
    }
}

// ANCHOR: read_and_echo
/// Lit ce que le client a envoyé et le lui renvoie, jusqu'à `WouldBlock`, jusqu'à la
/// fin du flux, jusqu'à la limite du tampon ou jusqu'à épuisement du budget de
/// lectures. Renvoie `true` s'il reste peut-être des octets à lire (budget épuisé).
fn read_and_echo(
    connection: &mut Connection,
    read_buffer: &mut [u8],
    cap: usize,
) -> io::Result<bool> {
    for _ in 0..READS_PER_WAKEUP {
        if connection.outgoing.pending() >= cap {
            // Contre-pression : ce client ne lit pas son écho. Plutôt que d'accumuler
            // sans fin, on cesse de le lire. Ses envois rempliront les
            // tampons du noyau, puis son propre `write()` bloquera :
            // c'est TCP qui le ralentit, sans perte ni mémoire.
            connection.paused = true;
            return Ok(false);
        }
        match connection.stream.read(read_buffer) {
            Ok(0) => {
                connection.peer_finished = true;
                return Ok(false);
            }
            Ok(received) => {
                // C'est à `connection`, la socket qui VIENT d'être lue, qu'on renvoie
                // l'écho. Le script Python du TP (§ 1.2) écrivait
                // `sclient.sendall(data)` : `sclient` est la DERNIÈRE
                // socket acceptée, si bien que l'écho de chacun partait chez le
                // dernier arrivé. Il fallait `soc.sendall(data)`. Et `sendall`
                // bloquant aurait de toute façon figé tous les
                // clients derrière un seul client lent.
                connection
                    .outgoing
                    .send(&mut connection.stream, &read_buffer[..received])?;
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(true)
}
// ANCHOR_END: read_and_echo
