//! Tests de l'exercice 05 : une session d'écho sur n'importe quel `BufRead + Write`.

use std::io::{BufReader, BufWriter, Cursor, Read, Write};

use exercises::ex05_echo_session::{GOODBYE, WELCOME, echo_session};

use crate::common::*;

/// Fait tourner une session sur une entrée en mémoire ; rend (lignes en écho, sortie).
fn run(input: &[u8]) -> std::io::Result<(usize, String)> {
    let mut output = Vec::new();
    let echoed = echo_session(Cursor::new(input.to_vec()), &mut output).map_err(session_error)?;
    Ok((echoed, String::from_utf8_lossy(&output).into_owned()))
}

/// L'erreur rendue par `echo_session`, expliquée : la plus fréquente vient de `read_line`
/// dans une `String`, qui refuse une ligne qui n'est pas de l'UTF-8 (le message anglais de la
/// bibliothèque, « stream did not contain valid UTF-8 », ne dit pas quoi faire).
pub fn session_error(err: std::io::Error) -> std::io::Error {
    let explained = if err.kind() == std::io::ErrorKind::InvalidData {
        format!(
            "echo_session a rendu l'erreur InvalidData ({err}) : read_line dans une String \
             refuse une ligne qui n'est pas de l'UTF-8 et arrête la session. Lisez la ligne en \
             octets (read_until(b'\\n', &mut Vec<u8>)), puis convertissez-la avec \
             String::from_utf8 : si la conversion échoue, répondez « ERREUR: texte non UTF-8 » \
             et passez à la ligne suivante"
        )
    } else {
        format!("echo_session a rendu une erreur au lieu de finir la session : {err}")
    };
    std::io::Error::new(err.kind(), explained)
}

fn accueil_puis_echo_puis_au_revoir() -> std::io::Result<()> {
    let (echoed, output) = run(b"bonjour\nquit\n")?;
    assert_eq!(
        output,
        format!("{WELCOME}\nECHO: bonjour\n{GOODBYE}\n"),
        "l'accueil, l'écho de « bonjour », puis l'au revoir"
    );
    assert_eq!(echoed, 1, "une seule ligne a été renvoyée en écho");
    Ok(())
}

fn quit_tolere_la_casse_et_les_espaces() -> std::io::Result<()> {
    let (_, output) = run(b"  QUIT \r\nencore\n")?;
    assert_eq!(
        output,
        format!("{WELCOME}\n{GOODBYE}\n"),
        "« QUIT » avec des espaces termine la session ; la ligne suivante n'est pas lue"
    );
    Ok(())
}

fn la_fin_du_flux_termine_sans_au_revoir() -> std::io::Result<()> {
    let (echoed, output) = run(b"un\ndeux")?;
    assert_eq!(
        output,
        format!("{WELCOME}\nECHO: un\nECHO: deux\n"),
        "fin du flux : pas d'au revoir (le client est parti) ; la dernière ligne sans \\n compte"
    );
    assert_eq!(echoed, 2, "deux lignes en écho");
    Ok(())
}

fn le_crlf_est_retire() -> std::io::Result<()> {
    let (_, output) = run(b"salut\r\n")?;
    assert_eq!(
        output,
        format!("{WELCOME}\nECHO: salut\n"),
        "le \\r d'un \\r\\n (telnet) ne fait pas partie de la ligne"
    );
    Ok(())
}

fn l_utf8_invalide_recoit_une_erreur() -> std::io::Result<()> {
    let (echoed, output) = run(b"\xff\xfe\nok\n")?;
    assert_eq!(
        output,
        format!("{WELCOME}\nERREUR: texte non UTF-8\nECHO: ok\n"),
        "une ligne non UTF-8 reçoit une erreur, et la session continue"
    );
    assert_eq!(echoed, 1, "la ligne invalide ne compte pas comme un écho");
    Ok(())
}

fn sur_une_vraie_socket_chaque_reponse_arrive() -> std::io::Result<()> {
    let (mut client, server) = socket_pair()?;
    let session = spawn(move || -> std::io::Result<usize> {
        let input = BufReader::new(server.try_clone()?);
        // Un BufWriter garde les octets tant qu'on ne le vide pas : d'où flush().
        echo_session(input, BufWriter::new(server)).map_err(session_error)
    });
    assert_eq!(
        read_line(&mut client)?,
        format!("{WELCOME}\n"),
        "le serveur parle le premier : avez-vous oublié flush après l'accueil ?"
    );
    client.write_all(b"bonjour\n")?;
    let reply = read_line(&mut client)?;
    assert_eq!(reply, "ECHO: bonjour\n", "le serveur a répondu {reply:?}");
    client.write_all(b"quit\n")?;
    assert_eq!(
        read_line(&mut client)?,
        format!("{GOODBYE}\n"),
        "l'au revoir"
    );
    let echoed = session.join_within(TIMEOUT, "la session après quit")??;
    assert_eq!(echoed, 1, "une ligne renvoyée en écho");
    let mut rest = Vec::new();
    client.read_to_end(&mut rest)?;
    assert!(rest.is_empty(), "rien après l'au revoir : {rest:?}");
    Ok(())
}

tests![
    accueil_puis_echo_puis_au_revoir,
    quit_tolere_la_casse_et_les_espaces,
    la_fin_du_flux_termine_sans_au_revoir,
    le_crlf_est_retire,
    l_utf8_invalide_recoit_une_erreur,
    sur_une_vraie_socket_chaque_reponse_arrive,
];
