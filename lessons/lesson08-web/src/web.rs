//! Le côté HTTP : trois fichiers de la page, rangés dans le programme, et `/ws`, où
//! une requête HTTP devient un WebSocket après un contrôle de son `Origin`.

use std::net::{IpAddr, SocketAddr};

use lesson05_chat::ChatServer;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::task::TaskTracker;
use tracing::info;

use crate::MAX_MESSAGE;
use crate::bridge::bridge;

// ANCHOR: page
// La page est DANS le programme : `include_str!` copie chaque fichier dans le
// binaire à la compilation. Rien à installer, aucun CDN : la page marche hors
// ligne, et la version servie est toujours celle du code compilé.
const INDEX_HTML: &str = include_str!("../static/index.html");
const CHAT_CSS: &str = include_str!("../static/chat.css");
const CHAT_JS: &str = include_str!("../static/chat.js");

/// Ce que la page a le droit de charger : rien d'autre que ce serveur (`'self'`),
/// pas de script écrit dans le HTML. Une ligne de défense de plus si un texte reçu
/// était un jour inséré comme du HTML par erreur.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'";

/// Les routes : la page et ses deux fichiers, puis `/ws`.
pub(crate) fn router(room: ChatServer, bridges: TaskTracker) -> Router {
    Router::new()
        .route("/", get(|| async { file("text/html", INDEX_HTML) }))
        .route("/chat.css", get(|| async { file("text/css", CHAT_CSS) }))
        .route(
            "/chat.js",
            get(|| async { file("text/javascript", CHAT_JS) }),
        )
        .route("/ws", get(upgrade))
        .with_state(Web { room, bridges })
}

/// Un fichier de la page, avec son type et la politique de sécurité.
fn file(kind: &str, body: &'static str) -> Response {
    let content_type = format!("{kind}; charset=utf-8");
    let headers = [
        (CONTENT_TYPE, content_type),
        (
            HeaderName::from_static("content-security-policy"),
            CONTENT_SECURITY_POLICY.to_owned(),
        ),
    ];
    (headers, body).into_response()
}
// ANCHOR_END: page

/// Ce que chaque requête `/ws` doit connaître : le salon, et le registre des
/// passerelles (attendues à l'arrêt).
#[derive(Clone)]
struct Web {
    room: ChatServer,
    bridges: TaskTracker,
}

// ANCHOR: upgrade
/// `GET /ws` : la poignée de main WebSocket. axum vérifie les en-têtes (`Upgrade`,
/// `Sec-WebSocket-Key`…) et répond `101 Switching Protocols` ; dès lors, la même
/// connexion TCP porte des trames WebSocket, confiées à la passerelle.
async fn upgrade(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = header(&headers, ORIGIN);
    if !origin_allowed(origin, header(&headers, HOST)) {
        info!("WebSocket de {peer} refusé : origine {origin:?}");
        let refusal =
            "Origine refusée : seule la page de ce serveur peut ouvrir /ws.\n";
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
    // Un message reçu est gardé entier en mémoire avant d'être lu : sa taille est
    // bornée, et une trame plus grande ferme la connexion.
    let ws = ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE);
    let Web { room, bridges } = web;
    ws.on_upgrade(move |socket| bridges.track_future(bridge(socket, room, peer)))
}
// ANCHOR_END: upgrade

fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|value: &HeaderValue| value.to_str().ok())
}

// ANCHOR: origin
/// Vrai si une requête qui porte ces en-têtes `Origin` et `Host` peut ouvrir le
/// WebSocket.
///
/// Le navigateur joint l'`Origin` de la page à chaque ouverture d'un WebSocket, et
/// le script d'une page ne peut pas la changer. Sans ce contrôle, n'importe quel site
/// ouvert dans le navigateur de l'étudiant pourrait écrire
/// `new WebSocket("ws://127.0.0.1:8080/ws")` et parler au salon en son nom. On
/// n'accepte donc que la page de CE serveur : `Origin` égal à `http://` suivi de
/// l'en-tête `Host`, et un `Host` qui est une adresse IP ou `localhost`. Ce dernier
/// point arrête le « DNS rebinding » : un site `evil.example` qui fait pointer son
/// nom sur 127.0.0.1 aurait sinon `Origin` et `Host` égaux.
///
/// Sans `Origin`, ce n'est pas un navigateur (`curl`, un programme) : il n'agit pour
/// personne d'autre que lui-même, et il est accepté comme `nc` l'est.
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let Some(host) = host else {
        return false;
    };
    origin.strip_prefix("http://") == Some(host) && is_local_name(host)
}

/// `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `192.168.1.20:8080` : un nom
/// qu'aucun DNS ne peut détourner.
fn is_local_name(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.parse::<u16>().is_ok() => name,
        _ => host,
    };
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok()
}
// ANCHOR_END: origin

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn seule_la_page_de_ce_serveur_peut_ouvrir_le_websocket() {
        let host = Some("127.0.0.1:8080");
        assert!(origin_allowed(Some("http://127.0.0.1:8080"), host));
        assert!(origin_allowed(
            Some("http://localhost:8080"),
            Some("localhost:8080")
        ));
        assert!(origin_allowed(
            Some("http://[::1]:8080"),
            Some("[::1]:8080")
        ));
        assert!(
            origin_allowed(None, host),
            "sans Origin : pas un navigateur"
        );
        assert!(!origin_allowed(Some("http://evil.example"), host));
        assert!(!origin_allowed(Some("http://127.0.0.1:9999"), host));
        assert!(!origin_allowed(Some("https://127.0.0.1:8080"), host));
        assert!(!origin_allowed(Some("null"), host));
        assert!(!origin_allowed(Some("http://127.0.0.1:8080"), None));
        let rebinding = Some("evil.example:8080");
        assert!(
            !origin_allowed(Some("http://evil.example:8080"), rebinding),
            "un nom de domaine peut pointer sur 127.0.0.1 : refusé"
        );
    }
}
