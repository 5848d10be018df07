//! Tests du client (`run_chat_client`) contre de vrais serveurs sur 127.0.0.1, port
//! 0. Le clavier et l'écran sont simulés par des canaux : chaque attente a une
//! échéance.

mod common;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;

use common::any_local_port;
use lesson03_threads::{
    ChatConfig, ClientEnd, listen, run_chat_client, serve_chat, serve_echo,
};
use test_kit::{background, connect, keyboard, read_line, screen};

fn start_echo_server() -> io::Result<SocketAddr> {
    // Des dizaines de serveurs dans ce processus : pas de journal.
    course_kit::journal::set_enabled(false);
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_echo(listener, 10));
    Ok(addr)
}

fn start_chat_server() -> io::Result<SocketAddr> {
    course_kit::journal::set_enabled(false);
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_chat(listener, ChatConfig::default()));
    Ok(addr)
}

#[test]
fn le_client_affiche_l_echo_et_s_arrete_sur_exit() -> io::Result<()> {
    let addr = start_echo_server()?;
    let (screen, mut shown) = screen();
    let input = io::Cursor::new("bonjour\r\nça va ?\nexit\nignoré\n");
    let stream = connect(addr)?;
    let end = background(move || run_chat_client(stream, input, screen))
        .join("`exit` doit terminer la session sans attendre")?;
    assert_eq!(end, ClientEnd::Exit, "`exit` doit terminer la session");
    // Le client attend que le serveur ferme après son départ : tout l'écho est déjà
    // affiché.
    assert_eq!(
        shown.collect(),
        "bonjour\nça va ?\n",
        "le client doit afficher chaque écho, et ne rien envoyer après `exit`"
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_a_la_fin_de_l_entree() -> io::Result<()> {
    let addr = start_echo_server()?;
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let input = io::Cursor::new("une ligne");
    let end = background(move || run_chat_client(stream, input, screen))
        .join("la fin de l'entrée doit terminer la session sans attendre")?;
    assert_eq!(
        end,
        ClientEnd::EndOfInput,
        "la fin de l'entrée termine la session"
    );
    assert_eq!(
        shown.collect(),
        "une ligne\n",
        "la dernière ligne, même sans retour à la ligne, est envoyée"
    );
    Ok(())
}

#[test]
fn le_client_previent_quand_le_serveur_ferme_sans_attendre_le_clavier()
-> io::Result<()> {
    // Un « serveur » qui salue puis ferme aussitôt.
    let listener = TcpListener::bind(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.write_all(b"bonjour et au revoir\n")
    });

    // L'utilisateur ne tape rien : le client doit remarquer seul le départ du
    // serveur.
    let (typing, keyboard) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let session = background(move || run_chat_client(stream, keyboard, screen));
    let end = session.join(
        "le client doit s'arrêter quand le serveur ferme, même sans rien taper",
    )?;
    assert_eq!(end, ClientEnd::ServerClosed);
    assert_eq!(
        shown.collect(),
        "bonjour et au revoir\nLe serveur a fermé la connexion.\n",
        "le client affiche ce qui est arrivé, puis explique en français"
    );
    drop(typing);
    Ok(())
}

#[test]
fn le_client_affiche_les_messages_des_autres_pendant_qu_on_tape() -> io::Result<()> {
    let addr = start_chat_server()?;
    let (typing, keyboard) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let session = background(move || run_chat_client(stream, keyboard, screen));
    shown.wait_for("*** Bienvenue");

    // Un autre participant arrive et parle ; notre utilisateur, lui, n'a encore rien
    // tapé.
    let mut other = connect(addr)?;
    let other_name = other.local_addr()?;
    shown.wait_for(&format!("*** [{other_name}] a rejoint le salon.\n"));
    other.write_all(b"quelqu'un ?\n")?;
    shown.wait_for(&format!("[{other_name}] quelqu'un ?\n"));

    // Il tape une ligne (les autres la reçoivent), puis `exit`.
    typing.send(b"oui, moi\n".to_vec()).expect("clavier");
    let mut other_reader = io::BufReader::new(other.try_clone()?);
    let welcome = read_line(&mut other_reader)?;
    assert!(
        welcome.starts_with("*** Bienvenue"),
        "accueil : {welcome:?}"
    );
    let reply = read_line(&mut other_reader)?;
    assert!(
        reply.ends_with("] oui, moi\n"),
        "la ligne tapée doit être relayée aux autres : {reply:?}"
    );
    typing.send(b"exit\n".to_vec()).expect("clavier");
    let end = session.join("`exit` doit terminer la session")?;
    assert_eq!(end, ClientEnd::Exit);
    Ok(())
}

#[test]
fn le_client_du_chat_de_trop_voit_le_refus_puis_la_fermeture() -> io::Result<()> {
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    let config = ChatConfig {
        max_clients: 1,
        ..ChatConfig::default()
    };
    thread::spawn(move || serve_chat(listener, config));
    let mut first = io::BufReader::new(connect(addr)?);
    let welcome = read_line(&mut first)?;
    assert!(
        welcome.starts_with("*** Bienvenue"),
        "la place doit être prise : {welcome:?}"
    );

    let (typing, keyboard) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_chat_client(stream, keyboard, screen))
        .join("le client refusé doit s'arrêter seul")?;
    assert_eq!(end, ClientEnd::ServerClosed);
    assert_eq!(
        shown.collect(),
        "*** Serveur complet (1 connexion au maximum) : réessayez plus tard.\n\
         Le serveur a fermé la connexion.\n"
    );
    drop(typing);
    Ok(())
}

#[test]
fn le_client_neutralise_les_sequences_d_echappement_du_serveur() -> io::Result<()> {
    // Un « serveur » hostile : changer le titre de la fenêtre (OSC 0), effacer
    // l'écran, demander au terminal de « taper » sa réponse (DSR), écrire de
    // droite à gauche.
    let listener = TcpListener::bind(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.write_all(
            "\x1b]0;pirate\x07titre\x1b[2J\r\n\x1b[6n\u{202E}abc\n".as_bytes(),
        )?;
        stream.write_all(b"caf\xc3\n") // pas de l'UTF-8 valide
    });
    let (typing, keyboard) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_chat_client(stream, keyboard, screen))
        .join("le client doit s'arrêter quand le serveur ferme")?;
    assert_eq!(end, ClientEnd::ServerClosed);
    assert_eq!(
        shown.collect(),
        "\u{fffd}]0;pirate\u{fffd}titre\u{fffd}[2J\n\
         \u{fffd}[6n\u{fffd}abc\n\
         caf\u{fffd}\n\
         Le serveur a fermé la connexion.\n",
        "chaque caractère de contrôle reçu doit s'afficher « \u{fffd} »"
    );
    drop(typing);
    Ok(())
}
