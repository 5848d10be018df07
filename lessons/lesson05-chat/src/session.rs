//! Ce qu'une connexion sait d'elle-même, et ce qu'elle fait de chaque ligne reçue :
//! d'abord l'inscription (le pseudo), puis les messages et les commandes (voir
//! `commands.rs`).
//!
//! Rien ici n'est `async` : chaque ligne est traitée d'un coup, sans attendre, et la
//! boucle de `connection.rs` décide quand lire la suivante.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::bytes::BytesMut;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::connection::{Conversation, End, Outbox, Paced, Pacer};
use crate::history::{Entry, History, unix_time};
use crate::protocol::{
    self, Command, Departure, GREETING, Line, LineCodec, NICK_PROMPT, nick_key,
    parse_line, validate_nick,
};
use crate::state::{Shared, User};

/// Au plus tant d'octets d'historique rejoués d'un coup (à l'arrivée ou par
/// `/history`) : les messages les plus récents qui y tiennent.
pub(crate) const MAX_REPLAY_BYTES: usize = 32 * 1024;

// ANCHOR: session
/// Ce qu'une connexion sait d'elle-même.
pub(crate) struct Session {
    pub(crate) id: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    /// Sa propre file (l'état en garde une copie pour les autres).
    outbox: Outbox,
    /// `None` tant que le client n'a pas choisi de pseudo.
    pub(crate) nick: Option<String>,
    /// Le jeton de cette connexion (copié dans l'état pour qu'on puisse l'expulser).
    cancel: CancellationToken,
    /// Le rythme de lecture : les lignes par seconde permises, la ligne qui attend
    /// son jeton, la pénalité d'un mauvais mot de passe.
    pub(crate) pace: Pacer<Line>,
    /// Heure limite pour donner un pseudo.
    register_deadline: Instant,
    /// Dernière ligne reçue, et prochain contrôle de l'inactivité.
    last_line: Instant,
    idle_check: Instant,
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
        Session {
            id: shared.connections.next_id(),
            peer,
            outbox,
            nick: None,
            cancel,
            pace: Pacer::new(config.max_rate, now),
            register_deadline: now + config.register_timeout,
            last_line: now,
            idle_check: now + config.idle_timeout,
            shared,
        }
    }

    /// Le pseudo du client inscrit.
    pub(crate) fn nick(&self) -> &str {
        self.nick.as_deref().unwrap_or("?")
    }

    /// « alice (127.0.0.1:50000) » pour le journal.
    pub(crate) fn describe(&self) -> String {
        match &self.nick {
            Some(nick) => format!("{nick} ({})", self.peer),
            None => self.peer.to_string(),
        }
    }

    /// Met une réponse dans la propre file du client, sans attendre.
    ///
    /// Une réponse peut être grosse (`/history`) ; mais tant que sa file dépasse la
    /// limite douce, le client n'est plus lu (voir [`Session::may_read`]) : il ne
    /// peut pas en demander une autre sans avoir lu la précédente.
    pub(crate) fn reply(&self, text: String) -> Result<(), End> {
        if self.outbox.push(&text.into()) {
            Ok(())
        } else {
            Err(End::TooSlow)
        }
    }
}
// ANCHOR_END: session

// ANCHOR: pacing
/// La session de ce salon, vue par la boucle de la connexion (`connection.rs`).
impl Conversation for Session {
    type Codec = LineCodec;
    type End = End;

    /// Salue le nouveau venu et lui demande son pseudo.
    fn greet(&mut self) -> Result<(), End> {
        self.reply(format!("{GREETING}{NICK_PROMPT}"))
    }

    /// Peut-on lire une ligne de plus maintenant ? Pas tant qu'une ligne attend son
    /// jeton, ni pendant une pénalité (voir [`Pacer`]).
    fn may_read(&self) -> bool {
        self.pace.may_read()
    }

