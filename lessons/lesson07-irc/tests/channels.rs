//! Les salons et les messages, à deux et trois clients : ce que chacun reçoit,
//! mot pour mot, et chaque erreur numérique qu'un client peut provoquer.

mod common;

use std::io;

use common::{Client, start_server, test_config};
use lesson07_irc::Config;

#[tokio::test]
async fn join_privmsg_part_quit_sont_relayes_aux_membres() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    let mut carol = Client::register(server.addr, "carol").await?;
    alice.send("JOIN #cours").await?;
    let echo = alice.expect_command("JOIN").await;
    assert_eq!(echo.raw, ":alice!alice@127.0.0.1 JOIN #cours");
    let names = alice.expect_command("353").await;
    assert_eq!(
        names.params,
        ["alice", "=", "#cours", "@alice"],
        "créateur = @"
    );
    alice.expect_command("366").await;

    bob.join("#cours").await;
    let joined = alice.expect_command("JOIN").await;
    assert!(joined.prefix.starts_with("bob!"));
    carol.join("#cours").await;
    alice.wait_for("JOIN").await;
    bob.wait_for("JOIN").await;

    alice.send("PRIVMSG #cours :bonjour à tous").await?;
    for other in [&mut bob, &mut carol] {
        let message = other.expect_command("PRIVMSG").await;
        assert_eq!(
            message.raw,
            ":alice!alice@127.0.0.1 PRIVMSG #cours :bonjour à tous"
        );
    }
    let seen = alice.sync().await;
    assert!(
        seen.is_empty(),
        "l'expéditeur ne reçoit pas son message : {seen:?}"
    );

    bob.send("PART #cours :à plus").await?;
    for other in [&mut alice, &mut carol, &mut bob] {
        let part = other.expect_command("PART").await;
        assert_eq!(part.params, ["#cours", "à plus"]);
    }
    carol.send("QUIT :fin du cours").await?;
    let quit = alice.expect_command("QUIT").await;
    assert_eq!(quit.raw, ":carol!carol@127.0.0.1 QUIT :Quit: fin du cours");
    let last = carol.until_closed().await;
    assert_eq!(
        last,
        ["ERROR :Closing Link: 127.0.0.1 (Quit: fin du cours)"]
    );
    let seen = bob.sync().await;
    assert!(seen.is_empty(), "bob n'est plus dans le salon : {seen:?}");
    server.stop().await
}

#[tokio::test]
async fn les_messages_prives_et_leurs_erreurs() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.send("PRIVMSG BOB,bob :deux fois").await?;
    for _ in 0..2 {
        let message = bob.expect_command("PRIVMSG").await;
        assert_eq!(
            message.params,
            ["bob", "deux fois"],
            "la casse ne compte pas"
        );
    }
    alice.send("NOTICE bob :une notice").await?;
    assert_eq!(bob.expect_command("NOTICE").await.text(), "une notice");
    alice.send("PRIVMSG personne :allo").await?;
    assert_eq!(alice.expect_command("401").await.params[1], "personne");
    alice.send("PRIVMSG #vide :allo").await?;
    assert_eq!(alice.expect_command("403").await.params[1], "#vide");
    alice.send("PRIVMSG").await?;
    alice.expect_command("411").await;
    alice.send("PRIVMSG bob").await?;
    alice.expect_command("412").await;
    alice.send("PRIVMSG a,b,c,d,e :trop").await?;
    alice.expect_command("407").await;
    // NOTICE ne provoque jamais de réponse, pas même une erreur.
    alice.send("NOTICE personne :allo").await?;
    alice.send("NOTICE").await?;
    assert!(alice.sync().await.is_empty(), "NOTICE ne répond jamais");
    bob.send("AWAY :en pause").await?;
    bob.expect_command("306").await;
    alice.send("PRIVMSG bob :tu es là ?").await?;
    let away = alice.expect_command("301").await;
    assert_eq!(away.params, ["alice", "bob", "en pause"]);
    bob.send("AWAY").await?;
    bob.wait_for("305").await;
    alice.send("FROBNICATE x").await?;
    assert_eq!(alice.expect_command("421").await.params[1], "FROBNICATE");
    server.stop().await
}

#[tokio::test]
async fn un_changement_de_pseudo_est_vu_de_ceux_qui_partagent_un_salon()
-> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    let mut outsider = Client::register(server.addr, "dave").await?;
    alice.join("#cours").await;
    bob.join("#cours").await;
    alice.wait_for("JOIN").await;
    alice.send("NICK alicia").await?;
    for client in [&mut alice, &mut bob] {
        let nick = client.expect_command("NICK").await;
        assert_eq!(nick.raw, ":alice!alice@127.0.0.1 NICK :alicia");
    }
    assert!(
        outsider.sync().await.is_empty(),
        "dave ne partage aucun salon"
    );
    bob.send("NICK alicia").await?;
    bob.expect_command("433").await;
    bob.send("PRIVMSG alicia :coucou").await?;
    assert_eq!(alice.expect_command("PRIVMSG").await.params[0], "alicia");
    alice.send("WHOWAS alice").await?;
    let was = alice.expect_command("314").await;
    assert_eq!(was.params[1], "alice");
    alice.wait_for("369").await;
    server.stop().await
}

