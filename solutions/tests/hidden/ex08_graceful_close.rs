//! Tests cachés de l'exercice 08.

use std::io::{self, ErrorKind, Read, Write};
use std::thread;
use std::time::Duration;

use exercises::ex08_graceful_close::graceful_close;

use crate::common::*;

fn un_pair_qui_parle_au_compte_gouttes() -> io::Result<()> {
    let (ours, mut peer) = socket_pair()?;
    // Le pair envoie un octet toutes les 100 ms pendant 3 s : chaque read() réussit, mais
    // la vidange ENTIÈRE dépasse le délai.
    spawn(move || {
        for _ in 0..30 {
            if peer.write_all(b".").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    // Un délai par lecture au lieu d'un délai total laisserait la vidange durer les 3 s, puis
    // rendrait Ok(30) à la fermeture du pair : c'est ce qu'on refuse, sans chronométrer.
    let result = graceful_close(ours, Duration::from_millis(500));
    let err = result.expect_err("la vidange dure 3 s, le délai total est de 500 ms");
    assert_eq!(
        err.kind(),
        ErrorKind::TimedOut,
        "une vidange plus longue que le délai : ErrorKind::TimedOut"
    );
    Ok(())
}

fn une_grande_vidange() -> io::Result<()> {
    let (ours, mut peer) = socket_pair()?;
    let closing = spawn(move || graceful_close(ours, Duration::from_secs(3)));
    let mut nothing = Vec::new();
    peer.read_to_end(&mut nothing)?;
    peer.write_all(&pattern(2_000_000))?;
    drop(peer);
    let drained = closing.join_within(TIMEOUT * 2, "graceful_close")??;
    assert_eq!(drained, 2_000_000, "2 Mo vidangés");
    Ok(())
}

tests![un_pair_qui_parle_au_compte_gouttes, une_grande_vidange];
