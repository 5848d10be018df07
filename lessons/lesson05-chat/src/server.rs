//! Le serveur du salon : la boucle d'acceptation, une tâche tokio par connexion, et l'état
//! partagé (les inscrits et l'historique) derrière un verrou.
//!
//! Trois règles font sa robustesse, chacune expliquée là où elle s'applique :
//! 1. tout est borné : les connexions (un sémaphore), la longueur des lignes (le découpeur),
//!    la file de chaque client (un canal borné) ;
//! 2. personne n'attend personne : on ne fait jamais `.await` en tenant le verrou, et on
//!    n'attend jamais un client lent (sa file pleine, il est déconnecté) ;
//! 3. chaque fin de connexion passe par le même chemin (`Session::leave`), si bien que les
//!    autres sont prévenus exactement une fois, quelle que soit la raison du départ.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::timeout;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::history::{Entry, History, unix_time};
use crate::protocol::{
    Command, GREETING, Line, LineCodec, NICK_PROMPT, history_line, nick_key, notice, parse_line,
    validate_nick,
};

mod commands;
use commands::RateLimit;

/// Taille de la file d'attente des connexions établies mais pas encore acceptées.
pub const BACKLOG: i32 = 1024;

/// Capacité initiale du tampon de lecture de chaque connexion. Petite exprès : 10 000
/// clients inactifs ne doivent coûter que quelques Mio. Le tampon double quand une lecture
/// le remplit, et garde ensuite sa taille : un client bavard a vite un grand tampon.
const READ_BUFFER: usize = 64;

/// Au-delà de cette taille, on envoie le lot et on reprend la file ensuite.
const MAX_BATCH: usize = 64 * 1024;

// ANCHOR: config
/// Les réglages du serveur. `Config::default()` donne ceux de la ligne de commande.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connexions ouvertes au maximum, inscrites ou non.
    pub max_clients: usize,
    /// Messages publics gardés en mémoire (et rejoués aux nouveaux venus). Au plus la moitié
    /// de `queue_len` : l'historique rejoué doit tenir dans la file du nouveau venu.
    pub history_len: usize,
    /// Fichier où chaque message public est ajouté (JSON lines), relu au démarrage.
    pub history_file: Option<PathBuf>,
    /// Mot de passe de `/oper` ; sans lui, personne ne peut devenir opérateur.
    pub oper_password: Option<String>,
    /// Longueur maximale d'une ligne reçue, en octets.
    pub max_line: usize,
    /// Lignes en attente pour un client ; file pleine = client trop lent, déconnecté.
    ///
    /// Une place coûte 16 octets (un pointeur vers une ligne partagée par toutes les files) :
    /// on peut être généreux. Il le faut : quand 500 clients s'inscrivent d'un coup, chacun
    /// reçoit 499 avis d'arrivée avant que sa tâche ait pu les écrire.
    pub queue_len: usize,
    /// Lignes par seconde qu'un client peut envoyer (0 : pas de limite).
    pub max_rate: u32,
    /// Délai pour donner son pseudo, après quoi la connexion est fermée.
    pub register_timeout: Duration,
    /// Temps laissé à chaque client pour recevoir ses derniers messages à la fermeture.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: 200,
            history_len: 100,
            history_file: None,
            oper_password: None,
            max_line: 1024,
            queue_len: 1024,
            max_rate: 100,
            register_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(1),
        }
    }
}
// ANCHOR_END: config

// ANCHOR: listen
/// Crée la socket d'écoute avec socket2, comme dans la leçon 01, puis la confie à tokio.
/// Doit être appelée depuis le runtime tokio.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    // tokio attend une socket non bloquante : c'est sa boucle d'événements qui attendra.
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}
// ANCHOR_END: listen

// ANCHOR: state
/// Ce que toutes les connexions partagent.
struct Shared {
    config: Config,
    state: Mutex<State>,
    /// Une place par connexion ouverte : `--max-clients` places au total.
    connections: Arc<Semaphore>,
    /// Annulé à l'arrêt du serveur ; le jeton de chaque connexion en est un enfant.
    shutdown: CancellationToken,
    next_id: AtomicU64,
}

