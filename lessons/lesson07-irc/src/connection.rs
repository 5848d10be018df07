//! La vie d'une connexion, empruntée à la leçon 05 : la même tâche par client, la
//! même boucle `select!`, la même file d'envoi comptée en octets — la *SendQ* des
//! serveurs IRC (`lesson05_chat::connection`). Ce module n'y ajoute que ce qui est
//! propre à IRC : le découpeur des messages et les raisons de fin, écrites comme les
//! serveurs IRC les écrivent.
//!
//! ## Qui est « trop lent » ?
//!
//! Le même principe qu'à la leçon 05 : on ne compte pas les LIGNES en attente (une
//! rafale de tout un salon en remplit n'importe quelle file avant que le serveur ait
//! pu écrire), mais les OCTETS que le noyau n'a pas encore acceptés pour ce client,
//! et le temps pendant lequel il les refuse :
//!
//! - au-delà de la limite dure ([`Config::hard_limit`], 1 Mio), le client est
//!   déconnecté tout de suite (`ERROR :SendQ exceeded`) : c'est ce qui borne la
//!   mémoire ;
//! - au-delà de la limite douce ([`Config::soft_limit`], 64 Kio), on ne le lit plus,
//!   et s'il y reste [`Config::backed_up_timeout`] (10 s) pendant que le noyau
//!   refuse nos octets, il est déconnecté de même.
//!
//! [`Config::hard_limit`]: crate::Config::hard_limit
//! [`Config::soft_limit`]: crate::Config::soft_limit
//! [`Config::backed_up_timeout`]: crate::Config::backed_up_timeout

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use course_kit::log;
use lesson05_chat::connection::{converse, output_queue};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::message;
use crate::session::Session;
use crate::state::Shared;

// ANCHOR: end
/// Pourquoi une connexion se termine. Le texte est la raison du `QUIT` que voient
/// les autres (et celle du `ERROR :Closing Link` que reçoit le client).
#[derive(Debug)]
pub(crate) enum End {
    /// `QUIT [:raison]`.
    Quit(Option<String>),
    /// Le client a fermé sa connexion (lecture de 0 octet).
    Closed,
    /// Erreur réseau : typiquement un RST (« connection reset by peer »).
    Error(io::Error),
    /// Pas de `NICK`/`USER` dans le délai.
    RegisterTimeout,
    /// Pas de réponse au `PING` du serveur.
    PingTimeout(u64),
    /// Mauvais mot de passe du serveur (`PASS`).
    BadPassword,
    /// Sa socket est restée engorgée : « SendQ exceeded ».
    SendQ,
    /// Expulsé (`KILL`) ou jugé trop lent par une autre connexion, qui a déjà
    /// prévenu les autres.
    Cancelled,
    /// Arrêt du serveur (Ctrl+C).
    Shutdown,
}

impl End {
    /// La raison, telle que les serveurs IRC l'écrivent.
    pub(crate) fn reason(&self) -> String {
        match self {
            End::Quit(None) => "Quit".to_owned(),
            End::Quit(Some(reason)) => format!("Quit: {reason}"),
            End::Closed => "Connection closed".to_owned(),
            End::Error(err) => format!("Read error: {}", err.kind()),
            End::RegisterTimeout => "Registration timeout".to_owned(),
            End::PingTimeout(secs) => format!("Ping timeout: {secs} seconds"),
            End::BadPassword => "Bad password".to_owned(),
            End::SendQ => "SendQ exceeded".to_owned(),
            End::Cancelled => "Killed".to_owned(),
            End::Shutdown => "Server shutting down".to_owned(),
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
/// La vie d'une connexion, de l'accept à la fermeture : la boucle de la leçon 05,
/// avec la session IRC (`session.rs`) et son découpeur.
pub(crate) async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let config = &shared.config;
    // Tout ce qui est destiné à ce client passe par SA file : ses réponses comme
    // les messages des autres. Une seule tâche écrit sur sa socket, dans l'ordre.
    let (outbox, output) = output_queue(
        config.soft_limit,
        config.hard_limit,
        config.backed_up_timeout,
    );
    // Les lignes des autres attendent un peu (`Config::flush_delay`) d'être
    // plusieurs, pour partir d'une seule écriture.
    let output = output.with_flush_delay(config.flush_delay);
    let mut session = Session::new(peer, Arc::clone(&shared), outbox, cancel.clone());
    let (codec, grace) = (message::codec(), config.shutdown_grace);
    let end =
        converse(&mut stream, codec, &mut session, output, &cancel, grace).await;
    log!("{} : {}", session.describe(), end.reason());
}
// ANCHOR_END: connection
