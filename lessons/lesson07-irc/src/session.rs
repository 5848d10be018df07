//! Ce qu'une connexion sait d'elle-même, son rythme de lecture (limite de débit,
//! `PING`), l'aiguillage de chaque commande, et son départ.
//!
//! Rien ici n'est `async` : chaque message est traité d'un coup, sans attendre, et
//! la boucle de `connection.rs` décide quand lire le suivant.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use lesson05_chat::connection::{Conversation, Outbox, Paced, Pacer};

use crate::connection::End;
use lesson05_chat::protocol::LineCodec;

use crate::message::{self, Line, Message};
use crate::replies::{self, Numeric};
use crate::state::Shared;

// ANCHOR: session
/// Ce qu'une connexion sait d'elle-même.
pub(crate) struct Session {
    pub(crate) id: u64,
    pub(crate) peer: SocketAddr,
    /// L'hôte montré dans son préfixe (`alice!alice@127.0.0.1`).
    pub(crate) host: String,
    pub(crate) shared: Arc<Shared>,
    /// Sa propre file (l'état en garde une copie pour les autres).
    pub(crate) outbox: Outbox,
    pub(crate) cancel: CancellationToken,
    /// Le pseudo, donné par `NICK` (avant l'inscription : seulement proposé).
    pub(crate) nick: Option<String>,
    /// `USER` : nom d'utilisateur et nom réel.
    pub(crate) user: Option<(String, String)>,
    /// Le mot de passe donné par `PASS`.
    pub(crate) password: Option<String>,
    /// Entre `CAP LS` et `CAP END`, l'inscription attend (voir `register.rs`).
    pub(crate) cap_negotiating: bool,
    /// Inscrit : présent dans l'état partagé, visible des autres.
    pub(crate) registered: bool,
    /// Le rythme de lecture (leçon 05) : le seau à jetons, le message qui attend
    /// les siens, la pénalité d'un mauvais mot de passe `OPER`.
    pub(crate) pace: Pacer<Line>,
    register_deadline: Instant,
    last_received: Instant,
    /// Heure de notre `PING`, tant que le client n'a rien renvoyé depuis.
    ping_sent: Option<Instant>,
}

impl Session {
    pub(crate) fn new(
        peer: SocketAddr,
        shared: Arc<Shared>,
        outbox: Outbox,
        cancel: CancellationToken,
    ) -> Session {
        let now = Instant::now();
        let config = &shared.config;
        shared.unregistered.fetch_add(1, Ordering::Relaxed);
        Session {
            id: shared.connections.next_id(),
            peer,
            host: host_of(peer),
            outbox,
            cancel,
            nick: None,
            user: None,
            password: None,
            cap_negotiating: false,
            registered: false,
            pace: Pacer::new(config.max_rate, now),
            register_deadline: now + config.register_timeout,
            last_received: now,
            ping_sent: None,
            shared,
        }
    }

    /// « alice (127.0.0.1:50000) » pour le journal.
    pub(crate) fn describe(&self) -> String {
        match &self.nick {
            Some(nick) => format!("{nick} ({})", self.peer),
            None => self.peer.to_string(),
        }
    }

    /// Le destinataire des réponses : son pseudo, ou `*` avant qu'il en ait un.
    pub(crate) fn target(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// Met une ligne dans la propre file du client, sans attendre. Si sa file
    /// déborde, c'est lui qui ne lit pas : « SendQ exceeded ».
    pub(crate) fn send(&self, line: &Arc<str>) -> Result<(), End> {
        if self.outbox.push(line) {
            Ok(())
        } else {
            Err(End::SendQ)
        }
    }

    /// `:serveur CODE pseudo paramètres… :texte`.
    pub(crate) fn reply(
        &self,
        code: &str,
        params: &[&str],
        text: &str,
    ) -> Result<(), End> {
        let mut middle = vec![self.target()];
        middle.extend_from_slice(params);
        self.send(&message::build(
            &self.shared.config.name,
            code,
            &middle,
            Some(text),
        ))
    }

    /// Une réponse numérique à texte fixe (voir `replies.rs`).
    pub(crate) fn numeric(
        &self,
        numeric: Numeric,
        params: &[&str],
    ) -> Result<(), End> {
        self.reply(numeric.code, params, numeric.text)
    }

    /// Une notice du serveur, en français.
    pub(crate) fn notice(&self, text: &str) -> Result<(), End> {
        let target = self.target();
        let name = &self.shared.config.name;
        self.send(&message::build(name, "NOTICE", &[target], Some(text)))
    }
}

/// L'hôte d'un client : son adresse IP. Une IPv6 qui commence par `:` (`::1`)
/// recevrait un `0` devant : un paramètre IRC ne peut pas commencer par `:`.
fn host_of(peer: SocketAddr) -> String {
    let ip = peer.ip().to_canonical().to_string();
    if ip.starts_with(':') {
        format!("0{ip}")
    } else {
        ip
    }
}
// ANCHOR_END: session

// ANCHOR: pacing
/// La session IRC, vue par la boucle de connexion de la leçon 05.
impl Conversation for Session {
    type Codec = LineCodec;
    type End = End;

