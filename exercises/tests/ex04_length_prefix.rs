//! Tests de l'exercice 04 : messages préfixés par leur longueur (u32 big-endian).

use std::io::ErrorKind;
use std::net::Shutdown;

use exercises::ex04_length_prefix::{MAX_MESSAGE_LEN, recv_message, send_message};

use crate::common::*;

fn l_en_tete_est_la_longueur_en_big_endian() -> std::io::Result<()> {
    let mut out = Vec::new();
    send_message(&mut out, b"salut")?;
    assert_eq!(
        out, b"\x00\x00\x00\x05salut",
        "attendu 4 octets de longueur (5, big-endian : octet de poids fort d'abord) puis le message"
    );
    let mut out = Vec::new();
    send_message(&mut out, &pattern(300))?;
    assert_eq!(&out[..4], [0, 0, 1, 44], "300 = 0x012C s'écrit 00 00 01 2C");
    Ok(())
}

fn des_messages_font_l_aller_retour_sur_une_socket() -> std::io::Result<()> {
    let (mut client, mut server) = socket_pair()?;
    let big = pattern(100_000);
    let sent = big.clone();
    let writer = spawn(move || -> std::io::Result<()> {
        send_message(&mut client, b"bonjour")?;
        send_message(&mut client, b"")?;
        send_message(&mut client, &sent)?;
        client.shutdown(Shutdown::Write)
    });
    let first = recv_message(&mut server, MAX_MESSAGE_LEN)?;
    assert_eq!(first.as_deref(), Some(&b"bonjour"[..]), "premier message");
    let empty = recv_message(&mut server, MAX_MESSAGE_LEN)?;
    assert_eq!(
        empty.as_deref(),
        Some(&b""[..]),
        "un message vide est un message valide"
    );
    let third = recv_message(&mut server, MAX_MESSAGE_LEN)?;
    assert!(
        third.as_ref() == Some(&big),
        "le message de 100 000 octets doit arriver intact"
    );
    assert_eq!(
        recv_message(&mut server, MAX_MESSAGE_LEN)?,
        None,
        "le pair a fermé proprement après le dernier message : Ok(None)"
    );
    writer.join_within(TIMEOUT, "l'envoi")??;
    Ok(())
}

fn les_octets_un_par_un_suffisent() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"\x00\x00\x00\x03abc\x00\x00\x00\x01z", 1);
    assert_eq!(
        recv_message(&mut reader, 100)?.as_deref(),
        Some(&b"abc"[..]),
        "message 1"
    );
    assert_eq!(
        recv_message(&mut reader, 100)?.as_deref(),
        Some(&b"z"[..]),
        "message 2"
    );
    assert_eq!(recv_message(&mut reader, 100)?, None, "puis la fin propre");
    Ok(())
}

fn une_longueur_trop_grande_est_refusee() -> std::io::Result<()> {
    // Un pair malveillant annonce 4 Gio : il ne faut ni les attendre, ni les réserver.
    let mut reader = ChunkedReader::new(b"\xff\xff\xff\xffabc", 64);
    let err = recv_message(&mut reader, MAX_MESSAGE_LEN)
        .expect_err("une longueur de 4 Gio dépasse le maximum");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "longueur refusée : ErrorKind::InvalidData"
    );

    let mut reader = ChunkedReader::new(b"\x00\x00\x00\x0bhello world", 64);
    let err = recv_message(&mut reader, 10).expect_err("11 octets alors que le maximum est 10");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "11 > 10 : ErrorKind::InvalidData"
    );
    Ok(())
}

fn un_message_tronque_est_une_erreur() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"\x00\x00\x00\x0aabcd", 64);
    let err = recv_message(&mut reader, 100).expect_err("10 octets annoncés, 4 reçus");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "la connexion s'est fermée au milieu du message : UnexpectedEof"
    );
    Ok(())
}

fn un_en_tete_tronque_est_une_erreur() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"\x00\x00", 64);
    let err = recv_message(&mut reader, 100).expect_err("2 octets d'en-tête sur 4");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "fin du flux au milieu de l'en-tête : ce n'est PAS une fin propre (UnexpectedEof)"
    );
    Ok(())
}

fn un_envoi_trop_gros_est_refuse() -> std::io::Result<()> {
    let mut out = Vec::new();
    let too_big = vec![0u8; MAX_MESSAGE_LEN as usize + 1];
    let err = send_message(&mut out, &too_big).expect_err("le message dépasse MAX_MESSAGE_LEN");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidInput,
        "refus à l'envoi : ErrorKind::InvalidInput"
    );
    assert!(
        out.is_empty(),
        "rien ne doit être écrit quand le message est refusé"
    );
    Ok(())
}

tests![
    l_en_tete_est_la_longueur_en_big_endian,
    des_messages_font_l_aller_retour_sur_une_socket,
    les_octets_un_par_un_suffisent,
    une_longueur_trop_grande_est_refusee,
    un_message_tronque_est_une_erreur,
    un_en_tete_tronque_est_une_erreur,
    un_envoi_trop_gros_est_refuse,
];
