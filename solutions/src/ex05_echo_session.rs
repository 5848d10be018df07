//! # Exercice 05 — une session d'écho (solution)
//!
//! Le `handle_client` de l'`EchoServer` du document 03, sur n'importe quel
//! `BufRead + Write`. Le Python décodait `recv(4096)` comme si c'était une ligne :
//! deux lignes arrivées ensemble donnaient un seul « ECHO », et un accent coupé entre
//! deux `recv` faisait planter le décodage. Ici on lit de vraies lignes.

use std::io::{self, BufRead, Write};

/// Première ligne envoyée au client (suivie de `\n`).
pub const WELCOME: &str = "Bienvenue sur le serveur d'écho !";
/// Réponse à `quit` (suivie de `\n`), juste avant de terminer la session.
pub const GOODBYE: &str = "Au revoir !";

// ANCHOR: echo_session
/// Mène une session d'écho et renvoie le nombre de lignes renvoyées en écho.
pub fn echo_session(
    mut input: impl BufRead,
    mut output: impl Write,
) -> io::Result<usize> {
    // Le serveur parle le premier ; flush() car `output` peut être un BufWriter.
    writeln!(output, "{WELCOME}")?;
    output.flush()?;

    let mut echoed = 0;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        // read_until garde les octets bruts : une ligne non UTF-8 reste une ligne. Il
        // ne borne pas sa longueur : sur une vraie socket, on la bornerait
        // (`take`, comme `read_line_bounded` de la leçon 02, ou le lecteur de
        // l'exercice 03).
        if input.read_until(b'\n', &mut raw)? == 0 {
            return Ok(echoed); // fin du flux : le client est parti
        }
        let Ok(line) = std::str::from_utf8(&raw) else {
            writeln!(output, "ERREUR: texte non UTF-8")?;
            output.flush()?;
            continue;
        };
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().eq_ignore_ascii_case("quit") {
            writeln!(output, "{GOODBYE}")?;
            output.flush()?;
            return Ok(echoed);
        }
        writeln!(output, "ECHO: {line}")?;
        output.flush()?;
        echoed += 1;
    }
}
// ANCHOR_END: echo_session
