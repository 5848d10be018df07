//! La page, la poignée de main WebSocket et le salon partagé, sur de vraies
//! connexions TCP.

mod common;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use common::{ReadLines, TIMEOUT, Tcp, TestServer, Ws, start, test_config};
use lesson05_chat::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

/// La clé et la réponse de l'exemple de la RFC 6455 (§ 1.3) : SHA-1 de la clé suivie
/// du GUID du protocole, en base64.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Envoie `request` et lit la réponse jusqu'à la fin des en-têtes (ou de la
/// connexion), puis ce qui suit déjà. Au plus 64 Kio, chaque lecture bornée.
async fn exchange(addr: SocketAddr, request: &str) -> io::Result<(String, Vec<u8>)> {
    let mut stream = timeout(TIMEOUT, TcpStream::connect(addr)).await??;
    timeout(TIMEOUT, stream.write_all(request.as_bytes())).await??;
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    while received.len() < 64 * 1024 {
        let read = timeout(TIMEOUT, stream.read(&mut buffer)).await??;
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
        let Some(end) = find(&received, b"\r\n\r\n").map(|end| end + 4) else {
            continue;
        };
        let head = String::from_utf8_lossy(&received[..end]).into_owned();
        if head.starts_with("HTTP/1.1 101") {
            // On attend la première trame entière : 2 octets d'en-tête, puis sa
            // longueur (sur 2 octets de plus si elle dépasse 125).
            let frame = &received[end..];
            let whole = match frame.get(1) {
                Some(126) => frame.len() >= 4,
                Some(&length) => frame.len() >= 2 + usize::from(length),
                None => false,
            };
            if whole {
                return Ok((head, received.split_off(end)));
            }
            continue;
        }
        // Une réponse ordinaire : son corps fait `content-length` octets.
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .and_then(|length| length.parse::<usize>().ok());
        if length.is_some_and(|length| received.len() >= end + length) {
            break;
        }
    }
    Ok((String::from_utf8_lossy(&received).into_owned(), Vec::new()))
}

/// Le serveur des tests, avec alice dans un navigateur et bob dans `nc`.
async fn alice_and_bob() -> io::Result<(TestServer, Ws, Tcp)> {
    let server = start(test_config()).await?;
    let alice = Ws::join(&server, "alice").await?;
    let bob = Tcp::join(server.chat, "bob").await?;
    Ok((server, alice, bob))
}

/// `ws` reçoit une trame de fermeture avec ce code et une raison qui contient `reason`.
async fn assert_closed_with(ws: &mut Ws, code: CloseCode, reason: &str) {
    let frame = ws.close_frame().await.expect("une raison");
    assert_eq!(frame.code, code, "raison : {}", frame.reason);
    assert!(frame.reason.contains(reason), "raison : {}", frame.reason);
}

/// `watcher` voit annoncer le départ de `nick`.
async fn announced_left(watcher: &mut Tcp, nick: &str) -> io::Result<()> {
    let notice = format!("*** {nick} s'est déconnecté(e).");
    watcher.skip_until(|line| line == notice).await.map(drop)
}

/// Le serveur sert toujours : un navigateur `nick` entre, dit `text`, et `watcher`
/// le lit.
async fn still_served(
    server: &TestServer,
    watcher: &mut Tcp,
    nick: &str,
    text: &str,
) -> io::Result<()> {
    let mut ws = Ws::join(server, nick).await?;
    ws.send(text).await?;
    let said = format!("{nick}: {text}");
    watcher.skip_until(|line| line == said).await.map(drop)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn upgrade_request(web: SocketAddr, origin: &str) -> String {
    format!(
        "GET /ws HTTP/1.1\r\nHost: {web}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: {KEY}\r\nOrigin: {origin}\r\n\r\n"
    )
}

#[tokio::test]
async fn la_page_et_son_script_sont_servis() -> io::Result<()> {
    let server = start(test_config()).await?;
    let get = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.web
        )
    };
    let (page, _) = exchange(server.web, &get("/")).await?;
    assert!(page.starts_with("HTTP/1.1 200 OK"), "GET / : {page}");
    assert!(
        page.contains("content-type: text/html; charset=utf-8"),
        "{page}"
    );
    assert!(
        page.contains(r#"<script src="/chat.js" defer>"#),
        "la page charge son script"
    );
    let (script, _) = exchange(server.web, &get("/chat.js")).await?;
    assert!(
        script.starts_with("HTTP/1.1 200 OK"),
        "GET /chat.js : {script}"
    );
    assert!(
        script
            .contains("new WebSocket(location.origin.replace('http', 'ws') + '/ws')"),
        "le script ouvre le WebSocket du même serveur"
    );
    assert!(
        !script.contains("innerHTML"),
        "le texte reçu n'est jamais du HTML"
    );
    let (css, _) = exchange(server.web, &get("/chat.css")).await?;
    assert!(css.contains("content-type: text/css"), "{css}");
    server.stop().await
}

