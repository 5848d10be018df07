//! Tests cachés de l'exercice 05.

use std::io::{self, Cursor, Write};

use exercises::ex05_echo_session::{WELCOME, echo_session};

/// Compte le nombre maximal de lignes écrites sans flush() entre elles.
#[derive(Default)]
struct FlushTracker {
    unflushed_lines: usize,
    worst: usize,
}

impl Write for FlushTracker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.unflushed_lines += buf.iter().filter(|&&b| b == b'\n').count();
        self.worst = self.worst.max(self.unflushed_lines);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.unflushed_lines = 0;
        Ok(())
    }
}

fn flush_apres_chaque_reponse() -> io::Result<()> {
    let mut tracker = FlushTracker::default();
    echo_session(Cursor::new(b"a\nb\nc\nquit\n".to_vec()), &mut tracker)
        .map_err(crate::ex05_echo_session::session_error)?;
    assert_eq!(
        tracker.worst, 1,
        "chaque ligne de réponse doit être suivie d'un flush()"
    );
    Ok(())
}

fn quitter_n_est_pas_quit() -> io::Result<()> {
    let mut out = Vec::new();
    let echoed = echo_session(Cursor::new(b"quitter\n\n".to_vec()), &mut out)
        .map_err(crate::ex05_echo_session::session_error)?;
    assert_eq!(
        String::from_utf8_lossy(&out),
        format!("{WELCOME}\nECHO: quitter\nECHO: \n"),
        "« quitter » n'est pas « quit », et une ligne vide a son écho"
    );
    assert_eq!(echoed, 2, "deux échos");
    Ok(())
}

tests![flush_apres_chaque_reponse, quitter_n_est_pas_quit];
