//! Les limites du serveur, mises à l'épreuve comme le ferait une classe entière ou un
//! étudiant malveillant : une rafale de tout le monde, des inondations, un lecteur
//! absent, des messages rembourrés pour tromper le terminal, un mot de passe deviné
//! en boucle, une seule machine qui prend toutes les places. Chaque fois : rien de ce
//! qui a été accepté n'est perdu, et seul le fautif en pâtit.

mod common;

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use common::{Chat, Client, start_server, test_config};
use lesson05_chat::Config;
use lesson05_chat::protocol::MAX_COLUMNS;
use test_kit::assert_complete_in_order;
use unicode_width::UnicodeWidthStr;

/// Lit `count` lignes et les range par expéditeur : le numéro de séquence de chaque
/// message.
async fn collect(
    client: &mut Client,
    count: usize,
) -> io::Result<HashMap<String, Vec<u32>>> {
    let mut by_sender: HashMap<String, Vec<u32>> = HashMap::new();
    let mut received = 0;
    // Borné : au plus 100 notices parmi les messages (un « Doucement ! », des
    // départs…).
    for _ in 0..count + 100 {
        if received == count {
            break;
        }
        let line = client.line().await?;
        if line.starts_with("***") {
            continue; // une notice : pas un message
        }
        received += 1;
        let (sender, text) = line.split_once(": ").expect("« pseudo: texte »");
        let number = text.split(' ').next().and_then(|n| n.parse().ok());
        let number = number.unwrap_or_else(|| panic!("numéro attendu : {line:?}"));
        by_sender.entry(sender.to_owned()).or_default().push(number);
    }
    Ok(by_sender)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn une_rafale_de_toute_la_classe_arrive_en_entier_et_dans_l_ordre()
-> io::Result<()> {
    // Les réglages par défaut (100 lignes par seconde), comme en cours, et la taille
    // réelle d'une classe qui colle chacune cent lignes : 245 000 lignes à
    // distribuer. (La première version de cette leçon en perdait plus des deux
    // tiers et déconnectait la plupart des élèves, qui lisaient pourtant.)
    const CLIENTS: usize = 50;
    const LINES: u32 = 100;
    let server = start_server(Config {
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    })
    .await?;
    let mut clients = Vec::new();
    for index in 0..CLIENTS {
        clients.push(Client::join(server.addr, &format!("eleve{index}")).await?);
    }
    // Chacun attend d'avoir vu arriver le dernier : tout le monde est là avant la
    // rafale.
    let last = format!("*** eleve{} a rejoint le salon.", CLIENTS - 1);
    for client in &mut clients[..CLIENTS - 1] {
        client.skip_until(|line| line == last).await?;
    }
    let mut readers = Vec::new();
    for mut client in clients {
        readers.push(tokio::spawn(async move {
            // Tout d'un coup, dans un seul envoi, puis on lit ce que les autres ont
            // envoyé.
            let burst: String =
                (0..LINES).map(|n| format!("{n} bonjour\n")).collect();
            client.send_raw(burst.as_bytes()).await?;
            collect(&mut client, (CLIENTS - 1) * LINES as usize).await
        }));
    }
    for reader in readers {
        let by_sender = reader.await.expect("tâche de lecture")?;
        assert_complete_in_order(&by_sender, CLIENTS - 1, LINES);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn les_inondateurs_sont_ralentis_et_seul_le_lecteur_absent_est_deconnecte()
-> io::Result<()> {
    const FLOODERS: usize = 4;
    const LINES: u32 = 600;
    let server = start_server(Config {
        max_rate: 200,
        soft_limit: 8 * 1024,
        // Assez long pour qu'un lecteur qui lit ne soit jamais pris pour un absent,
        // même sur une machine chargée ; assez court pour que le test reste
        // bref.
        backed_up_timeout: Duration::from_secs(2),
        ..test_config()
    })
    .await?;
    // Le lecteur absent : un tout petit tampon de réception, et il ne lit plus rien.
    let mut deaf = Client::connect_small_buffer(server.addr).await?;
    deaf.read_prompt().await?;
    deaf.send("sourd").await?;
    let mut reader = Client::join(server.addr, "lecteur").await?;
    let mut flooders = Vec::new();
    for index in 0..FLOODERS {
        flooders.push(Client::join(server.addr, &format!("f{index}")).await?);
    }
    reader
        .skip_until(|line| line == "*** f3 a rejoint le salon.")
        .await?;

    // Chacun envoie 600 lignes d'un coup, trois fois ce que permet la limite en une
    // seconde.
    let payload = "z".repeat(60);
    let mut tasks = Vec::new();
    for mut flooder in flooders {
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            let all: String =
                (0..LINES).map(|n| format!("{n} {payload}\n")).collect();
            flooder.send_raw(all.as_bytes()).await?;
            // Prévenu qu'il est ralenti (sa première ligne : la notice).
            flooder
                .skip_until(|line| {
                    line.starts_with("*** Doucement ! Au plus 200 lignes")
                })
                .await?;
            io::Result::Ok(flooder)
        }));
    }
    // Le lecteur reçoit TOUT, dans l'ordre, et apprend le départ du sourd au passage.
    let mut by_sender: HashMap<String, Vec<u32>> = HashMap::new();
    let mut deaf_left = false;
    let total = FLOODERS * LINES as usize;
    let mut received = 0;
    for _ in 0..total + 100 {
        if received == total {
            break;
        }
        let line = reader.line().await?;
        if line == "*** sourd ne lisait plus ses messages : déconnecté(e)." {
            deaf_left = true;
            continue;
        }
        let (sender, text) = line.split_once(": ").expect("« pseudo: texte »");
        let number: u32 = text.split(' ').next().unwrap().parse().unwrap();
        by_sender.entry(sender.to_owned()).or_default().push(number);
        received += 1;
    }
    assert_eq!(received, total, "le lecteur a reçu trop de notices");
    for (sender, numbers) in &by_sender {
        assert_eq!(
            numbers,
            &(0..LINES).collect::<Vec<_>>(),
            "{sender} : rien de perdu"
        );
    }
    let mut flooders = Vec::new();
    for task in tasks {
        flooders.push(task.await.expect("tâche d'envoi")?);
    }
    if !deaf_left {
        reader
            .skip_until(|line| {
                line == "*** sourd ne lisait plus ses messages : déconnecté(e)."
            })
            .await?;
    }
    reader.send("/who").await?;
    reader
        .expect("*** Connectés (5) : f0, f1, f2, f3, lecteur")
        .await;
    deaf.until_closed().await;
    Ok(())
}

