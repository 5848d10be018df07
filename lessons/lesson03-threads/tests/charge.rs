//! Le chat sous la charge : rafales, bavards, clients qui ne lisent plus. Sur de
//! vraies sockets (127.0.0.1, port 0) ; chaque lecture a un délai maximal, chaque
//! boucle une borne, et aucune assertion ne porte sur une durée ou sur la taille des
//! tampons du noyau.

mod common;

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Chatter, connect_small_send_buffer, connect_small_window, start_chat};
use lesson03_threads::ChatConfig;
use lesson03_threads::outbox::Budget;
use test_kit::{Background, TIMEOUT, background};

/// Un fil de test qui doit finir : sous la charge, il a TIMEOUT × `factor` pour le
/// faire.
fn finish<T>(work: Background<T>, factor: u32, what: &str) -> T {
    work.join_within(TIMEOUT * factor, what)
}

#[test]
fn une_rafale_de_vingt_clients_arrive_entiere_et_dans_l_ordre() -> io::Result<()> {
    const CLIENTS: usize = 20;
    const LINES: usize = 50;
    let addr = start_chat(ChatConfig::default())?;
    let mut chatters = Vec::new();
    for _ in 0..CLIENTS {
        chatters.push(Chatter::join(addr)?);
    }
    let names: Vec<String> = chatters.iter().map(|c| c.name.clone()).collect();

    let mut runs = Vec::new();
    for (me, mut chatter) in chatters.into_iter().enumerate() {
        let names = names.clone();
        runs.push(background(move || -> io::Result<()> {
            // Les 50 lignes d'un coup, aussi vite que possible.
            let burst: String =
                (0..LINES).map(|seq| format!("{me}:{seq}\n")).collect();
            chatter.send(burst.as_bytes())?;
            let mut next = [0; CLIENTS];
            let mut received = 0;
            let mut arrivals = 0;
            while received < (CLIENTS - 1) * LINES {
                let line = chatter.read_line()?;
                if line.ends_with(" a rejoint le salon.\n") {
                    // Ceux qui sont arrivés après moi : au plus CLIENTS - 1.
                    arrivals += 1;
                    assert!(arrivals < CLIENTS, "{me} : trop d'arrivées annoncées");
                    continue;
                }
                assert!(!line.starts_with("***"), "{me} : avis inattendu {line:?}");
                let (author, seq) = parse_burst_line(&line, &names);
                assert_eq!(
                    seq, next[author],
                    "{me} : lignes de {author} dans le désordre"
                );
                next[author] += 1;
                received += 1;
            }
            Ok(())
        }));
    }
    for run in runs {
        finish(run, 4, "un participant de la rafale")?;
    }
    Ok(())
}

/// `[adresse] auteur:numéro` → (auteur, numéro), en vérifiant que le préfixe est le
/// bon.
fn parse_burst_line(line: &str, names: &[String]) -> (usize, usize) {
    let text = line.trim_end();
    let (prefix, body) = text.split_once(' ').expect("préfixe");
    let (author, seq) = body.split_once(':').expect("auteur:numéro");
    let author: usize = author.parse().expect("auteur");
    assert_eq!(prefix, names[author], "préfixe d'un autre : {line:?}");
    (author, seq.parse().expect("numéro"))
}

/// Ce qu'un participant du test du bavard a vu.
#[derive(Default)]
struct Seen {
    /// Numéros reçus de chaque bavard, dans l'ordre d'arrivée.
    sequences: HashMap<usize, Vec<usize>>,
    slowdowns: usize,
    kicks: Vec<String>,
}

