//! Tests du client : il affiche ce qui arrive pendant qu'on tape, et s'arrête
//! proprement sur `exit`, à la fin de l'entrée et quand le serveur ferme.

mod common;

use std::io::{self, Write};
use std::net::TcpListener;
use std::thread;

use common::{Chatter, start_chat, start_echo};
use lesson04_select::{ClientEnd, Config, run_client};
use test_kit::{background, connect, keyboard, screen};

#[test]
fn le_client_affiche_l_echo_et_s_arrete_sur_exit() -> io::Result<()> {
    let addr = start_echo(Config::default())?;
    let input = io::Cursor::new("bonjour\r\nça va ?\nexit\nignoré\n");
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_client(stream, input, screen))
        .join("`exit` doit terminer la session sans attendre")?;
    assert_eq!(end, ClientEnd::Exit, "`exit` doit terminer la session");
    let output = shown.collect();
    assert_eq!(
        output, "bonjour\nça va ?\n",
        "le client doit afficher chaque écho, et rien après `exit`"
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_a_la_fin_de_l_entree() -> io::Result<()> {
    let addr = start_echo(Config::default())?;
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end =
        background(move || run_client(stream, io::Cursor::new("une ligne"), screen))
            .join("la fin de l'entrée doit terminer la session sans attendre")?;
    assert_eq!(end, ClientEnd::EndOfInput);
    assert_eq!(
        shown.collect(),
        "une ligne\n",
        "la dernière ligne sans retour à la ligne est envoyée, et son écho affiché"
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_quand_le_serveur_ferme_meme_si_l_utilisateur_ne_tape_rien()
-> io::Result<()> {
    // Un « serveur » qui accepte, dit une ligne, puis ferme.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        listener
            .accept()
            .and_then(|(mut stream, _)| stream.write_all(b"*** Au revoir.\n"))
    });

    // L'utilisateur ne tape rien : l'entrée reste bloquée (on garde l'émetteur).
    let (_typing, input) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_client(stream, input, screen)).join(
        "le client doit s'arrêter quand le serveur ferme, sans attendre le clavier",
    )?;
    assert_eq!(end, ClientEnd::ServerClosed);
    assert_eq!(
        shown.collect(),
        "*** Au revoir.\nLe serveur a fermé la connexion.\n",
        "ce qui est arrivé avant la fermeture est affiché, puis la fermeture expliquée"
    );
    Ok(())
}

#[test]
fn le_client_de_chat_affiche_les_messages_pendant_que_l_utilisateur_tape()
-> io::Result<()> {
    let addr = start_chat(Config::default())?;
    let (typing, input) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let session = background(move || run_client(stream, input, screen));
    shown.wait_for("*** Bienvenue");

    // Quelqu'un d'autre parle alors que « notre » utilisateur n'a rien tapé.
    let mut bob = Chatter::join(addr)?;
    bob.say("tu es là ?\n")?;
    shown.wait_for(&format!("{} tu es là ?\n", bob.name));

    // L'utilisateur tape une réponse, puis `exit`.
    typing.send(b"oui !\n".to_vec()).unwrap();
    assert!(
        bob.message()?.ends_with("] oui !\n"),
        "la ligne tapée part au serveur"
    );
    typing.send(b"exit\n".to_vec()).unwrap();
    let end = session.join("le client doit s'arrêter après `exit`")?;
    assert_eq!(end, ClientEnd::Exit);
    assert!(
        bob.line()?.contains("a quitté le chat"),
        "le départ est annoncé aux autres"
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_si_le_serveur_coupe_pendant_l_envoi() -> io::Result<()> {
    // Un « serveur » qui accepte puis ferme aussitôt, sans rien dire.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || listener.accept().map(|(stream, _)| drop(stream)));

    // L'utilisateur tape beaucoup, et son entrée ne se termine pas : seule la
    // fermeture du serveur peut arrêter le client.
    let (typing, input) = keyboard();
    typing.send("allô ?\n".repeat(1000).into_bytes()).unwrap();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_client(stream, input, screen))
        .join("le client doit s'arrêter quand le serveur coupe")?;
    assert_eq!(end, ClientEnd::ServerClosed);
    assert_eq!(shown.collect(), "Le serveur a fermé la connexion.\n");
    drop(typing);
    Ok(())
}

#[test]
fn le_client_neutralise_ce_qu_envoie_le_serveur() -> io::Result<()> {
    // Un « serveur » hostile : changer le titre de la fenêtre, effacer l'écran,
    // interroger le terminal (sa réponse s'inscrirait dans la ligne tapée),
    // retourner le texte.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        listener.accept().and_then(|(mut stream, _)| {
            stream.write_all(
                "\x1b]0;piège\x07bonjour\x1b[2J\x1b[6n \u{202E}enif\u{2066}\r\nsuite\u{9b}\n"
                    .as_bytes(),
            )
        })
    });
    let (_typing, input) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let end = background(move || run_client(stream, input, screen))
        .join("le client doit s'arrêter quand le serveur ferme")?;
    assert_eq!(end, ClientEnd::ServerClosed);
    let shown = shown.collect();
    assert!(
        !shown.chars().any(|c| (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
        "aucune séquence de contrôle ne doit atteindre l'écran : {shown:?}"
    );
    assert!(
        shown.starts_with("�]0;piège�bonjour�[2J�[6n �enif�\nsuite�\n"),
        "le texte reste lisible, chaque caractère dangereux devient � : {shown:?}"
    );
    Ok(())
}

#[test]
fn la_fin_de_l_entree_reveille_le_client_qui_attend() -> io::Result<()> {
    let addr = start_echo(Config::default())?;
    let (typing, input) = keyboard();
    let (screen, mut shown) = screen();
    let stream = connect(addr)?;
    let session = background(move || run_client(stream, input, screen));
    typing.send(b"bonjour\n".to_vec()).unwrap();
    // L'écho est affiché : la boucle du client dort maintenant dans `poll`.
    shown.wait_for("bonjour\n");
    // Ctrl+D : le thread « clavier » dépose la fin de l'entrée, réveille la boucle,
    // puis s'arrête. Le réveil ne doit pas disparaître avec lui.
    drop(typing);
    let end =
        session.join("la fin de l'entrée doit réveiller le client qui attend")?;
    assert_eq!(end, ClientEnd::EndOfInput);
    Ok(())
}