#[tokio::test]
async fn la_poignee_de_main_rend_la_cle_de_la_rfc_puis_des_trames() -> io::Result<()>
{
    let server = start(test_config()).await?;
    let request = upgrade_request(server.web, &server.origin());
    let (head, frames) = exchange(server.web, &request).await?;
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols"),
        "réponse : {head}"
    );
    assert!(head.contains("upgrade: websocket"), "{head}");
    assert!(
        head.contains(&format!("sec-websocket-accept: {ACCEPT}")),
        "{head}"
    );
    // Sur la MÊME connexion TCP, la première trame : texte (0x81 : FIN + opcode 1),
    // l'accueil du salon.
    assert_eq!(frames.first(), Some(&0x81), "une trame texte : {frames:?}");
    let start = 2 + if frames[1] == 126 { 2 } else { 0 };
    let text = String::from_utf8_lossy(&frames[start..]);
    assert!(
        text.starts_with("*** Salon « Réseau en Rust »"),
        "reçu : {text}"
    );
    server.stop().await
}

#[tokio::test]
async fn un_navigateur_et_nc_parlent_dans_le_meme_salon() -> io::Result<()> {
    let (server, mut alice, mut bob) = alice_and_bob().await?;
    alice
        .skip_until(|line| line == "*** bob a rejoint le salon.")
        .await?;
    bob.send("salut alice").await?;
    assert_eq!(
        alice.line().await?,
        "bob: salut alice",
        "de nc vers le navigateur"
    );
    alice.send("salut bob").await?;
    assert_eq!(
        bob.line().await?,
        "alice: salut bob",
        "du navigateur vers nc"
    );
    alice.send("/msg bob en privé").await?;
    assert_eq!(bob.line().await?, "[privé] alice: en privé");
    bob.send("/who").await?;
    assert_eq!(bob.line().await?, "*** Connectés (2) : alice, bob");
    // Un saut de ligne DANS un message ne fait pas deux lignes.
    alice.send("un\ndeux").await?;
    assert_eq!(
        bob.line().await?,
        "alice: un�deux",
        "un message = une ligne"
    );
    server.stop().await
}

/// Le salon compte chaque navigateur à SON adresse (`ChatServer::admit`), et non à
/// celle de la passerelle, 127.0.0.1 pour tous : une place par adresse, bob (en TCP
/// depuis 127.0.0.1) ne prend pas celle d'alice (navigateur en 127.0.0.2).
#[cfg(target_os = "linux")] // sous Linux, toute la plage 127.0.0.0/8 est locale
#[tokio::test]
async fn le_salon_compte_chaque_navigateur_a_son_adresse() -> io::Result<()> {
    let config = Config {
        max_per_address: 1,
        ..test_config()
    };
    let server = start(config).await?;
    let mut bob = Tcp::join(server.chat, "bob").await?;
    let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut alice = Ws::connect_from(&server, other)
        .await
        .map_err(io::Error::other)?;
    alice.send("alice").await?;
    alice
        .skip_until(|line| line.starts_with("*** Bienvenue"))
        .await?;
    bob.skip_until(|line| line == "*** alice a rejoint le salon.")
        .await?;
    // Un second navigateur de la même adresse : sa place est prise.
    let mut carol = Ws::connect_from(&server, other)
        .await
        .map_err(io::Error::other)?;
    let refusal = carol.line().await?;
    assert!(
        refusal.contains("Trop de connexions depuis votre adresse"),
        "{refusal}"
    );
    assert!(carol.close_frame_or_end().await, "puis la fermeture");
    server.stop().await
}

