//! Tests de l'exercice 08 : la fermeture polie (shutdown, vidange, close).

use std::io::{self, ErrorKind, Read, Write};
use std::time::Duration;

use exercises::ex08_graceful_close::graceful_close;

use crate::common::*;

/// Côté pair : attend la fin du flux envoyée par `graceful_close`.
fn wait_for_end(peer: &mut std::net::TcpStream) -> io::Result<()> {
    let mut received = Vec::new();
    peer.read_to_end(&mut received).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!(
                "le pair n'a pas vu la fin du flux ({err}) : avez-vous appelé shutdown(Write) ?"
            ),
        )
    })?;
    assert!(
        received.is_empty(),
        "le pair ne devait rien recevoir : {received:?}"
    );
    Ok(())
}

fn le_pair_voit_la_fin_puis_peut_encore_parler() -> io::Result<()> {
    let (ours, mut peer) = socket_pair()?;
    let closing = spawn(move || graceful_close(ours, Duration::from_secs(2)));
    wait_for_end(&mut peer)?;
    // Notre sens est fermé, pas le sien : le pair peut encore envoyer.
    peer.write_all(b"dernier mot")?;
    drop(peer);
    let drained = closing.join_within(TIMEOUT * 2, "graceful_close")??;
    assert_eq!(
        drained, 11,
        "les 11 octets de « dernier mot » devaient être vidangés"
    );
    Ok(())
}

fn les_donnees_en_vol_sont_vidangees() -> io::Result<()> {
    let (ours, mut peer) = socket_pair()?;
    peer.write_all(&pattern(50_000))?;
    let closing = spawn(move || graceful_close(ours, Duration::from_secs(2)));
    wait_for_end(&mut peer)?;
    peer.write_all(&pattern(50_000))?;
    drop(peer);
    let drained = closing.join_within(TIMEOUT * 2, "graceful_close")??;
    assert_eq!(
        drained, 100_000,
        "tout ce que le pair a envoyé, avant et après notre FIN, doit être lu jusqu'à SON FIN"
    );
    Ok(())
}

fn un_pair_deja_parti_donne_une_fin_immediate() -> io::Result<()> {
    let (ours, mut peer) = socket_pair()?;
    peer.write_all(b"bye")?;
    drop(peer);
    // Le pair a déjà fermé : la vidange lit ses 3 octets puis sa fin de flux, et s'arrête là.
    // Une vidange qui attendrait le délai au lieu de la fin du flux rendrait TimedOut.
    let drained = graceful_close(ours, Duration::from_secs(2))?;
    assert_eq!(
        drained, 3,
        "les 3 octets envoyés avant la fermeture du pair, puis la fin du flux"
    );
    Ok(())
}

fn un_pair_qui_ne_ferme_jamais_donne_timedout() -> io::Result<()> {
    let (ours, peer) = socket_pair()?;
    // Le pair reste là sans jamais fermer : sans délai de lecture, la vidange attendrait pour
    // toujours. On vérifie qu'elle rend la main, avec TimedOut, sans la chronométrer.
    let result = spawn(move || graceful_close(ours, Duration::from_millis(300))).join_within(
        TIMEOUT,
        "graceful_close face à un pair qui ne ferme jamais, avec un délai de 300 ms (avez-vous \
         réglé set_read_timeout ?)",
    )?;
    drop(peer);
    let err = result.expect_err("le pair ne ferme jamais : le délai doit expirer");
    assert_eq!(
        err.kind(),
        ErrorKind::TimedOut,
        "délai expiré : ErrorKind::TimedOut (WouldBlock sous Unix est à convertir)"
    );
    Ok(())
}

tests![
    le_pair_voit_la_fin_puis_peut_encore_parler,
    les_donnees_en_vol_sont_vidangees,
    un_pair_deja_parti_donne_une_fin_immediate,
    un_pair_qui_ne_ferme_jamais_donne_timedout,
];
