//! La vie d'une connexion : une seule tâche qui lit les lignes du client, écrit ce
//! qui lui est destiné, et surveille ses délais, avec un `select!`. Et sa file
//! d'envoi, bornée en octets.
//!
//! ## Qui est « trop lent » ?
//!
//! Un client qui ne lit plus (un `nc` suspendu par Ctrl+Z, une machine en veille) ne
//! doit ni ralentir les autres, ni faire grossir la mémoire du serveur. Mais un
//! client qui lit normalement ne doit jamais être pris pour lui, même quand le salon
//! s'agite et que le serveur a du retard. Compter les LIGNES en attente ne sait pas
//! faire la différence : une rafale de cinquante personnes remplit n'importe quelle
//! file de lignes avant que le serveur ait eu le temps de l'écrire. Ce qu'on compte
//! ici, ce sont les OCTETS que le noyau n'a pas encore acceptés pour ce client, et le
//! temps pendant lequel il les refuse :
//!
//! - au-delà de la limite dure ([`Config::hard_limit`], 1 Mio), le client est
//!   déconnecté tout de suite : c'est ce qui borne la mémoire ;
//! - au-delà de la limite douce ([`Config::soft_limit`], 64 Kio), on lui laisse
//!   [`Config::backed_up_timeout`] (10 s) pendant lesquels sa socket est ENGORGÉE :
//!   le noyau refuse nos octets parce que ses tampons sont pleins, donc parce que le
//!   client ne lit pas.
//!
//! Les serveurs IRC appellent cette file la *SendQ* ; Redis a le même réglage à deux
//! niveaux (`client-output-buffer-limit`).
//!
//! ## Une boucle qui ne connaît pas le protocole
//!
//! La boucle d'une connexion (lire, écrire, surveiller les délais) ne sait rien des
//! pseudos ni des commandes : elle demande tout à la session, à travers le trait
//! [`Conversation`]. C'est ce qui permet à la leçon 07 d'y brancher IRC sans en
//! recopier une ligne : ce module est public, et la leçon 07 l'emprunte tel quel.
//!
//! [`Config::hard_limit`]: crate::Config::hard_limit
//! [`Config::soft_limit`]: crate::Config::soft_limit
//! [`Config::backed_up_timeout`]: crate::Config::backed_up_timeout

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_util::codec::{Decoder, FramedRead};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::protocol::LineCodec;
use crate::rate_limit::TokenBucket;
use crate::session::Session;
use crate::state::Shared;

/// Capacité initiale du tampon de lecture de chaque connexion. Petite exprès : 10 000
/// clients inactifs ne doivent coûter que quelques Mio. Le tampon grandit quand une
/// lecture le remplit.
const READ_BUFFER: usize = 64;

/// Ce que coûte une ligne en attente, en plus de ses octets : le pointeur et la place
/// dans la file. Le compter empêche un déluge de lignes minuscules de passer sous la
/// limite.
pub(crate) const LINE_OVERHEAD: usize = 32;

/// Au plus tant de lignes par appel système d'écriture (Linux en accepte 1024).
const MAX_SLICES: usize = 256;

/// Le découpeur (`C::Codec`) posé sur la moitié « lecture » de la socket.
type Lines<'a, C> = FramedRead<ReadHalf<'a>, <C as Conversation>::Codec>;

// ANCHOR: outbox
/// La file d'envoi d'un client, côté « expéditeurs » : l'état en garde une copie pour
/// lui écrire. Elle n'attend jamais : mettre une ligne dans la file est immédiat.
#[derive(Debug, Clone)]
pub struct Outbox {
    lines: mpsc::UnboundedSender<Arc<str>>,
    /// Octets en attente : mis dans la file mais pas encore acceptés par le noyau.
    queued: Arc<AtomicUsize>,
    soft_limit: usize,
    hard_limit: usize,
    /// Sonne quand la file franchit la limite douce : des lignes retenues (voir
    /// [`Output::with_flush_delay`]) partent alors sans attendre leur heure.
    crossed_soft_limit: Arc<Notify>,
}