    /// Le prochain délai à surveiller : le pseudo à donner, l'inactivité, le jeton
    /// d'une ligne retenue, la fin d'une pénalité. Un seul minuteur suffit, réglé
    /// sur le plus proche (la boucle y ajoute l'engorgement de la socket).
    fn deadline(&self) -> Instant {
        let session = match self.nick {
            None => self.register_deadline,
            Some(_) => self.idle_check,
        };
        self.pace
            .deadline()
            .map_or(session, |pace| pace.min(session))
    }

    /// Le minuteur a sonné : on regarde quel délai est échu.
    fn on_timer(&mut self, now: Instant) -> Result<(), End> {
        let config = &self.shared.config;
        if self.nick.is_none() && now >= self.register_deadline {
            // Un client qui se connecte et ne dit rien (slowloris) occuperait une
            // place pour toujours : il a `register_timeout` pour donner
            // un pseudo valide.
            let delay = protocol::french_duration(config.register_timeout);
            self.reply(protocol::register_timeout(&delay))?;
            return Err(End::RegisterTimeout);
        }
        if self.nick.is_some() && now >= self.idle_check {
            // Une place occupée par quelqu'un qui n'écrit plus rien depuis
            // longtemps : on la libère. (Le contrôle est paresseux :
            // chaque ligne reçue ne déplace pas le minuteur, on recalcule
            // seulement quand il sonne.)
            if now >= self.last_line + config.idle_timeout {
                let delay = protocol::french_duration(config.idle_timeout);
                self.reply(protocol::idle_timeout(&delay))?;
                return Err(End::Idle);
            }
            self.idle_check = self.last_line + config.idle_timeout;
        }
        match self.pace.on_timer(now) {
            Some(line) => self.on_line(line, now),
            None => Ok(()),
        }
    }

    /// Une ligne reçue.
    fn on_message(&mut self, line: Line, now: Instant) -> Result<(), End> {
        self.last_line = now;
        self.on_line(line, now)
    }

    fn closed(&self) -> End {
        End::Closed
    }

    fn too_slow(&self) -> End {
        End::TooSlow
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
    /// Chaque ligne reçue coûte un jeton, quelle qu'elle soit. Sans jeton, elle
    /// attend (et plus rien n'est lu) : le client est ralenti, rien n'est perdu.
    fn on_line(&mut self, line: Line, now: Instant) -> Result<(), End> {
        match self.pace.admit(line, 1, now) {
            Paced::Now(line) => self.handle_line(line),
            Paced::Held { notify: true } => {
                self.reply(protocol::slow_down(self.shared.config.max_rate))
            }
            Paced::Held { notify: false } => Ok(()),
        }
    }
}
// ANCHOR_END: pacing

// ANCHOR: handle_line
impl Session {
    /// Les lignes trop longues ou qui ne sont pas de l'UTF-8 reçoivent une erreur,
    /// mais la connexion continue.
    fn handle_line(&mut self, line: Line) -> Result<(), End> {
        let bytes: BytesMut = match line {
            Line::TooLong => {
                return self.reply(protocol::too_long(self.shared.config.max_line));
            }
            Line::Bytes(bytes) => bytes,
        };
        // Le serveur du document 01 fait `recv(1024).decode()` : un seul octet
        // invalide lève une exception et coupe le client. Ici, on le lui dit.
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return self.reply(protocol::not_utf8());
        };
        match self.nick {
            None => self.register(text),
            Some(_) => self.handle_command(text),
        }
    }

    /// Une ligne avant l'inscription : un pseudo proposé.
    fn register(&mut self, line: &str) -> Result<(), End> {
        let nick = line.trim();
        if nick.is_empty() {
            return Ok(());
        }
        if let Ok(Some(Command::Quit(_))) = parse_line(nick) {
            return Err(End::Quit(None));
        }
        let refusal = match validate_nick(nick) {
            Err(err) => protocol::nick_refused(&err),
            Ok(()) if self.join(nick)? => return Ok(()),
            Ok(()) => protocol::nick_taken(nick),
        };
        self.reply(format!("{refusal}{NICK_PROMPT}"))
    }
}
// ANCHOR_END: handle_line