    /// Peut-on lire un message de plus maintenant ? Pas tant qu'un message attend
    /// ses jetons, ni pendant une pénalité (le `Pacer` de la leçon 05).
    fn may_read(&self) -> bool {
        self.pace.may_read()
    }

    /// Le prochain délai à surveiller : l'inscription, le `PING`, les jetons d'un
    /// message retenu, une pénalité. Un seul minuteur, réglé sur le plus proche (la
    /// boucle y ajoute l'engorgement de la socket, la SendQ).
    fn deadline(&self) -> Instant {
        let config = &self.shared.config;
        let session = match (self.registered, self.ping_sent) {
            (false, _) => self.register_deadline,
            (true, None) => self.last_received + config.ping_interval,
            (true, Some(sent)) => sent + config.ping_timeout,
        };
        self.pace
            .deadline()
            .map_or(session, |pace| pace.min(session))
    }

    /// Le minuteur a sonné : on regarde quel délai est échu.
    fn on_timer(&mut self, now: Instant) -> Result<(), End> {
        let config = &self.shared.config;
        if !self.registered && now >= self.register_deadline {
            // Un client qui se connecte et ne dit rien occuperait une place pour
            // toujours.
            return Err(End::RegisterTimeout);
        }
        if self.registered {
            match self.ping_sent {
                // Un client qui ne dit plus rien : est-il encore là ? Une connexion
                // dont l'autre bout a disparu (câble débranché, machine en veille)
                // ne le dit pas ; seule une question sans réponse le révèle.
                None if now >= self.last_received + config.ping_interval => {
                    self.ping_sent = Some(now);
                    let name = &config.name;
                    self.send(&message::build(name, "PING", &[], Some(name)))?;
                }
                Some(sent) if now >= sent + config.ping_timeout => {
                    return Err(End::PingTimeout(config.ping_timeout.as_secs()));
                }
                _ => {}
            }
        }
        match self.pace.on_timer(now) {
            Some(line) => self.on_line(line, now),
            None => Ok(()),
        }
    }

    /// Un message reçu : n'importe lequel prouve que le client est là.
    fn on_message(&mut self, line: Line, now: Instant) -> Result<(), End> {
        self.last_received = now;
        self.ping_sent = None;
        self.on_line(line, now)
    }

    fn closed(&self) -> End {
        End::Closed
    }

    /// « SendQ exceeded », disent les serveurs IRC.
    fn too_slow(&self) -> End {
        End::SendQ
    }

    /// L'annulation vient de l'arrêt du serveur, ou d'une expulsion.
    fn cancelled(&self) -> End {
        if self.shared.connections.is_stopping() {
            End::Shutdown
        } else {
            End::Cancelled
        }
    }

    /// Le départ, quelle qu'en soit la raison : voir [`Session::depart`].
    fn leave(&mut self, end: &End) {
        self.depart(end);
    }
}

impl Session {
    /// Chaque message coûte sa pénalité en jetons. Sans assez de jetons, il attend
    /// (et plus rien n'est lu) : le client est ralenti, rien n'est perdu.
    fn on_line(&mut self, line: Line, now: Instant) -> Result<(), End> {
        let cost = match &line {
            Line::TooLong => 1,
            Line::Bytes(bytes) => penalty(bytes),
        };
        match self.pace.admit(line, cost, now) {
            Paced::Now(line) => self.handle_line(line),
            Paced::Held { notify: true } => {
                let rate = self.shared.config.max_rate;
                self.notice(&format!(
                    "*** Doucement ! Au plus {rate} lignes par seconde : \
                     la suite attend son tour."
                ))
            }
            Paced::Held { notify: false } => Ok(()),
        }
    }
}

/// La pénalité d'une commande, en jetons, comme les pénalités d'ircd : une de plus
/// pour celles dont la réponse est longue (une liste de tout le serveur), qu'un
/// client pourrait sinon demander en boucle pour remplir sa propre file.
fn penalty(line: &[u8]) -> u32 {
    let command = line
        .split(|&b| b == b' ')
        .find(|word| !word.is_empty() && !word.starts_with(b":"))
        .unwrap_or_default();
    let heavy = [&b"WHO"[..], b"WHOIS", b"LIST", b"NAMES"];
    if heavy.iter().any(|name| command.eq_ignore_ascii_case(name)) {
        4
    } else {
        1
    }
}
// ANCHOR_END: pacing

// ANCHOR: dispatch
impl Session {
    /// Un message complet : on le lit, puis on l'aiguille vers sa commande.
    fn handle_line(&mut self, line: Line) -> Result<(), End> {
        let bytes = match line {
            Line::TooLong => return self.numeric(replies::ERR_INPUTTOOLONG, &[]),
            Line::Bytes(bytes) => bytes,
        };
        // IRC transporte des octets ; les clients d'aujourd'hui envoient de
        // l'UTF-8, de vieux clients du Latin-1. Un octet invalide devient `�` au
        // lieu de couper le client.
        let text = String::from_utf8_lossy(&bytes);
        let Some(message) = message::parse(&text) else {
            return Ok(()); // une ligne vide : ignorée, comme le veut la RFC
        };
        let params: Vec<&str> = message.params.iter().map(String::as_str).collect();
        if !self.registered {
            return self.before_registration(&message, &params);
        }
        self.command(&message, &params)
    }

