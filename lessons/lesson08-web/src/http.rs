//! La boucle HTTP : accepter, puis confier chaque connexion à hyper (sous axum),
//! avec un délai pour les en-têtes.
//!
//! `axum::serve` ferait presque tout, mais n'arme pas le minuteur d'hyper : un client
//! qui envoie ses en-têtes un octet toutes les dix secondes (l'attaque *slowloris*)
//! garderait sa connexion pour toujours, et cent comme lui garderaient autant de
//! sockets et de tâches. Ici, une requête dont les en-têtes ne sont pas arrivés en
//! [`HEADER_TIMEOUT`] ferme sa connexion ; un WebSocket, lui, n'est plus du HTTP
//! après la poignée de main, et n'a pas de délai.

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Extension};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use lesson05_chat::server::accept_until;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::{CLOSE_GRACE, tune};

/// Le temps laissé à un navigateur pour envoyer les en-têtes d'une requête : il les
/// envoie d'un coup, en quelques millisecondes, même sur le réseau d'une salle.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

// ANCHOR: serve_http
/// Sert `app` sur `listener` jusqu'à `stop` ; chaque connexion est une tâche de
/// `tasks`.
pub(crate) async fn serve_http(
    listener: TcpListener,
    app: Router,
    stop: CancellationToken,
    tasks: TaskTracker,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let connection = |mut stream: TcpStream, peer: SocketAddr| {
        tune(&mut stream);
        // L'adresse du navigateur, pour `ConnectInfo` (le journal, le salon).
        let service = app
            .clone()
            .layer(Extension(ConnectInfo::<SocketAddr>(peer)));
        let service = TowerToHyperService::new(service);
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let stop = stop.clone();
        tasks.spawn(async move {
            let mut connection = pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                // À l'arrêt : finir la requête en cours, puis fermer.
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = timeout(CLOSE_GRACE, connection).await;
                }
            }
        });
    };
    // La boucle d'acceptation de la leçon 05.
    let shutdown = stop.clone().cancelled_owned();
    accept_until(&listener, shutdown, connection, |trouble| {
        warn!("{trouble}")
    })
    .await;
    Ok(())
}
// ANCHOR_END: serve_http
