//! Tests cachés de l'exercice 14.

use std::io::Cursor;

use exercises::ex14_file_transfer::{CHUNK_SIZE, receive_file, send_file};

use crate::common::*;

fn une_source_plus_longue_n_envoie_que_size() -> std::io::Result<()> {
    let mut out = Vec::new();
    send_file(Cursor::new(pattern(20)), 10, &mut out, |_, _| {})?;
    assert_eq!(out.len(), 8 + 10, "la taille puis 10 octets, pas 20");
    Ok(())
}

fn une_source_en_petits_morceaux_interrompus() -> std::io::Result<()> {
    let data = pattern(20_000);
    let mut out = Vec::new();
    let mut steps = Vec::new();
    let source = ChunkedReader::new(&data, 100).interrupting(4);
    send_file(source, 20_000, &mut out, |done, _| steps.push(done))?;
    assert!(
        out[8..] == data[..],
        "contenu intact malgré les interruptions"
    );
    assert!(
        steps.windows(2).all(|w| w[1] - w[0] <= CHUNK_SIZE as u64),
        "blocs d'au plus CHUNK_SIZE"
    );
    Ok(())
}

fn reception_octet_par_octet_au_maximum() -> std::io::Result<()> {
    let mut stream = 300u64.to_be_bytes().to_vec();
    stream.extend_from_slice(&pattern(300));
    let mut received = Vec::new();
    let size = receive_file(
        ChunkedReader::new(&stream, 1),
        &mut received,
        300,
        |_, _| {},
    )?;
    assert_eq!(size, 300, "taille = maximum : accepté");
    assert!(received == pattern(300), "le contenu reçu doit être celui envoyé");
    Ok(())
}

tests![
    une_source_plus_longue_n_envoie_que_size,
    une_source_en_petits_morceaux_interrompus,
    reception_octet_par_octet_au_maximum,
];
