//! Le chat sous la charge : rafales, inondations et clients qui ne lisent plus.
//! Règle : une ligne acceptée arrive chez chaque lecteur connecté, dans l'ordre ; un
//! expéditeur trop rapide est freiné, jamais amputé ; seul un client qui ne lit plus
//! est déconnecté, et les autres en sont prévenus.

mod common;

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{Chatter, join_without_reading, start_chat};
use lesson04_select::Config;
use lesson04_select::display::{MAX_COLUMNS, columns};
use test_kit::{TIMEOUT, background};

/// Ce qu'un lecteur a vu : pour chaque expéditeur (son numéro dans le test), le
/// dernier numéro de ligne reçu ; et les annonces du serveur.
#[derive(Default)]
struct Seen {
    last: HashMap<usize, usize>,
    messages: usize,
    notices: Vec<String>,
}

impl Seen {
    /// Enregistre une rangée reçue. Un message commence par
    /// `t{expéditeur}-{numéro} ` ; ses rangées suivantes ne portent que la suite
    /// du texte (et le même préfixe d'adresse).
    fn record(&mut self, row: &str, names: &[String]) {
        let row = row.strip_suffix('\n').expect("chaque rangée finit par \\n");
        if row.starts_with("***") {
            // Une annonce n'est jamais coupée (celle du freinage dépasse 80
            // colonnes). Les boucles de lecture ne comptent que les
            // messages : ce plafond les borne aussi.
            assert!(
                self.notices.len() < 100,
                "des annonces sans fin : {:?}",
                &self.notices[self.notices.len() - 5..]
            );
            self.notices.push(row.to_string());
            return;
        }
        assert!(
            columns(row) <= MAX_COLUMNS,
            "rangée de plus de {MAX_COLUMNS} colonnes : {row:?}"
        );
        let (name, text) = row.split_once("] ").expect("préfixe [adresse]");
        let name = format!("{name}]");
        let sender = names
            .iter()
            .position(|known| *known == name)
            .unwrap_or_else(|| panic!("expéditeur inconnu : {row:?}"));
        let Some(tag) = text.strip_prefix('t') else {
            return; // suite d'un message
        };
        let (index, rest) = tag.split_once('-').expect("étiquette t{n}-{m}");
        let number: usize = rest
            .split(' ')
            .next()
            .and_then(|number| number.parse().ok())
            .expect("numéro de ligne");
        assert_eq!(
            index.parse::<usize>().ok(),
            Some(sender),
            "étiquette : {row:?}"
        );
        let expected = self.last.get(&sender).map_or(0, |last| last + 1);
        assert_eq!(
            number, expected,
            "les lignes de {name} doivent arriver toutes et dans l'ordre : {row:?}"
        );
        self.last.insert(sender, number);
        self.messages += 1;
    }

    fn kicks(&self) -> Vec<&String> {
        self.notices
            .iter()
            .filter(|notice| notice.contains("ne lisait plus"))
            .collect()
    }
}

/// Le texte de la ligne `number` de l'expéditeur `sender`, complété jusqu'à `len`
/// octets.
fn tagged_line(sender: usize, number: usize, len: usize) -> String {
    let mut line = format!("t{sender}-{number}");
    while line.len() < len {
        line.push_str(" abcdefghij");
    }
    line.push('\n');
    line
}

#[test]
fn une_rafale_de_20_clients_arrive_entiere_et_personne_n_est_deconnecte()
-> io::Result<()> {
    const CLIENTS: usize = 20;
    const LINES: usize = 50;
    // Réglages par défaut : 50 lignes d'un coup tiennent dans la réserve de jetons
    // (100). Chaque ligne fait ~500 octets (7 rangées) : le courrier d'un lecteur
    // dépasse largement la limite douce pendant la rafale, parce que le SERVEUR
    // produit vite, pas parce que le lecteur est lent.
    let addr = start_chat(Config::default())?;
    let mut chatters = Vec::new();
    for _ in 0..CLIENTS {
        chatters.push(Chatter::join(addr)?);
    }
    let names: Arc<Vec<String>> =
        Arc::new(chatters.iter().map(|c| c.name.clone()).collect());
    let start = Arc::new(Barrier::new(CLIENTS));
    let mut readers = Vec::new();
    for (index, mut chatter) in chatters.into_iter().enumerate() {
        let mut writer = chatter.writer.try_clone()?;
        let start = Arc::clone(&start);
        let sender = background(move || -> io::Result<()> {
            let burst: String =
                (0..LINES).map(|n| tagged_line(index, n, 500)).collect();
            start.wait(); // tout le monde envoie en même temps
            writer.write_all(burst.as_bytes())
        });
        let names = Arc::clone(&names);
        readers.push(background(move || -> io::Result<Seen> {
            let mut seen = Seen::default();
            // Borné : chaque lecture a un délai (TIMEOUT), et l'on s'arrête au
            // compte.
            while seen.messages < (CLIENTS - 1) * LINES {
                let row = chatter.line()?;
                seen.record(&row, &names);
                assert!(seen.kicks().is_empty(), "déconnexion : {:?}", seen.kicks());
            }
            sender.join_within(TIMEOUT * 4, "l'envoi")?;
            Ok(seen)
        }));
    }
    for (index, reader) in readers.into_iter().enumerate() {
        let seen = reader.join_within(TIMEOUT * 4, "un lecteur")?;
        for sender in (0..CLIENTS).filter(|&sender| sender != index) {
            assert_eq!(
                seen.last.get(&sender),
                Some(&(LINES - 1)),
                "le client {index} doit recevoir les {LINES} lignes du client {sender}"
            );
        }
    }
    Ok(())
}

