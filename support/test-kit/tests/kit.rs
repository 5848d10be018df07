//! Tests des outils eux-mêmes, avec le petit programme `parrot` et de vraies sockets
//! sur 127.0.0.1 : un outil qui ne borne pas ses attentes ferait bloquer tous les
//! tests du cours.

use std::io::{BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::Duration;

use test_kit::{
    MAX_LINE_BYTES, Program, assert_echo_survives_closed_outputs, assert_echoes,
    assert_echoes_a_mebibyte, assert_echoes_binary, assert_fails_with,
    assert_turned_away, background, connect, keyboard, occupied_addr, pattern,
    read_line, read_until, roundtrip, run, run_with_input, screen, unused_addr,
    with_deadline,
};

const PARROT: &str = env!("CARGO_BIN_EXE_parrot");

#[test]
fn run_rend_le_code_de_sortie_et_les_deux_sorties() -> std::io::Result<()> {
    let output = run(PARROT, &["code", "3"])?;
    assert_eq!(
        output.status.code(),
        Some(3),
        "le code de sortie du programme"
    );
    assert_eq!(output.stdout, b"sortie standard\n");
    assert_eq!(output.stderr, "sortie d'erreur\n".as_bytes());
    Ok(())
}

#[test]
fn une_erreur_attendue_se_verifie_en_une_ligne() -> std::io::Result<()> {
    let output = run(PARROT, &["code", "1"])?;
    assert_fails_with(&output, "sortie d'erreur");
    Ok(())
}

#[test]
#[should_panic(expected = "le programme devait échouer")]
fn un_programme_qui_reussit_n_est_pas_une_erreur_attendue() {
    let output = run(PARROT, &["code", "0"]).unwrap();
    assert_fails_with(&output, "sortie d'erreur");
}

#[test]
fn une_adresse_prise_le_reste_et_une_adresse_libre_refuse() -> std::io::Result<()> {
    let (_listener, taken) = occupied_addr()?;
    assert!(
        TcpListener::bind(taken).is_err(),
        "l'adresse doit rester prise"
    );
    let free = unused_addr()?;
    let refused = std::net::TcpStream::connect(free).expect_err("personne n'écoute");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    Ok(())
}

#[test]
fn run_with_input_donne_l_entree_puis_la_ferme() -> std::io::Result<()> {
    let output = run_with_input(PARROT, &["repeat"], b"un\ndeux\n")?;
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "reçu : un\nreçu : deux\nfin\n",
        "le programme lit l'entrée, puis sa fin"
    );
    Ok(())
}

#[test]
#[should_panic(expected = "il a été tué")]
fn run_tue_un_programme_qui_ne_finit_pas_et_le_dit() {
    let _ = run(PARROT, &["serve"]);
}

#[test]
fn un_programme_lance_se_lit_ligne_par_ligne_sur_chaque_sortie() -> std::io::Result<()>
{
    let mut parrot = Program::start(PARROT, &["repeat"])?;
    parrot.type_line("bonjour")?;
    parrot.stdout.expect_line("reçu : bonjour");
    parrot.type_line("encore")?;
    let line = parrot
        .stdout
        .expect(|line| line.ends_with("encore"), "l'écho de « encore »");
    assert_eq!(line, "reçu : encore");
    parrot.close_stdin();
    parrot.stdout.expect_line("fin");
    assert!(parrot.wait().success(), "fin de l'entrée : code 0");
    assert_eq!(
        parrot.stdout.seen(),
        ["reçu : bonjour", "reçu : encore", "fin"]
    );
    Ok(())
}

#[test]
fn la_banniere_donne_l_adresse_et_le_journal_arrive_sur_la_sortie_d_erreur()
-> std::io::Result<()> {
    let mut parrot = Program::start(PARROT, &["serve"])?;
    assert_eq!(parrot.listening_addr(), "127.0.0.1:7777".parse().unwrap());
    parrot.stderr.expect_line("journal : prêt");
    Ok(()) // `parrot` est détruit ici : le programme, qui ne finit jamais, est tué
}

#[test]
#[should_panic(expected = "sortie terminée avant \"absent\"")]
fn attendre_une_ligne_qui_ne_vient_pas_echoue_en_disant_ce_qu_on_a_lu() {
    let mut parrot = Program::start(PARROT, &["code", "0"]).unwrap();
    parrot.stdout.expect_line("absent");
}