#[tokio::test]
async fn aucun_message_ne_peut_imiter_une_notice_ou_un_autre_sur_un_terminal_de_80_colonnes()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    // Rembourré jusqu'au bord du terminal, avec des blancs ou des caractères
    // visibles : la fin s'afficherait au début d'une ligne, comme une vraie
    // notice ou un message de carol.
    let attacks = [
        format!("{}*** bob a quitté le salon.", " ".repeat(200)),
        format!("{}\t\t*** bob a quitté le salon.", " \u{3000}".repeat(50)),
        format!("{} carol: je donne mon mot de passe", "x".repeat(73)),
        format!("{}*** Le serveur s'arrête.", "漢".repeat(37)),
        format!("{}carol: coucou", "a\u{301}".repeat(73)),
    ];
    for attack in &attacks {
        alice.send(attack).await?;
        bob.send("/who").await?; // repère : tout ce qui précède vient d'alice
        let mut rows = Vec::new();
        loop {
            let row = bob.line().await?;
            if row.starts_with("*** Connectés") {
                break;
            }
            rows.push(row);
            assert!(rows.len() < 20, "trop de lignes pour un message");
        }
        assert!(!rows.is_empty());
        for row in &rows {
            assert!(
                row.starts_with("alice: "),
                "chaque ligne porte le vrai préfixe : {row:?}"
            );
            assert!(
                row.width() <= MAX_COLUMNS,
                "{} colonnes : {row:?}",
                row.width()
            );
        }
    }
    // Une raison de départ démesurée : la notice tient sur UNE ligne de 80 colonnes.
    alice
        .send(&format!("/quit {}*** carol est opérateur", "y".repeat(300)))
        .await?;
    let notice = bob.line().await?;
    assert!(
        notice.starts_with("*** alice a quitté le salon (yyy"),
        "{notice}"
    );
    assert!(
        notice.ends_with("…)."),
        "la raison est raccourcie : {notice}"
    );
    assert!(notice.width() <= MAX_COLUMNS, "{notice}");
    bob.send("/who").await?;
    bob.expect("*** Connectés (1) : bob").await;
    Ok(())
}

