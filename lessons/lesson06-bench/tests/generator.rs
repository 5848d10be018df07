//! Tests du générateur de charge contre les vrais serveurs des leçons 03, 04 et 05,
//! lancés dans ce processus sur 127.0.0.1:0. Chaque attente du générateur a son délai
//! (fenêtre de mesure, entrée dans le salon, attente des dernières livraisons) :
//! aucun test ne peut pendre.

use std::io::ErrorKind;
use std::time::Duration;

use lesson06_bench::Scenario;
use lesson06_bench::chat::{ChatLoad, ChatOutcome, ChatRoom, Marker};
use lesson06_bench::echo::{EchoLoad, run_echo};
use lesson06_bench::local::{self, Lesson};
use lesson06_bench::stats::Progress;

fn no_progress() -> impl FnMut(&Progress) {
    |_: &Progress| {}
}

/// Un petit salon sur `server`, `load` appliquée, tout vérifié par le générateur.
fn chat_on(server: Lesson, clients: usize, load: ChatLoad) -> ChatOutcome {
    let addr = local::start(server, Scenario::Chat)
        .expect("le serveur démarre sur 127.0.0.1:0");
    let mut room = ChatRoom::join(addr, clients).unwrap_or_else(|err| {
        panic!("{server:?} : entrée dans le salon impossible : {err}")
    });
    room.run(load, None, &mut no_progress())
        .unwrap_or_else(|err| panic!("{server:?} : mesure impossible : {err}"))
}

#[test]
fn chaque_echo_revient_intact_et_compte() {
    let load = EchoLoad {
        connections: 4,
        line_len: 64,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(300),
    };
    for server in [Lesson::L03, Lesson::L04] {
        let addr = local::start(server, Scenario::Echo)
            .expect("le serveur démarre sur 127.0.0.1:0");
        let outcome = run_echo(addr, load, None, &mut no_progress())
            .unwrap_or_else(|err| panic!("{server:?} : {err}"));
        assert!(outcome.round_trips > 0, "{server:?} : aucun écho compté");
        assert_eq!(
            outcome.corrupted, 0,
            "{server:?} : écho différent de l'envoi"
        );
        assert_eq!(
            outcome.closed, 0,
            "{server:?} : connexion fermée par le serveur"
        );
        assert_eq!(
            outcome.latency.count(),
            outcome.round_trips,
            "{server:?} : une latence par aller-retour compté"
        );
    }
}

#[test]
fn chaque_message_de_chat_arrive_chez_tous_les_autres() {
    let load = ChatLoad::steady(1_000.0, Duration::from_millis(300), 60);
    for server in [Lesson::L03, Lesson::L04, Lesson::L05] {
        let outcome = chat_on(server, 5, load);
        assert_eq!(
            outcome.sent, 300,
            "{server:?} : 1000 messages/s pendant 0,3 s"
        );
        assert_eq!(
            outcome.expected,
            outcome.sent * 4,
            "{server:?} : chaque message est attendu chez les 4 autres clients"
        );
        assert_eq!(
            outcome.delivered,
            outcome.expected,
            "{server:?} : {} livraisons perdues",
            outcome.lost()
        );
        assert_eq!(
            outcome.disordered, 0,
            "{server:?} : messages dans le désordre"
        );
        assert_eq!(outcome.closed, 0, "{server:?} : clients déconnectés");
        assert_eq!(
            (outcome.corrected.count(), outcome.uncorrected.count()),
            (outcome.delivered, outcome.delivered),
            "{server:?} : deux latences par livraison"
        );
    }
}

#[test]
fn la_latence_corrigee_n_est_jamais_sous_la_latence_non_corrigee() {
    // Une rafale : tous les messages sont prévus à l'instant zéro, la plupart partent
    // en retard.
    let outcome = chat_on(Lesson::L04, 6, ChatLoad::burst(3_000, 60));
    assert!(
        outcome.is_complete(),
        "la rafale est livrée en entier : {} perdues",
        outcome.lost()
    );
    for quantile in [0.5, 0.9, 0.99, 1.0] {
        let (corrected, uncorrected) = (
            outcome.corrected.quantile(quantile),
            outcome.uncorrected.quantile(quantile),
        );
        assert!(
            corrected >= uncorrected,
            "au centile {quantile}, la latence depuis l'heure prévue ({corrected:?}) ne peut pas \
             être plus courte que depuis l'envoi réel ({uncorrected:?})"
        );
    }
}

