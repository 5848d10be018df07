//! Tests de l'exercice 14 : envoyer et recevoir un fichier (taille, blocs, progression).

use std::io::{Cursor, ErrorKind, Read, Write};

use exercises::ex14_file_transfer::{CHUNK_SIZE, receive_file, send_file};

use crate::common::*;

/// Vérifie une suite d'appels de progression pour un fichier de `total` octets.
fn check_progress(calls: &[(u64, u64)], total: u64, side: &str) {
    assert!(
        !calls.is_empty(),
        "{side} : la progression n'a jamais été appelée"
    );
    assert_eq!(
        calls[0],
        (0, total),
        "{side} : le premier appel est (0, taille)"
    );
    assert_eq!(
        *calls.last().expect("au moins un appel"),
        (total, total),
        "{side} : le dernier appel est (taille, taille)"
    );
    for pair in calls.windows(2) {
        let step = pair[1].0.saturating_sub(pair[0].0);
        assert!(
            pair[1].0 >= pair[0].0 && step as usize <= CHUNK_SIZE,
            "{side} : la progression avance par blocs d'au plus {CHUNK_SIZE} octets : {pair:?}"
        );
        assert_eq!(pair[1].1, total, "{side} : le total annoncé ne change pas");
    }
}

fn l_en_tete_puis_le_contenu() -> std::io::Result<()> {
    let mut out = Vec::new();
    let sent = send_file(Cursor::new(b"bonjour"), 7, &mut out, |_, _| {})?;
    assert_eq!(sent, 7, "7 octets envoyés");
    assert_eq!(
        out, b"\x00\x00\x00\x00\x00\x00\x00\x07bonjour",
        "8 octets de taille (u64 big-endian) puis le contenu"
    );
    Ok(())
}

fn la_progression_avance_par_blocs() -> std::io::Result<()> {
    let data = pattern(10_000);
    let mut calls = Vec::new();
    send_file(
        Cursor::new(&data),
        10_000,
        std::io::sink(),
        |done, total| calls.push((done, total)),
    )?;
    check_progress(&calls, 10_000, "à l'envoi");
    assert!(
        calls.len() >= 4,
        "10 000 octets font au moins 3 blocs de 4096 : {calls:?}"
    );
    Ok(())
}

fn un_fichier_vide() -> std::io::Result<()> {
    let mut out = Vec::new();
    let mut calls = Vec::new();
    send_file(Cursor::new(b""), 0, &mut out, |done, total| {
        calls.push((done, total))
    })?;
    assert_eq!(out, [0u8; 8], "un fichier vide : seulement la taille 0");
    assert_eq!(calls, [(0, 0)], "un fichier vide : un seul appel, (0, 0)");
    let mut received = Vec::new();
    let size = receive_file(Cursor::new(out), &mut received, 100, |_, _| {})?;
    assert_eq!(size, 0, "un fichier vide reçu");
    Ok(())
}

fn un_fichier_traverse_une_vraie_socket_intact() -> std::io::Result<()> {
    let (mut client, server) = socket_pair()?;
    let data = pattern(1024 * 1024 + 123);
    let sent = data.clone();
    let sender = spawn(move || -> std::io::Result<u64> {
        let size = sent.len() as u64;
        let count = send_file(Cursor::new(sent), size, &mut client, |_, _| {})?;
        // Après le fichier, la connexion continue : le récepteur ne doit pas lire ceci.
        client.write_all(b"FIN")?;
        Ok(count)
    });
    let mut server = server;
    let mut received = Vec::new();
    let mut calls = Vec::new();
    let size = receive_file(&mut server, &mut received, 10 << 20, |done, total| {
        calls.push((done, total))
    })?;
    assert_eq!(size, data.len() as u64, "taille reçue");
    assert!(
        received == data,
        "les octets reçus doivent être identiques aux octets envoyés"
    );
    check_progress(&calls, size, "à la réception");
    let mut after = [0u8; 3];
    server.read_exact(&mut after)?;
    assert_eq!(&after, b"FIN", "receive_file a lu au-delà du fichier");
    assert_eq!(
        sender.join_within(TIMEOUT, "l'envoi")??,
        size,
        "send_file rend la taille"
    );
    Ok(())
}

fn un_fichier_trop_gros_est_refuse() -> std::io::Result<()> {
    let mut stream = 10_000_000_000u64.to_be_bytes().to_vec();
    stream.extend_from_slice(b"quelques octets");
    let mut received = Vec::new();
    let err = receive_file(Cursor::new(stream), &mut received, 1 << 20, |_, _| {})
        .expect_err("10 Go annoncés alors que le maximum est 1 Mio");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidData,
        "taille refusée : ErrorKind::InvalidData"
    );
    assert!(
        received.is_empty(),
        "rien ne doit être écrit avant d'avoir vérifié la taille"
    );
    Ok(())
}

fn un_transfert_coupe_est_une_erreur() -> std::io::Result<()> {
    let mut stream = 100u64.to_be_bytes().to_vec();
    stream.extend_from_slice(&pattern(40));
    let err = receive_file(Cursor::new(stream), std::io::sink(), 1000, |_, _| {})
        .expect_err("100 octets annoncés, 40 reçus");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "fichier coupé : UnexpectedEof"
    );
    let err = receive_file(Cursor::new(vec![0u8; 3]), std::io::sink(), 1000, |_, _| {})
        .expect_err("en-tête de 3 octets sur 8");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "en-tête coupé : UnexpectedEof"
    );
    Ok(())
}

fn une_source_trop_courte_est_une_erreur() -> std::io::Result<()> {
    let err = send_file(Cursor::new(b"court"), 10, std::io::sink(), |_, _| {})
        .expect_err("la source n'a que 5 octets sur les 10 annoncés");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "source trop courte : UnexpectedEof"
    );
    Ok(())
}

tests![
    l_en_tete_puis_le_contenu,
    la_progression_avance_par_blocs,
    un_fichier_vide,
    un_fichier_traverse_une_vraie_socket_intact,
    un_fichier_trop_gros_est_refuse,
    un_transfert_coupe_est_une_erreur,
    une_source_trop_courte_est_une_erreur,
];
