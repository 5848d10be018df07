//! Tests de robustesse : ce qu'un étudiant facétieux peut faire au serveur. Pour
//! chacun, le fautif reçoit une réponse claire ou perd SA connexion, et les autres
//! continuent.

mod common;

use std::io;
use std::time::{Duration, Instant};

use common::{Chat, Client, TIMEOUT, start_server, test_config};
use lesson05_chat::Config;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn une_ligne_trop_longue_est_refusee_et_la_connexion_continue() -> io::Result<()>
{
    let server = start_server(Config {
        max_line: 64,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    let too_long = "*** Ligne trop longue (plus de 64 octets) : ignorée.";
    alice.send(&"x".repeat(65)).await?;
    alice.expect(too_long).await;
    // 1 Mio sans aucun `\n` : le serveur jette au fur et à mesure, sa mémoire reste
    // bornée.
    for _ in 0..16 {
        alice.send_raw(&[b'y'; 64 * 1024]).await?;
    }
    alice.send_raw(b"\n").await?;
    alice.expect(too_long).await; // signalée une seule fois
    let exactly = "z".repeat(64);
    alice.send(&exactly).await?;
    bob.expect(&format!("alice: {exactly}")).await;
    Ok(())
}

#[tokio::test]
async fn l_utf8_invalide_donne_une_erreur_et_la_connexion_continue() -> io::Result<()>
{
    let server = start_server(test_config()).await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let invalid =
        "*** Ligne ignorée : pas de l'UTF-8 valide (réglez votre terminal en UTF-8).";

    let mut alice = Client::greeted(server.addr).await?;
    alice.send_raw(b"al\xe9\n").await?; // « é » en Latin-1, pas en UTF-8
    alice.expect(invalid).await;
    alice.send("alice").await?;
    alice.skip_until(|l| l.starts_with("*** Bienvenue")).await?;
    bob.expect("*** alice a rejoint le salon.").await;

    alice.send_raw(b"\xff\xfe\xfd\n").await?;
    alice.expect(invalid).await;
    alice.send("toujours là, même en été").await?;
    bob.expect("alice: toujours là, même en été").await;
    Ok(())
}

#[tokio::test]
async fn les_caracteres_de_controle_sont_neutralises() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice
        .send_raw(
            "\x1b[2J\x1b[31mrouge\x07 a\0b c\rbob: faux \u{202E}abc\tfin\n"
                .as_bytes(),
        )
        .await?;
    // La tabulation devient une espace, comme toute suite de blancs (voir
    // `protocol::clean`).
    bob.expect("alice: �[2J�[31mrouge� a�b c�bob: faux �abc fin")
        .await;
    alice
        .send("\u{2066}isolé\u{2069} \u{200F}rtl \u{2028}ligne\u{2029} \u{061C}arabe")
        .await?;
    bob.expect("alice: �isolé� �rtl �ligne� �arabe").await;
    Ok(())
}

#[tokio::test]
async fn personne_ne_peut_se_faire_passer_pour_un_autre_ou_pour_le_serveur()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    for fake in [
        "*** bob a quitté le salon.",
        "bob: je donne mon mot de passe",
        "[privé] bob: psst",
        "[il y a 2 min] bob: ancien",
    ] {
        alice.send(fake).await?;
        // Le serveur écrit lui-même le pseudo de l'expéditeur devant le texte.
        bob.expect(&format!("alice: {fake}")).await;
    }
    alice.send("/nick ***").await?;
    let refusal = alice.line().await?;
    assert!(refusal.starts_with("*** Pseudo refusé"), "{refusal}");
    alice.send("/nick bob").await?;
    let refusal = alice.line().await?;
    assert!(refusal.contains("déjà pris"), "{refusal}");
    Ok(())
}

#[tokio::test]
async fn octet_par_octet_plusieurs_lignes_par_paquet_crlf_et_lignes_vides()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut alice = Client::greeted(server.addr).await?;
    // Le pseudo arrive un octet à la fois (TCP_NODELAY : un segment par write).
    for byte in b"alice\r\n" {
        alice.send_raw(&[*byte]).await?;
    }
    alice.skip_until(|l| l.starts_with("*** Bienvenue")).await?;
    bob.expect("*** alice a rejoint le salon.").await;

    alice.send_raw(b"un\r\n\r\n\n   \ndeux\nt").await?; // plusieurs lignes, vides, coupées
    alice.send_raw(b"ro").await?;
    alice.send_raw(b"is\r\n").await?;
    for text in ["alice: un", "alice: deux", "alice: trois"] {
        bob.expect(text).await;
    }
    bob.send("repère").await?;
    alice.expect("bob: repère").await; // aucune réponse aux lignes vides
    Ok(())
}