#[tokio::test]
async fn le_sujet_et_ses_droits() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.join("#cours").await;
    bob.join("#cours").await;
    alice.wait_for("JOIN").await;
    alice.send("TOPIC #cours").await?;
    alice.expect_command("331").await;
    alice.send("TOPIC #cours :TCP, UDP et IRC").await?;
    for client in [&mut alice, &mut bob] {
        let topic = client.expect_command("TOPIC").await;
        assert_eq!(topic.params, ["#cours", "TCP, UDP et IRC"]);
    }
    // +t par défaut : seul un opérateur change le sujet.
    bob.send("TOPIC #cours :autre chose").await?;
    bob.expect_command("482").await;
    bob.send("TOPIC #cours").await?;
    assert_eq!(bob.expect_command("332").await.text(), "TCP, UDP et IRC");
    assert_eq!(bob.expect_command("333").await.params[2], "alice");
    let mut carol = Client::register(server.addr, "carol").await?;
    carol.send("TOPIC #cours :dehors").await?;
    carol.expect_command("442").await;
    carol.send("JOIN #cours").await?;
    carol.expect_command("JOIN").await;
    assert_eq!(carol.expect_command("332").await.text(), "TCP, UDP et IRC");
    carol.send("TOPIC #nulle-part").await?;
    carol.wait_for("403").await;
    server.stop().await
}

#[tokio::test]
async fn les_modes_du_salon_et_leurs_erreurs() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.join("#cours").await;
    alice.send("MODE #cours").await?;
    assert_eq!(alice.expect_command("324").await.params[2], "+nt");
    alice.expect_command("329").await;
    // Pas de message de l'extérieur (+n).
    bob.send("PRIVMSG #cours :de dehors").await?;
    bob.expect_command("404").await;
    alice.send("MODE #cours +kl secret 2").await?;
    let mode = alice.expect_command("MODE").await;
    assert_eq!(mode.params, ["#cours", "+kl", "secret", "2"]);
    bob.send("JOIN #cours").await?;
    bob.expect_command("475").await;
    bob.send("JOIN #cours mauvaise").await?;
    bob.expect_command("475").await;
    bob.join("#cours secret").await;
    alice.wait_for("JOIN").await;
    let mut carol = Client::register(server.addr, "carol").await?;
    carol.send("JOIN #cours secret").await?;
    carol.expect_command("471").await;
    alice.send("MODE #cours -l+i").await?;
    alice.wait_for("MODE").await;
    carol.send("JOIN #cours secret").await?;
    carol.expect_command("473").await;
    // Un non-opérateur ne change rien ; un mode inconnu est signalé.
    bob.send("MODE #cours -i").await?;
    bob.wait_for("482").await;
    alice.send("MODE #cours +z").await?;
    assert_eq!(alice.expect_command("472").await.params[1], "z");
    alice.send("MODE #cours +o personne").await?;
    alice.expect_command("401").await;
    alice.send("MODE #cours +o carol").await?;
    alice.expect_command("441").await;
    // +m : seuls @ et + parlent.
    alice.send("MODE #cours +m").await?;
    alice.wait_for("MODE").await;
    bob.wait_for("MODE").await;
    bob.send("PRIVMSG #cours :je peux ?").await?;
    bob.expect_command("404").await;
    alice.send("MODE #cours +v bob").await?;
    let voiced = bob.expect_command("MODE").await;
    assert_eq!(voiced.params, ["#cours", "+v", "bob"]);
    alice.wait_for("MODE").await;
    bob.send("PRIVMSG #cours :merci").await?;
    assert_eq!(alice.expect_command("PRIVMSG").await.text(), "merci");
    alice.send("MODE #cours +o bob").await?;
    bob.wait_for("MODE").await;
    bob.send("NAMES #cours").await?;
    let names = bob.expect_command("353").await;
    assert_eq!(names.text(), "@alice @bob", "les deux sont opérateurs");
    server.stop().await
}

