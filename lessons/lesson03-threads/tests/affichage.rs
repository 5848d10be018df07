//! Ce que le chat fait du texte avant de le relayer : caractères de contrôle
//! neutralisés, blancs réduits, lignes de 80 colonnes qui portent toutes le préfixe
//! de leur auteur. Sur de vraies sockets (127.0.0.1, port 0), chaque lecture a un
//! délai maximal.

mod common;

use std::io;

use common::{Chatter, start_chat};
use lesson03_threads::ChatConfig;
use lesson03_threads::display::{MAX_COLUMNS, notice_about};
use unicode_width::UnicodeWidthStr;

/// Deux participants qui se connaissent ; le premier recevra les messages du second.
fn alice_and_bob() -> io::Result<(Chatter, Chatter)> {
    let addr = start_chat(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let bob = Chatter::join(addr)?;
    alice.expect_join_of(&bob)?;
    Ok((alice, bob))
}

/// Bob envoie `raw`, puis « fin » ; alice renvoie les lignes reçues avant « fin ».
fn rows_received(
    alice: &mut Chatter,
    bob: &mut Chatter,
    raw: &[u8],
) -> io::Result<Vec<String>> {
    bob.send(raw)?;
    bob.say("fin")?;
    let end = format!("{} fin\n", bob.name);
    let mut rows = Vec::new();
    for _ in 0..1000 {
        let row = alice.read_line()?;
        assert!(!row.is_empty(), "la connexion d'alice s'est fermée");
        if row == end {
            return Ok(rows);
        }
        rows.push(row);
    }
    panic!("« fin » n'est jamais arrivé ; reçu : {rows:?}");
}

/// Chaque ligne commence par le préfixe de bob et tient dans 80 colonnes.
fn assert_rows_belong_to(rows: &[String], author: &Chatter) {
    assert!(!rows.is_empty(), "le message doit arriver");
    for row in rows {
        let shown = row.trim_end_matches('\n');
        assert!(
            shown.starts_with(&format!("{} ", author.name)),
            "chaque ligne affichée doit commencer par le vrai préfixe : {shown:?}"
        );
        assert!(
            shown.width() <= MAX_COLUMNS,
            "chaque ligne doit tenir dans {MAX_COLUMNS} colonnes ({} ici) : {shown:?}",
            shown.width()
        );
    }
}

#[test]
fn les_caracteres_de_controle_et_de_direction_deviennent_u_fffd() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    // ESC [2J efface l'écran, BEL fait sonner le terminal, \r ramène le curseur en
    // début de ligne (pour écraser le préfixe), U+009B est un CSI sur un
    // caractère, U+202E renverse le sens d'écriture, U+2066 ouvre un isolat de
    // direction, U+2028 sépare des lignes.
    bob.say("a\x1b[2Jb\x07c\rd\u{9b}e\u{202E}f\u{2066}g\u{2028}h\u{061C}i\u{200F}j")?;
    alice.expect(
        &format!("{} a\u{fffd}[2Jb\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\u{fffd}g\u{fffd}h\u{fffd}i\u{fffd}j\n", bob.name),
        "chaque caractère de contrôle ou de direction doit devenir « \u{fffd} »",
    )?;
    // Des octets qui ne sont pas de l'UTF-8 : remplacés, et la connexion continue.
    bob.send(b"caf\xe9\n")?;
    alice.expect(
        &format!("{} caf\u{fffd}\n", bob.name),
        "l'UTF-8 invalide doit devenir « \u{fffd} »",
    )?;
    Ok(())
}

#[test]
fn les_blancs_sont_reduits_et_un_message_vide_n_envoie_rien() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    let rows =
        rows_received(&mut alice, &mut bob, b"  \t \n   \n  un \t\t  deux   \n")?;
    assert_eq!(
        rows,
        [format!("{} un deux\n", bob.name)],
        "les lignes vides ne sont pas relayées ; chaque suite de blancs devient une espace"
    );
    Ok(())
}

#[test]
fn deux_cents_espaces_ne_font_pas_un_faux_avis() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    let forged = format!(
        "salut{}*** Le serveur s'arrête. Au revoir !\n",
        " ".repeat(200)
    );
    let rows = rows_received(&mut alice, &mut bob, forged.as_bytes())?;
    assert_rows_belong_to(&rows, &bob);
    Ok(())
}

#[test]
fn deux_cents_caracteres_visibles_ne_font_pas_une_fausse_ligne() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    for forged in [
        format!("{}[127.0.0.1:4000] bob: faux\n", "x".repeat(200)),
        format!("{}*** fake\n", "y ".repeat(100)),
    ] {
        let rows = rows_received(&mut alice, &mut bob, forged.as_bytes())?;
        assert_rows_belong_to(&rows, &bob);
        assert!(
            rows.len() >= 3,
            "200 caractères font au moins 3 lignes : {rows:?}"
        );
    }
    Ok(())
}

#[test]
fn la_coupe_compte_les_colonnes_des_caracteres_larges() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    // 漢 et 😀 occupent deux colonnes ; « é » une seule (deux octets pourtant).
    for text in ["漢".repeat(100), "😀".repeat(100), "é".repeat(150)] {
        let rows =
            rows_received(&mut alice, &mut bob, format!("{text}\n").as_bytes())?;
        assert_rows_belong_to(&rows, &bob);
        let prefix = format!("{} ", bob.name);
        let rejoined: String = rows
            .iter()
            .map(|row| row.trim_end_matches('\n').trim_start_matches(&prefix))
            .collect();
        assert_eq!(rejoined, text, "un mot coupé ne perd aucun caractère");
        let first = rows[0].trim_end_matches('\n');
        assert!(
            first.width() > MAX_COLUMNS - 2,
            "la première ligne doit être remplie autant que possible : {first:?}"
        );
    }
    Ok(())
}

#[test]
fn la_coupe_tombe_entre_deux_mots() -> io::Result<()> {
    let (mut alice, mut bob) = alice_and_bob()?;
    let words = "mot ".repeat(40);
    let rows = rows_received(&mut alice, &mut bob, format!("{words}\n").as_bytes())?;
    assert_rows_belong_to(&rows, &bob);
    let prefix = format!("{} ", bob.name);
    for row in &rows {
        let text = row.trim_end_matches('\n').trim_start_matches(&prefix);
        assert!(
            text.split(' ').all(|word| word == "mot"),
            "aucun mot ne doit être coupé, ni aucune espace laissée en bord de ligne : {text:?}"
        );
    }
    Ok(())
}

#[test]
fn un_avis_qui_cite_un_texte_enorme_reste_une_seule_ligne() {
    let huge = "x".repeat(300);
    let notice = notice_about(&huge, |who| format!("*** {who} a rejoint le salon."));
    assert!(notice.ends_with("… a rejoint le salon.\n"), "{notice:?}");
    assert_eq!(
        notice.matches('\n').count(),
        1,
        "un avis n'est jamais coupé"
    );
    let shown = notice.trim_end_matches('\n');
    assert!(
        shown.width() <= MAX_COLUMNS,
        "l'avis entier doit tenir dans {MAX_COLUMNS} colonnes : {shown:?}"
    );
    let short =
        notice_about("[::1]:4000", |who| format!("*** {who} a rejoint le salon."));
    assert_eq!(
        short, "*** [::1]:4000 a rejoint le salon.\n",
        "un texte court est cité entier"
    );
}
