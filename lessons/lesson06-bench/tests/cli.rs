//! Tests du programme lui-même, lancé comme le lance un étudiant : aide en français,
//! une connexion refusée en une phrase, et un passage rapide qui n'écrit rien sur le
//! disque. Chaque processus a une échéance (celle de `test-kit`) et il est tué à la
//! fin du test.

use std::io;
use std::process::Command;

use test_kit::{Program, run, unused_addr};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson06-bench");

// `l_aide_est_en_francais` : le test d'aide que passe chaque leçon, écrit une fois
// dans test-kit.
test_kit::french_cli_tests! {
    program: PROGRAM,
    help: [
        "Utilisation", "--scenario", "--addr", "--pid", "--quick",
        "Affiche cette aide",
    ],
}

#[test]
fn une_connexion_refusee_donne_une_phrase_francaise() -> io::Result<()> {
    // Un port qui vient d'être libéré : personne n'y écoute plus.
    let addr = unused_addr()?;
    for scenario in ["chat", "echo"] {
        let args = [
            "--scenario",
            scenario,
            "--addr",
            &addr.to_string(),
            "--quick",
        ];
        let output = run(PROGRAM, &args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{scenario} : un serveur absent fait échouer la mesure"
        );
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("Erreur : "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "{scenario} : une seule phrase d'erreur attendue :\n{stderr}"
        );
        assert!(
            errors[0].contains("connexion refusée") && !stderr.contains("panicked"),
            "{scenario} : la phrase dit que personne n'écoute, sans panique :\n{stderr}"
        );
    }
    Ok(())
}

#[test]
fn un_passage_rapide_mesure_et_n_ecrit_rien_dans_le_dossier_courant() -> io::Result<()>
{
    let dir = std::env::temp_dir()
        .join(format!("lesson06-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // --duration 1 : le passage rapide, raccourci pour que le test reste loin de son
    // échéance.
    let mut command = Command::new(PROGRAM);
    command
        .args(["--quick", "--duration", "1"])
        .current_dir(&dir);
    let mut bench = Program::spawn(&mut command)?;
    let counts = bench
        .stdout
        .expect(|line| line.contains("Perdues :"), "le compte des pertes");
    assert!(
        counts.contains("Perdues : 0 ;"),
        "le serveur de la leçon 04 livre tout : {counts}"
    );
    bench.stdout.expect(
        |line| line.contains("non corrigée"),
        "la latence non corrigée",
    );
    if !bench.wait().success() {
        let error = bench
            .stderr
            .expect(|line| line.starts_with("Erreur"), "la phrase d'erreur");
        panic!("le passage rapide doit réussir : {error}");
    }
    let written: Vec<_> = std::fs::read_dir(&dir)?.collect();
    let _ = std::fs::remove_dir(&dir);
    assert!(
        written.is_empty(),
        "le banc n'écrit rien sur le disque : {written:?}"
    );
    Ok(())
}