impl Outbox {
    /// Met `line` dans la file. Renvoie faux, sans rien mettre, si la file
    /// dépasserait la limite dure : ce client doit être déconnecté.
    ///
    /// La file est « non bornée » pour tokio, mais bornée par ce compte d'octets :
    /// aucune ligne n'y entre sans être comptée.
    pub fn push(&self, line: &Arc<str>) -> bool {
        let cost = line.len() + LINE_OVERHEAD;
        let before = self.queued.fetch_add(cost, Ordering::Relaxed);
        if before + cost > self.hard_limit {
            self.queued.fetch_sub(cost, Ordering::Relaxed);
            return false;
        }
        if before <= self.soft_limit && before + cost > self.soft_limit {
            self.crossed_soft_limit.notify_one();
        }
        // Une erreur veut dire que la connexion se termine déjà : la ligne ne sert
        // plus à rien.
        let _ = self.lines.send(Arc::clone(line));
        true
    }

    /// La toute dernière ligne (un adieu, le motif d'une fermeture), mise même
    /// au-delà de la limite dure : une seule, la connexion se ferme juste après.
    pub fn push_last(&self, line: Arc<str>) {
        self.queued
            .fetch_add(line.len() + LINE_OVERHEAD, Ordering::Relaxed);
        let _ = self.lines.send(line);
    }
}

/// La même file, côté connexion : ce qui reste à écrire sur la socket.
pub struct Output {
    incoming: mpsc::UnboundedReceiver<Arc<str>>,
    queued: Arc<AtomicUsize>,
    crossed_soft_limit: Arc<Notify>,
    /// Les lignes sorties du canal, pas encore entièrement écrites.
    lines: VecDeque<Arc<str>>,
    /// Octets de la première ligne déjà écrits (le noyau peut n'en prendre qu'une
    /// partie).
    sent: usize,
    /// Depuis quand la file dépasse la limite douce ET le noyau refuse nos octets.
    backed_up_since: Option<Instant>,
    soft_limit: usize,
    /// Combien de temps une socket peut rester engorgée.
    backed_up_timeout: Duration,
    /// Combien de temps une ligne venue d'un autre client peut attendre que
    /// d'autres la rejoignent (zéro : elle part tout de suite). Voir
    /// [`Output::with_flush_delay`].
    flush_delay: Duration,
    /// Tant que l'heure n'est pas venue, les lignes reçues attendent : elles
    /// partiront ensemble à cette heure-là.
    flush_at: Option<Instant>,
}

/// Crée la file d'un client, avec ses limites douce et dure en octets et le temps
/// qu'une socket peut rester engorgée : un côté pour les expéditeurs, un côté pour
/// sa connexion.
pub fn output_queue(
    soft_limit: usize,
    hard_limit: usize,
    backed_up_timeout: Duration,
) -> (Outbox, Output) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let crossed_soft_limit = Arc::new(Notify::new());
    let outbox = Outbox {
        lines: sender,
        queued: Arc::clone(&queued),
        soft_limit,
        hard_limit,
        crossed_soft_limit: Arc::clone(&crossed_soft_limit),
    };
    let output = Output {
        incoming: receiver,
        queued,
        crossed_soft_limit,
        lines: VecDeque::new(),
        sent: 0,
        backed_up_since: None,
        soft_limit,
        backed_up_timeout,
        flush_delay: Duration::ZERO,
        flush_at: None,
    };
    (outbox, output)
}
// ANCHOR_END: outbox

// ANCHOR: write_now
impl Output {
    /// Octets en attente pour ce client.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Vrai si la file dépasse la limite douce (on cesse alors de lire ce client).
    pub fn is_over_soft_limit(&self) -> bool {
        self.queued() > self.soft_limit
    }

