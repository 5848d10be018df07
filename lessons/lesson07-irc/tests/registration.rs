//! L'inscription (`CAP`, `PASS`, `NICK`, `USER`, `001`–`005`), le `PING` dans les
//! deux sens et les délais : sur de vraies sockets, contre un serveur lancé dans le
//! test.

mod common;

use std::io;
use std::time::Duration;

use common::{Client, start_server, test_config};
use lesson07_irc::Config;

#[tokio::test]
async fn l_inscription_envoie_001_a_005_puis_lusers_et_422() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut client = Client::connect(server.addr).await?;
    client.send("NICK alice").await?;
    client.send("USER alice 0 * :Alice Martin").await?;
    let welcome = client.expect_command("001").await;
    assert!(
        welcome.text().ends_with("alice!alice@127.0.0.1"),
        "001 nomme le masque complet : {:?}",
        welcome.raw
    );
    assert_eq!(
        welcome.prefix, "cours.irc",
        "le préfixe est le nom du serveur"
    );
    client.expect_command("002").await;
    client.expect_command("003").await;
    let myinfo = client.expect_command("004").await;
    assert_eq!(myinfo.params[1], "cours.irc");
    let isupport = client.expect_command("005").await;
    for token in [
        "CASEMAPPING=rfc1459",
        "CHANTYPES=#",
        "NICKLEN=30",
        "CHANNELLEN=50",
        "TOPICLEN=390",
        "PREFIX=(ov)@+",
        "CHANMODES=b,k,l,imnst",
        "NETWORK=ReseauEnRust",
    ] {
        assert!(
            isupport.params.iter().any(|param| param == token),
            "ISUPPORT doit annoncer {token} : {:?}",
            isupport.raw
        );
    }
    client.expect_command("005").await;
    let lusers = client.expect_command("251").await;
    assert!(lusers.text().contains("1 users"), "{:?}", lusers.raw);
    client.wait_for("422").await;
    server.stop().await
}

#[tokio::test]
async fn le_message_du_jour_est_envoye_s_il_existe() -> io::Result<()> {
    let config = Config {
        motd: Some(vec![
            "Bienvenue au cours !".into(),
            "Soyez courtois.".into(),
        ]),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut client = Client::connect(server.addr).await?;
    client.send("NICK alice").await?;
    client.send("USER alice 0 * :Alice").await?;
    client.wait_for("375").await;
    let line = client.expect_command("372").await;
    assert_eq!(line.text(), "- Bienvenue au cours !");
    client.expect_command("372").await;
    client.expect_command("376").await;
    client.send("MOTD").await?;
    client.wait_for("376").await;
    server.stop().await
}

#[tokio::test]
async fn cap_ls_suspend_l_inscription_jusqu_a_cap_end() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut client = Client::connect(server.addr).await?;
    client.send("CAP LS 302").await?;
    client.send("NICK alice").await?;
    client.send("USER alice 0 * :Alice").await?;
    let cap = client.expect_command("CAP").await;
    assert_eq!(cap.params, ["*", "LS", ""], "aucune extension proposée");
    client.send("CAP REQ :multi-prefix").await?;
    let nak = client.expect_command("CAP").await;
    assert_eq!(nak.params[1], "NAK", "une extension demandée est refusée");
    // Toujours pas inscrit : PING répond, mais pas de 001.
    client.send("PING :avant").await?;
    let pong = client.expect_command("PONG").await;
    assert_eq!(pong.text(), "avant");
    client.send("CAP END").await?;
    client.expect_command("001").await;
    server.stop().await
}

#[tokio::test]
async fn avant_l_inscription_les_commandes_recoivent_451() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut client = Client::connect(server.addr).await?;
    client.send("JOIN #cours").await?;
    let reply = client.expect_command("451").await;
    assert_eq!(reply.params[0], "*", "pas encore de pseudo : « * »");
    client.send("PRIVMSG bob :salut").await?;
    client.expect_command("451").await;
    client.send("USER alice").await?;
    let reply = client.expect_command("461").await;
    assert_eq!(reply.params[1], "USER");
    server.stop().await
}

#[tokio::test]
async fn les_pseudos_invalides_ou_pris_sont_refuses() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let _alice = Client::register(server.addr, "Alice[m]").await?;
    let mut client = Client::connect(server.addr).await?;
    client.send("NICK").await?;
    client.expect_command("431").await;
    client.send("NICK 1abc").await?;
    let reply = client.expect_command("432").await;
    assert_eq!(reply.params[1], "1abc");
    client.send(&format!("NICK {}", "a".repeat(31))).await?;
    client.expect_command("432").await;
    // La casse RFC 1459 : `{` est la minuscule de `[`.
    client.send("NICK alice{M}").await?;
    let reply = client.expect_command("433").await;
    assert_eq!(reply.params[1], "alice{M}");
    client.send("NICK bob").await?;
    client.send("USER bob 0 * :Bob").await?;
    client.expect_command("001").await;
    server.stop().await
}

