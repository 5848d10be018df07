//! Tests du serveur de chat à boucle d'événements, sur de vraies sockets TCP
//! (127.0.0.1).

mod common;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use common::{Chatter, join_without_reading, start_chat, start_stoppable_chat};
use lesson04_select::Config;
use lesson04_select::display::{MAX_COLUMNS, columns};
use test_kit::{TIMEOUT, assert_turned_away, background};

#[test]
fn une_ligne_arrive_chez_tous_les_autres_mais_pas_chez_l_expediteur() -> io::Result<()>
{
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    let mut carol = Chatter::join(addr)?;
    let joined = alice.line()?;
    assert_eq!(
        joined,
        format!("*** {} a rejoint le chat.\n", bob.name),
        "les arrivées sont annoncées aux autres"
    );

    alice.say("bonjour à tous\n")?;
    for other in [&mut bob, &mut carol] {
        assert_eq!(
            other.message()?,
            format!("{} bonjour à tous\n", alice.name),
            "chaque autre participant reçoit la ligne, préfixée par l'expéditeur"
        );
    }
    // Un marqueur plutôt qu'une attente : si Alice avait reçu sa propre ligne, elle
    // la lirait avant celle de Bob.
    bob.say("marqueur\n")?;
    assert_eq!(
        alice.message()?,
        format!("{} marqueur\n", bob.name),
        "l'expéditeur ne doit pas recevoir sa propre ligne"
    );
    Ok(())
}

#[test]
fn une_ligne_arrivee_en_morceaux_est_relayee_entiere() -> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    // Trois envois pour une ligne et demie, puis la fin : TCP ne connaît pas les
    // lignes.
    bob.say("une ligne ")?;
    bob.writer.flush()?;
    bob.say("en morceaux\r\net une ")?;
    bob.say("deuxième\n")?;
    assert_eq!(
        alice.message()?,
        format!("{} une ligne en morceaux\n", bob.name)
    );
    assert_eq!(alice.message()?, format!("{} et une deuxième\n", bob.name));
    Ok(())
}

#[test]
fn les_caracteres_de_controle_sont_neutralises() -> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    // ESC (séquences du terminal), BEL, retour arrière, DEL, un octet non UTF-8 et le
    // caractère de contrôle C1 « CSI » (U+009B) encodé en UTF-8.
    alice.writer.write_all(
        b"\x1b[2J\x1b]0;pi\xc3\xa8ge\x07efface\tl'\xc3\xa9cran\x08\x7f\xff\xc2\x9b\n",
    )?;
    let received = bob.message()?;
    let body = received.trim_end_matches('\n');
    assert!(
        !body.chars().any(|c| c.is_control() && c != '\t'),
        "aucun caractère de contrôle (sauf la tabulation) ne doit passer : {received:?}"
    );
    assert!(
        body.contains("efface l'écran"),
        "le texte lisible reste, la tabulation devient une espace : {received:?}"
    );
    Ok(())
}

#[test]
fn une_ligne_de_la_longueur_maximale_passe_et_une_de_plus_est_refusee()
-> io::Result<()> {
    let config = Config {
        max_line: 10,
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    bob.say("0123456789\n01234567890\nfin\n")?;
    assert_eq!(alice.message()?, format!("{} 0123456789\n", bob.name));
    assert_eq!(
        bob.line()?,
        "*** Ligne trop longue (plus de 10 octets) : ignorée.\n",
        "l'expéditeur d'une ligne trop longue est prévenu en français"
    );
    assert_eq!(
        alice.message()?,
        format!("{} fin\n", bob.name),
        "la ligne trop longue n'est pas relayée, la suivante oui"
    );
    Ok(())
}

#[test]
fn une_ligne_sans_fin_de_plusieurs_mebioctets_est_refusee_et_le_serveur_continue()
-> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob

    // 8 Mio sans `\n`, envoyés depuis un thread : le serveur doit les jeter au fil de
    // l'eau, sans jamais les garder en entier.
    let mut writer = bob.writer.try_clone()?;
    let flood = background(move || -> io::Result<()> {
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..128 {
            writer.write_all(&chunk)?;
        }
        writer.write_all(b"\nrevenu\n")
    });
    assert_eq!(
        bob.line()?,
        "*** Ligne trop longue (plus de 1024 octets) : ignorée.\n",
        "l'expéditeur est prévenu dès que la limite est dépassée"
    );
    flood.join_within(TIMEOUT * 4, "l'envoi")?;
    assert_eq!(
        alice.message()?,
        format!("{} revenu\n", bob.name),
        "rien de la ligne géante n'est relayé, et la ligne suivante passe"
    );
    let mut carol = Chatter::join(addr)?;
    alice.say("toujours là\n")?;
    assert_eq!(
        carol.message()?,
        format!("{} toujours là\n", alice.name),
        "le serveur sert encore"
    );
    Ok(())
}

