//! L'arrêt du chat (Ctrl+C, SIGTERM, ou `StopSignal::stop` dans un test) : chacun est
//! prévenu, ce qui restait à envoyer part, puis la connexion se ferme par un FIN.

mod common;

use std::io::{self, Read};

use common::{Chatter, start_chat_until};
use lesson03_threads::{ChatConfig, StopSignal};

/// Lit jusqu'à la fermeture : une fin de fichier (FIN), pas une connexion coupée
/// (RST).
fn read_until_fin(chatter: &mut Chatter) -> io::Result<String> {
    let mut rest = String::new();
    chatter.reader.read_to_string(&mut rest)?;
    Ok(rest)
}

#[test]
fn a_l_arret_chacun_recoit_l_avis_apres_ce_qui_etait_en_route() -> io::Result<()> {
    let stop = StopSignal::new();
    let (addr, done) = start_chat_until(ChatConfig::default(), &stop)?;
    let [mut alice, mut bob, mut carol] = Chatter::three(addr)?;

    // Quand carol a reçu la ligne d'alice, le hub l'a aussi déposée pour bob (il
    // dépose dans toutes les files avant de passer à l'événement suivant) : elle
    // est « en route ».
    alice.say("dernière ligne avant l'arrêt")?;
    let last = format!("{} dernière ligne avant l'arrêt\n", alice.name);
    carol.expect(&last, "la ligne d'alice")?;
    stop.stop();

    let goodbye = "*** Le serveur s'arrête. Au revoir !\n";
    assert_eq!(
        read_until_fin(&mut bob)?,
        format!("{last}{goodbye}"),
        "bob doit recevoir ce qui était en route, puis l'avis, puis une fin de connexion"
    );
    assert_eq!(
        read_until_fin(&mut alice)?,
        goodbye,
        "alice aussi est prévenue"
    );
    assert_eq!(
        read_until_fin(&mut carol)?,
        goodbye,
        "carol aussi est prévenue"
    );
    done.join("serve_chat_until doit revenir après l'arrêt")?;
    Ok(())
}

#[test]
fn l_arret_ne_tarde_pas_pour_un_client_qui_ne_lit_pas() -> io::Result<()> {
    let stop = StopSignal::new();
    let (addr, done) = start_chat_until(ChatConfig::default(), &stop)?;
    // Un client qui ne lit rien et ne part pas : sa file ne se vide pas. L'arrêt ne
    // l'attend qu'une seconde au plus.
    let _sleeper = Chatter::join_with(common::connect_small_window(addr)?)?;
    let mut talker = Chatter::join(addr)?;
    let filler = "x".repeat(1000);
    for _ in 0..100 {
        talker.say(&filler)?;
    }
    talker.say("fin")?;
    stop.stop();
    done.join("l'arrêt ne doit pas attendre indéfiniment un client qui ne lit pas")?;
    Ok(())
}