#[test]
fn quatre_bavards_sont_ralentis_et_seul_celui_qui_ne_lit_pas_est_deconnecte()
-> io::Result<()> {
    const FLOODERS: usize = 4;
    const RATE: u32 = 200;
    const MAX_LINES: usize = 20_000; // borne : bien plus qu'il n'en faut
    let config = ChatConfig {
        max_rate: RATE,
        budget: Budget {
            soft_limit: 32 * 1024,
            hard_limit: 1024 * 1024,
            soft_timeout: Duration::from_millis(500),
        },
        ..ChatConfig::default()
    };
    let addr = start_chat(config)?;
    let mut sleeper = Chatter::join_with(connect_small_window(addr)?)?;
    let sleeper_name = sleeper.name.clone();
    let mut chatters = Vec::new();
    for _ in 0..FLOODERS {
        chatters.push(Chatter::join_with(connect_small_send_buffer(addr)?)?);
    }
    for _ in 0..2 {
        chatters.push(Chatter::join(addr)?); // les 2 lecteurs tranquilles
    }
    let names: Vec<String> = chatters.iter().map(|c| c.name.clone()).collect();
    let kicked =
        format!("*** {sleeper_name} ne lisait plus ses messages : déconnecté(e).\n");
    let sleeper_gone = Arc::new(AtomicBool::new(false));

    // Chaque bavard envoie des lignes numérotées (un bon kilo-octet chacune) jusqu'à
    // ce que le dormeur soit déconnecté, puis « fin ».
    let mut floods = Vec::new();
    for (me, chatter) in chatters.iter().enumerate().take(FLOODERS) {
        let mut writer = chatter.reader.get_ref().try_clone()?;
        let sleeper_gone = Arc::clone(&sleeper_gone);
        floods.push(background(move || -> io::Result<usize> {
            use std::io::Write as _;
            let padding = "bla ".repeat(250);
            let mut sent = 0;
            while !sleeper_gone.load(Ordering::SeqCst) && sent < MAX_LINES {
                writer.write_all(format!("{me}:{sent} {padding}\n").as_bytes())?;
                sent += 1;
            }
            writer.write_all(format!("{me}:fin\n").as_bytes())?;
            Ok(sent)
        }));
    }

    // Tout le monde lit (les bavards aussi), jusqu'à la « fin » de chaque bavard.
    let mut readers = Vec::new();
    for (me, mut chatter) in chatters.into_iter().enumerate() {
        let names = names.clone();
        let kicked = kicked.clone();
        let sleeper_gone = Arc::clone(&sleeper_gone);
        readers.push(background(move || -> io::Result<Seen> {
            let mut seen = Seen::default();
            let mut ended = 0;
            let expected_ends = if me < FLOODERS {
                FLOODERS - 1
            } else {
                FLOODERS
            };
            let mut rows = 0;
            while ended < expected_ends {
                let line = chatter.read_line()?;
                assert!(!line.is_empty(), "{me} a été déconnecté");
                // Chaque ligne d'un bavard (un bon kilo-octet) arrive en une quinzaine de
                // rangées de 80 colonnes : au-delà de vingt par ligne envoyée, c'est sans fin.
                rows += 1;
                assert!(
                    rows <= FLOODERS * (MAX_LINES + 1) * 20,
                    "{me} : la « fin » des bavards n'arrive jamais"
                );
                if line == kicked {
                    seen.kicks.push(line);
                    sleeper_gone.store(true, Ordering::SeqCst);
                } else if line.starts_with("*** Doucement ! ") {
                    assert_eq!(
                        line,
                        format!(
                            "*** Doucement ! Au plus {RATE} lignes par seconde : la suite attend \
                             son tour.\n"
                        )
                    );
                    seen.slowdowns += 1;
                } else if line.ends_with(" a rejoint le salon.\n") {
                } else if let Some(rest) = line.strip_prefix("***") {
                    panic!("{me} : avis inattendu ***{rest:?}");
                } else if let Some((author, seq)) = flood_line(&line, &names) {
                    match seq {
                        Some(seq) => seen.sequences.entry(author).or_default().push(seq),
                        None => ended += 1,
                    }
                }
            }
            Ok(seen)
        }));
    }

    let sent: Vec<usize> = floods
        .into_iter()
        .map(|flood| finish(flood, 6, "un bavard"))
        .collect::<io::Result<_>>()?;
    println!("lignes envoyées par chaque bavard : {sent:?}");
    for (me, reader) in readers.into_iter().enumerate() {
        let seen = finish(reader, 6, "un lecteur")?;
        for (author, &count) in sent.iter().enumerate() {
            if author == me {
                continue;
            }
            let got = seen.sequences.get(&author).cloned().unwrap_or_default();
            assert!(
                got.iter().copied().eq(0..count),
                "{me} doit recevoir les {count} lignes du bavard {author}, dans l'ordre, sans trou \
                 (reçu {} lignes)",
                got.len()
            );
        }
        assert_eq!(
            seen.kicks.len(),
            1,
            "{me} doit être prévenu, une fois, du départ du dormeur"
        );
        if me < FLOODERS {
            assert!(
                seen.slowdowns >= 1,
                "le bavard {me} doit être prévenu qu'il est ralenti"
            );
        } else {
            assert_eq!(seen.slowdowns, 0, "un lecteur tranquille n'est pas ralenti");
        }
    }
    // Le dormeur trouve, après ce qui était déjà en route, la fin de la connexion.
    let mut rest = Vec::new();
    match sleeper.reader.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
        Err(err) => {
            panic!("le dormeur doit être déconnecté, pas laissé en attente : {err}")
        }
    }
    Ok(())
}

