//! Tests de l'exercice 02 : lire exactement N octets avec `read()`.

use std::io::{ErrorKind, Write};
use std::net::Shutdown;

use exercises::ex02_read_exact::read_exact;

use crate::common::*;

fn les_octets_arrivent_un_par_un() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"bonjour le monde", 1).strict();
    let bytes = read_exact(&mut reader, 16)?;
    assert_eq!(
        bytes, b"bonjour le monde",
        "read() ne rend qu'un octet à la fois : il faut boucler jusqu'à en avoir 16"
    );
    Ok(())
}

fn ne_lit_pas_au_dela_de_n() -> std::io::Result<()> {
    // Tout arrive d'un coup : il ne faut pas consommer les octets du message suivant.
    let mut reader = ChunkedReader::new(b"ABCDEFGH", 100).strict();
    assert_eq!(
        read_exact(&mut reader, 4)?,
        b"ABCD",
        "les 4 premiers octets"
    );
    assert_eq!(
        reader.remaining(),
        b"EFGH",
        "read_exact(4) a consommé plus de 4 octets : ne demandez à read() que ce qui manque"
    );
    assert_eq!(
        read_exact(&mut reader, 4)?,
        b"EFGH",
        "les 4 octets suivants"
    );
    Ok(())
}

fn les_interruptions_sont_reessayees() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"0123456789", 3)
        .interrupting(2)
        .strict();
    let result = read_exact(&mut reader, 10);
    assert!(
        result.is_ok(),
        "ErrorKind::Interrupted doit être réessayé, pas renvoyé : {result:?}"
    );
    assert_eq!(result?, b"0123456789", "les 10 octets, dans l'ordre");
    Ok(())
}

fn une_fin_prematuree_donne_une_erreur_claire() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"abc", 2).strict();
    let err = read_exact(&mut reader, 10).expect_err("le flux s'arrête après 3 octets sur 10");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "une fin de flux prématurée doit donner ErrorKind::UnexpectedEof"
    );
    let message = err.to_string();
    assert!(
        message.contains('3') && message.contains("10"),
        "le message d'erreur doit dire combien d'octets sont arrivés (3) sur combien (10) : « {message} »"
    );
    Ok(())
}

fn une_erreur_de_lecture_est_renvoyee() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"ab", 2).strict();
    reader.then_error = Some(ErrorKind::ConnectionReset);
    let err = read_exact(&mut reader, 5).expect_err("la connexion a été réinitialisée");
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionReset,
        "l'erreur de read() doit être renvoyée telle quelle"
    );
    Ok(())
}

fn zero_octet_demande_rend_un_vecteur_vide() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"xyz", 3).strict();
    assert!(
        read_exact(&mut reader, 0)?.is_empty(),
        "0 octet demandé : vecteur vide"
    );
    assert_eq!(reader.remaining(), b"xyz", "rien ne devait être consommé");
    Ok(())
}

fn des_messages_sur_une_vraie_socket() -> std::io::Result<()> {
    let (mut client, mut server) = socket_pair()?;
    let big = pattern(200_000);
    let sent = big.clone();
    let writer = spawn(move || -> std::io::Result<()> {
        // Des envois de tailles arbitraires : les frontières ne correspondent à rien.
        client.write_all(b"AB")?;
        client.write_all(b"CDEF")?;
        client.write_all(&sent)?;
        client.shutdown(Shutdown::Write)
    });
    assert_eq!(
        read_exact(&mut server, 4)?,
        b"ABCD",
        "les 4 premiers octets"
    );
    assert_eq!(read_exact(&mut server, 2)?, b"EF", "les 2 suivants");
    let received = read_exact(&mut server, big.len())?;
    assert!(
        received == big,
        "les 200 000 octets doivent arriver intacts"
    );
    writer.join_within(TIMEOUT, "l'envoi")??;
    Ok(())
}

tests![
    les_octets_arrivent_un_par_un,
    ne_lit_pas_au_dela_de_n,
    les_interruptions_sont_reessayees,
    une_fin_prematuree_donne_une_erreur_claire,
    une_erreur_de_lecture_est_renvoyee,
    zero_octet_demande_rend_un_vecteur_vide,
    des_messages_sur_une_vraie_socket,
];
