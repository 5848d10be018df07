//! Le vrai programme, lancé comme un étudiant le lance, avec une échéance.

use std::io;

use test_kit::{
    Program, assert_addr_in_use_is_explained, assert_help_mentions, occupied_addr,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson08-web");

#[test]
fn l_aide_est_en_francais_et_nomme_les_deux_adresses() -> io::Result<()> {
    let words = [
        "Utilisation",
        "--addr",
        "--chat-addr",
        "--max-rate",
        "navigateur",
    ];
    assert_help_mentions(PROGRAM, &["--help"], &words)?;
    Ok(())
}

#[test]
fn un_port_deja_pris_s_explique_en_une_phrase() -> io::Result<()> {
    assert_addr_in_use_is_explained(PROGRAM, &["--chat-addr", "127.0.0.1:0"])?;
    let (_occupied, chat) = occupied_addr()?;
    let chat = chat.to_string();
    let args = ["--chat-addr", &chat, "--addr", "127.0.0.1:0"];
    let output = test_kit::run(PROGRAM, &args)?;
    test_kit::assert_fails_with(&output, "déjà utilisée");
    test_kit::assert_fails_with(&output, "--chat-addr");
    Ok(())
}

#[cfg(unix)]
#[test]
fn le_programme_annonce_ses_deux_adresses_et_s_arrete_sur_sigterm() -> io::Result<()>
{
    let args = ["--addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0"];
    let mut server = Program::start(PROGRAM, &args)?;
    let web = server.listening_addr();
    let chat = server.listening_addr();
    let page = test_kit::connect(web)?;
    drop(page);
    test_kit::connect(chat)?;
    server.signal("TERM")?;
    assert!(server.wait().success(), "arrêt propre : code 0");
    server
        .stdout
        .expect(|line| line == "Serveur arrêté.", "l'au revoir");
    Ok(())
}
