//! Un vrai client IRC, non modifié : deux irssi dans tmux s'inscrivent, rejoignent
//! `#cours` et se parlent (le script `scripts/irssi-session.sh`, qui écrit aussi la
//! capture du livre). Sauté, avec un message, là où irssi ou tmux manquent.

#![cfg(unix)]

use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Le script attend chaque étape au plus 10 s ; `timeout` le tue de toute façon
/// après ce délai : le test ne peut pas rester bloqué.
const LIMIT_SECS: &str = "90";

#[test]
fn deux_irssi_s_inscrivent_rejoignent_cours_et_se_parlent() {
    let missing: Vec<&str> = ["irssi", "tmux", "timeout"]
        .into_iter()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map_or(true, |output| !output.status.success())
        })
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "test sauté : {} manquant(s) ; installez-les avec \
             « apt-get install irssi tmux » pour voir un vrai client IRC.",
            missing.join(", ")
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("../../target/irc/session-irssi-test.txt");
    let status = Command::new("timeout")
        .arg(LIMIT_SECS)
        .arg("bash")
        .arg(root.join("scripts/irssi-session.sh"))
        .arg(&out)
        .env("LESSON07_IRC_BIN", env!("CARGO_BIN_EXE_lesson07-irc"))
        .status()
        .expect("bash lance le script");
    assert!(status.success(), "la session irssi a échoué ({status})");
    let screen = fs::read_to_string(&out).expect("la capture est écrite");
    for expected in [
        "$ irssi -c 127.0.0.1 -p ",
        "alice [",
        "has joined #cours",
        "< bob> bonjour alice, tu me lis ?",
        "<@alice> oui, par le vrai protocole IRC !",
        "bob is now known as bobby",
        "has quit [Quit: à demain]",
    ] {
        assert!(
            screen.contains(expected),
            "l'écran d'alice doit montrer « {expected} » :\n{screen}"
        );
    }
}
