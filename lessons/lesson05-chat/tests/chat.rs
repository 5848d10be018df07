//! Tests du salon : les fonctions du protocole, sur de vraies sockets TCP (127.0.0.1,
//! port 0), avec le serveur lancé dans le même processus.
//!
//! Pour vérifier qu'un client n'a PAS reçu quelque chose sans attendre « assez
//! longtemps », on envoie ensuite un repère qu'il doit recevoir : si la ligne
//! suivante est le repère, rien ne s'est glissé avant.

mod common;

use std::io;

use common::{Chat, Client, TempFile, start_server, test_config};
use lesson05_chat::{ChatServer, Config};

/// Vérifie une ligne d'historique `[il y a … s] alice: texte` (l'âge dépend de
/// l'horloge).
fn assert_history_line(line: &str, expected: &str) {
    assert!(
        line.starts_with("[il y a ") && line.ends_with(&format!("] {expected}")),
        "ligne d'historique attendue pour {expected:?}, reçu : {line:?}"
    );
}

#[tokio::test]
async fn deux_clients_discutent() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let (mut alice, welcome) =
        Client::join_with_welcome(server.addr, "alice").await?;
    assert!(welcome.contains("1 personne dans le salon"), "{welcome}");
    let (mut bob, welcome) = Client::join_with_welcome(server.addr, "bob").await?;
    assert!(welcome.contains("2 personnes dans le salon"), "{welcome}");
    alice.expect("*** bob a rejoint le salon.").await;

    alice.send("bonjour bob").await?;
    bob.expect("alice: bonjour bob").await;
    bob.send("salut alice, ça va ?").await?;
    // La ligne suivante d'alice est celle de bob : elle n'a pas reçu son propre
    // message.
    alice.expect("bob: salut alice, ça va ?").await;
    Ok(())
}

#[tokio::test]
async fn le_message_prive_n_atteint_que_sa_cible() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut carol = Client::join(server.addr, "carol").await?;
    alice.skip_until(|l| l.contains("carol a rejoint")).await?;
    bob.skip_until(|l| l.contains("carol a rejoint")).await?;

    alice.send("/msg bob le code est 1234").await?;
    bob.expect("[privé] alice: le code est 1234").await;
    alice.send("/MSG Bob sans majuscules").await?;
    bob.expect("[privé] alice: sans majuscules").await;
    alice.send("repère public").await?;
    carol.expect("alice: repère public").await; // rien de privé avant le repère
    bob.expect("alice: repère public").await;

    alice.send("/msg zoe tu es là ?").await?;
    alice
        .expect("*** Personne ne s'appelle « zoe » ici. /who donne la liste.")
        .await;

    carol.send("/history").await?;
    carol.expect("*** Derniers messages publics (1) :").await;
    assert_history_line(&carol.line().await?, "alice: repère public");
    Ok(())
}

#[tokio::test]
async fn who_liste_les_connectes_par_ordre_alphabetique() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut zoe = Client::join(server.addr, "zoe").await?;
    let _alice = Client::join(server.addr, "Alice").await?;
    let _bob = Client::join(server.addr, "bob").await?;
    zoe.skip_until(|l| l.contains("bob a rejoint")).await?;
    zoe.send("/who").await?;
    zoe.expect("*** Connectés (3) : Alice, bob, zoe").await;
    Ok(())
}

#[tokio::test]
async fn un_pseudo_deja_pris_est_refuse_sans_tenir_compte_de_la_casse()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let _alice = Client::join(server.addr, "alice").await?;
    let mut other = Client::greeted(server.addr).await?;
    other.send("ALICE").await?;
    other
        .expect("*** Le pseudo ALICE est déjà pris : choisissez-en un autre.")
        .await;
    other.read_prompt().await?; // la question est reposée, sur la même connexion
    other.send("alice2").await?;
    let welcome = other.line().await?;
    assert!(
        welcome.starts_with("*** Bienvenue, alice2 !"),
        "un pseudo libre doit être accepté ensuite : {welcome}"
    );
    Ok(())
}

#[tokio::test]
async fn un_pseudo_invalide_est_refuse_et_redemande() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut client = Client::greeted(server.addr).await?;
    for (nick, reason) in [
        ("élodie", "« é » est interdit"),
        ("jean paul", "un pseudo ne contient pas d'espace"),
        ("abcdefghijklmnopq", "le pseudo dépasse 16 caractères"),
        ("аlice", "« а » est interdit"), // « а » cyrillique
    ] {
        client.send(nick).await?;
        let refusal = client.line().await?;
        assert!(
            refusal.starts_with("*** Pseudo refusé : ") && refusal.contains(reason),
            "{nick:?} doit être refusé ({reason}), reçu : {refusal}"
        );
        client.read_prompt().await?;
    }
    client.send("").await?; // une ligne vide est ignorée, sans réponse
    client.send("elodie").await?;
    let welcome = client.line().await?;
    assert!(welcome.starts_with("*** Bienvenue, elodie !"), "{welcome}");
    Ok(())
}