#[tokio::test]
async fn apres_quit_le_reste_du_paquet_est_ignore() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice
        .send_raw(b"avant\n/quit\napres\n/nick pirate\n")
        .await?;
    bob.expect("alice: avant").await;
    bob.expect("*** alice a quitté le salon.").await;
    assert_eq!(alice.until_closed().await, ["*** Au revoir, alice !"]);
    let mut carol = Client::join(server.addr, "carol").await?;
    carol.send("repère").await?;
    bob.expect("*** carol a rejoint le salon.").await; // ni « apres » ni « pirate »
    bob.expect("carol: repère").await;
    Ok(())
}

#[tokio::test]
async fn une_deconnexion_brutale_previent_les_autres_une_seule_fois() -> io::Result<()>
{
    let server = start_server(test_config()).await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let alice = Client::join(server.addr, "alice").await?;
    bob.expect("*** alice a rejoint le salon.").await;

    // SO_LINGER à 0 : la fermeture envoie un RST au lieu du FIN poli.
    socket2::SockRef::from(alice.writer.as_ref()).set_linger(Some(Duration::ZERO))?;
    drop(alice);
    bob.expect("*** alice s'est déconnecté(e).").await;
    let _carol = Client::join(server.addr, "carol").await?;
    bob.expect("*** carol a rejoint le salon.").await; // pas de second avis de départ
    bob.send("/who").await?;
    bob.expect("*** Connectés (2) : bob, carol").await;
    Ok(())
}

#[tokio::test]
async fn une_connexion_a_moitie_fermee_est_nettoyee() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    bob.expect("*** alice a rejoint le salon.").await;

    // alice ferme son sens d'envoi (FIN) mais continue d'écouter.
    alice.writer.shutdown().await?;
    bob.expect("*** alice s'est déconnecté(e).").await;
    assert!(
        alice.until_closed().await.is_empty(),
        "le serveur ferme à son tour, sans rien envoyer d'autre"
    );
    bob.send("/who").await?;
    bob.expect("*** Connectés (1) : bob").await;
    Ok(())
}

#[tokio::test]
async fn une_connexion_muette_est_fermee_apres_le_delai_d_inscription()
-> io::Result<()> {
    let server = start_server(Config {
        register_timeout: Duration::from_millis(200),
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut silent = Client::greeted(server.addr).await?;
    // `until_closed` échoue si la connexion reste ouverte plus de TIMEOUT sans rien
    // envoyer : on vérifie que le serveur ferme, pas en combien de temps.
    assert_eq!(
        silent.until_closed().await,
        ["*** Délai dépassé : aucun pseudo reçu en 200 ms. Au revoir."]
    );
    // Le délai ne concerne que l'inscription : alice, inscrite, parle toujours.
    alice.send("/who").await?;
    alice.expect("*** Connectés (1) : alice").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deux_inscriptions_simultanees_du_meme_pseudo_une_seule_reussit()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(Client::greeted(server.addr).await?);
    }
    // Tous envoient « alice » au même moment, chacun dans sa tâche.
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                client.send("alice").await?;
                let answer = client.line().await?;
                // On garde la connexion ouverte : si le gagnant partait, son pseudo
                // se libérerait pour un retardataire.
                io::Result::Ok((answer, client))
            })
        })
        .collect();
    let mut welcomed = 0;
    let mut still_open = Vec::new();
    for task in tasks {
        let (answer, client) = task.await.expect("tâche de test")?;
        still_open.push(client);
        if answer.starts_with("*** Bienvenue, alice !") {
            welcomed += 1;
        } else {
            assert!(
                answer.contains("déjà pris"),
                "réponse inattendue : {answer}"
            );
        }
    }
    assert_eq!(welcomed, 1, "exactement un client doit obtenir le pseudo");
    Ok(())
}

