//! Tests de l'exercice 03 : un lecteur de lignes sur un flux qui arrive en morceaux.

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;

use exercises::ex03_line_reader::{LineReader, MAX_LINE_LEN};

use crate::common::*;

/// Toutes les lignes jusqu'à la fin du flux.
fn all_lines(reader: impl Read) -> std::io::Result<Vec<String>> {
    let mut lines = LineReader::new(reader);
    let mut all = Vec::new();
    while let Some(line) = lines.read_line()? {
        all.push(line);
        assert!(
            all.len() < 1000,
            "plus de 1000 lignes : read_line ne rend-il jamais None ?"
        );
    }
    Ok(all)
}

fn une_ligne_coupee_en_morceaux_est_recollee() -> std::io::Result<()> {
    // 3 octets par read() : « bonjour\n » arrive en « bon », « jou », « r\ns »...
    let lines = all_lines(ChunkedReader::new(b"bonjour\nsalut\n", 3))?;
    assert_eq!(
        lines,
        ["bonjour", "salut"],
        "une ligne peut arriver en plusieurs morceaux : gardez le début dans le tampon"
    );
    Ok(())
}

fn plusieurs_lignes_dans_un_seul_morceau() -> std::io::Result<()> {
    let lines = all_lines(ChunkedReader::new(b"un\ndeux\ntrois\n", 1000))?;
    assert_eq!(
        lines,
        ["un", "deux", "trois"],
        "trois lignes dans un seul read() : les octets après le premier \\n restent pour la suite"
    );
    Ok(())
}

fn la_derniere_ligne_sans_retour_est_rendue() -> std::io::Result<()> {
    let mut lines = LineReader::new(ChunkedReader::new(b"un\ndeux", 4));
    assert_eq!(lines.read_line()?.as_deref(), Some("un"), "première ligne");
    assert_eq!(
        lines.read_line()?.as_deref(),
        Some("deux"),
        "la dernière ligne n'a pas de \\n : à la fin du flux, rendez ce qui reste"
    );
    assert_eq!(lines.read_line()?, None, "puis None : le flux est fini");
    assert_eq!(lines.read_line()?, None, "et encore None si l'on redemande");
    Ok(())
}

fn crlf_et_lignes_vides() -> std::io::Result<()> {
    let lines = all_lines(ChunkedReader::new(b"a\r\n\r\n\nb\n", 2))?;
    assert_eq!(
        lines,
        ["a", "", "", "b"],
        "\\r\\n est une fin de ligne (telnet, Windows) et une ligne vide reste une ligne"
    );
    Ok(())
}

fn un_flux_vide_rend_none() -> std::io::Result<()> {
    let mut lines = LineReader::new(ChunkedReader::new(b"", 4));
    assert_eq!(
        lines.read_line()?,
        None,
        "un flux vide ne contient aucune ligne"
    );
    Ok(())
}

fn les_interruptions_sont_reessayees() -> std::io::Result<()> {
    let reader = ChunkedReader::new(b"une\nautre\n", 3).interrupting(2);
    let lines = all_lines(reader);
    assert!(
        lines.is_ok(),
        "ErrorKind::Interrupted doit être réessayé : {lines:?}"
    );
    assert_eq!(lines?, ["une", "autre"], "les deux lignes");
    Ok(())
}

fn une_ligne_sans_fin_est_refusee() -> std::io::Result<()> {
    // Un pair qui n'envoie jamais de \n : la mémoire doit rester bornée.
    let mut lines = LineReader::new(Endless::new(b'a'));
    let err = lines
        .read_line()
        .expect_err("une ligne de plus de MAX_LINE_LEN octets doit être refusée");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "ligne trop longue : ErrorKind::InvalidData"
    );
    Ok(())
}

fn une_ligne_de_longueur_maximale_passe() -> std::io::Result<()> {
    let mut data = vec![b'x'; MAX_LINE_LEN];
    data.push(b'\n');
    let lines = all_lines(ChunkedReader::new(&data, 100))?;
    assert_eq!(
        lines.len(),
        1,
        "une ligne de MAX_LINE_LEN octets est permise"
    );
    assert_eq!(
        lines[0].len(),
        MAX_LINE_LEN,
        "la ligne doit être rendue entière"
    );
    Ok(())
}

fn l_utf8_invalide_est_refuse() -> std::io::Result<()> {
    let mut lines = LineReader::new(ChunkedReader::new(b"ok\n\xff\xfe\n", 10));
    assert_eq!(
        lines.read_line()?.as_deref(),
        Some("ok"),
        "la première ligne est valide"
    );
    let err = lines
        .read_line()
        .expect_err("\\xff\\xfe n'est pas de l'UTF-8");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "UTF-8 invalide : ErrorKind::InvalidData"
    );
    Ok(())
}

fn des_lignes_en_morceaux_sur_une_vraie_socket() -> std::io::Result<()> {
    let (mut client, server) = socket_pair()?;
    let writer = spawn(move || -> std::io::Result<()> {
        // « première » est coupée AU MILIEU du « è » (2 octets en UTF-8) : on ne décode
        // qu'une fois la ligne complète.
        for piece in [
            &b"premi\xc3"[..],
            b"\xa8re\ndeu",
            b"xi\xc3\xa8me\ntroisi\xc3\xa8me",
        ] {
            client.write_all(piece)?;
            client.flush()?;
        }
        client.shutdown(Shutdown::Write)
    });
    let lines = all_lines(server)?;
    assert_eq!(
        lines,
        ["première", "deuxième", "troisième"],
        "les trois lignes reçues"
    );
    writer.join_within(TIMEOUT, "l'envoi")??;
    Ok(())
}

tests![
    une_ligne_coupee_en_morceaux_est_recollee,
    plusieurs_lignes_dans_un_seul_morceau,
    la_derniere_ligne_sans_retour_est_rendue,
    crlf_et_lignes_vides,
    un_flux_vide_rend_none,
    les_interruptions_sont_reessayees,
    une_ligne_sans_fin_est_refusee,
    une_ligne_de_longueur_maximale_passe,
    l_utf8_invalide_est_refuse,
    des_lignes_en_morceaux_sur_une_vraie_socket,
];