#[tokio::test]
async fn une_autre_origine_est_refusee_par_un_403() -> io::Result<()> {
    let server = start(test_config()).await?;
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"] {
        match Ws::connect(server.web, Some(origin)).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "origine {origin}")
            }
            Err(err) => panic!("origine {origin} : erreur inattendue {err}"),
            Ok(_) => {
                panic!("origine {origin} : le WebSocket n'aurait pas dû s'ouvrir")
            }
        }
    }
    // DNS rebinding : un nom qui pointe sur 127.0.0.1, Origin et Host égaux.
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: {KEY}\r\nOrigin: http://evil.example\r\n\r\n"
    );
    let (head, _) = exchange(server.web, &request).await?;
    assert!(head.starts_with("HTTP/1.1 403"), "rebinding : {head}");
    // La page elle-même, et un programme sans Origin, sont acceptés.
    Ws::connect(server.web, Some(&server.origin()))
        .await
        .map_err(io::Error::other)?;
    Ws::connect(server.web, None)
        .await
        .map_err(io::Error::other)?;
    server.stop().await
}

#[tokio::test]
async fn une_ligne_trop_longue_recoit_la_reponse_du_salon() -> io::Result<()> {
    let server = start(test_config()).await?;
    let mut alice = Ws::join(&server, "alice").await?;
    alice.send(&"x".repeat(2000)).await?;
    assert_eq!(
        alice.line().await?,
        "*** Ligne trop longue (plus de 1024 octets) : ignorée.",
        "la même réponse que pour nc"
    );
    alice.send("/who").await?;
    assert_eq!(
        alice.line().await?,
        "*** Connectés (1) : alice",
        "elle continue"
    );
    server.stop().await
}

#[tokio::test]
async fn un_message_de_plus_de_64_kio_ferme_avec_le_code_1009() -> io::Result<()> {
    let (server, mut alice, mut bob) = alice_and_bob().await?;
    alice.send(&"x".repeat(100 * 1024)).await?;
    assert_closed_with(&mut alice, CloseCode::Size, "trop long").await;
    announced_left(&mut bob, "alice").await?;
    still_served(&server, &mut bob, "carole", "me voici").await?;
    server.stop().await
}

#[tokio::test]
async fn une_trame_binaire_est_refusee_avec_une_raison_claire() -> io::Result<()> {
    let server = start(test_config()).await?;
    let mut alice = Ws::join(&server, "alice").await?;
    alice
        .send_message(Message::binary(vec![0, 159, 146, 150]))
        .await?;
    assert_closed_with(&mut alice, CloseCode::Unsupported, "texte seulement").await;
    server.stop().await
}

#[tokio::test]
async fn une_trame_mal_formee_ne_coupe_que_sa_connexion() -> io::Result<()> {
    let server = start(test_config()).await?;
    let mut bob = Tcp::join(server.chat, "bob").await?;
    let mut stream = timeout(TIMEOUT, TcpStream::connect(server.web)).await??;
    let request = upgrade_request(server.web, &server.origin());
    timeout(TIMEOUT, stream.write_all(request.as_bytes())).await??;
    // Une trame d'opcode réservé (0x3), non masquée : deux fautes au protocole.
    timeout(TIMEOUT, stream.write_all(&[0x83, 0x02, b'h', b'i'])).await??;
    let mut rest = Vec::new();
    let closed = timeout(TIMEOUT, stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "le serveur doit fermer cette connexion");
    still_served(&server, &mut bob, "alice", "toujours là ?").await?;
    server.stop().await
}

#[tokio::test]
async fn une_fermeture_du_navigateur_recoit_sa_reponse_et_est_annoncee()
-> io::Result<()> {
    let (server, mut alice, mut bob) = alice_and_bob().await?;
    alice
        .skip_until(|line| line == "*** bob a rejoint le salon.")
        .await?;
    timeout(TIMEOUT, alice.socket.close(None))
        .await?
        .map_err(io::Error::other)?;
    // La poignée de main de fermeture : le serveur répond par sa propre trame.
    assert!(
        matches!(alice.next().await, Ok(Message::Close(_))),
        "le serveur répond à la trame de fermeture"
    );
    announced_left(&mut bob, "alice").await?;
    server.stop().await
}

#[tokio::test]
async fn une_coupure_brutale_du_navigateur_est_annoncee_aux_autres() -> io::Result<()>
{
    let (server, alice, mut bob) = alice_and_bob().await?;
    // RST au lieu d'une fermeture WebSocket : SO_LINGER à 0, puis on lâche tout.
    if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = alice.socket.get_ref() {
        socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO))?;
    }
    drop(alice);
    announced_left(&mut bob, "alice").await?;
    still_served(&server, &mut bob, "alice", "revenue").await?;
    server.stop().await
}

