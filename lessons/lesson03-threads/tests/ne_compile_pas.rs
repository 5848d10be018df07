//! Le chat naïf du premier document, traduit mot à mot en Rust, ne compile pas : le
//! livre (chapitre « Threads et état partagé ») montre ce fichier et les erreurs du
//! compilateur. Ce test vérifie qu'il est bien refusé, et pour les raisons que le
//! livre explique.

use std::path::Path;
use std::process::Command;

#[test]
fn le_chat_naif_est_refuse_par_le_compilateur() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ne_compile_pas/chat_naif.rs");
    let out_dir =
        std::env::temp_dir().join(format!("chat-naif-{}", std::process::id()));
    // Le compilateur que cargo utilise (variable RUSTC), sinon celui du PATH.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--error-format",
            "short",
        ])
        .arg("--out-dir")
        .arg(&out_dir)
        .arg(&source)
        .output()
        .expect("impossible de lancer rustc");
    let _ = std::fs::remove_dir_all(&out_dir);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "ce fichier ne doit pas compiler :\n{errors}"
    );
    for code in ["E0499", "E0373"] {
        assert!(
            errors.contains(code),
            "erreur {code} attendue (voir le livre), le compilateur a dit :\n{errors}"
        );
    }
}
