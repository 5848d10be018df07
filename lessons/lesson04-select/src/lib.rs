//! # Leçon 04 — une boucle d'événements : des milliers de clients sur UN seul thread
//!
//! La leçon 03 donnait un thread à chaque client. Ici, un seul thread sert tout le
//! monde : il demande au noyau « parmi toutes ces sockets, lesquelles sont prêtes ? »
//! (`select`, `poll`, `epoll` sous Linux, `kqueue` sous macOS ; la bibliothèque `mio`
//! choisit pour nous), puis il ne fait que des opérations qui **ne bloquent
//! jamais** : une socket non bloquante répond `WouldBlock` au lieu d'attendre. Tout
//! l'art est de ne rien perdre quand elle dit « pas maintenant » : les octets qu'on
//! n'a pas pu écrire attendent dans un tampon propre à chaque connexion, et l'on ne
//! redemande au noyau de nous prévenir que lorsque c'est utile.
//!
//! Deux serveurs partagent la même mécanique :
//! - [`serve_echo`] : l'écho du TP 04 (§ 1.2), qui renvoie chaque octet **à son
//!   expéditeur** ;
//! - [`serve_chat`] : le chat du TP 04 (§ 2.1), qui relaie chaque ligne à tous les
//!   AUTRES.
//!
//! - Lancer l'écho : `cargo run -p lesson04-select` (ou `-- chat` pour le chat)
//! - Dans d'autres terminaux : `cargo run -p lesson04-select -- client` ou
//!   `nc 127.0.0.1 7777`
//!
//! À observer : ouvrez trois clients et vérifiez avec `ps -T` (ou le gestionnaire des
//! tâches) que le serveur n'a qu'un thread. Le chat tient face aux abus, sans jamais
//! perdre une ligne :
//! - un client qui envoie trop vite (plus de `--max-rate` lignes par seconde, 100 par
//!   défaut) n'est plus lu pendant un moment : TCP le freine, il reçoit « ***
//!   Doucement ! … » ;
//! - un client qui ne lit plus (`nc` suspendu par Ctrl+Z) voit son courrier grossir ;
//!   au-delà de 1 Mio en attente, ou de 64 Kio pendant 10 s, il est déconnecté et les
//!   autres prévenus ;
//! - un message long est coupé en rangées de 80 colonnes qui portent toutes
//!   `[adresse] ` : personne ne peut faire apparaître une fausse annonce `*** …` chez
//!   les autres ;
//! - Ctrl+C prévient tout le monde (« *** Le serveur s'arrête. Au revoir ! ») avant
//!   de fermer.
//!
//! Dans l'écho, un client qui ne lit pas son écho est seulement mis en pause : le
//! serveur cesse de le lire tant qu'il n'a pas vidé son courrier.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use course_kit::log;
use lesson01_echo::{ListenOptions, listen_with};
use mio::{Events, Interest, Poll, Token};

mod chat;
mod client;
mod echo;
mod mailbox;
mod protocol;
mod rate_limit;
mod shutdown;

pub use chat::{serve_chat, serve_chat_until};
pub use client::{ClientEnd, run_client};
pub use echo::{serve_echo, serve_echo_until};
pub use shutdown::{SHUTDOWN_GRACE, Shutdown};

/// Ce qu'un terminal affichera : la règle du texte des chats (neutraliser les
/// caractères qui pilotent le terminal, couper en rangées de 80 colonnes) est celle
/// de la leçon 03, empruntée à sa bibliothèque plutôt que recopiée.
pub use lesson03_threads::display;

/// Taille de la file d'attente des connexions établies mais pas encore acceptées.
/// Plus grande qu'à la leçon 01 : un serveur à boucle d'événements vise des milliers
/// de clients.
pub const BACKLOG: i32 = 1024;

/// Nombre maximal de clients connectés en même temps (par défaut).
pub const DEFAULT_MAX_CLIENTS: usize = 1024;

/// Longueur maximale d'une ligne de chat, en octets, sans le retour à la ligne (par
/// défaut).
pub const DEFAULT_MAX_LINE: usize = 1024;

// ANCHOR: listen
/// La socket d'écoute de la leçon 01 (chaque étape y est expliquée), avec une file
/// d'attente plus longue.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let options = ListenOptions {
        backlog: BACKLOG,
        ..ListenOptions::default()
    };
    listen_with(addr, options)
}
// ANCHOR_END: listen