#[test]
fn la_lecon_05_recoit_un_pseudo_et_livre_une_rafale() {
    let outcome = chat_on(Lesson::L05, 6, ChatLoad::burst(300, 100));
    assert_eq!(outcome.expected, 300 * 5, "chaque ligne chez les 5 autres");
    assert!(
        outcome.is_complete(),
        "{} livraisons perdues",
        outcome.lost()
    );
}

#[test]
fn un_serveur_qui_n_accepte_jamais_fait_echouer_l_echo() {
    // Le noyau termine les poignées de main dans la file d'attente : les lignes
    // partent, mais aucun écho ne revient.
    let mute =
        std::net::TcpListener::bind("127.0.0.1:0").expect("écoute sur 127.0.0.1:0");
    let addr = mute.local_addr().expect("adresse locale");
    let load = EchoLoad {
        connections: 2,
        line_len: 64,
        warmup: Duration::from_millis(20),
        duration: Duration::from_millis(100),
    };
    let err = run_echo(addr, load, None, &mut no_progress())
        .err()
        .expect("un serveur muet ne donne pas un débit de 0 qui passe inaperçu");
    assert_eq!(
        err.kind(),
        ErrorKind::TimedOut,
        "le serveur ne répond plus : {err}"
    );
    assert!(
        err.to_string().contains("aucun écho"),
        "message en français : {err}"
    );
}

fn marker(sender: usize, seq: u32) -> Marker {
    let line = format!("<b{sender}> ~7:{sender}:{seq}:100:150~ xxx");
    Marker::find(line.as_bytes()).expect("le marqueur est reconnu")
}

#[test]
fn le_marqueur_est_trouve_quel_que_soit_le_prefixe() {
    let expected = Some(Marker {
        tag: 7,
        sender: 2,
        seq: 5,
        scheduled_us: 100,
        sent_us: 150,
    });
    for line in [
        "~7:2:5:100:150~ xxx",
        "[127.0.0.1:5432] ~7:2:5:100:150~ x",
        "b2: ~7:2:5:100:150~",
        ":b2!~b2@127.0.0.1 PRIVMSG #banc :~7:2:5:100:150~ x",
    ] {
        assert_eq!(Marker::find(line.as_bytes()), expected, "dans {line:?}");
    }
    assert_eq!(Marker::find(b"bonjour"), None, "une ligne sans marqueur");
    assert_eq!(Marker::find(b"~1:2:3:4~"), None, "il faut cinq champs");
}

/// Fait recevoir au client 0 les messages `(émetteur, numéro)`, 1 ms après leur envoi
/// réel.
fn receive_all(messages: &[(usize, u32)]) -> ChatOutcome {
    let mut outcome = ChatOutcome::default();
    let mut expected_seq = vec![0; 3];
    for &(sender, seq) in messages {
        outcome.check(marker(sender, seq), 0, 1_150, &mut expected_seq);
    }
    outcome
}

#[test]
fn chaque_livraison_dans_l_ordre_est_comptee_et_chronometree() {
    let outcome = receive_all(&[(1, 0), (2, 0), (1, 1), (2, 1)]);
    assert_eq!(
        (outcome.delivered, outcome.disordered),
        (4, 0),
        "quatre dans l'ordre"
    );
    assert_eq!(
        (outcome.corrected.max(), outcome.uncorrected.max()),
        (Duration::from_micros(1_050), Duration::from_micros(1_000)),
        "la latence corrigée part de l'heure prévue, l'autre de l'envoi réel"
    );
}

#[test]
fn un_double_un_trou_ou_un_retour_a_l_auteur_ne_passent_pas_inapercus() {
    let doubled = receive_all(&[(1, 0), (1, 0)]);
    assert_eq!(
        (doubled.delivered, doubled.disordered),
        (1, 1),
        "le double est hors d'ordre"
    );
    let gap = receive_all(&[(1, 0), (1, 2)]);
    assert_eq!(
        (gap.delivered, gap.disordered),
        (1, 1),
        "après un trou, le suivant est en avance"
    );
    let own = receive_all(&[(0, 0)]);
    assert_eq!(
        (own.delivered, own.disordered),
        (0, 1),
        "son propre message ne compte pas livré"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn le_processus_courant_a_un_temps_cpu_et_une_memoire() {
    use lesson06_bench::system::{cpu_time, memory_use};
    let pid = std::process::id();
    assert!(
        cpu_time(pid).is_some(),
        "l'horloge CPU du processus doit être lisible"
    );
    let memory = memory_use(pid).expect("/proc/<pid>/status doit être lisible");
    assert!(
        memory.rss_bytes > 0 && memory.threads >= 1,
        "un processus vivant : {memory:?}"
    );
}
