//! Tests cachés de l'exercice 10.

use exercises::ex10_chat_command::{Command, parse_command};

fn is_invalid(line: &str) -> bool {
    matches!(parse_command(line), Command::Invalid(reason) if !reason.trim().is_empty())
}

fn casse_melangee() -> std::io::Result<()> {
    assert_eq!(parse_command("/Quit"), Command::Quit(None), "/Quit");
    assert_eq!(
        parse_command("/KiLL bob"),
        Command::Kill {
            target: "bob".into(),
            reason: None
        },
        "/KiLL"
    );
    assert_eq!(
        parse_command("/Msg bob x"),
        Command::Msg {
            to: "bob".into(),
            text: "x".into()
        },
        "/Msg"
    );
    Ok(())
}

fn pseudos_invalides_dans_msg_et_kill() -> std::io::Result<()> {
    assert!(is_invalid("/msg b@d salut"), "/msg vers un pseudo invalide");
    assert!(is_invalid("/kill b@d"), "/kill d'un pseudo invalide");
    Ok(())
}

fn barres_et_espaces() -> std::io::Result<()> {
    assert_eq!(
        parse_command("a/b"),
        Command::Say("a/b".into()),
        "une barre au milieu"
    );
    assert_eq!(
        parse_command("/quit    "),
        Command::Quit(None),
        "raison faite d'espaces"
    );
    assert_eq!(
        parse_command("EXIT"),
        Command::Say("EXIT".into()),
        "exit est en minuscules"
    );
    Ok(())
}

tests![
    casse_melangee,
    pseudos_invalides_dans_msg_et_kill,
    barres_et_espaces
];