#[tokio::test]
async fn un_navigateur_trop_rapide_est_ralenti_sans_rien_perdre() -> io::Result<()> {
    let config = Config {
        max_rate: 20,
        ..test_config()
    };
    let server = start(config).await?;
    let mut alice = Ws::join(&server, "alice").await?;
    let mut bob = Tcp::join(server.chat, "bob").await?;
    alice
        .skip_until(|line| line == "*** bob a rejoint le salon.")
        .await?;
    for n in 0..60 {
        alice.send(&format!("message {n}")).await?;
    }
    for n in 0..60 {
        assert_eq!(
            bob.line().await?,
            format!("alice: message {n}"),
            "dans l'ordre"
        );
    }
    let notice = alice.line().await?;
    assert!(
        notice.starts_with("*** Doucement !"),
        "alice est prévenue : {notice}"
    );
    server.stop().await
}

#[tokio::test]
async fn un_navigateur_qui_ne_lit_plus_est_deconnecte_seul() -> io::Result<()> {
    // Des limites petites (la leçon 05 les règle de même dans ses tests) : 16 Kio,
    // 128 Kio, une demi-seconde d'engorgement.
    let config = Config {
        soft_limit: 16 * 1024,
        hard_limit: 128 * 1024,
        backed_up_timeout: Duration::from_millis(500),
        ..test_config()
    };
    let server = start(config).await?;
    let mut lent = Ws::connect_small_buffer(&server)
        .await
        .map_err(io::Error::other)?;
    lent.send("lent").await?;
    lent.skip_until(|line| line.starts_with("*** Bienvenue"))
        .await?;
    let mut carole = Tcp::join(server.chat, "carole").await?;
    let mut bob = Tcp::join(server.chat, "bob").await?;
    carole
        .skip_until(|line| line == "*** bob a rejoint le salon.")
        .await?;
    // Carole lit tout, pendant que bob écrit ; `lent` ne lit plus rien.
    let reader = tokio::spawn(async move {
        let (mut next, mut told) = (0, 0);
        for _ in 0..2 * FLOOD {
            let line = carole.line().await?;
            if line == "*** lent ne lisait plus ses messages : déconnecté(e)." {
                told += 1;
            } else {
                assert_eq!(line, flood_line(next), "chaque ligne, dans l'ordre");
                next += 1;
            }
            if next == FLOOD && told == 1 {
                return Ok::<_, io::Error>(told);
            }
        }
        panic!("carole a reçu {next} lignes sur {FLOOD}, et l'avis {told} fois");
    });
    for n in 0..FLOOD {
        bob.send(&flood_line(n)["bob: ".len()..]).await?;
    }
    let told = reader.await.expect("lecture sans panique")?;
    assert_eq!(told, 1, "les autres sont prévenus une fois");
    let closed = lent.close_frame_or_end().await;
    assert!(closed, "la connexion du lecteur lent est fermée");
    server.stop().await
}

/// Les lignes que bob envoie, telles que les autres les reçoivent (70 octets).
const FLOOD: usize = 10_000;

fn flood_line(n: usize) -> String {
    format!("bob: ligne {n:05} {}", "x".repeat(53))
}

#[tokio::test]
async fn a_l_arret_le_navigateur_recoit_l_au_revoir_puis_la_fermeture()
-> io::Result<()> {
    let server: TestServer = start(test_config()).await?;
    let mut alice = Ws::join(&server, "alice").await?;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(alice.line().await?, "*** Le serveur s'arrête. Au revoir !");
    assert!(
        matches!(alice.next().await, Ok(Message::Close(_)) | Err(_)),
        "fermé"
    );
    stopping.await.expect("arrêt sans panique")
}

/// *Slowloris* : un client qui n'achève jamais ses en-têtes ne garde pas sa connexion
/// au-delà de `HEADER_TIMEOUT` ; pendant ce temps, les autres sont servis.
#[tokio::test]
async fn des_en_tetes_jamais_finis_ferment_la_connexion() -> io::Result<()> {
    let server = start(test_config()).await?;
    let mut slow = timeout(TIMEOUT, TcpStream::connect(server.web)).await??;
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lent: ")
        .await?;
    let (status, _) =
        exchange(server.web, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await?;
    assert!(
        status.starts_with("HTTP/1.1 200"),
        "les autres sont servis : {status}"
    );
    let mut rest = Vec::new();
    let limit = lesson08_web::HEADER_TIMEOUT + TIMEOUT;
    let closed = timeout(limit, slow.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "la connexion aurait dû être fermée en {limit:?}"
    );
    server.stop().await
}