#[tokio::test]
async fn au_dela_de_max_clients_le_nouveau_venu_est_refuse() -> io::Result<()> {
    let server = start_server(Config {
        max_clients: 2,
        ..test_config()
    })
    .await?;
    let unregistered = Client::greeted(server.addr).await?; // compte aussi
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut third = Client::connect(server.addr).await?;
    assert_eq!(
        third.until_closed().await,
        ["*** Serveur complet (2 connexions au maximum) : réessayez plus tard."]
    );
    bob.send("/who").await?;
    bob.expect("*** Connectés (1) : bob").await; // le serveur sert toujours les autres

    // Une place se libère quand une connexion se ferme.
    drop(unregistered);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let mut next = Client::connect(server.addr).await?;
        if next
            .line()
            .await?
            .starts_with("*** Salon « Réseau en Rust »")
        {
            break;
        }
        assert!(Instant::now() < deadline, "la place n'a jamais été libérée");
        tokio::time::sleep(Duration::from_millis(20)).await; // nouvel essai
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn un_client_qui_ne_lit_plus_est_deconnecte_sans_ralentir_les_autres()
-> io::Result<()> {
    // Les limites par défaut : bob, qui lit, ne doit jamais les atteindre.
    let server = start_server(test_config()).await?;
    let mut deaf = Client::connect_small_buffer(server.addr).await?;
    deaf.read_prompt().await?;
    deaf.send("sourd").await?; // puis il ne lit plus rien
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    bob.expect("*** alice a rejoint le salon.").await;

    // alice inonde le salon (2 Mo) pendant que bob lit tout : la file du sourd
    // dépasse la limite dure (1 Mio), lui seul est déconnecté. (Des lignes de
    // moins de 80 colonnes : chacune arrive sur une seule ligne.)
    let payload = "x".repeat(60);
    let flood = tokio::spawn(async move {
        for number in 0..30_000 {
            if alice.send(&format!("{number} {payload}")).await.is_err() {
                break;
            }
        }
        alice
    });
    let mut expected = 0;
    loop {
        let line = bob.line().await?;
        if line == "*** sourd ne lisait plus ses messages : déconnecté(e)." {
            break;
        }
        let number = line
            .strip_prefix("alice: ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<u32>().ok());
        assert_eq!(
            number,
            Some(expected),
            "bob doit tout recevoir, dans l'ordre"
        );
        expected += 1;
        assert!(expected < 30_000, "le sourd aurait dû être déconnecté");
    }
    let alice = flood.await.expect("tâche d'envoi");
    drop(alice);
    // Le sourd est bien déconnecté : après ce qui restait dans les tampons, la fin.
    deaf.until_closed().await;
    Ok(())
}

#[tokio::test]
async fn l_arret_previent_chaque_client_meme_ceux_qui_ne_lisent_pas() -> io::Result<()>
{
    let server = start_server(Config { ..test_config() }).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut waiting = Client::greeted(server.addr).await?; // pas encore inscrit
    let mut deaf = Client::connect_small_buffer(server.addr).await?;
    deaf.read_prompt().await?;
    deaf.send("sourd").await?;
    alice.expect("*** sourd a rejoint le salon.").await;
    // Assez de lignes pour remplir les tampons du sourd, qui ne lit plus.
    let big = "y".repeat(1000);
    for _ in 0..300 {
        alice.send(&big).await?;
    }
    alice.send("/who").await?;
    alice.expect("*** Connectés (2) : alice, sourd").await;

    // `stop` échoue si le serveur ne rend pas la main dans les délais : il ne doit
    // pas attendre indéfiniment un client qui ne lit pas.
    server.stop().await?;
    let goodbye = "*** Le serveur s'arrête. Au revoir !";
    assert_eq!(alice.until_closed().await, [goodbye]);
    assert_eq!(waiting.until_closed().await, [goodbye]);
    drop(deaf);
    Ok(())
}

#[tokio::test]
async fn le_serveur_sert_les_clients_ipv6_sur_une_ecoute_double_pile()
-> io::Result<()> {
    let listener = match lesson05_chat::listen("[::]:0".parse().unwrap()) {
        Ok(listener) => listener,
        Err(_) => return Ok(()), // pas d'IPv6 sur cette machine
    };
    let port = listener.local_addr()?.port();
    tokio::spawn(lesson05_chat::serve(
        listener,
        test_config(),
        std::future::pending(),
    ));
    let mut alice =
        Client::join(format!("127.0.0.1:{port}").parse().unwrap(), "alice").await?;
    let Ok(mut bob) =
        Client::join(format!("[::1]:{port}").parse().unwrap(), "bob").await
    else {
        return Ok(()); // boucle locale IPv6 absente
    };
    alice.expect("*** bob a rejoint le salon.").await;
    bob.send("en IPv6").await?;
    alice.expect("bob: en IPv6").await;
    Ok(())
}

#[tokio::test]
async fn rejouer_un_gros_historique_ne_bloque_personne() -> io::Result<()> {
    let server = start_server(Config {
        history_len: 500,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;
    let line = "h".repeat(70);
    for _ in 0..500 {
        alice.send(&line).await?; // 40 Ko d'historique
    }
    for _ in 0..500 {
        bob.expect(&format!("alice: {line}")).await;
    }

    // Un nouveau venu aux tampons minuscules reçoit la bienvenue… et ne lit plus
    // rien.
    let mut newcomer = Client::connect_small_buffer(server.addr).await?;
    newcomer.read_prompt().await?;
    newcomer.send("lent").await?;
    let welcome = newcomer.line().await?;
    assert!(welcome.starts_with("*** Bienvenue, lent !"), "{welcome}");
    bob.expect("*** lent a rejoint le salon.").await;
    // La discussion continue sans attendre qu'il ait tout lu.
    alice.send("on continue").await?;
    bob.expect("alice: on continue").await;
    bob.send("/who").await?;
    bob.expect("*** Connectés (3) : alice, bob, lent").await;
    Ok(())
}

#[tokio::test]
async fn un_envoi_interrompu_par_quit_n_est_ni_tronque_ni_colle_a_l_au_revoir()
-> io::Result<()> {
    let server = start_server(Config {
        history_len: 2000,
        shutdown_grace: TIMEOUT / 2,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    // Chaque caractère de contrôle devient « � » (3 octets, 1 colonne) : chaque
    // message tient sur une ligne de 80 colonnes, mais pèse près de 200 octets.
    let line = "\x01".repeat(50);
    for _ in 0..2000 {
        alice.send(&line).await?;
    }
    alice.send("/who").await?;
    alice.expect("*** Connectés (1) : alice").await; // les 2000 lignes sont traitées

    // Le retardataire reçoit le début de l'historique, redemande six fois
    // l'historique (plus que ce que les tampons du noyau absorbent), puis tape
    // /quit pendant que le serveur est encore en train de lui envoyer tout cela.
    let mut late = Client::connect_small_buffer(server.addr).await?;
    late.read_prompt().await?;
    late.send("tardif").await?;
    let welcome = late.line().await?;
    assert!(welcome.starts_with("*** Bienvenue, tardif !"), "{welcome}");
    late.send_raw("/history\n".repeat(6).as_bytes()).await?;
    late.send("/quit").await?;
    let received = late.until_closed().await;

    let text = format!("] alice: {}", "\u{FFFD}".repeat(50));
    let (last, replies) = received.split_last().expect("au moins l'au revoir");
    assert_eq!(
        last, "*** Au revoir, tardif !",
        "l'au revoir arrive seul sur sa ligne, après tous les historiques"
    );
    let mut blocks = 0;
    let mut rest = replies;
    while let Some((header, after)) = rest.split_first() {
        let count: usize = header
            .strip_prefix("*** Derniers messages publics (")
            .and_then(|h| h.strip_suffix(") :"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("en-tête attendu, reçu : {header:?}"));
        assert!(
            count > 50,
            "un historique rejoué contient des dizaines de messages"
        );
        let (entries, after) = after.split_at(count);
        assert!(
            entries
                .iter()
                .all(|line| line.starts_with("[il y a ") && line.ends_with(&text)),
            "aucune ligne d'historique n'est tronquée ni collée"
        );
        blocks += 1;
        rest = after;
    }
    assert_eq!(blocks, 7, "l'historique d'accueil puis les six /history");
    Ok(())
}

#[tokio::test]
async fn history_en_boucle_sans_lire_est_deconnecte_avant_de_remplir_la_memoire()
-> io::Result<()> {
    // 100 messages gardés ; une socket engorgée 300 ms au-delà de la limite douce
    // suffit.
    let server = start_server(Config {
        backed_up_timeout: Duration::from_millis(300),
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let line = "h".repeat(300);
    for _ in 0..100 {
        alice.send(&line).await?;
    }
    alice.send("/who").await?;
    alice.expect("*** Connectés (1) : alice").await; // l'historique est plein

    // Chaque /history coûte 9 octets au client et 32 Kio au serveur. Le serveur cesse
    // de lire le glouton dès que sa file dépasse la limite douce (64 Kio) : les
    // 300 demandes ne lui coûtent jamais 10 Mio. Et sa socket reste engorgée : il
    // est déconnecté.
    let mut greedy = Client::connect_small_buffer(server.addr).await?;
    greedy.read_prompt().await?;
    greedy.send("glouton").await?;
    alice.expect("*** glouton a rejoint le salon.").await;
    greedy.send_raw("/history\n".repeat(300).as_bytes()).await?;
    alice
        .expect("*** glouton ne lisait plus ses messages : déconnecté(e).")
        .await;
    alice.send("/who").await?;
    alice.expect("*** Connectés (1) : alice").await;
    Ok(())
}