/// L'état du salon, protégé par un verrou.
///
/// Le serveur du document 01 (§ 6) modifie sa liste `clients` depuis plusieurs threads sans
/// verrou, et le document 04 (§ 2.2) remarque que deux messages peuvent alors être traités en
/// même temps sur une liste pas à jour. Ici, chaque opération sur l'état (inscrire, renommer,
/// diffuser, retirer) se fait d'un bloc, verrou tenu : les autres la voient entière ou pas du
/// tout.
///
/// `std::sync::Mutex` et non celui de tokio : on ne garde jamais le verrou pendant un
/// `.await` (on n'y fait que des opérations immédiates, comme `try_send`), et le verrou de la
/// bibliothèque standard est alors le plus rapide. Le compilateur y veille : son gardien
/// (`MutexGuard`) n'est pas `Send`, et `tokio::spawn` refuse une tâche qui le garderait
/// d'un `.await` à l'autre.
struct State {
    /// Les inscrits, rangés par pseudo en minuscules (voir `nick_key`).
    users: HashMap<String, User>,
    history: History,
}

/// Un inscrit, vu par les autres connexions.
struct User {
    /// Numéro unique de la connexion : distingue « alice » d'une nouvelle « alice » arrivée
    /// après le départ de la première.
    id: u64,
    /// Le pseudo tel qu'il l'a écrit (avec ses majuscules).
    nick: String,
    /// La file des lignes à lui envoyer, BORNÉE : la file sans limite de l'exemple `chat.rs`
    /// de tokio grossit sans fin pour un client qui ne lit pas. `Arc<str>` : un message public
    /// est mis en forme une fois puis partagé entre toutes les files, sans copie.
    outgoing: mpsc::Sender<Arc<str>>,
    operator: bool,
    /// Annuler ce jeton termine sa connexion (expulsion, client trop lent).
    cancel: CancellationToken,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Un verrou « empoisonné » signale qu'une tâche a paniqué en le tenant. L'état reste
        // cohérent ici (chaque modification est faite d'un bloc), on continue donc à servir.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
// ANCHOR_END: state

// ANCHOR: broadcast
impl State {
    /// Met `line` dans la file de chaque inscrit, sauf `except`.
    ///
    /// `try_send` n'attend jamais : si la file d'un client est pleine, c'est qu'il ne lit plus
    /// depuis longtemps. L'attendre ralentirait tout le salon (c'est le défaut du serveur du
    /// document 01, dont `sendall` bloque l'expéditeur) ; on le déconnecte.
    fn broadcast(&mut self, line: &Arc<str>, except: Option<u64>) {
        let mut too_slow = Vec::new();
        for (key, user) in &self.users {
            if Some(user.id) == except {
                continue;
            }
            if let Err(TrySendError::Full(_)) = user.outgoing.try_send(Arc::clone(line)) {
                too_slow.push(key.clone());
            }
        }
        for key in too_slow {
            self.disconnect_slow(&key);
        }
    }

    /// Déconnecte un client dont la file est pleine et prévient les autres.
    fn disconnect_slow(&mut self, key: &str) {
        let Some(user) = self.users.remove(key) else {
            return; // déjà retiré par un appel précédent
        };
        warn!(
            "{} ne lit plus ses messages (file pleine) : déconnecté",
            user.nick
        );
        user.cancel.cancel();
        let text = format!("{} ne lisait plus ses messages : déconnecté(e).", user.nick);
        self.broadcast(&notice(&text).into(), None);
    }

    /// Envoie une ligne à un seul inscrit (message privé, expulsion).
    fn send_to(&mut self, key: &str, line: String) {
        let full = match self.users.get(key) {
            Some(user) => matches!(
                user.outgoing.try_send(line.into()),
                Err(TrySendError::Full(_))
            ),
            None => false,
        };
        if full {
            self.disconnect_slow(key);
        }
    }
}
// ANCHOR_END: broadcast

/// Le serveur, prêt à servir : l'historique est chargé.
pub struct ChatServer {
    shared: Arc<Shared>,
}

/// Crée le serveur avec `config` et sert les clients de `listener` jusqu'à ce que
/// `shutdown` se termine (Ctrl+C dans le programme, un signal dans les tests).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    ChatServer::new(config)?.run(listener, shutdown).await
}

