//! Le dialecte WebSocket du générateur contre la vraie leçon 08, dans ce processus
//! (deux sockets d'écoute sur 127.0.0.1:0) : la poignée de main, nos trames
//! masquées lues par axum, les siennes lues par nous. Chaque attente a son délai.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use bench_suite::web::{WebSocket, serve_lesson08};
use lesson06_bench::chat::{ChatLoad, ChatRoom, Dialect, Lesson05};
use lesson06_bench::stats::Progress;

/// La leçon 08 dans un thread de ce processus : (salon TCP, page et `/ws`).
fn start_lesson08() -> (SocketAddr, SocketAddr) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("écoute sur 127.0.0.1:0");
    let (chat, web) = (bind(), bind());
    let addrs = (
        chat.local_addr().expect("adresse du salon"),
        web.local_addr().expect("adresse de la page"),
    );
    std::thread::spawn(move || serve_lesson08(chat, web));
    addrs
}

#[test]
fn le_meme_salon_livre_tout_par_tcp_et_par_websocket() {
    let (chat, web) = start_lesson08();
    let doors: [(SocketAddr, &'static dyn Dialect, &str); 2] =
        [(chat, &Lesson05, "TCP"), (web, &WebSocket, "WebSocket")];
    for (addr, dialect, what) in doors {
        let mut room = ChatRoom::join_with(addr, 3, dialect).unwrap_or_else(|err| {
            panic!("{what} : entrée dans le salon impossible : {err}")
        });
        let steady = ChatLoad::steady(100.0, Duration::from_millis(300), 100);
        let burst = ChatLoad {
            drain: Duration::from_secs(5),
            ..ChatLoad::burst(60, 100)
        };
        for load in [steady, burst] {
            let outcome = room
                .run(load, None, &mut |_: &Progress| {})
                .unwrap_or_else(|err| panic!("{what} : mesure impossible : {err}"));
            assert!(outcome.sent > 0, "{what} : rien d'envoyé");
            assert_eq!(
                outcome.expected,
                outcome.sent * 2,
                "{what} : chez les 2 autres"
            );
            assert_eq!(
                (outcome.lost(), outcome.disordered, outcome.closed),
                (0, 0, 0),
                "{what} : perdues, hors d'ordre, déconnectés"
            );
        }
    }
}

#[test]
fn une_trame_du_serveur_donne_sa_ligne_et_rien_de_plus() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let mut bytes = Vec::new();
    let text =
        Frame::message(b"*** Bienvenue".to_vec(), OpCode::Data(Data::Text), true);
    text.format(&mut bytes).expect("trame écrite");
    let first = bytes.len();
    Frame::ping(b"?".to_vec())
        .format(&mut bytes)
        .expect("ping écrit");
    let (line, used) = WebSocket.next_line(&bytes).expect("une trame complète");
    assert_eq!(
        (line, used),
        (&b"*** Bienvenue"[..], first),
        "la ligne, sans en-tête"
    );
    let (line, _) = WebSocket.next_line(&bytes[first..]).expect("le ping");
    assert!(line.is_empty(), "un ping ne porte pas de ligne du salon");
    assert_eq!(
        WebSocket.next_line(&bytes[..first - 1]),
        None,
        "une trame incomplète attend la suite"
    );
    let mut ours = Vec::new();
    WebSocket.frame(b"salut", &mut ours);
    assert_eq!(ours[0], 0x81, "une trame texte finale");
    assert_eq!(ours[1], 0x80 | 5, "masquée (bit 7), de 5 octets");
    assert_eq!(ours.len(), 2 + 4 + 5, "en-tête, masque, texte");
}