// ANCHOR: config
/// Lignes par seconde et par client dans le chat (par défaut), avec une réserve
/// d'autant.
pub const DEFAULT_MAX_RATE: u32 = 100;

/// Chat, limite dure : un destinataire dont le courrier en attente dépasserait 1 Mio
/// est déconnecté aussitôt.
pub const HARD_LIMIT: usize = 1024 * 1024;

/// Chat, limite douce : un destinataire dont le courrier reste au-dessus de 64 Kio
/// pendant `SLOW_READER_DELAY` alors que le noyau refuse ses octets est déconnecté.
pub const SOFT_LIMIT: usize = 64 * 1024;

/// Chat : combien de temps un destinataire peut rester au-dessus de la limite douce.
pub const SLOW_READER_DELAY: Duration = Duration::from_secs(10);

/// Réglages des deux serveurs. Chaque limite protège la mémoire du serveur contre un
/// client trop bavard ou trop lent : sans elles, un seul client pourrait faire
/// grossir le serveur jusqu'à l'épuisement de la mémoire, et donc priver tous les
/// autres.
#[derive(Debug, Clone)]
pub struct Config {
    /// Au-delà, un nouveau client reçoit une ligne de refus et il est déconnecté.
    pub max_clients: usize,
    /// Chat : une ligne plus longue (en octets, sans le `\n`) est refusée et
    /// ignorée.
    pub max_line: usize,
    /// Chat : lignes par seconde et par client (réserve : autant) ; 0 = pas de
    /// limite. Au-delà, le serveur cesse de LIRE ce client un moment : aucune
    /// ligne n'est perdue.
    pub max_rate: u32,
    /// Écho : quand autant d'octets attendent d'être renvoyés à un client, on cesse
    /// de le lire jusqu'à ce qu'il ait tout reçu (contre-pression : rien n'est
    /// perdu, rien ne grossit).
    pub echo_buffer_cap: usize,
    /// Chat : limite dure du courrier d'un destinataire, en octets (`HARD_LIMIT`).
    pub hard_limit: usize,
    /// Chat : limite douce du courrier d'un destinataire, en octets (`SOFT_LIMIT`).
    pub soft_limit: usize,
    /// Chat : durée tolérée au-dessus de la limite douce (`SLOW_READER_DELAY`).
    pub slow_reader_delay: Duration,
    /// Chat : au-delà de ce nombre de participants, les arrivées et les départs ne
    /// sont plus annoncés. Chaque annonce part chez tout le monde : pour N
    /// arrivées, c'est N² lignes (50 millions pour 10 000 clients). Les grandes
    /// messageries font de même.
    pub announce_limit: usize,
    /// Note au journal chaque arrivée et chaque départ (`course_kit::log!`, sur la
    /// sortie d'erreur). Désactivé par défaut : écrire sur un terminal ou dans
    /// un tube plein BLOQUE, et avec lui toute la boucle, donc tous les clients.
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_line: DEFAULT_MAX_LINE,
            max_rate: DEFAULT_MAX_RATE,
            echo_buffer_cap: 64 * 1024,
            hard_limit: HARD_LIMIT,
            soft_limit: SOFT_LIMIT,
            slow_reader_delay: SLOW_READER_DELAY,
            announce_limit: 100,
            verbose: false,
        }
    }
}
// ANCHOR_END: config

// ANCHOR: outgoing
/// Les octets qu'on doit encore envoyer à UN client de l'écho. (Le chat, lui, envoie
/// les mêmes lignes à beaucoup de monde : il les partage au lieu de les copier, voir
/// `mailbox.rs`.)
///
/// Une socket non bloquante peut n'accepter qu'une partie d'un envoi, voire rien
/// (`WouldBlock`) quand le tampon d'envoi du noyau est plein parce que le client lit
/// lentement. On ne peut pas attendre (tous les autres clients attendraient
/// aussi !) : on garde le reste ici et on le renverra quand le noyau dira que la
/// socket est prête.
///
/// Un `Vec` vide n'alloue rien : une connexion inactive ne coûte que la taille de
/// cette structure. On vide le `Vec` par l'avant en avançant `sent`, puis on le
/// libère d'un coup.
#[derive(Debug, Default)]
struct Outgoing {
    bytes: Vec<u8>,
    sent: usize,
}

