//! Ce qu'un client maladroit ou malveillant peut envoyer, et ce que fait le serveur
//! d'une classe entière qui colle tout d'un coup : la limite de 512 octets, des
//! octets invalides, des caractères de contrôle, des paquets coupés ou collés, une
//! coupure brutale, une inondation, un lecteur absent, l'arrêt du serveur. Chaque
//! fois : rien de ce qui a été accepté n'est perdu, et seul le fautif en pâtit.

mod common;

use std::io;
use std::time::Duration;

use common::{Client, TIMEOUT, start_server, test_config};
use lesson07_irc::Config;
use socket2::SockRef;
use test_kit::{TaskClient, assert_complete_in_order};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// Deux clients inscrits, tous deux dans `#c`, et prêts (chacun a vu l'autre).
async fn pair(addr: std::net::SocketAddr) -> io::Result<(Client, Client)> {
    let mut alice = Client::register(addr, "alice").await?;
    let mut bob = Client::register(addr, "bob").await?;
    alice.join("#c").await;
    bob.join("#c").await;
    alice.wait_for("JOIN").await;
    Ok((alice, bob))
}

#[tokio::test]
async fn une_ligne_de_plus_de_512_octets_recoit_417_et_la_connexion_continue()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, mut bob) = pair(server.addr).await?;
    // 510 octets + \r\n : la limite exacte, acceptée.
    let head = "PRIVMSG #c :";
    let exact = format!("{head}{}", "a".repeat(510 - head.len()));
    alice.send(&exact).await?;
    let relayed = bob.expect_command("PRIVMSG").await;
    assert!(
        relayed.text().starts_with("aaaa"),
        "acceptée, puis coupée à 512"
    );
    // Un octet de trop : 417, et rien n'est relayé.
    alice.send(&format!("{exact}b")).await?;
    alice.expect_command("417").await;
    // Cent kilo-octets sans fin de ligne : un seul 417, la mémoire reste bornée.
    alice.send_raw(&vec![b'x'; 100_000]).await?;
    alice.send("").await?;
    alice.send("PRIVMSG #c :toujours là").await?;
    alice.expect_command("417").await;
    assert_eq!(bob.expect_command("PRIVMSG").await.text(), "toujours là");
    assert!(
        alice.sync().await.is_empty(),
        "un seul 417 par ligne trop longue"
    );
    server.stop().await
}

#[tokio::test]
async fn les_octets_invalides_et_les_controles_deviennent_fffd() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, mut bob) = pair(server.addr).await?;
    alice
        .send_raw(b"PRIVMSG #c :caf\xe9 cr\xc3\xa8me\r\n")
        .await?;
    assert_eq!(
        bob.expect_command("PRIVMSG").await.text(),
        "caf\u{FFFD} crème"
    );
    // ESC (séquence ANSI), BEL, un \r seul (revenir au début de la ligne pour
    // écrire par-dessus le pseudo), un caractère qui inverse l'écriture.
    alice
        .send_raw(b"PRIVMSG #c :\x1b[2Jsalut\x07 faux\rbob: \xe2\x80\xaeabc\r\n")
        .await?;
    assert_eq!(
        bob.expect_command("PRIVMSG").await.text(),
        "\u{FFFD}[2Jsalut\u{FFFD} faux\u{FFFD}bob: \u{FFFD}abc"
    );
    // La mise en forme d'IRC (gras, couleur) et les actions (/me) passent.
    alice
        .send("PRIVMSG #c :\x01ACTION sourit\x01 \x02gras\x02 \x0304rouge")
        .await?;
    assert_eq!(
        bob.expect_command("PRIVMSG").await.text(),
        "\x01ACTION sourit\x01 \x02gras\x02 \x0304rouge"
    );
    alice.send("TOPIC #c :\x1b]0;titre\x07").await?;
    assert_eq!(
        bob.expect_command("TOPIC").await.text(),
        "\u{FFFD}]0;titre\u{FFFD}"
    );
    server.stop().await
}

