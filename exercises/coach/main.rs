//! `cargo run -p exercises` : l'entraîneur des exercices (son code est dans
//! `tools/coach`, avec ses tests).
//!
//! Il est ici, dans le paquet `exercises`, pour que la commande soit celle qu'on
//! attend ; il est hors de `src/` pour que `src/` reste votre copie, et il ne lie
//! PAS vos exercices : il fonctionne même quand ils ne compilent pas. Il les vérifie
//! comme `cargo test -p exercises`, avec le même correcteur, dans des processus à
//! part (voir le chapitre « L'entraîneur » du livre).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    coach::main(Path::new(env!("CARGO_MANIFEST_DIR")))
}
