//! Tests de la ligne de commande : aide en français, erreurs claires, et un passage
//! minuscule qui écrit bien les trois fichiers de résultats.

use std::io;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// Lance le banc d'essai avec `args` et le tue s'il dépasse le délai.
fn run_binary(args: &[&str]) -> io::Result<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lesson06-bench"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + DEADLINE;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output()
}

#[test]
fn l_aide_est_en_francais() -> io::Result<()> {
    let output = run_binary(&["--help"])?;
    assert!(output.status.success(), "--help doit réussir");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "Utilisation",
        "--quick",
        "--scenarios",
        "--servers",
        "Affiche cette aide",
    ] {
        assert!(
            help.contains(expected),
            "l'aide doit mentionner « {expected} » :\n{help}"
        );
    }
    assert!(
        !help.contains("serve "),
        "la commande interne `serve` reste cachée :\n{help}"
    );
    Ok(())
}

#[test]
fn un_scenario_inconnu_donne_un_message_francais() -> io::Result<()> {
    let output = run_binary(&["--scenarios", "vitesse"])?;
    assert!(!output.status.success(), "un scénario inconnu doit échouer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("scénario inconnu « vitesse »"),
        "le message doit nommer le scénario fautif : {stderr}"
    );
    Ok(())
}

#[test]
fn un_serveur_inconnu_donne_un_message_francais() -> io::Result<()> {
    let output = run_binary(&["--servers", "nginx"])?;
    assert!(!output.status.success(), "un serveur inconnu doit échouer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("serveur inconnu « nginx »") && stderr.contains("ref-mio"),
        "le message doit nommer le serveur fautif et lister les bons : {stderr}"
    );
    Ok(())
}

#[test]
fn un_passage_rapide_ecrit_les_trois_fichiers() -> io::Result<()> {
    let out = std::env::temp_dir().join(format!("lesson06-bench-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_arg = out.to_string_lossy().to_string();
    let output = run_binary(&[
        "--quick",
        "--scenarios",
        "echo,capacite",
        "--servers",
        "ref-mio",
        "--connections",
        "200",
        "--out",
        &out_arg,
    ])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "le passage doit réussir : {stderr}"
    );
    let read = |name: &str| -> String {
        std::fs::read_to_string(PathBuf::from(&out).join(name))
            .unwrap_or_else(|err| panic!("{name} doit être écrit : {err}"))
    };
    let markdown = read("results.md");
    assert!(
        markdown.contains("référence epoll") && markdown.contains("cœurs"),
        "le tableau doit nommer le serveur et la machine :\n{markdown}"
    );
    assert!(
        markdown.contains("--quick"),
        "le tableau cite la commande exacte :\n{markdown}"
    );
    assert!(
        read("results.svg").starts_with("<svg"),
        "results.svg doit être un SVG"
    );
    let json: serde_json::Value =
        serde_json::from_str(&read("results.json")).expect("results.json doit être du JSON valide");
    assert_eq!(
        json["echo"].as_array().map(Vec::len),
        Some(2),
        "deux charges d'écho en mode rapide (1 et 50 connexions)"
    );
    assert_eq!(
        json["capacity"][0]["connected"], 200,
        "les 200 connexions inactives sont ouvertes"
    );
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
