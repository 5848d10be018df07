//! Tests du générateur de charge : de courtes charges contre CHAQUE serveur (les références,
//! les leçons 03 à 05, Python s'il est installé), qui vérifient les comptes et l'absence de
//! perte. Les serveurs tournent dans des processus enfants (commande cachée `serve`), tués à
//! la fin de chaque test ; chaque attente du générateur a un délai, aucun test ne peut pendre.

use std::path::PathBuf;
use std::time::Duration;

use lesson06_bench::capacity::run_capacity;
use lesson06_bench::chat::ChatRoom;
use lesson06_bench::echo::{EchoLoad, run_echo};
use lesson06_bench::servers::{self, Role, RunningServer, Server};

/// Démarre `server` dans un processus enfant, sur un port libre de 127.0.0.1.
fn start_server(server: Server) -> RunningServer {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_lesson06-bench"));
    servers::spawn(&exe, server, None)
        .unwrap_or_else(|err| panic!("le serveur {} n'a pas démarré : {err}", server.name()))
}

/// Les serveurs d'un rôle, sans ceux en Python si `python3` manque.
fn servers_with_role(role: Role) -> Vec<Server> {
    let python = servers::python_available();
    if !python {
        eprintln!("python3 absent : serveurs Python non testés.");
    }
    Server::ALL
        .into_iter()
        .filter(|s| s.role() == role && (python || !s.is_python()))
        .collect()
}

#[test]
fn l_echo_de_chaque_serveur_revient_intact_et_compte() {
    let load = EchoLoad {
        connections: 8,
        line_len: 64,
        warmup: Duration::from_millis(50),
        measure: Duration::from_millis(300),
    };
    for server in servers_with_role(Role::Echo) {
        let running = start_server(server);
        let outcome = run_echo(running.addr, load, Some(running.pid()))
            .unwrap_or_else(|err| panic!("écho {} : {err}", server.name()));
        assert!(
            outcome.messages > 0,
            "{} : aucun écho reçu pendant la fenêtre",
            server.name()
        );
        assert_eq!(
            outcome.corrupted,
            0,
            "{} : écho différent de l'envoi",
            server.name()
        );
        assert_eq!(
            outcome.closed,
            0,
            "{} : connexion fermée par le serveur",
            server.name()
        );
        assert_eq!(
            outcome.latency.len(),
            outcome.messages,
            "{} : une latence par message compté",
            server.name()
        );
        #[cfg(target_os = "linux")]
        assert!(
            outcome.server_cpu.is_some(),
            "{} : le temps CPU du serveur doit être lu dans /proc",
            server.name()
        );
    }
}

#[test]
fn un_serveur_qui_ne_repond_pas_fait_echouer_la_mesure_d_echo() {
    // Un socket d'écoute qui n'accepte jamais : le noyau termine quand même les poignées de
    // main (file d'attente), les lignes partent, mais aucun écho ne revient.
    let mute = std::net::TcpListener::bind("127.0.0.1:0").expect("écoute sur 127.0.0.1:0");
    let addr = mute.local_addr().expect("adresse locale");
    let load = EchoLoad {
        connections: 2,
        line_len: 64,
        warmup: Duration::from_millis(20),
        measure: Duration::from_millis(100),
    };
    let err = run_echo(addr, load, None)
        .expect_err("un serveur muet ne doit pas donner un débit de 0 qui passe inaperçu");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::TimedOut,
        "l'erreur doit dire que le serveur ne répond plus : {err}"
    );
    assert!(
        err.to_string().contains("aucun écho"),
        "le message doit être en français et explicite : {err}"
    );
}

#[test]
fn chaque_serveur_de_chat_livre_tout_dans_l_ordre() {
    for server in servers_with_role(Role::Chat) {
        let running = start_server(server);
        let mut room = ChatRoom::join(
            running.addr,
            6,
            server.protocol(),
            false,
            Some(running.pid()),
        )
        .unwrap_or_else(|err| {
            panic!(
                "{} : entrée dans le salon impossible : {err}",
                server.name()
            )
        });
        for rate in [1_000.0, 2_000.0] {
            let step = room
                .step(rate, Duration::from_millis(300))
                .unwrap_or_else(|err| panic!("{} : palier impossible : {err}", server.name()));
            assert!(step.sent > 0, "{} : aucun message envoyé", server.name());
            assert_eq!(
                step.expected,
                step.sent * 5,
                "{} : chaque message est attendu chez les 5 autres clients",
                server.name()
            );
            assert_eq!(
                step.delivered,
                step.expected,
                "{} à {rate} livraisons/s : {} livraisons perdues",
                server.name(),
                step.lost()
            );
            assert_eq!(
                step.disordered,
                0,
                "{} : messages dans le désordre",
                server.name()
            );
            assert_eq!(step.closed, 0, "{} : connexions fermées", server.name());
            assert_eq!(
                step.latency.len(),
                step.delivered,
                "{} : une latence par livraison",
                server.name()
            );
        }
    }
}

#[test]
fn un_client_muet_ne_gene_pas_le_chat_tokio() {
    let running = start_server(Server::TokioChat);
    let mut room = ChatRoom::join(running.addr, 5, Server::TokioChat.protocol(), true, None)
        .expect("entrée dans le salon");
    let filled = room
        .fill_silent(2 * 1024 * 1024, Duration::from_secs(10))
        .expect("remplissage");
    assert!(
        filled,
        "une file non bornée par client absorbe le client muet"
    );
    let step = room
        .step(2_000.0, Duration::from_millis(300))
        .expect("palier");
    assert_eq!(
        step.expected,
        step.sent * 3,
        "le muet ne parle pas et ne compte pas parmi les destinataires"
    );
    assert_eq!(step.lost(), 0, "les clients qui lisent reçoivent tout");
}

#[test]
fn le_generateur_voit_le_chat_python_bloque_par_un_client_muet() {
    if !servers::python_available() {
        eprintln!("python3 absent : test ignoré.");
        return;
    }
    let running = start_server(Server::PythonChat);
    let mut room = ChatRoom::join(running.addr, 4, Server::PythonChat.protocol(), true, None)
        .expect("entrée dans le salon");
    let filled = room
        .fill_silent(4 * 1024 * 1024, Duration::from_secs(3))
        .expect("remplissage");
    assert!(
        !filled,
        "sendall() bloquant sur le client muet doit bloquer tout le serveur Python"
    );
}

#[test]
fn les_connexions_inactives_sont_toutes_servies() {
    for server in [
        Server::RefMio,
        Server::Lesson03Echo,
        Server::Lesson04Echo,
        Server::Lesson04Chat,
        Server::Lesson05Chat,
    ] {
        let running = start_server(server);
        let outcome = run_capacity(
            running.addr,
            300,
            server.role(),
            server.protocol(),
            Some(running.pid()),
        );
        assert_eq!(
            outcome.connected,
            300,
            "{} : {}",
            server.name(),
            outcome.stopped_by.unwrap_or_default()
        );
        #[cfg(target_os = "linux")]
        {
            let after = outcome.after.expect("VmRSS lisible");
            assert!(after.rss_bytes > 0, "{} : VmRSS nul", server.name());
            if server == Server::Lesson03Echo {
                assert!(
                    after.threads > 300,
                    "un thread par client : plus de 300 threads attendus, {} vus",
                    after.threads
                );
            }
        }
    }
}
