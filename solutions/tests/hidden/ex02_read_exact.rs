//! Tests cachés de l'exercice 02.

use std::io::{ErrorKind, Write};

use exercises::ex02_read_exact::read_exact;

use crate::common::*;

fn un_flux_vide_donne_une_erreur_claire() -> std::io::Result<()> {
    let mut reader = ChunkedReader::new(b"", 4).strict();
    let err = read_exact(&mut reader, 5).expect_err("rien n'arrive");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "un flux fini avant les N octets : ErrorKind::UnexpectedEof");
    let message = err.to_string();
    assert!(
        message.contains('0') && message.contains('5'),
        "« 0 sur 5 » : {message}"
    );
    Ok(())
}

fn dix_mille_octets_un_par_un() -> std::io::Result<()> {
    let data = pattern(10_000);
    let mut reader = ChunkedReader::new(&data, 1).interrupting(5).strict();
    assert!(
        read_exact(&mut reader, 10_000)? == data,
        "10 000 octets un par un"
    );
    Ok(())
}

fn socket_fermee_a_mi_chemin() -> std::io::Result<()> {
    let (mut client, mut server) = socket_pair()?;
    client.write_all(b"abc")?;
    drop(client);
    let err = read_exact(&mut server, 10).expect_err("le pair ferme après 3 octets");
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedEof,
        "UnexpectedEof sur une vraie socket"
    );
    Ok(())
}

tests![
    un_flux_vide_donne_une_erreur_claire,
    dix_mille_octets_un_par_un,
    socket_fermee_a_mi_chemin,
];