#[tokio::test]
async fn deviner_le_mot_de_passe_oper_coute_de_plus_en_plus_puis_bloque_l_adresse()
-> io::Result<()> {
    let server = start_server(Config {
        oper_password: Some("sésame".into()),
        ..test_config()
    })
    .await?;
    // Cinq connexions de la même adresse, un essai chacune : c'est l'adresse qui
    // compte.
    let mut guessers = Vec::new();
    for index in 0..5 {
        guessers.push(Client::join(server.addr, &format!("devin{index}")).await?);
    }
    for (index, guesser) in guessers.iter_mut().enumerate() {
        guesser.send(&format!("/oper essai{index}")).await?;
        let seconds = 1 << index;
        let answer = guesser
            .skip_until(|line| line.starts_with("*** Mot de passe"))
            .await?;
        assert_eq!(
            answer,
            format!(
                "*** Mot de passe incorrect. Prochain essai possible dans {seconds} s."
            ),
            "le délai double à chaque échec de l'adresse"
        );
    }
    // Même le bon mot de passe est refusé pendant le blocage.
    let mut late = Client::join(server.addr, "tardif").await?;
    late.send("/oper sésame").await?;
    late.expect(
        "*** Trop d'essais depuis votre adresse : /oper bloqué pendant 10 min.",
    )
    .await;
    late.send("/kill devin0").await?;
    late.expect(
        "*** Permission refusée : /kill est réservé aux opérateurs (voir /oper).",
    )
    .await;
    // La pénalité d'une connexion : sa ligne suivante n'est lue qu'après le délai,
    // mais elle n'est pas perdue.
    guessers[0].send("toujours là").await?;
    late.expect("devin0: toujours là").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cinq_expediteurs_dans_la_limite_ne_font_pas_expulser_leur_destinataire()
-> io::Result<()> {
    // Cinq personnes écrivent en privé à carol, chacune au maximum permis (100 lignes
    // par seconde) pendant trois secondes : carol lit tout, personne n'est
    // expulsé.
    const SENDERS: usize = 5;
    const LINES: u32 = 300;
    let server = start_server(Config::default()).await?;
    let mut carol = Client::join(server.addr, "carol").await?;
    let mut tasks = Vec::new();
    for index in 0..SENDERS {
        let mut sender = Client::join(server.addr, &format!("p{index}")).await?;
        tasks.push(tokio::spawn(async move {
            let all: String = (0..LINES)
                .map(|n| format!("/msg carol {n} coucou\n"))
                .collect();
            sender.send_raw(all.as_bytes()).await?;
            io::Result::Ok(sender)
        }));
    }
    let mut by_sender: HashMap<String, Vec<u32>> = HashMap::new();
    let total = SENDERS * LINES as usize;
    let mut received = 0;
    for _ in 0..total + 100 {
        if received == total {
            break;
        }
        let line = carol.line().await?;
        let Some(private) = line.strip_prefix("[privé] ") else {
            continue; // une arrivée
        };
        let (sender, text) =
            private.split_once(": ").expect("« [privé] pseudo: texte »");
        let number: u32 = text.split(' ').next().unwrap().parse().unwrap();
        by_sender.entry(sender.to_owned()).or_default().push(number);
        received += 1;
    }
    assert_eq!(received, total);
    for (sender, numbers) in &by_sender {
        assert_eq!(
            numbers,
            &(0..LINES).collect::<Vec<_>>(),
            "{sender} : tout, dans l'ordre"
        );
    }
    let mut senders = Vec::new(); // gardés connectés jusqu'au /who
    for task in tasks {
        senders.push(task.await.expect("tâche d'envoi")?);
    }
    carol.send("/who").await?;
    carol
        .expect("*** Connectés (6) : carol, p0, p1, p2, p3, p4")
        .await;
    drop(senders);
    Ok(())
}

#[tokio::test]
async fn une_seule_adresse_ne_peut_pas_prendre_toutes_les_places() -> io::Result<()> {
    let server = start_server(Config {
        max_per_address: 2,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let _bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;
    let mut third = Client::connect(server.addr).await?;
    assert_eq!(
        third.until_closed().await,
        [
            "*** Trop de connexions depuis votre adresse (2 au plus) : réessayez plus tard."
        ]
    );
    alice.send("/who").await?;
    alice.expect("*** Connectés (2) : alice, bob").await;
    Ok(())
}

#[tokio::test]
async fn se_reconnecter_en_boucle_est_freine() -> io::Result<()> {
    // 3 arrivées d'un coup au plus depuis une adresse, puis une toutes les deux
    // secondes : sans cela, chaque reconnexion ferait pleuvoir « a rejoint » /
    // « a quitté » sur le salon.
    let server = start_server(Config {
        max_per_address: 3,
        ..test_config()
    })
    .await?;
    for _ in 0..3 {
        drop(Client::greeted(server.addr).await?);
    }
    let mut fourth = Client::connect(server.addr).await?;
    assert_eq!(
        fourth.until_closed().await,
        [
            "*** Connexions trop rapprochées depuis votre adresse : réessayez dans 1 min."
        ]
    );
    Ok(())
}

#[tokio::test]
async fn un_inscrit_muet_trop_longtemps_libere_sa_place() -> io::Result<()> {
    let server = start_server(Config {
        idle_timeout: Duration::from_millis(500),
        ..test_config()
    })
    .await?;
    // alice ne cesse de parler (un /who après l'autre) jusqu'à apprendre le départ de
    // bob : elle n'est jamais inactive. bob, lui, se tait après son pseudo.
    let mut alice = Client::join(server.addr, "alice").await?;
    let chatty = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        while started.elapsed() < common::TIMEOUT {
            alice.send("/who").await?;
            let line = alice.skip_until(|line| !line.contains("a rejoint")).await?;
            if line == "*** bob est parti(e) : inactif trop longtemps." {
                return Ok(());
            }
        }
        Err(io::Error::other("alice n'a jamais appris le départ de bob"))
    });
    let mut bob = Client::join(server.addr, "bob").await?;
    let told = bob.until_closed().await;
    assert_eq!(
        told,
        [
            "*** Inactif depuis 500 ms : déconnecté(e) pour libérer la place. À bientôt !"
        ]
    );
    chatty.await.expect("tâche d'alice")
}

#[tokio::test]
async fn l_historique_rejoue_est_borne_en_octets() -> io::Result<()> {
    let server = start_server(Config {
        history_len: 1000,
        max_line: 4096,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let big = "m".repeat(4000);
    for _ in 0..300 {
        alice.send(&big).await?; // 1,2 Mo d'historique en mémoire
    }
    alice.send("/who").await?;
    alice.expect("*** Connectés (1) : alice").await;
    let (mut newcomer, _) = Client::join_with_welcome(server.addr, "nouveau").await?;
    let header = newcomer.line().await?;
    let count: usize = header
        .strip_prefix("*** Derniers messages publics (")
        .and_then(|h| h.strip_suffix(") :"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("en-tête attendu : {header}"));
    assert!(
        (1..10).contains(&count),
        "32 Kio au plus : {count} messages"
    );
    let mut bytes = 0;
    newcomer.send("/who").await?;
    loop {
        let line = newcomer.line().await?;
        if line.starts_with("*** Connectés") {
            break;
        }
        bytes += line.len() + 1;
        assert!(bytes <= 32 * 1024, "la relecture dépasse 32 Kio");
    }
    Ok(())
}
