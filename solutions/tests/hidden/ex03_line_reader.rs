//! Tests cachés de l'exercice 03.

use std::io::ErrorKind;

use exercises::ex03_line_reader::{LineReader, MAX_LINE_LEN};

use crate::common::*;

fn octet_par_octet_avec_crlf() -> std::io::Result<()> {
    let mut lines = LineReader::new(ChunkedReader::new(b"un\r\ndeux\nfin\r\n", 1));
    for expected in ["un", "deux", "fin"] {
        assert_eq!(
            lines.read_line()?.as_deref(),
            Some(expected),
            "lecture octet par octet"
        );
    }
    assert_eq!(lines.read_line()?, None, "fin du flux après la dernière ligne : None");
    Ok(())
}

fn un_cr_au_milieu_reste() -> std::io::Result<()> {
    let mut lines = LineReader::new(ChunkedReader::new(b"a\rb\n", 10));
    assert_eq!(
        lines.read_line()?.as_deref(),
        Some("a\rb"),
        "seul le \\r final est retiré"
    );
    Ok(())
}

fn une_ligne_trop_longue_meme_terminee() -> std::io::Result<()> {
    let mut data = vec![b'x'; MAX_LINE_LEN + 1];
    data.push(b'\n');
    let mut lines = LineReader::new(ChunkedReader::new(&data, 10_000));
    let err = lines
        .read_line()
        .expect_err("MAX_LINE_LEN + 1 octets : trop long");
    assert_eq!(err.kind(), ErrorKind::InvalidData, "une ligne plus longue que MAX_LINE_LEN : ErrorKind::InvalidData (mémoire bornée)");
    Ok(())
}

fn dix_mille_lignes() -> std::io::Result<()> {
    let text: String = (0..10_000).map(|i| format!("ligne {i}\n")).collect();
    let mut lines = LineReader::new(ChunkedReader::new(text.as_bytes(), 7));
    for i in 0..10_000 {
        assert_eq!(lines.read_line()?, Some(format!("ligne {i}")), "ligne {i} : aucune ligne perdue entre deux read()");
    }
    assert_eq!(lines.read_line()?, None, "fin");
    Ok(())
}

tests![
    octet_par_octet_avec_crlf,
    un_cr_au_milieu_reste,
    une_ligne_trop_longue_meme_terminee,
    dix_mille_lignes,
];