#[test]
fn un_client_qui_ne_lit_plus_est_deconnecte_et_les_autres_continuent()
-> io::Result<()> {
    // Pas de limite de débit ici (on veut remplir vite), et des budgets petits.
    let config = Config {
        max_rate: 0,
        hard_limit: 64 * 1024,
        soft_limit: 16 * 1024,
        slow_reader_delay: Duration::from_millis(500),
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut talker = Chatter::join(addr)?;
    let mut listener = Chatter::join(addr)?;
    let mut sleeper = join_without_reading(addr)?;
    let sleeper_name = format!("[{}]", sleeper.local_addr()?);
    listener.wait_for(&sleeper_name, 2)?; // son arrivée : il est inscrit

    // Par lots de 64 lignes : l'auditeur lit chaque lot avant le suivant, il ne prend
    // donc jamais de retard, tandis que le dormeur accumule.
    let text = "z".repeat(60);
    let line = format!("{text}\n");
    let kicked =
        format!("*** {sleeper_name} ne lisait plus ses messages : déconnecté(e).\n");
    let mut seen_kick = false;
    for _batch in 0..400 {
        talker.say(&line.repeat(64))?;
        let mut relayed = 0;
        while relayed < 64 {
            let received = listener.line()?;
            if received == kicked {
                assert!(!seen_kick, "le départ du dormeur n'est annoncé qu'une fois");
                seen_kick = true;
            } else {
                assert_eq!(
                    received,
                    format!("{} {text}\n", talker.name),
                    "ligne inattendue"
                );
                relayed += 1;
            }
        }
        if seen_kick {
            break;
        }
    }
    assert!(
        seen_kick,
        "le client qui ne lit pas aurait dû être déconnecté"
    );
    // Après les annonces d'arrivée de l'auditeur et du dormeur, celle de la
    // déconnexion.
    assert_eq!(
        talker.wait_for("déconnecté", 3)?,
        kicked,
        "l'expéditeur aussi est prévenu de la déconnexion"
    );

    // Les autres continuent de discuter.
    talker.say("on continue ?\n")?;
    assert_eq!(
        listener.message()?,
        format!("{} on continue ?\n", talker.name)
    );

    // Le dormeur a bien été fermé : après ce qui était déjà en route, la fin du flux.
    let mut rest = Vec::new();
    match sleeper.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!("la connexion du dormeur aurait dû être fermée : {err}"),
    }
    Ok(())
}

#[test]
fn une_coupure_brutale_est_annoncee_et_ne_derange_pas_les_autres() -> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    let rude = Chatter::join(addr)?;
    let rude_name = rude.name.clone();
    (&rude.writer).write_all(b"une ligne jamais finie")?;
    // SO_LINGER à 0 : la fermeture envoie un RST au lieu du FIN poli.
    socket2::SockRef::from(&rude.writer).set_linger(Some(Duration::ZERO))?;
    drop(rude);

    let notice = alice.wait_for(&format!("*** {rude_name} a été déconnecté"), 3)?;
    assert!(notice.starts_with("***"), "annonce : {notice:?}");
    bob.say("et nous ?\n")?;
    assert_eq!(
        alice.message()?,
        format!("{} et nous ?\n", bob.name),
        "les autres continuent"
    );
    Ok(())
}

#[test]
fn un_depart_poli_est_annonce_avec_la_derniere_ligne_sans_fin() -> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    bob.say("au revoir")?;
    bob.writer.shutdown(Shutdown::Write)?;
    assert_eq!(alice.message()?, format!("{} au revoir\n", bob.name));
    assert_eq!(
        alice.line()?,
        format!("*** {} a quitté le chat.\n", bob.name)
    );
    Ok(())
}