    /// Depuis quand la socket est engorgée au-delà de la limite douce, s'il y a lieu.
    pub fn backed_up_since(&self) -> Option<Instant> {
        self.backed_up_since
    }

    /// L'heure où une socket engorgée fera déclarer son client trop lent.
    fn too_slow_at(&self) -> Option<Instant> {
        self.backed_up_since
            .map(|since| since + self.backed_up_timeout)
    }

    /// Vrai s'il reste des octets que le noyau a refusés : on attend que la socket
    /// redevienne inscriptible. (Des lignes retenues exprès, voir
    /// [`Output::with_flush_delay`], n'attendent pas la socket mais leur heure.)
    fn is_waiting(&self) -> bool {
        !self.lines.is_empty() && self.flush_at.is_none()
    }

    /// Écrit tout ce que le noyau accepte MAINTENANT, sans jamais attendre.
    ///
    /// Les lignes en attente partent d'un seul appel système (`writev`) : quand le
    /// salon s'agite, dix lignes coûtent une écriture au lieu de dix, et sans
    /// être recopiées dans un tampon : le noyau lit directement les lignes
    /// partagées.
    fn write_now(&mut self, socket: &WriteHalf<'_>) -> io::Result<()> {
        self.flush_at = None;
        let mut refused = false;
        loop {
            while let Ok(line) = self.incoming.try_recv() {
                self.lines.push_back(line);
            }
            if self.lines.is_empty() {
                break;
            }
            match self.try_write(socket) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                // Les tampons du noyau sont pleins : le client ne lit pas assez vite.
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    refused = true;
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        if !self.is_over_soft_limit() {
            self.backed_up_since = None;
        } else if refused && self.backed_up_since.is_none() {
            self.backed_up_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Un `writev` non bloquant des premières lignes de la file (un simple `write`
    /// s'il n'y en a qu'une, le cas le plus courant).
    fn try_write(&self, socket: &WriteHalf<'_>) -> io::Result<usize> {
        let first = &self.lines[0].as_bytes()[self.sent..];
        if self.lines.len() == 1 {
            return socket.try_write(first);
        }
        let rest = self.lines.iter().skip(1).take(MAX_SLICES - 1);
        let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(first))
            .chain(rest.map(|line| IoSlice::new(line.as_bytes())))
            .collect();
        socket.try_write_vectored(&slices)
    }

    /// Le noyau a pris `written` octets : on oublie les lignes entièrement parties.
    fn advance(&mut self, mut written: usize) {
        while let Some(first) = self.lines.front() {
            let left = first.len() - self.sent;
            if written < left {
                self.sent += written;
                return;
            }
            written -= left;
            self.sent = 0;
            self.queued
                .fetch_sub(first.len() + LINE_OVERHEAD, Ordering::Relaxed);
            self.lines.pop_front();
        }
    }
}
// ANCHOR_END: write_now

// ANCHOR: flush
/// Le regroupement des envois, que la leçon 07 active (ici, `flush_delay` vaut zéro
/// et chaque ligne part dès qu'elle arrive).
///
/// Une ligne écrite seule coûte un appel système et un segment TCP. Quand un salon
/// s'anime, chaque destinataire reçoit des lignes toutes les quelques
/// millisecondes : les retenir un instant pour les écrire ensemble divise ce coût
/// par le nombre de lignes regroupées. C'est l'idée de l'algorithme de Nagle, mais
/// avec un délai choisi et borné au lieu de l'attente d'un accusé de réception.
impl Output {
    /// Active le regroupement : une ligne venue d'un autre client attend au plus
    /// `delay` que d'autres la rejoignent, puis toutes partent d'une seule
    /// écriture. Le prix : jusqu'à `delay` de latence en plus.
    pub fn with_flush_delay(self, delay: Duration) -> Output {
        Output {
            flush_delay: delay,
            ..self
        }
    }

    /// Vrai si des lignes attendent que d'autres les rejoignent : la boucle ne
    /// relève plus le canal (les suivantes y attendent, déjà comptées) et
    /// n'écrit pas avant l'heure.
    fn is_holding(&self) -> bool {
        self.flush_at.is_some()
    }

    /// Une ligne venue du canal : elle rejoint la file et, si on regroupe les
    /// envois, toute la file attend jusqu'à `flush_delay` avant de partir. Les
    /// lignes que la session met dans la file pendant son propre tour (ses réponses
    /// à ce client) ne passent pas par ici : elles partent au tour suivant, sauf
    /// si d'autres attendent déjà (l'ordre est gardé).
    fn receive(&mut self, line: Arc<str>) {
        self.lines.push_back(line);
        if !self.flush_delay.is_zero() && self.flush_at.is_none() {
            self.flush_at = Some(Instant::now() + self.flush_delay);
        }
    }

    /// Est-ce l'heure d'écrire ? Toujours, sauf si des lignes attendent encore
    /// d'en rejoindre d'autres. (`write_now` remet l'attente à zéro ; la fermeture
    /// écrit tout, sans attendre.) L'horloge n'est lue que pendant une attente.
    fn may_write(&self) -> bool {
        self.flush_at.is_none_or(|at| at <= Instant::now())
    }

    /// La file franchit la limite douce : les lignes retenues partent au tour
    /// suivant, sans attendre leur heure.
    fn stop_holding(&mut self) {
        self.flush_at = None;
    }
}
// ANCHOR_END: flush

// ANCHOR: pacer
/// Au plus une notice « Doucement ! » par période de cette durée.
const SLOW_DOWN_NOTICE_EVERY: Duration = Duration::from_secs(30);

/// Le rythme de lecture d'une connexion : le seau à jetons, le message reçu trop
/// tôt qui attend les siens, et la pause qui suit un mauvais mot de passe. Tant
/// qu'un message attend ou qu'une pause court, la connexion n'est plus lue : les
/// octets suivants restent dans le noyau, et TCP fait attendre le client.
#[derive(Debug)]
pub struct Pacer<M> {
    rate: TokenBucket,
    /// Un message reçu trop tôt, et l'heure où il aura ses jetons.
    held: Option<(M, Instant)>,
    /// Après un mauvais mot de passe, plus rien n'est lu jusqu'à cette heure.
    paused_until: Option<Instant>,
    last_notice: Option<Instant>,
}

/// Ce que devient un message reçu.
#[derive(Debug, PartialEq, Eq)]
pub enum Paced<M> {
    /// Il a ses jetons : à traiter maintenant.
    Now(M),
    /// Il attend ses jetons ; `notify` : le dire au client (au plus une fois toutes
    /// les 30 s, pour que l'avertissement ne soit pas un flot de plus).
    Held { notify: bool },
}

impl<M> Pacer<M> {
    /// `per_second` messages par seconde, par rafales d'une seconde ; 0 : pas de
    /// limite.
    pub fn new(per_second: u32, now: Instant) -> Pacer<M> {
        Pacer {
            rate: TokenBucket::per_second(per_second, now.into_std()),
            held: None,
            paused_until: None,
            last_notice: None,
        }
    }

    /// Peut-on lire un message de plus ?
    pub fn may_read(&self) -> bool {
        self.held.is_none() && self.paused_until.is_none()
    }

    /// Le prochain délai du rythme : les jetons du message retenu, ou la fin de la
    /// pause.
    pub fn deadline(&self) -> Option<Instant> {
        let ready = self.held.as_ref().map(|(_, ready)| *ready);
        ready.into_iter().chain(self.paused_until).min()
    }

    /// Ne plus lire cette connexion jusqu'à `until` (un mauvais mot de passe).
    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(until);
    }

    /// Le minuteur a sonné : la pause échue est levée, et le message retenu rendu
    /// (à présenter de nouveau à [`Pacer::admit`]).
    pub fn on_timer(&mut self, now: Instant) -> Option<M> {
        if self.paused_until.is_some_and(|until| until <= now) {
            self.paused_until = None;
        }
        self.held.take().map(|(message, _)| message)
    }

    /// Un message reçu, qui coûte `cost` jetons. Sans assez de jetons, il attend
    /// (et plus rien n'est lu) : le client est ralenti, rien n'est perdu.
    pub fn admit(&mut self, message: M, cost: u32, now: Instant) -> Paced<M> {
        let Err(ready) = self.rate.take_many(cost, now.into_std()) else {
            return Paced::Now(message);
        };
        self.held = Some((message, ready.into()));
        let notify = self
            .last_notice
            .is_none_or(|last| now >= last + SLOW_DOWN_NOTICE_EVERY);
        if notify {
            self.last_notice = Some(now);
        }
        Paced::Held { notify }
    }
}
// ANCHOR_END: pacer

// ANCHOR: end
/// Pourquoi une connexion se termine.
#[derive(Debug)]
pub(crate) enum End {
    /// `/quit [raison]` ou `exit`.
    Quit(Option<String>),
    /// Le client a fermé sa connexion (lecture de 0 octet).
    Closed,
    /// Erreur réseau : typiquement un RST (« connection reset by peer »).
    Error(io::Error),
    /// Pas de pseudo dans le délai.
    RegisterTimeout,
    /// Inscrit, mais plus rien reçu de lui depuis le délai d'inactivité.
    Idle,
    /// Sa socket est restée engorgée : il ne lit pas ce qu'on lui envoie.
    TooSlow,
    /// Expulsé, ou jugé trop lent par une autre connexion (qui a prévenu les autres).
    Cancelled,
    /// Arrêt du serveur (Ctrl+C).
    Shutdown,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Quit(None) => write!(f, "a quitté"),
            End::Quit(Some(reason)) => write!(f, "a quitté ({reason})"),
            End::Closed => write!(f, "a fermé la connexion"),
            End::Error(err) => write!(f, "a perdu la connexion : {err}"),
            End::RegisterTimeout => write!(f, "n'a pas donné de pseudo à temps"),
            End::Idle => write!(f, "est resté inactif trop longtemps"),
            End::TooSlow => write!(f, "ne lisait plus ce qu'on lui envoyait"),
            End::Cancelled => write!(f, "a été déconnecté (expulsé, ou trop lent)"),
            End::Shutdown => write!(f, "a été prévenu de l'arrêt du serveur"),
        }
    }
}