#[tokio::test]
async fn invite_kick_et_bannissement() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    let mut carol = Client::register(server.addr, "carol").await?;
    alice.join("#prive").await;
    alice.send("MODE #prive +i").await?;
    alice.wait_for("MODE").await;
    bob.send("JOIN #prive").await?;
    bob.expect_command("473").await;
    alice.send("INVITE bob #prive").await?;
    assert_eq!(
        alice.expect_command("341").await.params,
        ["alice", "bob", "#prive"]
    );
    let invite = bob.expect_command("INVITE").await;
    assert_eq!(invite.params, ["bob", "#prive"]);
    bob.join("#prive").await;
    alice.wait_for("JOIN").await;
    alice.send("INVITE bob #prive").await?;
    alice.expect_command("443").await;
    carol.send("INVITE bob #prive").await?;
    carol.expect_command("442").await;
    bob.send("KICK #prive alice").await?;
    bob.expect_command("482").await;
    carol.send("KICK #prive bob").await?;
    carol.expect_command("442").await;
    alice.send("KICK #prive carol").await?;
    alice.expect_command("441").await;
    alice.send("KICK #prive bob :trop bavard").await?;
    for client in [&mut alice, &mut bob] {
        let kick = client.expect_command("KICK").await;
        assert_eq!(kick.params, ["#prive", "bob", "trop bavard"]);
    }
    bob.send("PRIVMSG #prive :encore là ?").await?;
    bob.expect_command("404").await;
    alice.send("MODE #prive -i+b carol!*@*").await?;
    alice.wait_for("MODE").await;
    carol.send("JOIN #prive").await?;
    carol.expect_command("474").await;
    alice.send("MODE #prive b").await?;
    assert_eq!(alice.expect_command("367").await.params[2], "carol!*@*");
    alice.expect_command("368").await;
    alice.send("KICK #prive").await?;
    alice.expect_command("461").await;
    server.stop().await
}

#[tokio::test]
async fn le_dernier_parti_detruit_le_salon_et_join_0_quitte_tout() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.join("#a,#b").await;
    alice.wait_for("366").await;
    bob.send("LIST").await?;
    bob.expect_command("321").await;
    let mut listed = vec![bob.expect_command("322").await.params[1].clone()];
    listed.push(bob.expect_command("322").await.params[1].clone());
    listed.sort();
    assert_eq!(listed, ["#a", "#b"]);
    bob.expect_command("323").await;
    alice.send("JOIN 0").await?;
    assert_eq!(alice.expect_command("PART").await.params[0], "#a");
    assert_eq!(alice.expect_command("PART").await.params[0], "#b");
    bob.send("LIST").await?;
    bob.expect_command("321").await;
    bob.expect_command("323").await;
    // Recréé, le salon a un nouvel opérateur : bob.
    bob.join("#a").await;
    alice.send("JOIN #a").await?;
    alice.expect_command("JOIN").await;
    assert_eq!(alice.expect_command("353").await.text(), "alice @bob");
    alice.send("PART #zzz").await?;
    alice.wait_for("403").await;
    bob.send("PART #b").await?;
    bob.wait_for("403").await;
    let mut carol = Client::register(server.addr, "carol").await?;
    carol.send("PART #a").await?;
    carol.expect_command("442").await;
    carol.send("JOIN cours").await?;
    assert_eq!(carol.expect_command("403").await.params[1], "cours");
    carol.send(&format!("JOIN #{}", "x".repeat(60))).await?;
    carol.expect_command("476").await;
    carol.send("JOIN #a\x07b").await?;
    carol.expect_command("476").await;
    carol.send("JOIN").await?;
    carol.expect_command("461").await;
    // CHANLIMIT=#:20 : le vingt et unième salon est refusé.
    let twenty: Vec<String> = (0..20).map(|n| format!("#s{n}")).collect();
    carol.send(&format!("JOIN {}", twenty.join(","))).await?;
    for _ in 0..20 {
        carol.wait_for("366").await;
    }
    carol.send("JOIN #de-trop").await?;
    assert_eq!(carol.expect_command("405").await.params[1], "#de-trop");
    server.stop().await
}