// ANCHOR: register
impl Session {
    /// Inscrit le client sous `nick` si personne ne l'a déjà. Renvoie faux s'il est
    /// pris.
    ///
    /// Tout se fait sous le verrou, d'un bloc : vérifier que le pseudo est libre,
    /// l'inscrire, lui envoyer l'historique, prévenir les autres. Deux clients
    /// qui demandent le même pseudo au même instant passent l'un après l'autre :
    /// un seul l'obtient. Et aucun message ne peut se glisser entre l'historique
    /// rejoué et la suite.
    fn join(&mut self, nick: &str) -> Result<bool, End> {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let key = nick_key(nick);
        if state.users.contains_key(&key) {
            return Ok(false);
        }
        let mut welcome = protocol::welcome(nick, state.users.len() + 1);
        if !state.history.is_empty() {
            welcome.push_str(&history_block(&state.history, None));
        }
        self.reply(welcome)?;
        let user = User {
            id: self.id,
            nick: nick.to_owned(),
            outbox: self.outbox.clone(),
            operator: false,
            cancel: self.cancel.clone(),
        };
        state.users.insert(key, user);
        state.broadcast(&protocol::joined(nick).into(), Some(self.id));
        info!("{} s'inscrit sous le pseudo {nick}", self.peer);
        self.nick = Some(nick.to_owned());
        Ok(true)
    }
}

/// L'historique mis en forme : une notice d'en-tête puis un message par ligne, les
/// plus récents qui tiennent en [`MAX_REPLAY_BYTES`].
pub(crate) fn history_block(history: &History, count: Option<usize>) -> String {
    let now = unix_time();
    let mut lines: Vec<String> = Vec::new();
    let mut bytes = 0;
    for entry in history.last(count).rev() {
        let line = format_entry(entry, now);
        bytes += line.len();
        if bytes > MAX_REPLAY_BYTES {
            break;
        }
        lines.push(line);
    }
    let mut block = protocol::history_header(lines.len());
    for line in lines.iter().rev() {
        block.push_str(line);
    }
    block
}

fn format_entry(entry: &Entry, now: u64) -> String {
    protocol::history_line(now.saturating_sub(entry.time), &entry.from, &entry.text)
}
// ANCHOR_END: register

// ANCHOR: leave
impl Session {
    /// Le seul chemin de sortie d'une connexion, quelle que soit la raison.
    ///
    /// Celui qui RETIRE l'inscrit de l'état prévient les autres : ici pour un départ
    /// normal, ailleurs pour une expulsion ou un client trop lent. Le retrait se
    /// fait sous le verrou, une seule fois : les autres sont donc prévenus
    /// exactement une fois.
    pub(crate) fn depart(&mut self, end: &End) {
        let shutting_down = matches!(end, End::Shutdown);
        if shutting_down {
            let _ = self.reply(protocol::SHUTDOWN.to_owned());
        }
        let Some(nick) = self.nick.clone() else {
            return; // jamais inscrit : personne à prévenir
        };
        if let End::Quit(_) = end {
            let _ = self.reply(protocol::goodbye(&nick));
        }
        let mut state = self.shared.lock();
        let key = nick_key(&nick);
        if state.users.get(&key).is_none_or(|user| user.id != self.id) {
            return; // déjà retiré (expulsé, trop lent) : les autres ont été prévenus
        }
        state.users.remove(&key);
        if shutting_down {
            // tout le monde part : inutile de prévenir chacun du départ des autres
            return;
        }
        let why = match end {
            End::Quit(reason) => Departure::Quit(reason.clone()),
            End::TooSlow => Departure::TooSlow,
            End::Idle => Departure::Idle,
            _ => Departure::Disconnected,
        };
        state.broadcast(&protocol::departure(&nick, &why).into(), None);
    }
}
// ANCHOR_END: leave
