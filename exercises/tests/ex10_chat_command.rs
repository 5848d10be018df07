//! Tests de l'exercice 10 : analyser une ligne du chat en commande.

use exercises::ex10_chat_command::{Command, is_valid_nick, parse_command};

fn assert_invalid(line: &str, why: &str) -> String {
    match parse_command(line) {
        Command::Invalid(reason) => {
            assert!(
                !reason.trim().is_empty(),
                "{line:?} : la raison ne doit pas être vide"
            );
            reason
        }
        other => panic!("{line:?} devait être Invalid ({why}), pas {other:?}"),
    }
}

fn les_messages_ordinaires() -> std::io::Result<()> {
    let cases = [
        ("bonjour à tous", "bonjour à tous"),
        ("salut\r\n", "salut"),
        ("  des espaces devant", "  des espaces devant"),
        ("exit maintenant", "exit maintenant"),
        ("NICK sans barre", "NICK sans barre"),
    ];
    for (line, text) in cases {
        assert_eq!(
            parse_command(line),
            Command::Say(text.to_string()),
            "{line:?} est un message ordinaire (seul le \\r\\n final est retiré)"
        );
    }
    Ok(())
}

fn la_commande_nick() -> std::io::Result<()> {
    assert_eq!(
        parse_command("/nick alice"),
        Command::Nick("alice".into()),
        "/nick alice"
    );
    assert_eq!(
        parse_command("/NICK Bob_2\r\n"),
        Command::Nick("Bob_2".into()),
        "le nom de la commande ne tient pas compte de la casse (/NICK = /nick) ; le pseudo, lui, garde ses majuscules"
    );
    assert_invalid("/nick", "pseudo manquant");
    assert_invalid("/nick alice bob", "un seul pseudo");
    assert_invalid("/nick élodie", "pseudo non ASCII");
    assert_invalid("/nick abcdefghijklmnopq", "pseudo de 17 caractères");
    Ok(())
}

fn la_commande_msg() -> std::io::Result<()> {
    assert_eq!(
        parse_command("/msg bob salut toi"),
        Command::Msg {
            to: "bob".into(),
            text: "salut toi".into()
        },
        "/msg bob salut toi : le texte garde ses espaces internes"
    );
    assert_eq!(
        parse_command("/MSG   bob    hé"),
        Command::Msg {
            to: "bob".into(),
            text: "hé".into()
        },
        "les espaces en trop entre les arguments sont ignorés"
    );
    assert_invalid("/msg bob", "texte manquant");
    assert_invalid("/msg bob    ", "texte vide");
    assert_invalid("/msg", "destinataire manquant");
    Ok(())
}

fn who_quit_et_exit() -> std::io::Result<()> {
    assert_eq!(parse_command("/who"), Command::Who, "/who");
    assert_eq!(parse_command("/WHO\r\n"), Command::Who, "/WHO");
    assert_invalid("/who donc", "/who ne prend pas d'argument");
    assert_eq!(
        parse_command("/quit"),
        Command::Quit(None),
        "/quit sans raison"
    );
    assert_eq!(
        parse_command("/quit à demain "),
        Command::Quit(Some("à demain".into())),
        "/quit avec une raison (espaces autour retirés)"
    );
    assert_eq!(
        parse_command("exit"),
        Command::Quit(None),
        "exit seul sur la ligne"
    );
    assert_eq!(
        parse_command(" exit \r\n"),
        Command::Quit(None),
        "exit entouré d'espaces"
    );
    Ok(())
}

fn la_commande_kill() -> std::io::Result<()> {
    assert_eq!(
        parse_command("/kill bob"),
        Command::Kill {
            target: "bob".into(),
            reason: None
        },
        "/kill sans raison"
    );
    assert_eq!(
        parse_command("/kill bob spam répété"),
        Command::Kill {
            target: "bob".into(),
            reason: Some("spam répété".into())
        },
        "/kill avec une raison"
    );
    assert_invalid("/kill", "cible manquante");
    Ok(())
}

fn commande_inconnue_et_ligne_vide() -> std::io::Result<()> {
    let reason = assert_invalid("/danse maintenant", "commande inconnue");
    assert!(
        reason.contains("/danse"),
        "la raison doit citer la commande inconnue : « {reason} »"
    );
    assert_invalid("/", "commande vide");
    assert_invalid("", "ligne vide");
    assert_invalid("   \r\n", "ligne d'espaces");
    Ok(())
}

fn les_pseudos_valides() -> std::io::Result<()> {
    for nick in ["a", "alice", "Bob_2", "x-y", "abcdefghijklmnop"] {
        assert!(is_valid_nick(nick), "{nick:?} est un pseudo valide");
    }
    for nick in ["", "abcdefghijklmnopq", "élodie", "a b", "bob!", "tab\t"] {
        assert!(!is_valid_nick(nick), "{nick:?} n'est pas un pseudo valide");
    }
    Ok(())
}

tests![
    les_messages_ordinaires,
    la_commande_nick,
    la_commande_msg,
    who_quit_et_exit,
    la_commande_kill,
    commande_inconnue_et_ligne_vide,
    les_pseudos_valides,
];