impl ChatServer {
    /// Prépare le serveur. Échoue si le fichier d'historique ne peut être ouvert.
    pub fn new(mut config: Config) -> io::Result<ChatServer> {
        // Des réglages absurdes (0 place dans la file, des milliards de clients) feraient
        // paniquer tokio : on les ramène dans les limites.
        config.queue_len = config.queue_len.max(1);
        config.max_clients = config.max_clients.clamp(1, Semaphore::MAX_PERMITS);
        // L'historique rejoué passe par la file du nouveau venu, une place par ligne : il
        // doit y tenir largement, sinon le nouveau venu serait pris pour un client qui ne lit
        // pas.
        let max_history = config.queue_len / 2;
        if config.history_len > max_history {
            warn!(
                "historique ramené à {max_history} messages : il doit tenir dans la moitié de la file d'un client ({} lignes)",
                config.queue_len
            );
            config.history_len = max_history;
        }
        let history = match &config.history_file {
            Some(path) => History::open(config.history_len, path)?,
            None => History::in_memory(config.history_len),
        };
        if !history.is_empty() {
            info!("{} messages rechargés depuis l'historique", history.len());
        }
        let shared = Shared {
            connections: Arc::new(Semaphore::new(config.max_clients)),
            config,
            state: Mutex::new(State {
                users: HashMap::new(),
                history,
            }),
            shutdown: CancellationToken::new(),
            next_id: AtomicU64::new(1),
        };
        Ok(ChatServer {
            shared: Arc::new(shared),
        })
    }

    // ANCHOR: accept_loop
    /// Accepte les clients jusqu'à ce que `shutdown` se termine, puis ferme proprement.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let shared = self.shared;
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => admit(&shared, stream, peer),
                // Un client parti avant qu'on l'accepte : rien de grave.
                Err(err) if err.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(err) => {
                    // Le plus souvent « trop de fichiers ouverts » : la connexion attend dans
                    // le backlog. On ne quitte surtout pas ; on laisse une petite pause pour
                    // que des connexions se ferment, au lieu de tourner à vide.
                    warn!("accept() a échoué : {err} ; nouvel essai dans 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        drop(listener); // plus de nouvelles connexions : le noyau les refusera
        stop(&shared).await;
        Ok(())
    }
    // ANCHOR_END: accept_loop
}

// ANCHOR: admit
/// Donne une place au nouveau venu s'il en reste, et lance sa tâche.
fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let Ok(place) = Arc::clone(&shared.connections).try_acquire_owned() else {
        let max = shared.config.max_clients;
        warn!("connexion de {peer} refusée : {max} connexions déjà ouvertes");
        let refusal = notice(&format!(
            "Serveur complet ({max} connexions au maximum) : réessayez plus tard."
        ));
        // La socket est neuve, son tampon d'envoi vide : cette écriture non bloquante passe
        // d'un coup. Puis `stream` est détruit et la connexion fermée.
        let _ = stream.try_write(refusal.as_bytes());
        return;
    };
    if let Err(err) = tune(&stream) {
        debug!("réglage de la socket de {peer} impossible : {err}");
    }
    let shared = Arc::clone(shared);
    // Chaque connexion a son jeton d'annulation, enfant de celui de l'arrêt : annuler le
    // parent (Ctrl+C) annule tous les enfants, annuler un enfant (expulsion) n'annule que lui.
    let cancel = shared.shutdown.child_token();
    tokio::spawn(async move {
        handle_connection(stream, peer, &shared, cancel).await;
        drop(place); // la place se libère quand la connexion est vraiment finie
    });
}

/// Règle la socket d'un client.
fn tune(stream: &TcpStream) -> io::Result<()> {
    // Sans TCP_NODELAY, l'algorithme de Nagle retient les petits paquets en attendant
    // l'accusé de réception du précédent : une ligne de chat attendrait jusqu'à 40 ms.
    stream.set_nodelay(true)?;
    // Keepalive : un client dont la machine s'est éteinte (connexion « à moitié ouverte »)
    // ne prévient pas. Après 60 s de silence, le noyau sonde ; sans réponse, la lecture
    // échoue et la connexion est nettoyée comme les autres.
    let keepalive = TcpKeepalive::new().with_time(Duration::from_secs(60));
    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    let keepalive = keepalive.with_interval(Duration::from_secs(10));
    SockRef::from(stream).set_tcp_keepalive(&keepalive)
}
// ANCHOR_END: admit