#[tokio::test]
async fn les_paquets_coupes_et_colles_donnent_les_memes_messages() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, mut bob) = pair(server.addr).await?;
    // Chaque morceau part dans son propre `write` (le noyau peut en recoller :
    // le test reste juste, il coupe seulement moins).
    let mut texts = Vec::new();
    for piece in [
        &b"PRIV"[..],
        b"MSG #c :un",
        b" deux\r",
        b"\nPRIVMSG #c :trois\n",
    ] {
        alice.send_raw(piece).await?;
        alice.writer.flush().await?;
        let seen = bob.sync().await;
        texts.extend(seen.into_iter().map(|reply| reply.text().to_owned()));
    }
    while texts.len() < 2 {
        texts.push(bob.expect_command("PRIVMSG").await.text().to_owned());
    }
    assert_eq!(texts, ["un deux", "trois"], "LF seul accepté aussi");
    alice
        .send_raw(b"PRIVMSG #c :a\r\nPRIVMSG #c :b\r\n\r\nprivmsg #c :c\r\n")
        .await?;
    for text in ["a", "b", "c"] {
        assert_eq!(bob.expect_command("PRIVMSG").await.text(), text);
    }
    server.stop().await
}

#[tokio::test]
async fn une_coupure_brutale_est_vue_comme_un_depart() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, bob) = pair(server.addr).await?;
    // SO_LINGER à 0 : la fermeture envoie un RST au lieu d'un FIN, comme un
    // programme tué ou une box qui redémarre.
    let TaskClient { reader, writer } = bob.conn;
    let stream = reader
        .into_inner()
        .reunite(writer)
        .expect("les deux moitiés");
    SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
    drop(stream);
    let quit = alice.expect_command("QUIT").await;
    assert!(quit.prefix.starts_with("bob!"), "{:?}", quit.raw);
    alice.send("PRIVMSG #c :encore quelqu'un ?").await?;
    assert!(
        alice.sync().await.is_empty(),
        "le serveur sert toujours alice"
    );
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn une_rafale_de_toute_la_classe_arrive_en_entier_et_dans_l_ordre()
-> io::Result<()> {
    // Les réglages par défaut (100 jetons par seconde), comme en cours.
    const CLIENTS: usize = 10;
    const LINES: u32 = 50;
    let config = Config {
        shutdown_grace: Duration::from_millis(500),
        ..Config::default()
    };
    let server = start_server(config).await?;
    let mut clients = Vec::new();
    for index in 0..CLIENTS {
        let mut client =
            Client::register(server.addr, &format!("eleve{index}")).await?;
        client.join("#classe").await;
        clients.push(client);
    }
    // Tout le monde a vu arriver le dernier : la classe est au complet.
    for client in &mut clients[..CLIENTS - 1] {
        let last = format!("eleve{}!", CLIENTS - 1);
        client
            .skip_until(|reply| {
                reply.command == "JOIN" && reply.prefix.starts_with(&last)
            })
            .await?;
    }
    let mut readers = Vec::new();
    for mut client in clients {
        readers.push(tokio::spawn(async move {
            let burst: String = (0..LINES)
                .map(|n| format!("PRIVMSG #classe :{n} bonjour\r\n"))
                .collect();
            let expected = (CLIENTS - 1) * LINES as usize;
            client.flood_and_collect(burst.into_bytes(), expected).await
        }));
    }
    for reader in readers {
        let (by_sender, _) = reader.await.expect("pas de panique")?;
        assert_complete_in_order(&by_sender, CLIENTS - 1, LINES);
    }
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_inondation_ralentit_les_bavards_et_seul_le_lecteur_absent_part()
-> io::Result<()> {
    const FLOODERS: usize = 4;
    const LINES: u32 = 400;
    let config = Config {
        max_rate: 200,
        soft_limit: 8 * 1024,
        // Assez long pour qu'un bavard qui lit ne soit jamais pris pour un absent,
        // même sur une machine chargée ; assez court pour que le test reste bref.
        backed_up_timeout: Duration::from_secs(2),
        ..test_config()
    };
    let server = start_server(config).await?;
    // Celui qui ne lit jamais : un tampon de réception minuscule.
    let mut sleeper = Client::connect_small_buffer(server.addr).await?;
    sleeper.send("NICK dort").await?;
    sleeper.send("USER dort 0 * :Dort").await?;
    sleeper.send("JOIN #c").await?;
    sleeper.sync().await;
    // Un lecteur qui ne dit rien : il doit tout recevoir, et le départ de « dort ».
    let mut witness = Client::register(server.addr, "temoin").await?;
    witness.join("#c").await;
    let mut flooders = Vec::new();
    for index in 0..FLOODERS {
        let mut client =
            Client::register(server.addr, &format!("bavard{index}")).await?;
        client.join("#c").await;
        flooders.push(client);
    }
    let last = format!("bavard{}!", FLOODERS - 1);
    witness
        .skip_until(|reply| {
            reply.command == "JOIN" && reply.prefix.starts_with(&last)
        })
        .await?;
    for client in &mut flooders[..FLOODERS - 1] {
        let last = format!("bavard{}!", FLOODERS - 1);
        client
            .skip_until(|reply| {
                reply.command == "JOIN" && reply.prefix.starts_with(&last)
            })
            .await?;
    }
    let padding = "x".repeat(150);
    let mut tasks = Vec::new();
    for mut client in flooders {
        let burst: String = (0..LINES)
            .map(|n| format!("PRIVMSG #c :{n} {padding}\r\n"))
            .collect();
        tasks.push(tokio::spawn(async move {
            let expected = (FLOODERS - 1) * LINES as usize;
            let collected =
                client.flood_and_collect(burst.into_bytes(), expected).await;
            (client, collected) // le bavard reste connecté jusqu'à la fin du test
        }));
    }
    // Le témoin lit PENDANT l'inondation : sinon c'est lui qui ne lirait plus.
    let watching = tokio::spawn(async move {
        let total = FLOODERS * LINES as usize;
        let collected = witness.flood_and_collect(Vec::new(), total).await;
        (witness, collected)
    });
    let mut connected = Vec::new();
    for task in tasks {
        let (client, collected) = task.await.expect("pas de panique");
        connected.push(client);
        let (by_sender, others) = collected?;
        for (sender, numbers) in by_sender {
            let expected: Vec<u32> = (0..LINES).collect();
            assert_eq!(
                numbers, expected,
                "de {sender} : rien de perdu, dans l'ordre"
            );
        }
        assert!(
            others
                .iter()
                .any(|line| line.contains("*** Doucement ! Au plus 200 lignes")),
            "un bavard est prévenu qu'il est ralenti : {others:?}"
        );
        let quits: Vec<&String> = others
            .iter()
            .filter(|line| line.contains(" QUIT "))
            .collect();
        assert!(
            quits.len() <= 1 && quits.iter().all(|q| q.starts_with(":dort!")),
            "seul « dort » peut partir, une fois : {quits:?}"
        );
    }
    let (mut witness, collected) = watching.await.expect("pas de panique");
    let (by_sender, others) = collected?;
    assert_eq!(by_sender.len(), FLOODERS, "le témoin a tout reçu");
    for (sender, numbers) in by_sender {
        assert_eq!(numbers, (0..LINES).collect::<Vec<_>>(), "de {sender}");
    }
    // Le départ du lecteur absent a pu arriver après le dernier message.
    if !others
        .iter()
        .any(|line| line.starts_with(":dort!") && line.contains(" QUIT "))
    {
        let quit = witness.wait_for("QUIT").await;
        assert!(quit.prefix.starts_with("dort!"), "{:?}", quit.raw);
    }
    let lines = sleeper.until_closed().await;
    assert!(
        lines.iter().any(|line| line == "ERROR :SendQ exceeded"),
        "sa dernière ligne : ERROR :SendQ exceeded ({} lignes reçues)",
        lines.len()
    );
    server.stop().await
}

#[tokio::test]
async fn un_lecteur_absent_est_deconnecte_et_les_autres_le_voient() -> io::Result<()>
{
    let config = Config {
        soft_limit: 4 * 1024,
        hard_limit: 16 * 1024,
        backed_up_timeout: Duration::from_millis(200),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    alice.join("#c").await;
    let mut sleeper = Client::connect_small_buffer(server.addr).await?;
    sleeper.send("NICK dort").await?;
    sleeper.send("USER dort 0 * :Dort").await?;
    sleeper.send("JOIN #c").await?;
    alice.wait_for("JOIN").await;
    // 3 000 lignes de 400 octets : bien plus que tous les tampons réunis.
    let text = "z".repeat(400);
    let burst: String = (0..3000)
        .map(|n| format!("PRIVMSG #c :{n} {text}\r\n"))
        .collect();
    alice.send_raw(burst.as_bytes()).await?;
    let quit = alice.wait_for("QUIT").await;
    assert_eq!(quit.raw, ":dort!dort@127.0.0.1 QUIT :SendQ exceeded");
    assert!(alice.sync().await.is_empty(), "prévenue une seule fois");
    server.stop().await
}

#[tokio::test]
async fn serveur_complet_et_connexions_par_adresse() -> io::Result<()> {
    let config = Config {
        max_clients: 2,
        ..test_config()
    };
    let server = start_server(config).await?;
    let _first = Client::register(server.addr, "un").await?;
    let _second = Client::register(server.addr, "deux").await?;
    let mut third = Client::connect(server.addr).await?;
    assert_eq!(
        third.until_closed().await,
        ["ERROR :Serveur complet (2 connexions au maximum) : réessayez plus tard."]
    );
    server.stop().await?;
    let config = Config {
        max_per_address: 1,
        ..test_config()
    };
    let server = start_server(config).await?;
    let _first = Client::register(server.addr, "un").await?;
    let mut second = Client::connect(server.addr).await?;
    let lines = second.until_closed().await;
    assert_eq!(
        lines,
        ["ERROR :Trop de connexions depuis votre adresse (1 au maximum)."]
    );
    server.stop().await
}

/// Le regroupement des envois (`Config::flush_delay`) : une ligne venue d'un autre
/// client attend que d'autres la rejoignent, puis toutes partent d'une seule
/// écriture, donc arrivent d'une seule lecture.
#[tokio::test]
async fn les_lignes_qui_se_suivent_partent_d_une_seule_ecriture() -> io::Result<()> {
    // 2,5 s : assez pour que rien n'arrive entre les deux envois d'Alice, assez peu
    // pour que `pair` reçoive le JOIN de Bob (retenu lui aussi) dans son délai.
    let config = Config {
        flush_delay: Duration::from_millis(2500),
        ..test_config()
    };
    let server = start_server(config).await?;
    let (mut alice, mut bob) = pair(server.addr).await?;
    alice.send("PRIVMSG #c :un").await?;
    // Le PONG d'Alice dit que le serveur a lu « un » : la ligne est dans la file
    // de Bob, et elle y attend encore.
    alice.sync().await;
    assert!(bob.reader.buffer().is_empty(), "Bob a tout lu jusqu'ici");
    let mut probe = [0; 512];
    let early = bob.reader.get_ref().try_read(&mut probe);
    assert!(
        early
            .as_ref()
            .is_err_and(|err| err.kind() == io::ErrorKind::WouldBlock),
        "« un » doit attendre « deux », reçu : {early:?}"
    );
    alice.send("PRIVMSG #c :deux").await?;
    // Une seule lecture : un seul segment, donc une seule écriture.
    let received = timeout(2 * TIMEOUT, bob.reader.fill_buf()).await??;
    assert_eq!(
        String::from_utf8_lossy(received),
        ":alice!alice@127.0.0.1 PRIVMSG #c :un\r\n\
         :alice!alice@127.0.0.1 PRIVMSG #c :deux\r\n"
    );
    server.stop().await
}

/// Ce que le client demande lui-même n'attend pas le regroupement, et ce qui
/// attend n'est pas perdu à la fermeture : avec une heure de regroupement,
/// l'inscription, `PONG` et `JOIN` arrivent tout de suite, et l'arrêt du serveur
/// envoie la ligne qui attendait avant ses adieux.
#[tokio::test]
async fn une_reponse_n_attend_pas_et_rien_n_est_perdu_a_la_fermeture()
-> io::Result<()> {
    let config = Config {
        flush_delay: Duration::from_secs(3600),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    alice.join("#c").await;
    assert!(alice.sync().await.is_empty(), "PONG, et rien d'autre");
    let mut bob = Client::register(server.addr, "bob").await?;
    bob.join("#c").await;
    // Alice garde le JOIN de Bob pour l'heure qui vient… ou pour l'arrêt.
    let stopping = tokio::spawn(server.stop());
    assert_eq!(
        alice.until_closed().await,
        [
            ":bob!bob@127.0.0.1 JOIN #c",
            ":cours.irc NOTICE alice :*** Le serveur s'arrête. Au revoir !",
            "ERROR :Closing Link: 127.0.0.1 (Server shutting down)",
        ]
    );
    stopping.await.expect("pas de panique")
}

/// Retenir des lignes ne fait jamais dépasser la limite douce : au-delà, elles
/// partent sans attendre leur heure (sinon une rafale pendant l'attente pourrait
/// mener un bon lecteur jusqu'à la limite dure). Avec une heure de regroupement et
/// 4 Kio de limite douce, des lignes de 400 octets arrivent quand même.
#[tokio::test]
async fn des_lignes_retenues_partent_des_la_limite_douce() -> io::Result<()> {
    let config = Config {
        flush_delay: Duration::from_secs(3600),
        soft_limit: 4 * 1024,
        ..test_config()
    };
    let server = start_server(config).await?;
    // Pas de `pair` : Alice ne verra le JOIN de Bob que dans une heure.
    let mut alice = Client::register(server.addr, "alice").await?;
    alice.join("#c").await;
    let mut bob = Client::register(server.addr, "bob").await?;
    bob.join("#c").await;
    let text = "z".repeat(400);
    let burst: String = (0..20)
        .map(|n| format!("PRIVMSG #c :{n} {text}\r\n"))
        .collect();
    alice.send_raw(burst.as_bytes()).await?;
    // Chaque ligne relayée compte environ 470 octets : la neuvième franchit 4 Kio,
    // et toutes celles qui attendent partent. Les huit premières arrivent donc
    // bien avant l'heure (une seule de trop, et le test attendrait une heure).
    for n in 0..8 {
        let line = bob.expect_command("PRIVMSG").await;
        assert_eq!(line.text(), format!("{n} {text}"));
    }
    // Les suivantes peuvent attendre… l'arrêt du serveur, qui les envoie toutes.
    let stopping = tokio::spawn(server.stop());
    let rest: Vec<String> = bob
        .until_closed()
        .await
        .into_iter()
        .filter(|line| line.contains(" PRIVMSG #c :"))
        .collect();
    let expected: Vec<String> = (8..20)
        .map(|n| format!(":alice!alice@127.0.0.1 PRIVMSG #c :{n} {text}"))
        .collect();
    assert_eq!(rest, expected, "rien de perdu, dans l'ordre");
    stopping.await.expect("pas de panique")
}

#[tokio::test]
async fn a_l_arret_chacun_recoit_une_notice_et_error() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, _bob) = pair(server.addr).await?;
    let stopping = tokio::spawn(server.stop());
    let lines = alice.until_closed().await;
    assert_eq!(
        lines,
        [
            ":cours.irc NOTICE alice :*** Le serveur s'arrête. Au revoir !",
            "ERROR :Closing Link: 127.0.0.1 (Server shutting down)",
        ],
        "pas de QUIT des autres : tout le monde part"
    );
    stopping.await.expect("pas de panique")
}
