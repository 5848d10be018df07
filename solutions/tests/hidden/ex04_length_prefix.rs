//! Tests cachés de l'exercice 04.

use std::io::Cursor;

use exercises::ex04_length_prefix::{MAX_MESSAGE_LEN, recv_message, send_message};

use crate::common::*;

fn une_longueur_egale_au_maximum_passe() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"\x00\x00\x00\x05abcde", 2);
    assert_eq!(
        recv_message(&mut reader, 5)?.as_deref(),
        Some(&b"abcde"[..]),
        "une longueur égale au maximum est permise (5 <= 5)"
    );
    let mut out = Vec::new();
    send_message(&mut out, &vec![7u8; MAX_MESSAGE_LEN as usize])?;
    assert_eq!(
        &out[..4],
        [0, 16, 0, 0],
        "un message de 1 Mio exactement est permis"
    );
    Ok(())
}

fn des_octets_binaires_et_des_messages_colles() -> std::io::Result<()> {
    let mut out = Vec::new();
    send_message(&mut out, b"\x00\xff\x00")?;
    send_message(&mut out, b"\n\n")?;
    let mut reader = Cursor::new(out);
    assert_eq!(
        recv_message(&mut reader, 10)?.as_deref(),
        Some(&b"\x00\xff\x00"[..]),
        "le contenu est binaire : 0x00 et 0xFF passent tels quels"
    );
    assert_eq!(
        recv_message(&mut reader, 10)?.as_deref(),
        Some(&b"\n\n"[..]),
        "le 2e message, collé au premier, commence juste après lui"
    );
    assert_eq!(recv_message(&mut reader, 10)?, None, "fin du flux entre deux messages : None");
    Ok(())
}

tests![
    une_longueur_egale_au_maximum_passe,
    des_octets_binaires_et_des_messages_colles,
];