/// Pourquoi une connexion se termine.
#[derive(Debug)]
enum End {
    /// `/quit [raison]` ou `exit`.
    Quit(Option<String>),
    /// Le client a fermé sa connexion (lecture de 0 octet).
    Closed,
    /// Erreur réseau : typiquement un RST (« connection reset by peer »).
    Error(io::Error),
    /// Pas de pseudo dans le délai.
    Timeout,
    /// Sa propre file est pleine : il envoie mais ne lit pas ce qu'on lui répond.
    TooSlow,
    /// Expulsé, ou trop lent pour les autres.
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
            End::Timeout => write!(f, "n'a pas donné de pseudo à temps"),
            End::TooSlow => write!(f, "ne lisait plus ses réponses"),
            End::Cancelled => write!(f, "a été déconnecté (expulsé, ou trop lent)"),
            End::Shutdown => write!(f, "a été prévenu de l'arrêt du serveur"),
        }
    }
}

type Lines<'a> = FramedRead<ReadHalf<'a>, LineCodec>;

// ANCHOR: connection
/// La vie d'une connexion, de l'accept à la fermeture.
async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    cancel: CancellationToken,
) {
    info!("connexion de {peer}");
    let config = &shared.config;
    // La file de ce client : tout ce qui lui est destiné y passe, ses propres réponses comme
    // les messages des autres. Une seule tâche écrit donc sur sa socket, dans l'ordre.
    let (outgoing, mut queue) = mpsc::channel(config.queue_len);
    // `split` sépare lecture et écriture sur la même socket, sans copie ni verrou.
    let (reader, mut writer) = stream.split();
    let codec = LineCodec::new(config.max_line);
    let mut lines = FramedRead::with_capacity(reader, codec, READ_BUFFER);
    let mut session = Session {
        id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        peer,
        shared: Arc::clone(shared),
        outgoing,
        nick: None,
        rate: RateLimit::new(config.max_rate),
        cancel: cancel.clone(),
    };

    // Ce qui reste à envoyer du lot en cours. Il vit ICI, hors de `write_queue` : voir
    // ci-dessous pourquoi.
    let mut pending = BytesMut::new();

    // Trois choses arrivent en même temps, dans la même tâche : des lignes du client, des
    // lignes à lui envoyer, et peut-être une annulation. `select!` attend la première qui se
    // termine et abandonne les autres, au milieu de ce qu'elles faisaient. Pour la lecture,
    // rien n'est perdu : les octets reçus restent dans le tampon de `lines`. Pour l'écriture,
    // un envoi peut être à moitié fait (la socket n'a pris que le début du lot) : la fin
    // reste dans `pending`, et `close_gracefully` la termine avant l'au revoir.
    let end = tokio::select! {
        end = session.run(&mut lines) => end,
        written = write_queue(&mut writer, &mut queue, &mut pending) => match written {
            Ok(()) => End::Closed,
            Err(err) => End::Error(err),
        },
        () = cancel.cancelled() => {
            if shared.shutdown.is_cancelled() { End::Shutdown } else { End::Cancelled }
        }
    };
    let who = match &session.nick {
        Some(nick) => format!("{nick} ({peer})"),
        None => peer.to_string(),
    };
    session.leave(&end);

    // Dernières lignes (au revoir, motif d'expulsion, arrêt du serveur), en temps borné :
    // un client qui ne lit pas ne retient pas le serveur plus de `shutdown_grace`.
    let _ = timeout(
        config.shutdown_grace,
        close_gracefully(&mut writer, &mut queue, &mut pending, &mut lines),
    )
    .await;
    info!("{who} {end}");
}
// ANCHOR_END: connection

