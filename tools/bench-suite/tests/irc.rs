//! Le dialecte IRC du générateur contre de vrais serveurs : la leçon 07 dans ce
//! processus (127.0.0.1:0), et ngIRCd s'il est installé (sinon le test le dit et
//! passe). Chaque attente du générateur a son délai : aucun test ne peut pendre.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use bench_suite::child;
use bench_suite::irc::{Irc, lesson07_config, serve_lesson07};
use bench_suite::{ngircd, servers};
use lesson06_bench::chat::{ChatLoad, ChatOutcome, ChatRoom, Dialect};
use lesson06_bench::stats::Progress;

fn quiet() -> impl FnMut(&Progress) {
    |_: &Progress| {}
}

/// La leçon 07 avec les réglages du banc, dans un thread de ce processus.
fn start_lesson07() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("écoute sur 127.0.0.1:0");
    let addr = listener.local_addr().expect("adresse locale");
    std::thread::spawn(move || serve_lesson07(listener));
    addr
}

/// `messages` lignes réparties sur `over`, les dernières attendues 5 s au plus.
fn load(messages: f64, over: Duration) -> ChatLoad {
    let steady = ChatLoad::steady(messages / over.as_secs_f64(), over, 100);
    ChatLoad {
        drain: Duration::from_secs(5),
        ..steady
    }
}

fn assert_all_delivered(outcome: &ChatOutcome, others: u64, what: &str) {
    assert!(outcome.sent > 0, "{what} : aucune ligne envoyée");
    assert_eq!(
        outcome.expected,
        outcome.sent * others,
        "{what} : chaque ligne chez les {others} autres"
    );
    assert_eq!(
        (outcome.lost(), outcome.disordered, outcome.closed),
        (0, 0, 0),
        "{what} : perdues, hors d'ordre, déconnectés"
    );
    assert_eq!(
        outcome.corrected.count(),
        outcome.delivered,
        "{what} : une latence par livraison"
    );
}

#[test]
fn le_dialecte_irc_s_inscrit_entre_dans_le_salon_et_repond_aux_ping() {
    let mut reply = Vec::new();
    let welcome = b":cours.irc 001 b1 :Welcome to the network b1\r\n";
    assert!(
        !Irc.on_line(welcome, "b1", &mut reply),
        "pas encore dans le salon"
    );
    assert_eq!(
        reply, b"JOIN #banc\r\n",
        "la bienvenue fait entrer dans #banc"
    );
    reply.clear();
    assert!(!Irc.on_line(b"PING :banc.ngircd\r\n", "b1", &mut reply));
    assert_eq!(reply, b"PONG :banc.ngircd\r\n", "un PING sans préfixe");
    reply.clear();
    assert!(!Irc.on_line(b":cours.irc PING :cours.irc\r\n", "b1", &mut reply));
    assert_eq!(
        reply, b"PONG :cours.irc\r\n",
        "un PING avec le préfixe du serveur"
    );
    reply.clear();
    let end = b":cours.irc 366 b1 #banc :End of /NAMES list\r\n";
    assert!(
        Irc.on_line(end, "b1", &mut reply),
        "la fin de NAMES : dans le salon"
    );
    let mut line = Vec::new();
    Irc.frame(b"~1:2:3:4:5~ xx", &mut line);
    assert_eq!(line, b"PRIVMSG #banc :~1:2:3:4:5~ xx\r\n");
}

#[test]
fn un_petit_salon_irc_de_la_lecon_07_livre_tout_au_rythme_puis_en_rafale() {
    let addr = start_lesson07();
    let mut room = ChatRoom::join_with(addr, 3, &Irc)
        .unwrap_or_else(|err| panic!("entrée dans #banc impossible : {err}"));
    let paced = room
        .run(load(30.0, Duration::from_millis(300)), None, &mut quiet())
        .expect("mesure au rythme fixe");
    assert_all_delivered(&paced, 2, "au rythme fixe");
    let burst = ChatLoad {
        drain: Duration::from_secs(5),
        ..ChatLoad::burst(60, 100)
    };
    let burst = room.run(burst, None, &mut quiet()).expect("rafale");
    assert_all_delivered(&burst, 2, "en rafale");
}

#[test]
fn les_clients_du_banc_repondent_aux_ping_de_la_lecon_07() {
    // Un serveur qui demande `PING` après 200 ms de silence et ferme 300 ms plus
    // tard : chaque client se tait plus longtemps que cela entre deux lignes.
    let config = lesson07_irc::Config {
        ping_interval: Duration::from_millis(200),
        ping_timeout: Duration::from_millis(300),
        ..lesson07_config()
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("écoute sur 127.0.0.1:0");
    let addr = listener.local_addr().expect("adresse locale");
    course_kit::journal::set_enabled(false); // Le journal du serveur, dans le test.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime tokio");
        runtime.block_on(async move {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            lesson07_irc::serve(listener, config, std::future::pending()).await
        })
    });
    let mut room = ChatRoom::join_with(addr, 3, &Irc).expect("entrée dans #banc");
    let outcome = room
        .run(load(4.0, Duration::from_millis(1_600)), None, &mut quiet())
        .expect("mesure");
    assert_all_delivered(&outcome, 2, "avec des PING");
}

#[test]
fn ngircd_lance_par_le_comparatif_livre_un_petit_salon_puis_range_son_dossier() {
    if !ngircd::available() {
        eprintln!("ngIRCd absent (paquet Debian « ngircd ») : test sauté.");
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_bench-suite"));
    let server = servers::find("ngircd").expect("ngircd est dans la table");
    let running = child::spawn(exe, server, None)
        .unwrap_or_else(|err| panic!("ngIRCd n'a pas démarré : {err}"));
    let mut room = ChatRoom::join_with(running.addr, 3, &Irc)
        .unwrap_or_else(|err| panic!("entrée dans #banc impossible : {err}"));
    let outcome = room
        .run(
            load(6.0, Duration::from_millis(1_000)),
            Some(running.pid()),
            &mut quiet(),
        )
        .expect("mesure");
    assert_all_delivered(&outcome, 2, "ngIRCd");
    #[cfg(target_os = "linux")]
    assert!(
        outcome.server_cpu.is_some(),
        "le temps CPU de ngIRCd est lu"
    );
    drop((room, running));
    let workdirs = exe
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("ngircd"));
    let ours = format!("{}-", std::process::id());
    let left: Vec<String> = workdirs
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.file_name().to_string_lossy().into()))
        .filter(|name: &String| name.starts_with(&ours))
        .collect();
    assert!(
        left.is_empty(),
        "dossiers de ngIRCd laissés derrière lui : {left:?}"
    );
}
