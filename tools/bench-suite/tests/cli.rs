//! Tests du programme : aide en français, erreurs claires, un passage minuscule qui
//! écrit ses trois fichiers là où `--out` le dit (et nulle part ailleurs), et une
//! mesure qui échoue fait échouer le comparatif. Chaque processus a son échéance
//! (`test-kit`) et il est tué à la fin.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_kit::{Program, run};

const PROGRAM: &str = env!("CARGO_BIN_EXE_bench-suite");

/// Un dossier vide, propre à ce test, sous le dossier temporaire du système.
fn empty_dir(name: &str) -> io::Result<PathBuf> {
    let dir = std::env::temp_dir()
        .join(format!("bench-suite-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Lance le comparatif, qui doit échouer : la phrase d'erreur, puis la ligne qui dit
/// pourquoi (elle contient `cause`), et un code de sortie non nul.
fn assert_measure_fails(command: &mut Command, cause: &str) -> io::Result<()> {
    let mut bench = Program::spawn(command)?;
    let error = bench
        .stderr
        .expect(|line| line.starts_with("Erreur : "), "la phrase d'erreur");
    assert!(error.contains("mesure(s) ont échoué"), "{error}");
    bench
        .stderr
        .expect(|line| line.contains(cause), "la mesure en cause");
    assert!(
        !bench.wait().success(),
        "une mesure qui échoue donne un code de sortie non nul"
    );
    Ok(())
}

#[test]
fn l_aide_est_en_francais_et_nomme_la_commande_du_livre() -> io::Result<()> {
    let output = run(PROGRAM, &["--help"])?;
    assert!(output.status.success(), "--help doit réussir");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "Utilisation",
        "--quick",
        "--scenarios",
        "--servers",
        "--out",
        "--scenarios echo,chat,rafale,capacite --out book/src/bench",
        "irc, web",
        "l07-irc, l07-direct, ngircd (irc)",
        "l08-web",
        "--scenarios irc --out book/src/bench/irc",
        "--scenarios web --out book/src/bench/web",
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
fn un_scenario_ou_un_serveur_inconnu_donne_une_phrase_francaise() -> io::Result<()> {
    let output = run(PROGRAM, &["--scenarios", "vitesse"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "un scénario inconnu doit échouer");
    assert!(
        stderr.starts_with("Erreur : ") && stderr.contains("--scenarios"),
        "{stderr}"
    );
    let output = run(PROGRAM, &["--servers", "nginx"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "un serveur inconnu doit échouer");
    assert!(
        stderr.contains("serveur inconnu « nginx »") && stderr.contains("ref-mio"),
        "le message nomme le serveur fautif et liste les bons : {stderr}"
    );
    Ok(())
}

#[test]
fn un_passage_rapide_ecrit_ses_trois_fichiers_dans_out_et_nulle_part_ailleurs()
-> io::Result<()> {
    let dir = empty_dir("quick")?;
    let mut command = Command::new(PROGRAM);
    command.current_dir(&dir).args([
        "--quick",
        "--scenarios",
        "echo,capacite",
        "--servers",
        "ref-mio",
        "--connections",
        "200",
        "--out",
        "résultats",
    ]);
    let mut bench = Program::spawn(&mut command)?;
    // Chaque étape annonce la suivante sur la sortie d'erreur : on les suit une à
    // une, chaque attente bornée, jusqu'au message final.
    bench.stderr.expect(
        |line| line.contains("mesure 3/3"),
        "la troisième mesure d'écho",
    );
    bench
        .stderr
        .expect(|line| line.contains("capacité"), "le scénario capacité");
    bench.stdout.expect(
        |line| line.starts_with("Résultats écrits"),
        "la fin du passage",
    );
    if !bench.wait().success() {
        let error = bench
            .stderr
            .expect(|line| line.starts_with("Erreur"), "la phrase d'erreur");
        panic!("le passage doit réussir : {error}");
    }
    assert_eq!(
        entries(&dir)?,
        ["résultats"],
        "rien d'autre n'est écrit que le dossier --out"
    );
    let out = dir.join("résultats");
    assert_eq!(
        entries(&out)?,
        ["results.json", "results.md", "results.svg"]
    );
    let read = |name: &str| std::fs::read_to_string(out.join(name));
    let markdown = read("results.md")?;
    assert!(
        markdown.contains("référence epoll") && markdown.contains("cœurs"),
        "{markdown}"
    );
    assert!(
        markdown.contains("--quick"),
        "le tableau cite la commande exacte :\n{markdown}"
    );
    assert!(
        read("results.svg")?.starts_with("<svg"),
        "results.svg doit être un SVG"
    );
    let json: serde_json::Value = serde_json::from_str(&read("results.json")?)
        .expect("results.json doit être du JSON valide");
    assert_eq!(
        json["echo"].as_array().map(Vec::len),
        Some(2),
        "écho à 1 et 50 connexions"
    );
    assert_eq!(
        json["capacity"][0]["connected"], 200,
        "les 200 connexions sont ouvertes"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `true` répond à `--version`, puis se termine sans jamais annoncer d'adresse : le
/// serveur « Python » ne démarre pas, et la mesure doit échouer au lieu de
/// disparaître du tableau.
#[cfg(unix)]
#[test]
fn un_serveur_qui_ne_demarre_pas_fait_echouer_le_comparatif() -> io::Result<()> {
    let dir = empty_dir("failure")?;
    let out = dir.join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let mut command = Command::new(PROGRAM);
    command.env("BENCH_PYTHON", "true").args([
        "--quick",
        "--scenarios",
        "echo",
        "--servers",
        "py-echo",
        "--out",
        &out_arg,
    ]);
    assert_measure_fails(&mut command, "n'a pas démarré")?;
    let markdown = std::fs::read_to_string(out.join("results.md"))?;
    assert!(
        markdown.contains("Mesure impossible"),
        "le rapport le dit aussi :\n{markdown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Un passage IRC minuscule contre la leçon 07 seule : ses trois mesures (deux
/// rythmes, une rafale) sont écrites, typées, et rien n'est perdu.
#[test]
fn un_passage_irc_rapide_mesure_la_lecon_07_et_l_ecrit_en_json() -> io::Result<()> {
    let dir = empty_dir("irc")?;
    let out = dir.join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let mut command = Command::new(PROGRAM);
    command.args([
        "--quick",
        "--scenarios",
        "irc",
        "--servers",
        "l07-irc",
        "--out",
        &out_arg,
    ]);
    let mut bench = Program::spawn(&mut command)?;
    // Chaque étape annonce la suivante : chaque attente reste courte.
    for step in ["inscription", "1 ligne(s)/s", "4 ligne(s)/s", "rafale"] {
        bench.stderr.expect(|line| line.contains(step), step);
    }
    bench.stdout.expect(
        |line| line.starts_with("Résultats écrits"),
        "la fin du passage",
    );
    assert!(bench.wait().success(), "le passage IRC doit réussir");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json"))?)
            .expect("results.json doit être du JSON valide");
    let rows = json["irc"].as_array().expect("une liste de mesures IRC");
    let loads: Vec<&str> = rows
        .iter()
        .filter_map(|row| row["load"]["kind"].as_str())
        .collect();
    assert_eq!(
        loads,
        ["paced", "paced", "burst"],
        "deux rythmes et une rafale"
    );
    for row in rows {
        let delivery = &row["delivery"];
        assert_eq!(row["server"], "l07-irc");
        assert!(
            delivery["delivered"].as_u64() > Some(0),
            "des livraisons : {row}"
        );
        assert_eq!(delivery["lost"], 0, "rien de perdu : {row}");
        assert_eq!(delivery["closed"], 0, "personne de déconnecté : {row}");
    }
    let markdown = std::fs::read_to_string(out.join("results.md"))?;
    assert!(markdown.contains("### IRC"), "le tableau IRC :\n{markdown}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// ngIRCd demandé nommément mais introuvable : la mesure échoue, avec une phrase
/// qui dit quoi installer.
#[test]
fn ngircd_demande_mais_absent_fait_echouer_le_comparatif() -> io::Result<()> {
    let dir = empty_dir("ngircd")?;
    let out_arg = dir.join("out").to_string_lossy().into_owned();
    let mut command = Command::new(PROGRAM);
    command
        .env("BENCH_NGIRCD", dir.join("pas-de-ngircd"))
        .args([
            "--quick",
            "--scenarios",
            "irc",
            "--servers",
            "ngircd",
            "--out",
            &out_arg,
        ]);
    assert_measure_fails(&mut command, "ngIRCd absent (paquet Debian « ngircd »")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
