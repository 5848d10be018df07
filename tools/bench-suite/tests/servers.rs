//! Le générateur de la leçon 06 contre CHAQUE serveur du comparatif (les références,
//! les leçons 03 à 05, Python s'il est installé), chacun dans son processus enfant
//! (commande cachée `serve`), tué à la fin du test. De courtes charges vérifient les
//! comptes et l'absence de perte ; chaque attente du générateur a son délai, aucun
//! test ne peut pendre.

use std::path::Path;
use std::time::Duration;

use bench_suite::capacity::run_capacity;
use bench_suite::child::{self, RunningServer};
use bench_suite::servers::{self, SERVERS, ServerSpec, Speaks};
use bench_suite::silent;
use lesson06_bench::chat::{ChatLoad, ChatRoom};
use lesson06_bench::echo::{EchoLoad, run_echo};
use lesson06_bench::stats::Progress;

fn start(server: &ServerSpec) -> RunningServer {
    let exe = Path::new(env!("CARGO_BIN_EXE_bench-suite"));
    child::spawn(exe, server, None).unwrap_or_else(|err| {
        panic!("le serveur {} n'a pas démarré : {err}", server.name)
    })
}

/// Les serveurs d'un scénario, sans ceux en Python si l'interpréteur manque.
fn speaking(speaks: Speaks) -> Vec<&'static ServerSpec> {
    let python = child::python_available();
    if !python {
        eprintln!("Python absent : serveurs Python non testés.");
    }
    let usable = |server: &&ServerSpec| {
        server.speaks == speaks && (python || !server.is_python())
    };
    SERVERS.iter().filter(usable).collect()
}

fn quiet() -> impl FnMut(&Progress) {
    |_: &Progress| {}
}

#[test]
fn l_echo_de_chaque_serveur_revient_intact_et_compte() {
    let load = EchoLoad {
        connections: 8,
        line_len: 64,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(300),
    };
    for server in speaking(Speaks::Echo) {
        let running = start(server);
        let name = server.name;
        let outcome = run_echo(running.addr, load, Some(running.pid()), &mut quiet())
            .unwrap_or_else(|err| panic!("écho {name} : {err}"));
        assert!(
            outcome.round_trips > 0,
            "{name} : aucun écho reçu pendant la fenêtre"
        );
        assert_eq!(
            (outcome.corrupted, outcome.closed),
            (0, 0),
            "{name} : échos faux ou fermés"
        );
        assert_eq!(
            outcome.latency.count(),
            outcome.round_trips,
            "{name} : une latence par écho"
        );
        #[cfg(target_os = "linux")]
        assert!(
            outcome.server_cpu.is_some(),
            "{name} : le temps CPU du serveur doit être lu"
        );
    }
}

#[test]
fn chaque_serveur_de_chat_livre_tout_dans_l_ordre() {
    for server in speaking(Speaks::Chat) {
        let (running, name) = (start(server), server.name);
        let mut room = ChatRoom::join(running.addr, 6).unwrap_or_else(|err| {
            panic!("{name} : entrée dans le salon impossible : {err}")
        });
        for rate in [200.0, 400.0] {
            let load = ChatLoad::steady(rate, Duration::from_millis(300), 100);
            let outcome = room
                .run(load, Some(running.pid()), &mut quiet())
                .unwrap_or_else(|err| panic!("{name} : palier impossible : {err}"));
            assert!(outcome.sent > 0, "{name} : aucun message envoyé");
            assert_eq!(
                outcome.expected,
                outcome.sent * 5,
                "{name} : chaque message chez les 5 autres"
            );
            assert_eq!(
                outcome.lost(),
                0,
                "{name} à {rate} messages/s : livraisons perdues"
            );
            assert_eq!(
                (outcome.disordered, outcome.closed),
                (0, 0),
                "{name} : désordre ou déconnexions"
            );
            assert_eq!(
                outcome.corrected.count(),
                outcome.delivered,
                "{name} : une latence par livraison"
            );
        }
    }
}

#[test]
fn un_client_muet_ne_gene_pas_le_chat_tokio() {
    let server = servers::find("tokio-chat").expect("tokio-chat est dans la table");
    let running = start(server);
    let _silent = silent::connect(running.addr).expect("le client muet se connecte");
    let mut room = ChatRoom::join(running.addr, 4).expect("entrée dans le salon");
    let filled =
        silent::fill(&mut room, Duration::from_secs(10)).expect("remplissage");
    assert!(
        filled,
        "une file non bornée par client absorbe le client muet"
    );
    let load = ChatLoad::steady(400.0, Duration::from_millis(300), 100);
    let outcome = room.run(load, None, &mut quiet()).expect("palier");
    assert_eq!(
        outcome.expected,
        outcome.sent * 3,
        "le muet ne compte pas parmi les destinataires"
    );
    assert_eq!(outcome.lost(), 0, "les clients qui lisent reçoivent tout");
}

#[test]
fn le_generateur_voit_le_chat_python_bloque_par_un_client_muet() {
    if !child::python_available() {
        eprintln!("Python absent : test ignoré.");
        return;
    }
    let server = servers::find("py-chat").expect("py-chat est dans la table");
    let running = start(server);
    let _silent = silent::connect(running.addr).expect("le client muet se connecte");
    let mut room = ChatRoom::join(running.addr, 4).expect("entrée dans le salon");
    let filled =
        silent::fill(&mut room, Duration::from_secs(5)).expect("remplissage");
    assert!(
        !filled,
        "sendall() bloquant sur le client muet doit bloquer tout le serveur Python"
    );
}

#[test]
fn les_connexions_inactives_sont_toutes_servies() {
    for server in SERVERS.iter().filter(|server| server.idle_capacity) {
        let running = start(server);
        let outcome = run_capacity(
            running.addr,
            300,
            server.speaks.scenario(),
            Some(running.pid()),
        );
        let stopped_by = outcome.stopped_by.clone().unwrap_or_default();
        assert_eq!(outcome.connected, 300, "{} : {stopped_by}", server.name);
        #[cfg(target_os = "linux")]
        {
            let after = outcome.after.expect("VmRSS lisible");
            assert!(after.rss_bytes > 0, "{} : VmRSS nul", server.name);
            if server.name == "l03-echo" {
                assert!(
                    after.threads > 300,
                    "un thread par client : {} vus",
                    after.threads
                );
            }
        }
    }
}