#[test]
#[should_panic(expected = "sortie terminée avant")]
fn apres_la_premiere_ligne_les_sorties_sont_fermees() {
    let mut parrot = Program::start_then_close_outputs(PARROT, &["chatter"]).unwrap();
    parrot.stdout.expect_line("première ligne");
    // Le programme écrit encore, mais plus rien n'arrive : le tube est fermé de notre
    // côté.
    parrot.stdout.expect_line("ligne 1");
}

#[test]
fn connect_regle_les_delais_et_read_line_lit_jusqu_au_retour_a_la_ligne()
-> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = connect(listener.local_addr()?)?;
    assert!(client.read_timeout()?.is_some(), "délai de lecture réglé");
    assert!(client.write_timeout()?.is_some(), "délai d'écriture réglé");
    let (mut server, _) = listener.accept()?;
    server.write_all(b"une ligne\nla suite")?;
    drop(server);
    let mut reader = BufReader::new(client);
    assert_eq!(read_line(&mut reader)?, "une ligne\n");
    assert_eq!(read_line(&mut reader)?, "la suite", "la fin sans \\n");
    assert_eq!(read_line(&mut reader)?, "", "le pair a fermé");
    Ok(())
}

#[test]
fn une_ligne_sans_fin_est_une_erreur_et_non_une_memoire_sans_borne()
-> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = connect(listener.local_addr()?)?;
    let (mut server, _) = listener.accept()?;
    let sending =
        background(move || server.write_all(&vec![b'x'; MAX_LINE_BYTES + 10]));
    let err = read_line(&mut BufReader::new(client)).expect_err("aucun \\n : refus");
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    drop(sending);
    Ok(())
}

#[test]
fn read_until_saute_les_lignes_jusqu_a_celle_qu_on_attend() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = connect(listener.local_addr()?)?;
    let (mut server, _) = listener.accept()?;
    server.write_all(b"*** Bienvenue\n*** Votre pseudo ?\nla suite\n")?;
    let mut reader = BufReader::new(client);
    let line = read_until(&mut reader, |l| l.contains("pseudo"), "la question")?;
    assert_eq!(line, "*** Votre pseudo ?\n");
    assert_eq!(
        read_line(&mut reader)?,
        "la suite\n",
        "rien n'est sauté après"
    );
    Ok(())
}

#[test]
#[should_panic(
    expected = "connexion fermée avant la question ; reçu : [\"bonjour\\n\"]"
)]
fn read_until_echoue_si_le_pair_ferme_avant_la_ligne_attendue() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    server.write_all(b"bonjour\n").unwrap();
    drop(server);
    let mut reader = BufReader::new(client);
    let _ = read_until(&mut reader, |l| l.contains("pseudo"), "la question");
}

#[test]
fn roundtrip_envoie_tout_ferme_l_envoi_et_lit_jusqu_a_la_fin() -> std::io::Result<()>
{
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // Un serveur qui lit tout jusqu'à la fin du flux, puis répond combien il a reçu.
    let server = background(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        let mut received = Vec::new();
        stream.read_to_end(&mut received)?;
        write!(stream, "{} octets", received.len())
    });
    assert_eq!(roundtrip(addr, vec![7; 100_000])?, b"100000 octets");
    server.join("le serveur d'essai")
}

#[test]
fn assert_echoes_accepte_un_vrai_echo() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = background(move || -> std::io::Result<u64> {
        let (stream, _) = listener.accept()?;
        std::io::copy(&mut &stream, &mut &stream)
    });
    assert_echoes(addr, pattern(300_000), "un écho par io::copy")?;
    assert_eq!(echo.join("l'écho d'essai")?, 300_000);
    Ok(())
}

/// Un serveur d'essai pour une seule connexion : il lit tout jusqu'à la fin du flux,
/// passe ce qu'il a lu à `answer`, renvoie ce que `answer` en fait, puis ferme.
fn serve_once(answer: fn(Vec<u8>) -> Vec<u8>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // Pas besoin de l'attendre : il finit avec sa connexion, ou avec le test.
    let _server = background(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        let mut received = Vec::new();
        stream.read_to_end(&mut received)?;
        stream.write_all(&answer(received))
    });
    Ok(addr)
}

#[test]
#[should_panic(expected = "il manque des octets dans l'écho : un écho tronqué")]
fn assert_echoes_refuse_un_echo_tronque() {
    let addr = serve_once(|all| all[..all.len() / 2].to_vec()).unwrap();
    assert_echoes(addr, pattern(1000), "un écho tronqué").unwrap();
}

