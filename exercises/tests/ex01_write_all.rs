//! Tests de l'exercice 01 : `write_all` écrit à la main avec `write()`.

use std::io::{ErrorKind, Read};
use std::net::Shutdown;

use exercises::ex01_write_all::write_all;

use crate::common::*;

fn tout_est_ecrit_malgre_les_ecritures_partielles() -> std::io::Result<()> {
    let data = pattern(100);
    // Ce faux flux n'accepte que 3 octets par write(), comme un tampon d'envoi presque plein.
    let mut writer = ChunkedWriter::new(3).strict();
    write_all(&mut writer, &data)?;
    assert_eq!(
        writer.written.len(),
        100,
        "write() n'a accepté que 3 octets à la fois : il faut boucler jusqu'au dernier"
    );
    assert!(
        writer.written == data,
        "les octets écrits diffèrent : reprenez-vous bien là où le write() précédent s'est arrêté ?"
    );
    Ok(())
}

fn les_interruptions_sont_reessayees() -> std::io::Result<()> {
    let data = pattern(50);
    // Un write() sur deux est interrompu par un signal : rien n'est perdu, on recommence.
    let mut writer = ChunkedWriter::new(7).interrupting(2).strict();
    let result = write_all(&mut writer, &data);
    assert!(
        result.is_ok(),
        "ErrorKind::Interrupted doit être réessayé, pas renvoyé : {result:?}"
    );
    assert!(
        writer.written == data,
        "les 50 octets doivent être écrits, dans l'ordre"
    );
    Ok(())
}

fn une_ecriture_de_zero_octet_est_une_erreur() -> std::io::Result<()> {
    // Après 12 octets, write() rend Ok(0) : le pair n'accepte plus rien.
    let mut writer = ChunkedWriter::new(5).full_after(12, None).strict();
    let result = write_all(&mut writer, &pattern(40));
    let err = result.expect_err(
        "après 12 octets, write() rend Ok(0) (le pair n'accepte plus rien) : write_all doit alors \
         renvoyer une erreur WriteZero, pas Ok(()) ni boucler",
    );
    assert_eq!(
        err.kind(),
        ErrorKind::WriteZero,
        "un write() de 0 octet doit donner ErrorKind::WriteZero"
    );
    assert_eq!(
        writer.written,
        pattern(12),
        "les 12 premiers octets devaient être écrits"
    );
    Ok(())
}

fn une_autre_erreur_est_renvoyee_aussitot() -> std::io::Result<()> {
    let mut writer = ChunkedWriter::new(4)
        .full_after(8, Some(ErrorKind::BrokenPipe))
        .strict();
    let err = write_all(&mut writer, &pattern(40)).expect_err("l'erreur BrokenPipe est perdue");
    assert_eq!(
        err.kind(),
        ErrorKind::BrokenPipe,
        "l'erreur doit être renvoyée telle quelle"
    );
    assert_eq!(
        writer.writes, 3,
        "après l'erreur, il ne faut plus appeler write() (2 écritures réussies + 1 en erreur)"
    );
    Ok(())
}

fn rien_a_ecrire_reussit_sans_ecrire() -> std::io::Result<()> {
    let mut writer = ChunkedWriter::new(4).strict();
    write_all(&mut writer, b"")?;
    assert!(writer.written.is_empty(), "rien ne devait être écrit");
    Ok(())
}

fn un_mebioctet_traverse_une_vraie_socket() -> std::io::Result<()> {
    let (mut client, mut server) = socket_pair()?;
    // Le lecteur tourne dans un thread : sinon les tampons se rempliraient et write bloquerait.
    let reader = spawn(move || {
        let mut received = Vec::new();
        server.read_to_end(&mut received).map(|_| received)
    });
    let data = pattern(1024 * 1024);
    write_all(&mut client, &data)?;
    client.shutdown(Shutdown::Write)?;
    let received = reader.join_within(TIMEOUT * 2, "la lecture côté serveur")??;
    assert_eq!(
        received.len(),
        data.len(),
        "il manque des octets à l'arrivée"
    );
    assert!(
        received == data,
        "les octets reçus diffèrent des octets envoyés"
    );
    Ok(())
}

tests![
    tout_est_ecrit_malgre_les_ecritures_partielles,
    les_interruptions_sont_reessayees,
    une_ecriture_de_zero_octet_est_une_erreur,
    une_autre_erreur_est_renvoyee_aussitot,
    rien_a_ecrire_reussit_sans_ecrire,
    un_mebioctet_traverse_une_vraie_socket,
];