#[tokio::test]
async fn deux_clients_qui_veulent_le_meme_pseudo_un_seul_l_obtient() -> io::Result<()>
{
    let server = start_server(test_config()).await?;
    let mut first = Client::connect(server.addr).await?;
    let mut second = Client::connect(server.addr).await?;
    // Tous deux proposent « cam » avant que l'un ou l'autre soit inscrit.
    first.send("NICK cam").await?;
    second.send("NICK cam").await?;
    first.sync().await;
    second.sync().await;
    first.send("USER cam 0 * :Cam").await?;
    first.expect_command("001").await;
    second.send("USER cam 0 * :Cam").await?;
    let refused = second.expect_command("433").await;
    assert_eq!(refused.params[1], "cam");
    second.send("NICK cam2").await?;
    second.expect_command("001").await;
    server.stop().await
}

#[tokio::test]
async fn le_mot_de_passe_du_serveur_est_verifie() -> io::Result<()> {
    let config = Config {
        password: Some("sesame".into()),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut wrong = Client::connect(server.addr).await?;
    wrong.send("PASS ouvre-toi").await?;
    wrong.send("NICK alice").await?;
    wrong.send("USER alice 0 * :Alice").await?;
    wrong.expect_command("464").await;
    let lines = wrong.until_closed().await;
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("ERROR :Closing Link")),
        "ERROR puis fermeture : {lines:?}"
    );
    let mut right = Client::connect(server.addr).await?;
    right.send("PASS sesame").await?;
    right.send("NICK alice").await?;
    right.send("USER alice 0 * :Alice").await?;
    right.expect_command("001").await;
    right.send("PASS encore").await?;
    right.wait_for("462").await;
    server.stop().await
}

#[tokio::test]
async fn le_client_qui_ne_s_inscrit_pas_est_ferme_apres_le_delai() -> io::Result<()> {
    let config = Config {
        register_timeout: Duration::from_millis(200),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut silent = Client::connect(server.addr).await?;
    silent.send("NICK muet").await?;
    let lines = silent.until_closed().await;
    assert_eq!(
        lines,
        ["ERROR :Closing Link: 127.0.0.1 (Registration timeout)"],
        "une seule ligne, puis la fermeture"
    );
    server.stop().await
}

#[tokio::test]
async fn le_serveur_repond_au_ping_et_pingue_le_client_silencieux() -> io::Result<()>
{
    let config = Config {
        ping_interval: Duration::from_millis(200),
        ping_timeout: Duration::from_secs(30),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    alice.send("PING :jeton 42").await?;
    let pong = alice.expect_command("PONG").await;
    assert_eq!(
        pong.params,
        ["cours.irc", "jeton 42"],
        "le jeton revient tel quel"
    );
    alice.send("PING").await?;
    alice.expect_command("409").await;
    // Silence : le serveur demande si nous sommes encore là.
    let ping = alice.expect_command("PING").await;
    alice.send(&format!("PONG :{}", ping.text())).await?;
    // Répondre suffit : un nouveau PING, plus tard, et pas de fermeture.
    alice.expect_command("PING").await;
    server.stop().await
}

#[tokio::test]
async fn sans_reponse_au_ping_la_connexion_est_fermee_et_les_autres_le_voient()
-> io::Result<()> {
    let config = Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(300),
        ..test_config()
    };
    let server = start_server(config).await?;
    let mut alice = Client::register(server.addr, "alice").await?;
    let mut bob = Client::register(server.addr, "bob").await?;
    alice.join("#cours").await;
    bob.join("#cours").await;
    // Alice répond à chaque PING ; Bob se tait.
    let mut quit = None;
    for _ in 0..20 {
        let reply = alice.reply().await?;
        match reply.command.as_str() {
            "PING" => alice.send(&format!("PONG :{}", reply.text())).await?,
            "QUIT" => {
                quit = Some(reply);
                break;
            }
            _ => {}
        }
    }
    let quit = quit.expect("alice doit voir le départ de bob");
    assert!(quit.prefix.starts_with("bob!"), "{:?}", quit.raw);
    assert!(quit.text().starts_with("Ping timeout: "), "{:?}", quit.raw);
    let lines = bob.until_closed().await;
    assert!(
        lines.iter().any(|line| line.contains("Ping timeout")),
        "bob reçoit ERROR : {lines:?}"
    );
    server.stop().await
}