impl From<io::Error> for End {
    fn from(err: io::Error) -> End {
        End::Error(err)
    }
}
// ANCHOR_END: end

// ANCHOR: connection
/// La vie d'une connexion, de l'accept à la fermeture.
pub(crate) async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    info!("connexion de {peer}");
    let config = &shared.config;
    // Tout ce qui est destiné à ce client passe par SA file : ses propres réponses
    // comme les messages des autres. Une seule tâche écrit donc sur sa socket,
    // dans l'ordre.
    let (outbox, output) = output_queue(
        config.soft_limit,
        config.hard_limit,
        config.backed_up_timeout,
    );
    let codec = LineCodec::new(config.max_line);
    let mut session = Session::new(peer, Arc::clone(&shared), outbox, cancel.clone());
    let grace = config.shutdown_grace;
    let end =
        converse(&mut stream, codec, &mut session, output, &cancel, grace).await;
    info!("{} {end}", session.describe());
}
// ANCHOR_END: connection

// ANCHOR: conversation
/// Ce que la boucle d'une connexion demande au protocole qu'on y parle. La session
/// de ce salon (`session.rs`) le met en œuvre ; celle d'IRC, à la leçon 07, aussi.
///
/// La boucle s'occupe elle-même de ce qui ne dépend pas du protocole : lire et
/// écrire, ne plus lire un client dont la file dépasse la limite douce, déclarer
/// trop lent celui dont la socket reste engorgée, reconnaître une fermeture.
pub trait Conversation {
    /// Le découpeur des octets reçus : des lignes ici, des messages IRC ailleurs.
    type Codec: Decoder<Error = io::Error>;
    /// Pourquoi la connexion se termine ; une erreur réseau en est une raison.
    type End: From<io::Error>;