/// Une ligne d'un bavard : `[adresse] n:numéro bla bla…` ou `[adresse] n:fin` donne
/// `(n, Some(numéro))` ou `(n, None)` ; les lignes suivantes d'un même message (que
/// du « bla ») donnent `None`.
fn flood_line(line: &str, names: &[String]) -> Option<(usize, Option<usize>)> {
    let (prefix, body) = line.trim_end().split_once(' ')?;
    let (author, rest) = body.split_once(':')?;
    let author: usize = author.parse().ok()?;
    assert_eq!(prefix, names[author], "préfixe d'un autre : {line:?}");
    let seq = rest.split(' ').next()?;
    Some((author, seq.parse().ok()))
}

#[test]
fn quatre_vingt_dix_clients_qui_ne_lisent_pas_ne_retardent_personne() -> io::Result<()>
{
    const SLEEPERS: usize = 90;
    const FILLER: usize = 4000; // ~4 Mo par dormeur : de quoi remplir les tampons du noyau
    // Des limites larges : aucun dormeur n'est déconnecté pendant ce test, ils
    // restent là, engorgés, pendant que deux clients qui lisent discutent.
    let config = ChatConfig {
        max_rate: 0,
        budget: Budget {
            soft_limit: 64 * 1024,
            hard_limit: 64 * 1024 * 1024,
            soft_timeout: Duration::from_secs(600),
        },
        ..ChatConfig::default()
    };
    let addr = start_chat(config)?;
    let mut sleepers = Vec::new();
    for _ in 0..SLEEPERS {
        sleepers.push(Chatter::join_with(connect_small_window(addr)?)?);
    }
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;

    // Alice remplit les tampons des dormeurs (bob lit tout), puis pose sa question.
    let mut writer = alice.reader.get_ref().try_clone()?;
    let sending = background(move || -> io::Result<()> {
        use std::io::Write as _;
        let padding = "z".repeat(990);
        for seq in 0..FILLER {
            writer.write_all(format!("{seq} {padding}\n").as_bytes())?;
        }
        writer.write_all(b"bob, tu m'entends ?\n")
    });
    let question = format!("{} bob, tu m'entends ?\n", alice.name);
    let mut rows = 0;
    loop {
        let line = bob.read_line()?;
        assert!(
            !line.starts_with("***"),
            "aucun dormeur ne doit être déconnecté, ni rien retarder ; reçu {line:?}"
        );
        if line == question {
            break;
        }
        rows += 1;
        assert!(rows <= FILLER * 20, "la question d'alice n'arrive jamais");
    }
    finish(sending, 4, "l'envoi d'alice")?;
    // Les dormeurs sont toujours là : le salon répond encore à tout le monde.
    bob.say("oui")?;
    alice.expect(&format!("{} oui\n", bob.name), "la réponse de bob")?;
    drop(sleepers);
    Ok(())
}
