//! # Leçon 03 — un thread par client
//!
//! Le serveur de la leçon 01 ne servait qu'un client à la fois. Ici, la boucle
//! d'`accept()` confie chaque nouvelle connexion à un thread et retourne aussitôt
//! attendre la suivante : pendant qu'un client réfléchit, les autres sont servis.
//! Deux serveurs le montrent :
//!
//! - `server` (commande par défaut, module [`echo`]) : l'écho, un thread par client,
//!   avec une limite `--max-clients` au-delà de laquelle le nouveau venu reçoit un
//!   refus poli ;
//! - `chat` (module [`chat`]) : chaque ligne reçue est relayée à tous les AUTRES
//!   clients. Partager la liste des clients entre threads est le piège de ce serveur
//!   (le TP 04, §2.2, le signale : deux messages traités en même temps, une liste pas
//!   à jour). Ici, un seul thread, le « hub » (module [`hub`]), possède cette liste ;
//!   les autres lui parlent par un canal.
//!
//! Le client (module [`client`]) sert pour les deux : un thread lit le clavier, un
//! autre affiche ce que le serveur envoie, si bien que les messages des autres
//! apparaissent pendant qu'on tape.
//!
//! - Lancer le serveur d'écho : `cargo run -p lesson03-threads`
//! - ou le chat : `cargo run -p lesson03-threads -- chat`
//! - Dans d'autres terminaux : `cargo run -p lesson03-threads -- client` ou
//!   `nc 127.0.0.1 7777`
//!
//! À observer : avec trois clients ouverts, chacun reçoit son écho immédiatement
//! (comparez avec la leçon 01). `ps -L -o tid,comm -p <pid du serveur>` montre un
//! thread par client, nommé d'après le port du client (`echo-54321`). Dans le chat :
//!
//! - `yes | nc 127.0.0.1 7777` est ralenti à 100 lignes par seconde (`--max-rate`) et
//!   reçoit « *** Doucement ! … » ; aucune de ses lignes n'est perdue, les autres
//!   discutent normalement ;
//! - un `nc` suspendu par Ctrl+Z ne lit plus rien : une fois pleins les tampons TCP,
//!   puis sa file d'envoi au-delà de 64 Kio pendant 10 s (ou de 1 Mio d'un coup), il
//!   est déconnecté et les autres lisent « *** [adresse] ne lisait plus ses
//!   messages : déconnecté(e). » ; il n'a jamais ralenti personne ([`outbox`]
//!   explique pourquoi on compte des octets) ;
//! - Ctrl+C arrête le serveur proprement : chaque client lit « *** Le serveur
//!   s'arrête. Au revoir ! », puis la connexion se ferme.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use course_kit::log;

pub mod chat;
pub mod client;
pub mod display;
pub mod echo;
pub mod hub;
pub mod outbox;
pub mod rate_limit;
pub mod stop;

pub use chat::{ChatConfig, serve_chat, serve_chat_until};
pub use client::{ClientEnd, run_chat_client};
pub use echo::serve_echo;
pub use stop::StopSignal;

/// Nombre de clients servis en même temps, par défaut.
pub const DEFAULT_MAX_CLIENTS: usize = 100;

/// Pause après un `accept()` en échec (par exemple « trop de fichiers ouverts ») :
/// sans elle, la boucle réessaierait des milliers de fois par seconde en inondant le
/// terminal.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

// ANCHOR: listen
/// La socket d'écoute de la leçon 01 (`socket` → `setsockopt` → `bind` → `listen`,
/// chaque étape y est expliquée), empruntée plutôt que recopiée.
pub use lesson01_echo::listen;
// ANCHOR_END: listen

// ANCHOR: client_limit
/// Compte les clients servis en ce moment, et refuse d'en servir plus de `max`.
///
/// Un thread par client a un coût (une pile, une entrée dans l'ordonnanceur du
/// noyau) : sans limite, mille connexions ouvertes par un plaisantin créeraient mille
/// threads.
#[derive(Clone)]
pub struct ClientLimit {
    active: Arc<AtomicUsize>,
    max: usize,
}

/// Une place occupée. C'est son `Drop` qui la rend : quelle que soit la façon dont le
/// thread du client se termine (retour normal, erreur propagée par `?`, panique), la
/// place est libérée. Un compteur décrémenté « à la main » en fin de fonction serait
/// oublié au premier `?`.
pub struct ClientSlot {
    active: Arc<AtomicUsize>,
}

impl ClientLimit {
    pub fn new(max: usize) -> Self {
        ClientLimit {
            active: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// Réserve une place s'il en reste une.
    pub fn try_acquire(&self) -> Option<ClientSlot> {
        // « Lire, comparer, incrémenter » en UNE opération atomique : deux threads
        // qui feraient `load` puis `store` chacun de leur côté pourraient
        // prendre la dernière place à deux.
        self.active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| ClientSlot {
                active: Arc::clone(&self.active),
            })
    }

    /// Nombre de places occupées en ce moment.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Message envoyé au client de trop avant de le déconnecter (le même dans les leçons
/// 03 à 05).
pub fn refusal_message(max_clients: usize) -> String {
    format!(
        "*** Serveur complet ({}) : réessayez plus tard.\n",
        connections_maximum(max_clients)
    )
}

/// « 1 connexion au maximum », « 100 connexions au maximum » : l'accord, c'est aussi
/// de la politesse.
fn connections_maximum(max_clients: usize) -> String {
    let plural = if max_clients > 1 { "s" } else { "" };
    format!("{max_clients} connexion{plural} au maximum")
}

/// Refuse poliment une connexion : un message, puis la fermeture.
///
/// L'écriture ne bloque pas la boucle d'accept : une socket toute neuve a un tampon
/// d'envoi vide, qui contient largement ces quelques dizaines d'octets.
///
/// Limite connue : si le client a déjà envoyé des données, fermer une socket qui a
/// des octets reçus non lus envoie un RST au lieu d'un FIN, et le client peut perdre
/// le message. Le refus reste garanti (la connexion est fermée), seul le message est
/// « au mieux ».
pub fn refuse(mut stream: TcpStream, max_clients: usize) {
    // Le client est peut-être déjà parti : on ne peut rien y faire, et ce n'est pas
    // grave.
    let _ = stream.write_all(refusal_message(max_clients).as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}
// ANCHOR_END: client_limit

/// Note le refus dans le journal du serveur, puis refuse.
fn refuse_and_log(stream: TcpStream, peer: SocketAddr, max_clients: usize) {
    log!(
        "Refusé : {peer}, serveur complet ({}).",
        connections_maximum(max_clients)
    );
    refuse(stream, max_clients);
}

/// Signale un `accept()` en échec, puis laisse souffler la boucle avant de réessayer.
///
/// Ces échecs concernent UNE connexion (partie avant d'être acceptée) ou une
/// ressource épuisée pour un temps (descripteurs de fichiers) : le serveur continue.
fn accept_failed(err: &io::Error) {
    log!("accept() a échoué : {err} ; on continue.");
    thread::sleep(ACCEPT_RETRY_DELAY);
}