    /// Les seules commandes permises avant l'inscription ; les autres : `451`.
    fn before_registration(
        &mut self,
        message: &Message,
        params: &[&str],
    ) -> Result<(), End> {
        match message.command.as_str() {
            "CAP" => self.cap(params),
            "PASS" => self.pass(params),
            "NICK" => self.nick_command(params),
            "USER" => self.user_command(params),
            "PING" => self.ping(params),
            "PONG" => Ok(()),
            "QUIT" => Err(End::Quit(params.first().map(|s| s.to_string()))),
            _ => self.numeric(replies::ERR_NOTREGISTERED, &[]),
        }
    }

    /// Une commande d'un inscrit. Une fonction par commande, dans `register.rs`,
    /// `channels.rs` et `commands.rs`.
    fn command(&mut self, message: &Message, params: &[&str]) -> Result<(), End> {
        match message.command.as_str() {
            "CAP" => self.cap(params),
            "PASS" | "USER" => self.numeric(replies::ERR_ALREADYREGISTRED, &[]),
            "NICK" => self.nick_command(params),
            "PING" => self.ping(params),
            "PONG" => Ok(()),
            "QUIT" => Err(End::Quit(params.first().map(|s| s.to_string()))),
            "PRIVMSG" => self.privmsg(params, false),
            "NOTICE" => self.privmsg(params, true),
            "JOIN" => self.join(params),
            "PART" => self.part(params),
            "TOPIC" => self.topic(params),
            "NAMES" => self.names(params),
            "LIST" => self.list(params),
            "KICK" => self.kick(params),
            "INVITE" => self.invite(params),
            "MODE" => self.mode(params),
            "WHO" => self.who(params),
            "WHOIS" => self.whois(params),
            "AWAY" => self.away(params),
            "OPER" => self.oper(params),
            "KILL" => self.kill(params),
            "MOTD" => self.motd(),
            "LUSERS" => self.lusers(),
            "VERSION" => self.version(),
            "TIME" => self.time(),
            "ISON" => self.ison(params),
            "WHOWAS" => self.whowas(params),
            "INFO" => self.info(),
            "USERHOST" => self.userhost(params),
            other => {
                let mut name = other.to_owned();
                message::truncate(&mut name, 32);
                self.numeric(
                    replies::ERR_UNKNOWNCOMMAND,
                    &[&message::sanitize(&name)],
                )
            }
        }
    }

    /// `PING jeton` : le client vérifie que nous sommes là ; on renvoie son jeton.
    fn ping(&self, params: &[&str]) -> Result<(), End> {
        let Some(token) = params.first().filter(|token| !token.is_empty()) else {
            return self.numeric(replies::ERR_NOORIGIN, &[]);
        };
        let name = &self.shared.config.name;
        let token = message::sanitize(token);
        self.send(&message::build(name, "PONG", &[name], Some(&token)))
    }
}
// ANCHOR_END: dispatch

// ANCHOR: leave
impl Session {
    /// Le seul chemin de sortie d'une connexion, quelle que soit la raison.
    ///
    /// Le client reçoit `ERROR :Closing Link: …` (sauf s'il a été expulsé : celui
    /// qui l'a expulsé le lui a déjà mis dans sa file) ; ceux qui partagent un
    /// salon avec lui reçoivent son `QUIT`, exactement une fois : le retrait se fait
    /// sous le verrou, et seul celui qui le retire prévient les autres.
    pub(crate) fn depart(&mut self, end: &End) {
        let reason = end.reason();
        if let End::Shutdown = end {
            let _ = self.notice("*** Le serveur s'arrête. Au revoir !");
        }
        match end {
            End::Cancelled => {}
            End::SendQ => self.outbox.push_last(message::build_error(&reason)),
            _ => self.outbox.push_last(message::build_error(&format!(
                "Closing Link: {} ({reason})",
                self.host
            ))),
        }
        if !self.registered {
            self.shared.unregistered.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let mut state = self.shared.lock();
        if let End::Shutdown = end {
            // Tout le monde part : inutile de prévenir chacun du départ des autres.
            state.remove(self.id, &reason);
        } else {
            state.quit(self.id, &reason);
        }
    }
}
// ANCHOR_END: leave