#[tokio::test]
async fn nick_renomme_et_previent_tout_le_monde() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice.send("/nick alicia").await?;
    alice.expect("*** alice s'appelle désormais alicia.").await;
    bob.expect("*** alice s'appelle désormais alicia.").await;
    bob.send("/msg alicia coucou").await?;
    alice.expect("[privé] bob: coucou").await;

    bob.send("/nick ALICIA").await?;
    bob.expect("*** Le pseudo ALICIA est déjà pris : choisissez-en un autre.")
        .await;
    bob.send("/nick bob!").await?;
    let refusal = bob.line().await?;
    assert!(refusal.starts_with("*** Pseudo refusé"), "{refusal}");
    alice.send("/nick Alicia").await?; // changer de casse n'est pas une collision
    bob.expect("*** alicia s'appelle désormais Alicia.").await;
    Ok(())
}

#[tokio::test]
async fn l_historique_est_rejoue_au_nouveau_venu() -> io::Result<()> {
    let server = start_server(Config {
        history_len: 2,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    for text in ["un", "deux", "trois"] {
        alice.send(text).await?;
    }
    // La réponse à /history prouve que les trois messages ont été traités.
    alice.send("/history 1").await?;
    alice.expect("*** Derniers messages publics (1) :").await;
    assert_history_line(&alice.line().await?, "alice: trois");

    let (mut bob, _) = Client::join_with_welcome(server.addr, "bob").await?;
    bob.expect("*** Derniers messages publics (2) :").await;
    assert_history_line(&bob.line().await?, "alice: deux");
    assert_history_line(&bob.line().await?, "alice: trois");
    // Les autres sont prévenus APRÈS que l'historique a été rejoué.
    alice.expect("*** bob a rejoint le salon.").await;
    alice.send("quatre").await?;
    bob.expect("alice: quatre").await;
    Ok(())
}

#[tokio::test]
async fn l_historique_survit_au_redemarrage_avec_history_file() -> io::Result<()> {
    let file = TempFile::new("redemarrage");
    let config = Config {
        history_file: Some(file.0.clone()),
        ..test_config()
    };
    let server = start_server(config.clone()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    alice.send("avant le redémarrage").await?;
    alice.send("/history").await?;
    alice
        .skip_until(|l| l.ends_with("avant le redémarrage"))
        .await?;
    server.stop().await?;

    let saved = std::fs::read_to_string(&file.0)?;
    assert!(
        saved.starts_with('{') && saved.contains("\"from\":\"alice\""),
        "une ligne JSON par message : {saved}"
    );

    let server = start_server(config).await?;
    let (mut bob, _) = Client::join_with_welcome(server.addr, "bob").await?;
    bob.expect("*** Derniers messages publics (1) :").await;
    assert_history_line(&bob.line().await?, "alice: avant le redémarrage");
    Ok(())
}

#[tokio::test]
async fn un_fichier_d_historique_corrompu_est_ignore_ligne_par_ligne()
-> io::Result<()> {
    let file = TempFile::new("corrompu");
    std::fs::write(
        &file.0,
        concat!(
            "{\"time\":1,\"from\":\"alice\",\"text\":\"valide\"}\n",
            "\u{0}\u{0}des octets au hasard\n",
            "{\"time\":2,\"from\":\"bob\",\"text\":\"coupé en plein mil"
        ),
    )?;
    let config = Config {
        history_file: Some(file.0.clone()),
        ..test_config()
    };
    let server = start_server(config.clone()).await?;
    let (mut carol, _) = Client::join_with_welcome(server.addr, "carol").await?;
    carol.expect("*** Derniers messages publics (1) :").await;
    assert_history_line(&carol.line().await?, "alice: valide");
    carol.send("après la panne").await?;
    carol.send("/history").await?;
    carol.skip_until(|l| l.ends_with("après la panne")).await?;
    server.stop().await?;

    // Le nouveau message n'a pas été collé à la ligne tronquée : il se relit.
    let server = start_server(config).await?;
    let (mut dave, _) = Client::join_with_welcome(server.addr, "dave").await?;
    dave.expect("*** Derniers messages publics (2) :").await;
    assert_history_line(&dave.line().await?, "alice: valide");
    assert_history_line(&dave.line().await?, "carol: après la panne");
    Ok(())
}

#[tokio::test]
async fn un_fichier_d_historique_inaccessible_empeche_de_demarrer() {
    let config = Config {
        history_file: Some(
            std::env::temp_dir().join("lesson05-absent/sous-dossier/h.jsonl"),
        ),
        ..test_config()
    };
    assert!(
        ChatServer::new(config).is_err(),
        "un fichier impossible à créer doit être une erreur au démarrage"
    );
}

#[tokio::test]
async fn help_et_commande_inconnue_ne_repondent_qu_a_l_auteur() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice.send("/help").await?;
    let first = alice.line().await?;
    assert!(first.starts_with("*** Commandes"), "{first}");
    let help = [first, alice.skip_until(|l| l.contains("//texte")).await?];
    assert!(help.iter().all(|l| l.starts_with("***")), "{help:?}");

    alice.send("/danse du ventre").await?;
    alice
        .expect("*** Commande inconnue : /danse. Tapez /help pour la liste.")
        .await;
    alice.send("/msg bob").await?;
    alice.expect("*** Utilisation : /msg PSEUDO TEXTE").await;
    alice.send("//danse").await?;
    bob.expect("alice: /danse").await; // rien d'autre n'a atteint bob
    Ok(())
}

#[tokio::test]
async fn quit_avec_raison_previent_les_autres() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice.send("/quit à demain").await?;
    assert_eq!(
        alice.until_closed().await,
        ["*** Au revoir, alice !"],
        "alice reçoit un au revoir, puis la connexion se ferme"
    );
    bob.expect("*** alice a quitté le salon (à demain).").await;
    bob.send("/who").await?;
    bob.expect("*** Connectés (1) : bob").await;
    Ok(())
}

#[tokio::test]
async fn exit_seul_sur_sa_ligne_quitte_comme_dans_le_document_02() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    alice.send("exit pas encore").await?; // pas seul sur sa ligne : un message ordinaire
    bob.expect("alice: exit pas encore").await;
    alice.send("exit").await?;
    assert_eq!(alice.until_closed().await, ["*** Au revoir, alice !"]);
    bob.expect("*** alice a quitté le salon.").await;
    Ok(())
}