impl Outgoing {
    /// Nombre d'octets qui attendent encore.
    fn pending(&self) -> usize {
        self.bytes.len() - self.sent
    }

    fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    /// Ajoute des octets au bout de la file, sans rien écrire.
    fn push(&mut self, data: &[u8]) {
        // On récupère la place déjà envoyée quand elle représente au moins la moitié
        // du tampon : chaque octet n'est ainsi déplacé qu'un nombre borné de
        // fois.
        if self.sent > 0 && self.sent * 2 >= self.bytes.len() {
            self.bytes.drain(..self.sent);
            self.sent = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    /// Écrit tout de suite ce que le noyau accepte et garde le reste pour plus tard.
    /// Si des octets attendent déjà, les nouveaux passent après eux : l'ordre est
    /// préservé.
    fn send(&mut self, stream: &mut impl Write, data: &[u8]) -> io::Result<()> {
        let written = if self.is_empty() {
            write_until_blocked(stream, data)?
        } else {
            0
        };
        if written < data.len() {
            self.push(&data[written..]);
        }
        Ok(())
    }

    /// Envoie le plus possible de ce qui attend, jusqu'à ce que le noyau dise
    /// `WouldBlock`.
    fn flush(&mut self, stream: &mut impl Write) -> io::Result<()> {
        self.sent += write_until_blocked(stream, &self.bytes[self.sent..])?;
        if self.is_empty() {
            // Tout est parti : on rend la mémoire, une connexion inactive ne garde
            // rien.
            *self = Outgoing::default();
        }
        Ok(())
    }
}

/// Écrit `data` jusqu'au bout ou jusqu'à `WouldBlock` ; renvoie le nombre d'octets
/// écrits. C'est le `write_all` d'une socket non bloquante : il s'arrête au lieu
/// d'attendre.
fn write_until_blocked(stream: &mut impl Write, data: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < data.len() {
        match stream.write(&data[written..]) {
            // Le noyau n'a rien pris alors qu'on lui donnait des octets : la
            // connexion est morte.
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(count) => written += count,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(written)
}
// ANCHOR_END: outgoing

// Outils communs aux deux boucles d'événements (écho et chat).

/// Le jeton (`Token`) de la socket d'écoute. `Poll` ne rend que des jetons : c'est à
/// nous de retrouver la connexion qui correspond, d'où la table `Token → connexion`
/// des deux serveurs.
const LISTENER: mio::Token = mio::Token(0);

/// Le jeton du réveil (`mio::Waker`) qui interrompt `poll` quand l'arrêt est demandé.
const WAKER: mio::Token = mio::Token(1);

/// Premier jeton donné à un client : après ceux de la socket d'écoute et du réveil.
const FIRST_CLIENT: usize = 2;

/// Nombre maximal d'événements rendus par un seul appel à `poll` ; les suivants
/// attendent simplement l'appel d'après.
const EVENTS_CAPACITY: usize = 1024;

/// Le tampon de lecture est UNIQUE et partagé par toutes les connexions : une seule
/// connexion est traitée à la fois, alors pourquoi en allouer un par client ? Avec 10
/// 000 clients inactifs, c'est plus de 150 Mio économisés (16 Kio × 10 000).
const READ_BUFFER_SIZE: usize = 16 * 1024;

/// Nombre maximal de lectures pour une connexion à chaque réveil : au-delà, on passe
/// aux autres et on y revient au tour suivant. Sans ce budget, un client qui envoie
/// sans arrêt monopoliserait le thread unique et tous les autres attendraient.
const READS_PER_WAKEUP: usize = 8;

// ANCHOR: start_loop
/// Ce que les deux serveurs préparent avant leur boucle : un `Poll`, la socket
/// d'écoute inscrite sous le jeton `LISTENER`, et le réveil de l'arrêt sous le
/// jeton `WAKER`.
///
/// La socket d'écoute de la bibliothèque standard devient une socket `mio`. `mio`
/// ne la rend pas non bloquante lui-même : c'est indispensable, sinon `accept()`
/// bloquerait toute la boucle quand il n'y a personne à accepter.
fn start_loop(
    listener: TcpListener,
    shutdown: &Shutdown,
) -> io::Result<(Poll, mio::net::TcpListener)> {
    let poll = Poll::new()?;
    listener.set_nonblocking(true)?;
    let mut listener = mio::net::TcpListener::from_std(listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    shutdown.attach(poll.registry(), WAKER)?;
    Ok((poll, listener))
}

/// Ce que la boucle traite à ce tour : les sockets que le noyau dit prêtes, puis
/// celles qu'on a quittées au tour précédent avant `WouldBlock` (par équité),
/// reprises comme si elles étaient lisibles. Chacune avec `(lisible, inscriptible)`.
fn this_turn(
    events: &Events,
    retries: Vec<Token>,
) -> impl Iterator<Item = (Token, (bool, bool))> + '_ {
    let ready = events.iter().map(|event| (event.token(), readiness(event)));
    ready.chain(retries.into_iter().map(|token| (token, (true, false))))
}
// ANCHOR_END: start_loop

/// Attend que le noyau signale des sockets prêtes, au plus `timeout`.
///
/// Sans délai (`None`), on dort jusqu'au prochain événement : un serveur inactif ne
/// consomme aucun temps processeur. Si des connexions ont encore des octets à lire
/// (budget épuisé), on ne dort pas (`Duration::ZERO`) : on ramasse seulement les
/// nouveaux événements. Et si l'on a rendez-vous (un client à relire dans 10 ms), on
/// ne dort que jusque-là.
fn wait_for_events(
    poll: &mut mio::Poll,
    events: &mut mio::Events,
    timeout: Option<Duration>,
) -> io::Result<()> {
    match poll.poll(events, timeout) {
        // Un signal a interrompu l'attente : ce n'est pas une erreur, on repartira au
        // tour suivant.
        Err(err) if err.kind() == ErrorKind::Interrupted => {
            events.clear();
            Ok(())
        }
        result => result,
    }
}

/// Ce qu'un événement permet de tenter. Les indications « fermé » et « erreur » ne
/// sont que des indices selon le système : on les traite comme « lisible » ou
/// « inscriptible », et c'est `read()` ou `write()` qui dira vraiment ce qu'il en
/// est.
fn readiness(event: &mio::event::Event) -> (bool, bool) {
    let readable = event.is_readable() || event.is_read_closed() || event.is_error();
    let writable = event.is_writable() || event.is_write_closed() || event.is_error();
    (readable, writable)
}

/// Répond à un client en trop par une ligne d'explication, puis le déconnecte.
fn refuse(stream: mio::net::TcpStream, max_clients: usize) {
    // Une socket toute neuve a un tampon d'envoi vide : cette courte ligne y tient
    // d'un coup. Si elle n'y tenait pas, tant pis : on ne va pas bloquer la
    // boucle pour un client refusé.
    let _ = (&stream).write(protocol::server_full(max_clients).as_bytes());
    // `stream` est détruit ici : close() envoie la ligne puis la fin de connexion
    // (FIN). Si le client avait déjà envoyé des octets, jamais lus, le noyau
    // répond par un RST à la place, et la ligne peut se perdre : le refus, lui,
    // reste garanti.
}

// ANCHOR: accept_all
/// Accepte TOUTES les connexions en attente et confie chacune à `admit`.
///
/// Un seul événement de la socket d'écoute peut annoncer plusieurs connexions, et
/// aucun autre ne viendra pour celles qui sont déjà dans la file (déclenchement par
/// front) : seule une NOUVELLE arrivée réveillera la boucle. On accepte donc jusqu'à
/// `WouldBlock`. Renvoie `true` si `accept()` a échoué faute de ressources.
fn accept_all(
    listener: &mio::net::TcpListener,
    mut admit: impl FnMut(mio::net::TcpStream, SocketAddr),
) -> bool {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => admit(stream, peer),
            Err(err) => match err.kind() {
                ErrorKind::WouldBlock => return false,
                ErrorKind::Interrupted => continue,
                // Un client parti avant d'être accepté ne concerne que lui : au
                // suivant.
                ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset => continue,
                // « Trop de fichiers ouverts » (EMFILE) ou le manque de mémoire
                // concernent le serveur. Boucler ne servirait à
                // rien : les connexions restent dans la file du noyau
                // et l'on réessaiera à la prochaine arrivée ou au prochain départ.
                _ => {
                    log!("accept() a échoué : {err} ; on réessaiera plus tard.");
                    return true;
                }
            },
        }
    }
}
// ANCHOR_END: accept_all