    /// Les premiers mots du serveur, avant de lire quoi que ce soit.
    fn greet(&mut self) -> Result<(), Self::End> {
        Ok(())
    }
    /// La session veut-elle un message de plus maintenant ? (Voir [`Pacer`].)
    fn may_read(&self) -> bool;
    /// Le prochain délai de la session (un seul minuteur, le plus proche).
    fn deadline(&self) -> Instant;
    /// Un message reçu.
    fn on_message(
        &mut self,
        message: <Self::Codec as Decoder>::Item,
        now: Instant,
    ) -> Result<(), Self::End>;
    /// Le minuteur a sonné pour un délai de la session.
    fn on_timer(&mut self, now: Instant) -> Result<(), Self::End>;
    /// Le client a fermé sa connexion (lecture de 0 octet).
    fn closed(&self) -> Self::End;
    /// Sa socket est restée engorgée : il ne lit pas ce qu'on lui envoie.
    fn too_slow(&self) -> Self::End;
    /// La connexion a été annulée (arrêt du serveur, expulsion).
    fn cancelled(&self) -> Self::End;
    /// Le seul chemin de sortie : prévenir les autres, mettre les derniers mots
    /// dans la file.
    fn leave(&mut self, end: &Self::End);
}

/// Fait vivre une connexion avec `session` : la boucle, puis le départ, puis les
/// dernières lignes. Renvoie la raison de la fin.
pub async fn converse<C: Conversation>(
    stream: &mut TcpStream,
    codec: C::Codec,
    session: &mut C,
    mut output: Output,
    cancel: &CancellationToken,
    grace: Duration,
) -> C::End {
    // `split` sépare lecture et écriture sur la même socket, sans copie ni verrou.
    let (reader, mut writer) = stream.split();
    let mut lines = FramedRead::with_capacity(reader, codec, READ_BUFFER);
    let end = run(session, &mut lines, &writer, &mut output, cancel).await;
    session.leave(&end);
    // Dernières lignes (au revoir, motif d'expulsion, arrêt du serveur), en temps
    // borné : un client qui ne lit pas ne retient pas le serveur plus de `grace`.
    let last_words = close_gracefully(&mut writer, &mut output, &mut lines);
    let _ = timeout(grace, last_words).await;
    end
}