#[tokio::test]
async fn oper_et_kill() -> io::Result<()> {
    let server = start_server(Config {
        oper_password: Some("sésame".into()),
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut carol = Client::join(server.addr, "carol").await?;
    alice.skip_until(|l| l.contains("carol a rejoint")).await?;
    bob.skip_until(|l| l.contains("carol a rejoint")).await?;

    let refused =
        "*** Permission refusée : /kill est réservé aux opérateurs (voir /oper).";
    bob.send("/kill alice").await?;
    bob.expect(refused).await;
    bob.send("/oper Sésame").await?;
    bob.expect("*** Mot de passe incorrect. Prochain essai possible dans 1 s.")
        .await;
    bob.send("/kill alice").await?;
    bob.expect(refused).await;

    bob.send("/oper sésame").await?;
    bob.expect("*** Vous êtes maintenant opérateur : /kill est à votre disposition.")
        .await;
    bob.send("/kill alice trop de spam").await?;
    let told = alice.until_closed().await;
    assert_eq!(
        told,
        ["*** Vous avez été expulsé(e) par bob : trop de spam."],
        "la cible apprend pourquoi, puis est déconnectée"
    );
    let notice = "*** alice a été expulsé(e) par bob (trop de spam).";
    bob.expect(notice).await;
    carol.expect(notice).await;
    bob.send("repère").await?;
    carol.expect("bob: repère").await; // prévenue une seule fois
    Ok(())
}

#[tokio::test]
async fn sans_mot_de_passe_configure_oper_et_kill_sont_refuses() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let _bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;
    alice.send("/oper ").await?;
    alice.expect("*** Utilisation : /oper MOT_DE_PASSE").await;
    alice.send("/oper devine").await?;
    alice
        .expect("*** Pas de mot de passe d'opérateur sur ce serveur : /oper et /kill désactivés.")
        .await;
    alice.send("/kill bob").await?;
    let refusal = alice.line().await?;
    assert!(refusal.starts_with("*** Permission refusée"), "{refusal}");
    Ok(())
}

#[tokio::test]
async fn la_limite_de_debit_ralentit_sans_rien_perdre() -> io::Result<()> {
    let server = start_server(Config {
        max_rate: 3,
        ..test_config()
    })
    .await?;
    let mut alice = Client::join(server.addr, "alice").await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    alice.expect("*** bob a rejoint le salon.").await;

    // Une rafale de 7 lignes dans un seul paquet, une commande inconnue au milieu :
    // elles coûtent toutes un jeton. Les 3 premières passent, les autres
    // attendent leur tour (un tiers de seconde chacune), aucune n'est perdue et
    // l'ordre est gardé.
    alice.send_raw(b"1\n2\n3\n4\n/danse\n5\n6\n").await?;
    for text in [
        "alice: 1", "alice: 2", "alice: 3", "alice: 4", "alice: 5", "alice: 6",
    ] {
        bob.expect(text).await;
    }
    // alice est prévenue une seule fois, et reçoit la réponse à sa commande inconnue.
    alice
        .expect("*** Doucement ! Au plus 3 lignes par seconde : la suite attend son tour.")
        .await;
    alice
        .expect("*** Commande inconnue : /danse. Tapez /help pour la liste.")
        .await;
    bob.send("repère").await?;
    alice.expect("bob: repère").await;
    Ok(())
}