#[test]
fn un_expediteur_trop_rapide_est_freine_sans_perte_et_les_lecteurs_restent()
-> io::Result<()> {
    const LINES: usize = 1000;
    let config = Config {
        max_rate: 500,
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut flooder = Chatter::join(addr)?;
    let mut readers = vec![Chatter::join(addr)?, Chatter::join(addr)?];
    let names = vec![flooder.name.clone()];

    // Mille lignes d'un seul `write` : bien plus vite que 500 par seconde.
    let burst: String = (0..LINES).map(|n| tagged_line(0, n, 40)).collect();
    let mut writer = flooder.writer.try_clone()?;
    let sending = background(move || writer.write_all(burst.as_bytes()));
    for reader in &mut readers {
        let mut seen = Seen::default();
        while seen.messages < LINES {
            seen.record(&reader.line()?, &names);
        }
        assert!(
            seen.kicks().is_empty(),
            "un lecteur qui lit ne doit pas être déconnecté : {:?}",
            seen.kicks()
        );
    }
    sending.join_within(TIMEOUT * 4, "l'envoi")?;
    let notice = flooder.wait_for("Doucement", 5)?;
    assert_eq!(
        notice,
        "*** Doucement ! Au plus 500 lignes par seconde : la suite attend son tour.\n",
        "l'expéditeur trop rapide est prévenu qu'il est freiné"
    );
    Ok(())
}

#[test]
fn quatre_inondeurs_et_un_dormeur_seul_le_dormeur_est_deconnecte() -> io::Result<()> {
    const FLOODERS: usize = 4;
    const LINES: usize = 1500;
    let config = Config {
        max_rate: 500,
        hard_limit: 512 * 1024,
        soft_limit: 16 * 1024,
        slow_reader_delay: Duration::from_secs(2),
        ..Config::default()
    };
    let addr = start_chat(config)?;
    let mut flooders = Vec::new();
    for _ in 0..FLOODERS {
        flooders.push(Chatter::join(addr)?);
    }
    let sleeper = join_without_reading(addr)?;
    let sleeper_name = format!("[{}]", sleeper.local_addr()?);
    flooders[0].wait_for(&sleeper_name, FLOODERS)?; // le dormeur est inscrit
    let names: Arc<Vec<String>> =
        Arc::new(flooders.iter().map(|c| c.name.clone()).collect());

    let mut handles = Vec::new();
    for (index, mut flooder) in flooders.into_iter().enumerate() {
        let mut writer = flooder.writer.try_clone()?;
        let sender = background(move || -> io::Result<()> {
            let flood: String =
                (0..LINES).map(|n| tagged_line(index, n, 60)).collect();
            writer.write_all(flood.as_bytes())
        });
        let (names, sleeper_name) = (Arc::clone(&names), sleeper_name.clone());
        handles.push(background(move || -> io::Result<Seen> {
            let mut seen = Seen::default();
            while seen.messages < (FLOODERS - 1) * LINES {
                seen.record(&flooder.line()?, &names);
            }
            sender.join_within(TIMEOUT * 4, "l'envoi")?;
            // L'annonce du départ du dormeur, si elle n'est pas déjà passée.
            if seen.kicks().is_empty() {
                let row = flooder.wait_for(&sleeper_name, 10)?;
                seen.record(&row, &names);
            }
            Ok(seen)
        }));
    }
    let kicked =
        format!("*** {sleeper_name} ne lisait plus ses messages : déconnecté(e).");
    for (index, handle) in handles.into_iter().enumerate() {
        let seen = handle.join_within(TIMEOUT * 4, "un inondeur")?;
        for sender in (0..FLOODERS).filter(|&sender| sender != index) {
            assert_eq!(
                seen.last.get(&sender),
                Some(&(LINES - 1)),
                "l'inondeur {index} doit recevoir toutes les lignes acceptées de {sender}"
            );
        }
        assert_eq!(
            seen.kicks(),
            vec![&kicked],
            "seul le dormeur est déconnecté, et on le dit une fois"
        );
        assert!(
            seen.notices
                .iter()
                .any(|notice| notice.starts_with("*** Doucement !")),
            "l'inondeur {index} doit être prévenu qu'il est freiné : {:?}",
            seen.notices
        );
    }
    Ok(())
}