// ANCHOR: write_queue
/// Vide la file du client dans sa socket, jusqu'à ce que la file soit fermée.
///
/// À chaque réveil, on prend TOUT ce qui attend dans la file et on l'envoie d'un bloc :
/// quand le salon s'agite, dix lignes coûtent un appel système au lieu de dix.
///
/// Le lot est dans `pending`, que l'appelant garde. `write_all(&lot)` ne conviendrait pas :
/// abandonné par `select!` au milieu de l'envoi, il oublie ce qu'il a déjà écrit, et la ligne
/// suivante (l'au revoir, l'avis d'expulsion) se collerait à une ligne coupée en deux.
/// `write_all_buf` avance `pending` au fur et à mesure : on reprend exactement où on en était.
async fn write_queue(
    writer: &mut WriteHalf<'_>,
    queue: &mut mpsc::Receiver<Arc<str>>,
    pending: &mut BytesMut,
) -> io::Result<()> {
    loop {
        writer.write_all_buf(pending).await?;
        // Tout est parti : on rend la mémoire du lot (un client inactif ne garde aucun tampon).
        *pending = BytesMut::new();
        let Some(first) = queue.recv().await else {
            return Ok(()); // file fermée et vide
        };
        pending.extend_from_slice(first.as_bytes());
        while pending.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(line) => pending.extend_from_slice(line.as_bytes()),
                Err(_) => break, // file vide pour l'instant
            }
        }
    }
}

/// Envoie ce qui reste dans la file puis ferme poliment.
async fn close_gracefully(
    writer: &mut WriteHalf<'_>,
    queue: &mut mpsc::Receiver<Arc<str>>,
    pending: &mut BytesMut,
    lines: &mut Lines<'_>,
) {
    queue.close(); // plus personne ne peut y ajouter de ligne
    if write_queue(writer, queue, pending).await.is_err() {
        return;
    }
    // shutdown() envoie un FIN après les dernières données : le client lit 0 octet et sait
    // que c'est fini.
    if writer.shutdown().await.is_err() {
        return;
    }
    // Fermer une socket dont des octets reçus n'ont pas été lus fait envoyer un RST, qui
    // peut détruire chez le client les données pas encore lues (notre « au revoir ») : on
    // lit donc et on jette ce qui arrive encore, jusqu'à la fermeture du client (ou la fin
    // du délai qui nous entoure).
    while let Some(Ok(_)) = lines.next().await {}
}
// ANCHOR_END: write_queue

// ANCHOR: session
/// Ce qu'une connexion sait d'elle-même.
struct Session {
    id: u64,
    peer: SocketAddr,
    shared: Arc<Shared>,
    /// Sa propre file (l'état en garde une copie pour les autres).
    outgoing: mpsc::Sender<Arc<str>>,
    /// `None` tant que le client n'a pas choisi de pseudo.
    nick: Option<String>,
    rate: RateLimit,
    /// Le jeton de cette connexion (copié dans l'état pour qu'on puisse l'expulser).
    cancel: CancellationToken,
}

impl Session {
    /// Lit et traite les lignes du client : d'abord le pseudo, puis la discussion.
    async fn run(&mut self, lines: &mut Lines<'_>) -> End {
        let delay = self.shared.config.register_timeout;
        // Un client qui se connecte et ne dit rien (slowloris) occuperait une place pour
        // toujours : il a `register_timeout` pour donner un pseudo valide.
        match timeout(delay, self.register(lines)).await {
            Ok(Ok(())) => {}
            Ok(Err(end)) => return end,
            Err(_elapsed) => {
                let text = format!(
                    "Délai dépassé : aucun pseudo reçu en {}. Au revoir.",
                    french_duration(delay)
                );
                let _ = self.reply(notice(&text));
                return End::Timeout;
            }
        }
        loop {
            let line = match self.next_line(lines).await {
                Ok(line) => line,
                Err(end) => return end,
            };
            if let Err(end) = self.handle_line(&line) {
                // Après `/quit`, on sort tout de suite : le reste du paquet n'est pas lu.
                return end;
            }
            // Des lignes déjà reçues se lisent sans jamais attendre : sans cette ligne, un
            // client bavard garderait le fil d'exécution pour lui. Après un certain nombre
            // d'opérations, tokio reprend la main et laisse travailler les autres tâches.
            tokio::task::coop::consume_budget().await;
        }
    }