#[test]
fn au_dela_du_maximum_un_client_est_refuse_avec_un_message() -> io::Result<()> {
    let config = Config {
        max_clients: 2,
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;

    assert_turned_away(
        addr,
        "*** Serveur complet (2 connexions au maximum) : réessayez plus tard.\n",
    )?;

    // Bob part ; quand il lit la fin du flux, le serveur l'a déjà retiré : une place
    // est libre.
    bob.writer.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    bob.reader.read_to_end(&mut rest)?;
    let mut carol = Chatter::join(addr)?;
    alice.say("bienvenue Carol\n")?;
    assert_eq!(
        carol.message()?,
        format!("{} bienvenue Carol\n", alice.name)
    );
    Ok(())
}

#[test]
fn dans_un_grand_salon_les_arrivees_ne_sont_plus_annoncees() -> io::Result<()> {
    // Chaque annonce part chez tout le monde : N arrivées coûtent N² lignes. Au-delà
    // de `announce_limit` participants, on se tait.
    let config = Config {
        announce_limit: 2,
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    let _carol = Chatter::join(addr)?; // deux présents avant elle : pas d'annonce
    bob.say("marqueur\n")?;
    assert_eq!(
        alice.line()?,
        format!("*** {} a rejoint le chat.\n", bob.name),
        "dans un petit salon, l'arrivée est annoncée"
    );
    assert_eq!(
        alice.line()?,
        format!("{} marqueur\n", bob.name),
        "au-delà de la limite, l'arrivée de Carol n'est pas annoncée"
    );
    Ok(())
}

/// Lit les rangées de `reader` jusqu'à celle qui vaut `last`, en vérifiant que
/// chacune porte le préfixe de `sender` et tient en 80 colonnes. Renvoie les rangées
/// lues.
fn rows_until(
    reader: &mut Chatter,
    sender: &str,
    last: &str,
) -> io::Result<Vec<String>> {
    let prefix = format!("{sender} ");
    let mut rows = Vec::new();
    for _ in 0..100 {
        let row = reader.message()?;
        let shown = row.trim_end_matches('\n');
        assert!(
            shown.starts_with(&prefix),
            "chaque rangée doit porter le vrai préfixe {prefix:?} : {shown:?}"
        );
        assert!(
            columns(shown) <= MAX_COLUMNS,
            "rangée de {} colonnes : {shown:?}",
            columns(shown)
        );
        rows.push(shown.to_string());
        if shown == format!("{prefix}{last}") {
            return Ok(rows);
        }
    }
    panic!("la rangée {last:?} n'est jamais arrivée : {rows:?}");
}

#[test]
fn un_message_bourre_d_espaces_ou_de_lettres_ne_peut_pas_imiter_une_annonce()
-> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    let fake = "*** [127.0.0.1:1] a été déconnecté(e) (connexion coupée).";
    bob.say(&format!("salut{}{fake}\n", " ".repeat(200)))?;
    bob.say(&format!("{}{fake}\n", "x".repeat(200)))?;
    bob.say(&format!("{}[127.0.0.1:2] faux message\n", "\t".repeat(150)))?;
    bob.say("fin\n")?;
    let rows = rows_until(&mut alice, &bob.name, "fin")?;
    assert!(
        rows[0].starts_with(&format!("{} salut *** [127.0.0.1:1]", bob.name)),
        "les blancs sont réduits à une espace : {rows:?}"
    );
    assert!(rows.len() >= 5, "les messages longs sont coupés : {rows:?}");
    Ok(())
}

#[test]
fn les_caracteres_larges_comptent_deux_colonnes() -> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    bob.say(&format!("{}\n", "漢字".repeat(50)))?;
    bob.say(&format!("{}\n", "😀".repeat(60)))?;
    bob.say("fin\n")?;
    let rows = rows_until(&mut alice, &bob.name, "fin")?;
    // 62 colonnes utiles par rangée, soit 31 caractères larges : 100 idéogrammes font
    // 4 rangées, 60 émojis 2 rangées, puis « fin ».
    assert_eq!(rows.len(), 4 + 2 + 1, "rangées : {rows:?}");
    Ok(())
}

#[test]
fn les_caracteres_bidirectionnels_et_separateurs_sont_neutralises() -> io::Result<()>
{
    let addr = start_chat(Config::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    bob.say("a\u{202E}b\u{2066}c\u{2028}d\u{200F}e\u{061C}f\u{2069}g\n")?;
    assert_eq!(
        alice.message()?,
        format!("{} a�b�c�d�e�f�g\n", bob.name),
        "forçages de sens d'écriture et séparateurs de ligne deviennent �"
    );
    Ok(())
}

#[test]
fn a_l_arret_chacun_recoit_l_annonce_puis_la_fin_de_connexion() -> io::Result<()> {
    let server = start_stoppable_chat(Config::default())?;
    let mut alice = Chatter::join(server.addr)?;
    let mut bob = Chatter::join(server.addr)?;
    alice.line()?; // annonce de l'arrivée de Bob
    alice.say("dernier message\n")?;
    assert_eq!(bob.message()?, format!("{} dernier message\n", alice.name));

    server.shutdown.request();
    for chatter in [&mut alice, &mut bob] {
        assert_eq!(
            chatter.line()?,
            "*** Le serveur s'arrête. Au revoir !\n",
            "chaque client est prévenu de l'arrêt"
        );
        let mut rest = Vec::new();
        chatter.reader.read_to_end(&mut rest)?;
        assert!(rest.is_empty(), "puis la connexion est fermée : {rest:?}");
    }
    server.assert_stops();
    Ok(())
}
