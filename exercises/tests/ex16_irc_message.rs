//! Tests de l'exercice 16 : lire un message IRC.

use exercises::ex16_irc_message::{Message, parse_message};

fn message(prefix: Option<&str>, command: &str, params: &[&str]) -> Option<Message> {
    Some(Message {
        prefix: prefix.map(str::to_owned),
        command: command.to_owned(),
        params: params.iter().map(|param| param.to_string()).collect(),
    })
}

fn une_commande_et_ses_parametres() -> std::io::Result<()> {
    assert_eq!(
        parse_message("NICK alice"),
        message(None, "NICK", &["alice"]),
        "NICK alice"
    );
    assert_eq!(
        parse_message("join #cours clé\r\n"),
        message(None, "JOIN", &["#cours", "clé"]),
        "la commande passe en majuscules, le \\r\\n final est retiré"
    );
    assert_eq!(parse_message("QUIT"), message(None, "QUIT", &[]), "sans paramètre");
    Ok(())
}

fn le_dernier_parametre_garde_ses_espaces() -> std::io::Result<()> {
    assert_eq!(
        parse_message("PRIVMSG #cours :bonjour à  tous"),
        message(None, "PRIVMSG", &["#cours", "bonjour à  tous"]),
        "après « : », tout le reste de la ligne, espaces doublées comprises"
    );
    assert_eq!(
        parse_message("USER alice 0 * :Alice Martin"),
        message(None, "USER", &["alice", "0", "*", "Alice Martin"]),
        "USER"
    );
    assert_eq!(
        parse_message("TOPIC #cours :"),
        message(None, "TOPIC", &["#cours", ""]),
        "un dernier paramètre vide compte (il efface le sujet)"
    );
    assert_eq!(
        parse_message("PRIVMSG #c ::-)"),
        message(None, "PRIVMSG", &["#c", ":-)"]),
        "seul le premier « : » est retiré"
    );
    Ok(())
}

fn le_prefixe() -> std::io::Result<()> {
    assert_eq!(
        parse_message(":alice!a@127.0.0.1 PRIVMSG bob :salut"),
        message(Some("alice!a@127.0.0.1"), "PRIVMSG", &["bob", "salut"]),
        "le préfixe, sans son « : »"
    );
    assert_eq!(
        parse_message(":cours.irc 001 alice :Welcome"),
        message(Some("cours.irc"), "001", &["alice", "Welcome"]),
        "une réponse numérique"
    );
    Ok(())
}

fn les_espaces_en_trop_et_les_lignes_vides() -> std::io::Result<()> {
    assert_eq!(
        parse_message("  MODE   #cours   +o  bob"),
        message(None, "MODE", &["#cours", "+o", "bob"]),
        "plusieurs espaces séparent comme une seule"
    );
    assert_eq!(parse_message(""), None, "ligne vide");
    assert_eq!(parse_message("   \r\n"), None, "ligne d'espaces");
    assert_eq!(parse_message(":seul.prefixe"), None, "pas de commande");
    Ok(())
}

tests![
    une_commande_et_ses_parametres,
    le_dernier_parametre_garde_ses_espaces,
    le_prefixe,
    les_espaces_en_trop_et_les_lignes_vides,
];
