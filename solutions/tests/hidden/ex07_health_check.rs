//! Tests cachés de l'exercice 07.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use exercises::ex07_health_check::{Health, check_all, check_health};

use crate::common::*;

/// Un serveur qui répond `reply` après `delay` (il simule un service lent).
fn slow_server(reply: &'static [u8], delay: Duration) -> io::Result<SocketAddr> {
    let (listener, addr) = local_listener()?;
    spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = with_timeouts(&stream);
            if read_line(&mut stream).is_ok() {
                thread::sleep(delay);
                let _ = stream.write_all(reply);
            }
        }
    });
    Ok(addr)
}

fn lent_mais_a_temps_est_up() -> io::Result<()> {
    let addr = slow_server(b"PONG\n", Duration::from_millis(150))?;
    assert_eq!(
        check_health(addr, Duration::from_secs(2)),
        Health::Up,
        "réponse en 150 ms"
    );
    Ok(())
}

fn pong_sans_retour_a_la_ligne_est_down() -> io::Result<()> {
    let addr = slow_server(b"PONG", Duration::ZERO)?;
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Down,
        "« PONG » sans \\n"
    );
    let addr = slow_server(b"PONG\nPONG\n", Duration::ZERO)?;
    assert_eq!(
        check_health(addr, Duration::from_secs(1)),
        Health::Up,
        "la 1re ligne suffit"
    );
    Ok(())
}

fn une_liste_vide() -> io::Result<()> {
    assert!(
        check_all(&[], Duration::from_millis(100)).is_empty(),
        "rien à vérifier"
    );
    Ok(())
}

tests![
    lent_mais_a_temps_est_up,
    pong_sans_retour_a_la_ligne_est_down,
    une_liste_vide,
];
