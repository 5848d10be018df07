//! Le vrai programme, lancé comme un étudiant le lance : l'aide, les erreurs
//! attendues, la bannière, une conversation à la main (comme `nc -C`), l'arrêt par
//! signal. Chaque processus a une échéance : passé ce délai, il est tué et le test
//! échoue.

use std::io::{self, BufReader, Write};
use std::net::TcpStream;

use test_kit::{
    Program, assert_addr_in_use_is_explained, assert_fails_with,
    assert_help_mentions, connect, read_line, run,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_lesson07-irc");

/// Lit jusqu'à une ligne qui contient `wanted` (au plus `MAX_LINES`, voir
/// `test_kit::read_until`) et la rend.
#[track_caller]
fn read_until(reader: &mut BufReader<TcpStream>, wanted: &str) -> io::Result<String> {
    test_kit::read_until(reader, |line| line.contains(wanted), &format!("{wanted:?}"))
}

#[test]
fn l_aide_est_en_francais_et_cite_les_options_de_l_issue() -> io::Result<()> {
    assert_help_mentions(
        PROGRAM,
        &["--help"],
        &[
            "--addr",
            "--name",
            "--motd",
            "--password",
            "--oper",
            "--max-rate",
            "Options",
            "irssi",
        ],
    )?;
    Ok(())
}

#[test]
fn les_erreurs_attendues_tiennent_en_une_phrase() -> io::Result<()> {
    assert_addr_in_use_is_explained(PROGRAM, &[])?;
    let output = run(PROGRAM, &["--max-clients", "0"])?;
    assert_fails_with(&output, "n'est pas un entier entre 1 et 100000");
    let output = run(
        PROGRAM,
        &["--motd", "/nulle/part/motd.txt", "--addr", "127.0.0.1:0"],
    )?;
    assert_fails_with(&output, "impossible de lire le MOTD");
    Ok(())
}

#[cfg(unix)]
#[test]
fn une_session_a_la_main_comme_nc_puis_l_arret_par_signal() -> io::Result<()> {
    let mut server = Program::start(
        PROGRAM,
        &[
            "--addr",
            "127.0.0.1:0",
            "--name",
            "irc.test",
            "--oper",
            "prof",
            "craie",
        ],
    )?;
    let addr = server.listening_addr();
    server.stdout.expect(
        |line| line.contains("irssi -c 127.0.0.1 -p"),
        "comment rejoindre",
    );
    let mut alice = BufReader::new(connect(addr)?);
    alice
        .get_mut()
        .write_all(b"NICK alice\r\nUSER alice 0 * :Alice\r\nJOIN #cours\r\n")?;
    let welcome = read_until(&mut alice, " 001 ")?;
    assert_eq!(
        welcome,
        ":irc.test 001 alice :Welcome to the ReseauEnRust IRC Network \
         alice!alice@127.0.0.1\r\n"
    );
    read_until(&mut alice, " 366 ")?;
    alice.get_mut().write_all(b"OPER prof craie\r\n")?;
    read_until(&mut alice, " 381 ")?;
    server.signal("TERM")?;
    read_until(&mut alice, "*** Le serveur s'arrête. Au revoir !")?;
    read_until(&mut alice, "ERROR :Closing Link")?;
    assert_eq!(read_line(&mut alice)?, "", "puis la fermeture (FIN)");
    server.stdout.expect_line("Serveur arrêté.");
    assert!(server.wait().success(), "SIGTERM : code 0");
    Ok(())
}