    /// La prochaine ligne valide du client. Les lignes trop longues ou qui ne sont pas de
    /// l'UTF-8 reçoivent une erreur, mais la connexion continue.
    async fn next_line(&mut self, lines: &mut Lines<'_>) -> Result<String, End> {
        loop {
            let bytes = match lines.next().await {
                None => return Err(End::Closed),
                Some(Err(err)) => return Err(End::Error(err)),
                Some(Ok(Line::TooLong)) => {
                    let max = self.shared.config.max_line;
                    self.reply(notice(&format!(
                        "Ligne trop longue (plus de {max} octets) : ignorée."
                    )))?;
                    continue;
                }
                Some(Ok(Line::Bytes(bytes))) => bytes,
            };
            match String::from_utf8(bytes.to_vec()) {
                Ok(line) => return Ok(line),
                // Le serveur du document 01 fait `recv(1024).decode()` : un seul octet
                // invalide lève une exception et coupe le client. Ici, on le lui dit.
                Err(_) => self.reply(notice(
                    "Ligne ignorée : ce n'est pas du texte UTF-8 valide (réglez votre terminal en UTF-8).",
                ))?,
            }
        }
    }

    /// Met une réponse dans la propre file du client, sans attendre, UNE PLACE PAR LIGNE.
    ///
    /// Une réponse de `/history` fait cent lignes : mise en une seule place, un client qui la
    /// redemande en boucle sans rien lire ferait garder au serveur 1024 fois 300 Kio. Ligne
    /// par ligne, sa file est bornée en mémoire (1024 lignes d'au plus quelques Kio) et se
    /// remplit vite : il est déconnecté comme trop lent.
    fn reply(&self, text: String) -> Result<(), End> {
        for line in text.split_inclusive('\n') {
            self.outgoing
                .try_send(line.into())
                .map_err(|_| End::TooSlow)?;
        }
        Ok(())
    }

    /// Le pseudo du client inscrit.
    fn nick(&self) -> &str {
        self.nick.as_deref().unwrap_or("?")
    }
}
// ANCHOR_END: session

// ANCHOR: register
impl Session {
    /// Demande un pseudo jusqu'à en obtenir un valide et libre.
    async fn register(&mut self, lines: &mut Lines<'_>) -> Result<(), End> {
        self.reply(format!("{GREETING}{NICK_PROMPT}"))?;
        loop {
            let line = self.next_line(lines).await?;
            let nick = line.trim();
            if nick.is_empty() {
                continue;
            }
            if let Ok(Some(Command::Quit(_))) = parse_line(nick) {
                return Err(End::Quit(None));
            }
            let refusal = match validate_nick(nick) {
                Err(err) => format!("Pseudo refusé : {err}."),
                Ok(()) if self.join(nick)? => return Ok(()),
                Ok(()) => format!("Le pseudo {nick} est déjà pris : choisissez-en un autre."),
            };
            self.reply(format!("{}{NICK_PROMPT}", notice(&refusal)))?;
        }
    }

    /// Inscrit le client sous `nick` si personne ne l'a déjà. Renvoie faux s'il est pris.
    ///
    /// Tout se fait sous le verrou, d'un bloc : vérifier que le pseudo est libre, l'inscrire,
    /// lui envoyer l'historique, prévenir les autres. Deux clients qui demandent le même
    /// pseudo au même instant passent l'un après l'autre : un seul l'obtient. Et aucun message
    /// ne peut se glisser entre l'historique rejoué et la suite.
    fn join(&mut self, nick: &str) -> Result<bool, End> {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let key = nick_key(nick);
        if state.users.contains_key(&key) {
            return Ok(false);
        }
        let count = state.users.len() + 1;
        let mut welcome = notice(&format!(
            "Bienvenue, {nick} ! {} dans le salon (/who pour la liste, /help pour l'aide).",
            people(count)
        ));
        if !state.history.is_empty() {
            welcome.push_str(&history_block(&state.history, None));
        }
        self.reply(welcome)?;
        let user = User {
            id: self.id,
            nick: nick.to_owned(),
            outgoing: self.outgoing.clone(),
            operator: false,
            cancel: self.cancel.clone(),
        };
        state.users.insert(key, user);
        let joined = notice(&format!("{nick} a rejoint le salon."));
        state.broadcast(&joined.into(), Some(self.id));
        info!("{} s'inscrit sous le pseudo {nick}", self.peer);
        self.nick = Some(nick.to_owned());
        Ok(true)
    }
}