/// La boucle d'une connexion. Cinq choses peuvent arriver, et `select!` réagit à la
/// première : l'annulation (expulsion, arrêt), un délai échu, de la place dans la
/// socket pour écrire, une ligne à envoyer au client, une ligne reçue du client.
/// (Une sixième branche ne sert qu'au regroupement des envois de la leçon 07 : la
/// limite douce franchie pendant que des lignes sont retenues.)
///
/// La lecture a une condition : `session.may_read`. Un client qui envoie trop vite,
/// ou qui ne lit pas les réponses qu'on lui fait, n'est tout simplement plus lu ; TCP
/// fait le reste (voir `rate_limit.rs`).
async fn run<C: Conversation>(
    session: &mut C,
    lines: &mut Lines<'_, C>,
    writer: &WriteHalf<'_>,
    output: &mut Output,
    cancel: &CancellationToken,
) -> C::End {
    if let Err(end) = session.greet() {
        return end;
    }
    // Un seul minuteur, réglé sur le prochain délai de la session (voir
    // `Conversation::deadline`), et une seule attente de l'annulation : créés une
    // fois pour toute la connexion, et non à chaque tour (s'inscrire auprès du
    // jeton d'annulation prend un verrou).
    let timer = sleep_until(session.deadline());
    let cancelled = cancel.cancelled();
    tokio::pin!(timer, cancelled);
    loop {
        if output.may_write()
            && let Err(err) = output.write_now(writer)
        {
            return err.into();
        }
        // Le minuteur sonne au plus proche des trois : un délai de la session,
        // la fin de la patience pour une socket engorgée, l'heure d'écrire les
        // lignes retenues.
        let deadline = [output.too_slow_at(), output.flush_at]
            .into_iter()
            .flatten()
            .fold(session.deadline(), Instant::min);
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        // Au-delà de la limite douce, on ne lit plus ce client : il ne peut pas
        // demander d'autres réponses sans avoir lu les précédentes.
        let may_read = session.may_read() && !output.is_over_soft_limit();
        // `biased` : dans cet ordre, du plus fréquent au plus rare. Écrire passe
        // avant lire : un serveur qui lit plus vite qu'il n'écrit accumule.
        // Le minuteur et l'annulation viennent en dernier, et ne sont pas
        // oubliés pour autant : tokio limite le nombre d'opérations prêtes
        // d'affilée (son « budget »), si bien qu'au plus tard après une
        // centaine, toutes les branches sont interrogées.
        let step = tokio::select! {
            biased;
            // Quand la socket est engorgée (noyau qui refuse nos octets, file
            // au-delà de la limite douce), inutile d'être réveillé à chaque
            // nouvelle ligne : elles attendent dans le canal, déjà comptées, et
            // partiront toutes d'un coup quand la socket redeviendra inscriptible.
            // Même chose quand des lignes attendent déjà d'en rejoindre d'autres :
            // les suivantes partiront avec elles.
            // (Le canal ne se ferme pas tant que la session garde sa copie de
            // l'`Outbox` : `None` n'arrive pas, et ne contiendrait rien.)
            line = output.incoming.recv(),
                if output.backed_up_since().is_none() && !output.is_holding() =>
            {
                if let Some(line) = line {
                    output.receive(line);
                }
                Ok(())
            }
            // Des lignes retenues ne font jamais dépasser la limite douce : au-delà,
            // elles partent sans attendre leur heure.
            () = output.crossed_soft_limit.notified(), if output.is_holding() => {
                output.stop_holding();
                Ok(())
            }
            read = lines.next(), if may_read => match read {
                None => Err(session.closed()),
                Some(Err(err)) => Err(err.into()),
                Some(Ok(message)) => session.on_message(message, Instant::now()),
            },
            ready = writer.writable(), if output.is_waiting() => {
                ready.map_err(C::End::from)
            }
            () = &mut timer => {
                let now = Instant::now();
                match output.too_slow_at() {
                    Some(too_slow) if now >= too_slow => Err(session.too_slow()),
                    _ if session.deadline() <= now => session.on_timer(now),
                    // L'heure d'écrire les lignes regroupées : le tour suivant écrit.
                    _ => Ok(()),
                }
            }
            () = &mut cancelled => Err(session.cancelled()),
        };
        if let Err(end) = step {
            return end;
        }
    }
}

/// Envoie ce qui reste dans la file puis ferme poliment.
async fn close_gracefully<D: Decoder>(
    writer: &mut WriteHalf<'_>,
    output: &mut Output,
    lines: &mut FramedRead<ReadHalf<'_>, D>,
) {
    output.incoming.close(); // plus personne ne peut y ajouter de ligne
    loop {
        if output.write_now(writer).is_err() {
            return;
        }
        if !output.is_waiting() {
            break;
        }
        if writer.writable().await.is_err() {
            return;
        }
    }
    // shutdown() envoie un FIN après les dernières données : le client lit 0 octet et
    // sait que c'est fini.
    if writer.shutdown().await.is_err() {
        return;
    }
    // Fermer une socket dont des octets reçus n'ont pas été lus fait envoyer un RST,
    // qui peut détruire chez le client les données pas encore lues (notre « au
    // revoir ») : on lit donc et on jette ce qui arrive encore, jusqu'à la
    // fermeture du client (ou la fin du délai qui nous entoure).
    while let Some(Ok(_)) = lines.next().await {}
}
// ANCHOR_END: conversation
