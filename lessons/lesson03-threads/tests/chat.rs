//! Tests du serveur de chat (hub + un lecteur et un écrivain par client), sur de
//! vraies sockets TCP (127.0.0.1, port 0). Chaque lecture a un délai maximal.

mod common;

use std::io::{self, Write};

use common::{Chatter, start_chat};
use lesson03_threads::ChatConfig;
use test_kit::{TIMEOUT, assert_turned_away, background, connect};

#[test]
fn une_ligne_arrive_a_tous_les_autres_mais_pas_a_son_auteur() -> io::Result<()> {
    let addr = start_chat(ChatConfig::default())?;
    let [mut alice, mut bob, mut carol] = Chatter::three(addr)?;

    alice.say("bonjour à tous")?;
    let relayed = format!("{} bonjour à tous\n", alice.name);
    bob.expect(
        &relayed,
        "bob doit recevoir la ligne d'alice, préfixée par son adresse",
    )?;
    carol.expect(&relayed, "carol doit recevoir la ligne d'alice")?;

    // Preuve que l'auteur ne reçoit pas sa propre ligne, sans rien attendre « un
    // peu » : le hub traite les événements dans l'ordre, donc si alice avait reçu
    // sa ligne, elle la lirait AVANT la réponse de bob.
    bob.say("salut alice")?;
    alice.expect(
        &format!("{} salut alice\n", bob.name),
        "la première ligne reçue par alice doit être la réponse de bob, pas sa propre ligne",
    )?;
    Ok(())
}

#[test]
fn les_arrivees_et_les_departs_sont_annonces() -> io::Result<()> {
    let addr = start_chat(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;
    let bob_name = bob.name.clone();
    drop(bob); // fermeture de la connexion : le lecteur de bob lit 0 octet
    alice.expect(
        &format!("*** {bob_name} a quitté le salon.\n"),
        "annonce du départ",
    )?;
    Ok(())
}

#[test]
fn l_accueil_dit_combien_de_personnes_sont_la() -> io::Result<()> {
    let addr = start_chat(ChatConfig::default())?;
    let _alice = Chatter::join(addr)?;
    let welcome = test_kit::read_line(&mut io::BufReader::new(connect(addr)?))?;
    assert!(
        welcome.ends_with("Autres personnes dans le salon : 1.\n"),
        "l'accueil doit dire combien de personnes sont là : {welcome:?}"
    );
    Ok(())
}

#[test]
fn une_ligne_trop_longue_est_refusee_sans_etre_gardee_en_memoire() -> io::Result<()> {
    let addr = start_chat(ChatConfig::default())?; // 1024 octets au plus
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;

    // 8 Mio sans retour à la ligne, envoyés depuis un thread pendant qu'on lit : le
    // serveur doit les jeter au fil de l'eau, pas les accumuler en attendant un
    // `\n`.
    let mut writer = bob.reader.get_ref().try_clone()?;
    let flood = background(move || -> io::Result<()> {
        let chunk = vec![b'z'; 64 * 1024];
        for _ in 0..128 {
            writer.write_all(&chunk)?;
        }
        writer.write_all(b"\napres la tempete\n")
    });
    bob.expect(
        "*** Ligne trop longue (plus de 1024 octets) : ignorée.\n",
        "l'auteur d'une ligne trop longue doit recevoir une erreur en français",
    )?;
    flood.join_within(
        TIMEOUT * 4,
        "l'envoi de 8 Mio doit se terminer : le serveur doit lire et jeter",
    )?;
    alice.expect(
        &format!("{} apres la tempete\n", bob.name),
        "rien de la ligne trop longue ne doit être relayé, et la suite doit passer",
    )?;
    Ok(())
}

#[test]
fn le_chat_refuse_le_client_de_trop() -> io::Result<()> {
    let config = ChatConfig {
        max_clients: 1,
        ..ChatConfig::default()
    };
    let addr = start_chat(config)?;
    let _alice = Chatter::join(addr)?;
    // La formule des leçons 03 à 05.
    assert_turned_away(
        addr,
        "*** Serveur complet (1 connexion au maximum) : réessayez plus tard.\n",
    )
}

#[test]
fn une_derniere_ligne_sans_retour_a_la_ligne_est_relayee() -> io::Result<()> {
    let addr = start_chat(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;
    bob.send(b"au revoir")?;
    bob.reader.get_mut().shutdown(std::net::Shutdown::Write)?;
    alice.expect(&format!("{} au revoir\n", bob.name), "ligne finale")?;
    alice.expect(&format!("*** {} a quitté le salon.\n", bob.name), "départ")?;
    Ok(())
}

#[test]
fn la_limite_de_longueur_est_exacte() -> io::Result<()> {
    let config = ChatConfig {
        max_line: 8,
        ..ChatConfig::default()
    };
    let addr = start_chat(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;

    bob.say("12345678")?; // 8 octets : exactement la limite
    alice.expect(&format!("{} 12345678\n", bob.name), "8 octets passent")?;
    bob.say("123456789")?; // 9 octets : un de trop
    bob.expect(
        "*** Ligne trop longue (plus de 8 octets) : ignorée.\n",
        "un octet de trop suffit à refuser la ligne",
    )?;
    bob.send(b"1234567\r\n")?; // \r\n (telnet, nc -C) : \r retiré
    alice.expect(
        &format!("{} 1234567\n", bob.name),
        "la ligne suivante passe, et le \\r final est retiré",
    )?;
    Ok(())
}

#[test]
fn une_limite_de_longueur_enorme_ne_fait_pas_deborder_le_lecteur() -> io::Result<()> {
    // La bibliothèque accepte `usize::MAX` : la borne `max_line + 1` ne doit pas
    // déborder.
    let config = ChatConfig {
        max_line: usize::MAX,
        ..ChatConfig::default()
    };
    let addr = start_chat(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;
    bob.say("sans limite")?;
    alice.expect(
        &format!("{} sans limite\n", bob.name),
        "avec une limite énorme, les lignes doivent passer",
    )?;
    Ok(())
}