/// « 30 s », ou « 200 ms » pour les délais courts des tests.
fn french_duration(delay: Duration) -> String {
    match delay.subsec_millis() {
        0 => format!("{} s", delay.as_secs()),
        _ => format!("{} ms", delay.as_millis()),
    }
}

/// « 1 personne », « 3 personnes ».
fn people(count: usize) -> String {
    match count {
        1 => "1 personne".to_owned(),
        _ => format!("{count} personnes"),
    }
}

/// L'historique mis en forme : une notice d'en-tête puis un message par ligne.
fn history_block(history: &History, count: Option<usize>) -> String {
    let now = unix_time();
    let entries: Vec<&Entry> = history.last(count).collect();
    let mut block = notice(&format!("Derniers messages publics ({}) :", entries.len()));
    for entry in entries {
        let age = now.saturating_sub(entry.time);
        block.push_str(&history_line(age, &entry.from, &entry.text));
    }
    block
}
// ANCHOR_END: register

// ANCHOR: leave
impl Session {
    /// Le seul chemin de sortie d'une connexion, quelle que soit la raison.
    ///
    /// Celui qui RETIRE l'inscrit de l'état prévient les autres : ici pour un départ normal,
    /// ailleurs pour une expulsion ou un client trop lent. Le retrait se fait sous le verrou,
    /// une seule fois : les autres sont donc prévenus exactement une fois.
    fn leave(&mut self, end: &End) {
        let shutting_down = matches!(end, End::Shutdown);
        if shutting_down {
            let _ = self.reply(notice("Le serveur s'arrête. Au revoir !"));
        }
        let Some(nick) = self.nick.take() else {
            return; // jamais inscrit : personne à prévenir
        };
        if let End::Quit(_) = end {
            let _ = self.reply(notice(&format!("Au revoir, {nick} !")));
        }
        let mut state = self.shared.lock();
        let key = nick_key(&nick);
        if state.users.get(&key).is_none_or(|user| user.id != self.id) {
            return; // déjà retiré (expulsé, trop lent) : les autres ont été prévenus
        }
        state.users.remove(&key);
        if shutting_down {
            return; // tout le monde part : inutile de prévenir chacun du départ des autres
        }
        let text = match end {
            End::Quit(None) => format!("{nick} a quitté le salon."),
            End::Quit(Some(reason)) => format!("{nick} a quitté le salon ({reason})."),
            End::TooSlow => format!("{nick} ne lisait plus ses messages : déconnecté(e)."),
            _ => format!("{nick} s'est déconnecté(e)."),
        };
        state.broadcast(&notice(&text).into(), None);
    }
}
// ANCHOR_END: leave

// ANCHOR: stop
/// Arrêt propre : chaque client reçoit une notice, puis on attend (un temps borné) que toutes
/// les connexions soient fermées, et l'historique est écrit sur le disque.
async fn stop(shared: &Shared) {
    info!("arrêt du serveur : on prévient les clients");
    // Annule le jeton de chaque connexion : chacune met la notice d'arrêt dans sa file et
    // l'envoie en au plus `shutdown_grace`, même si son client ne lit pas.
    shared.shutdown.cancel();
    // Chaque connexion ouverte tient une place du sémaphore : quand on peut toutes les
    // reprendre, c'est que toutes les connexions sont fermées.
    let all = u32::try_from(shared.config.max_clients).unwrap_or(u32::MAX);
    let delay = shared.config.shutdown_grace + Duration::from_secs(1);
    if timeout(delay, shared.connections.acquire_many(all))
        .await
        .is_err()
    {
        warn!("des connexions ne se sont pas fermées à temps");
    }
    match shared.lock().history.sync() {
        Ok(()) => info!("historique sauvegardé"),
        Err(err) => warn!("l'historique n'a pas pu être écrit sur le disque : {err}"),
    }
}
// ANCHOR_END: stop