#[test]
fn un_vrai_echo_renvoie_tout_octet_et_le_mebioctet() -> std::io::Result<()> {
    assert_echoes_binary(serve_once(|received| received)?)?;
    assert_echoes_a_mebibyte(serve_once(|received| received)?)
}

#[test]
#[should_panic(
    expected = "l'écho diffère de l'envoi : le serveur ne doit ni décoder"
)]
fn un_seul_octet_change_fait_echouer_l_echo_binaire() {
    let addr = serve_once(|mut received| {
        // Le dernier octet, `0xc3` sans sa suite, devient `0xc2` : la taille ne
        // change pas, seul le contenu diffère.
        if let Some(last) = received.last_mut() {
            *last ^= 1;
        }
        received
    });
    assert_echoes_binary(addr.unwrap()).unwrap();
}

#[test]
#[should_panic(expected = "l'écho diffère de l'envoi : 1 Mio arrive en plusieurs")]
fn deux_octets_echanges_font_echouer_l_echo_du_mebioctet() {
    // Tout est là, mais pas dans l'ordre : deux octets du milieu échangés.
    let addr = serve_once(|mut received| {
        let middle = received.len() / 2;
        received.swap(middle, middle + 1);
        received
    });
    assert_echoes_a_mebibyte(addr.unwrap()).unwrap();
}

/// Un serveur « plein » d'essai : à la première connexion, il écrit `refusal` sans
/// rien lire, puis ferme.
fn refuse_once(refusal: &'static str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let _server = background(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.write_all(refusal.as_bytes())
    });
    Ok(addr)
}

#[test]
fn un_refus_puis_la_fermeture_renvoient_le_client_de_trop() -> std::io::Result<()> {
    let addr = refuse_once("*** Serveur complet : plus tard.\n")?;
    assert_turned_away(addr, "*** Serveur complet : plus tard.\n")
}

#[test]
#[should_panic(expected = "le client de trop doit recevoir le refus en français")]
fn un_autre_refus_que_celui_attendu_fait_echouer_le_test() {
    let addr = refuse_once("Server full\n").unwrap();
    assert_turned_away(addr, "*** Serveur complet : plus tard.\n").unwrap();
}

#[test]
fn un_serveur_qui_ignore_un_journal_impossible_sert_encore() -> std::io::Result<()> {
    assert_echo_survives_closed_outputs(PARROT, &["echo", "robust"])
}

#[test]
#[should_panic(expected = "tour 0 : le serveur doit servir encore")]
fn un_serveur_qui_panique_sur_son_journal_est_pris_en_faute() {
    // `println!` panique dès le premier client : la connexion est fermée sans écho.
    assert_echo_survives_closed_outputs(PARROT, &["echo", "fragile"]).unwrap();
}

#[test]
fn with_deadline_rend_le_resultat_du_travail() {
    assert_eq!(with_deadline("une addition", || 2 + 2), 4);
}

#[test]
#[should_panic(expected = "un travail bloqué : pas fini")]
fn un_travail_bloque_fait_echouer_le_test_au_lieu_de_le_figer() {
    let (_keep_open, never) = mpsc::channel::<()>();
    let _ = background(move || never.recv())
        .join_within(Duration::from_millis(50), "un travail bloqué");
}

#[test]
#[should_panic(expected = "panique du travail")]
fn une_panique_du_travail_continue_dans_le_test() {
    with_deadline("un travail qui panique", || panic!("panique du travail"));
}

#[test]
fn le_clavier_simule_se_lit_comme_un_vrai_et_se_termine_avec_son_canal() {
    use std::io::BufRead;
    let (typing, keyboard) = keyboard();
    typing.send(b"bonjour\nau ".to_vec()).unwrap();
    typing.send(b"revoir\n".to_vec()).unwrap();
    drop(typing); // Ctrl+D
    let lines: Vec<String> = keyboard.lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["bonjour", "au revoir"]);
}

#[test]
fn l_ecran_simule_attend_ce_qui_s_affiche() {
    let (mut screen, mut shown) = screen();
    let writing = background(move || {
        writeln!(screen, "Connecté.").unwrap();
        writeln!(screen, "Au revoir !").unwrap();
    });
    assert!(shown.wait_for("Au revoir").starts_with("Connecté.\n"));
    writing.join("l'écriture à l'écran");
    assert_eq!(shown.collect(), "Connecté.\nAu revoir !\n");
}