#[tokio::test]
async fn who_whois_ison_userhost() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.join("#cours").await;
    bob.join("#cours").await;
    bob.send("WHO #cours").await?;
    let first = bob.expect_command("352").await;
    assert_eq!(
        first.params,
        [
            "bob",
            "#cours",
            "alice",
            "127.0.0.1",
            "cours.irc",
            "alice",
            "H@",
            "0 Vrai alice"
        ]
    );
    assert_eq!(bob.expect_command("352").await.params[5], "bob");
    bob.expect_command("315").await;
    bob.send("WHOIS alice").await?;
    let user = bob.expect_command("311").await;
    assert_eq!(
        user.params,
        ["bob", "alice", "alice", "127.0.0.1", "*", "Vrai alice"]
    );
    assert_eq!(bob.expect_command("319").await.text(), "@#cours");
    bob.expect_command("312").await;
    bob.expect_command("317").await;
    bob.expect_command("318").await;
    bob.send("WHOIS personne").await?;
    bob.expect_command("401").await;
    bob.expect_command("318").await;
    // +i : invisible d'un WHO à jokers pour qui ne partage aucun salon.
    let mut carol = Client::register(server.addr, "carol").await?;
    alice.send("MODE alice +i").await?;
    assert_eq!(alice.wait_for("MODE").await.text(), "+i");
    carol.send("WHO al*").await?;
    carol.expect_command("315").await;
    carol.send("WHO alice").await?;
    carol.expect_command("352").await;
    carol.expect_command("315").await;
    carol.send("MODE alice -i").await?;
    carol.expect_command("502").await;
    carol.send("MODE carol +x").await?;
    carol.expect_command("501").await;
    carol.send("ISON alice personne bob").await?;
    assert_eq!(carol.expect_command("303").await.text(), "alice bob");
    carol.send("USERHOST bob").await?;
    assert_eq!(
        carol.expect_command("302").await.text(),
        "bob=+bob@127.0.0.1"
    );
    carol.send("VERSION").await?;
    assert!(carol.expect_command("351").await.params[1].starts_with("lesson07-irc"));
    carol.send("TIME").await?;
    carol.expect_command("391").await;
    carol.send("LUSERS").await?;
    assert!(carol.expect_command("251").await.text().contains("3 users"));
    server.stop().await
}

#[tokio::test]
async fn oper_et_kill() -> io::Result<()> {
    let config = Config {
        oper: Some(("prof".into(), "tableau".into())),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    let mut carol = Client::register(server.addr, "carol").await?;
    bob.join("#cours").await;
    carol.join("#cours").await;
    bob.wait_for("JOIN").await;
    alice.send("KILL bob :dehors").await?;
    alice.expect_command("481").await;
    alice.send("OPER prof").await?;
    alice.expect_command("461").await;
    alice.send("OPER prof tableau").await?;
    alice.expect_command("381").await;
    assert_eq!(alice.expect_command("MODE").await.text(), "+o");
    alice.send("KILL personne :x").await?;
    alice.expect_command("401").await;
    alice.send("KILL bob :trop de bruit").await?;
    let quit = carol.expect_command("QUIT").await;
    assert!(quit.prefix.starts_with("bob!"));
    assert_eq!(quit.text(), "Killed (alice (trop de bruit))");
    let lines = bob.until_closed().await;
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("ERROR :Closing Link")),
        "bob reçoit ERROR : {lines:?}"
    );
    carol.send("WHOIS alice").await?;
    carol.wait_for("313").await;
    server.stop().await
}

#[tokio::test]
async fn un_mauvais_mot_de_passe_oper_ralentit_la_connexion() -> io::Result<()> {
    let config = Config {
        oper: Some(("prof".into(), "tableau".into())),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    // Premier échec : 464, puis la connexion n'est plus lue une seconde. Le PING
    // envoyé aussitôt attend : son PONG arrive après la pénalité.
    alice.send("OPER prof craie").await?;
    alice.expect_command("464").await;
    alice.send("PING :apres").await?;
    assert_eq!(alice.expect_command("PONG").await.text(), "apres");
    let unconfigured = start_server(test_config()).await?;
    let mut bob = Client::register(unconfigured.addr, "bob").await?;
    bob.send("OPER prof tableau").await?;
    bob.expect_command("491").await;
    unconfigured.stop().await?;
    server.stop().await
}

/// Cinq échecs depuis la même adresse, chacun sur sa connexion (en ouvrir d'autres ne
/// contourne pas la règle) : `OPER` y est bloqué, même avec le bon mot de passe, qui
/// n'est alors même pas regardé.
#[tokio::test]
async fn cinq_echecs_oper_bloquent_l_adresse_meme_pour_le_bon_mot_de_passe()
-> io::Result<()> {
    let config = Config {
        oper: Some(("prof".into(), "tableau".into())),
        ..test_config()
    };
    let server = start_server(config).await?;
    for attempt in 0..5 {
        let mut guesser =
            Client::register(server.addr, &format!("essai{attempt}")).await?;
        guesser.send("OPER prof craie").await?;
        guesser.expect_command("464").await;
    }
    let mut alice = Client::register(server.addr, "alice").await?;
    alice.send("OPER prof tableau").await?;
    let notice = alice.expect_command("NOTICE").await;
    assert!(
        notice.text().contains("OPER est bloqué"),
        "{:?}",
        notice.raw
    );
    alice.expect_command("464").await;
    // Le bon mot de passe n'a pas fait d'alice une opératrice : KILL lui est refusé.
    alice.send("KILL essai0 :essai").await?;
    alice.expect_command("481").await;
    server.stop().await
}
