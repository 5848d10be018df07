//! Tests de l'exercice 17 : écrire une réponse numérique.

use exercises::ex17_irc_numeric::{MAX_LINE, numeric_reply};

fn les_reponses_de_l_inscription() -> std::io::Result<()> {
    assert_eq!(
        numeric_reply("cours.irc", 1, Some("alice"), &[], "Welcome"),
        ":cours.irc 001 alice :Welcome\r\n",
        "le code sur trois chiffres, le texte après « : »"
    );
    assert_eq!(
        numeric_reply("cours.irc", 433, None, &["bob"], "Nickname is already in use"),
        ":cours.irc 433 * bob :Nickname is already in use\r\n",
        "pas encore de pseudo : « * »"
    );
    assert_eq!(
        numeric_reply("srv", 353, Some("alice"), &["=", "#cours"], "@alice bob"),
        ":srv 353 alice = #cours :@alice bob\r\n",
        "plusieurs paramètres, dans l'ordre"
    );
    Ok(())
}

fn un_texte_vide_garde_ses_deux_points() -> std::io::Result<()> {
    assert_eq!(
        numeric_reply("srv", 324, Some("bob"), &["#c", "+nt"], ""),
        ":srv 324 bob #c +nt :\r\n",
        "un texte vide s'écrit « : » seul"
    );
    Ok(())
}

fn jamais_plus_de_512_octets() -> std::io::Result<()> {
    let long = "x".repeat(600);
    let line = numeric_reply("cours.irc", 372, Some("alice"), &[], &long);
    assert_eq!(line.len(), MAX_LINE, "coupée à 512 octets exactement");
    assert!(line.ends_with("\r\n"), "toujours terminée par \\r\\n");
    assert!(
        line.starts_with(":cours.irc 372 alice :xxx"),
        "seul le texte est raccourci : {:?}",
        &line[..30]
    );
    let short = numeric_reply("cours.irc", 372, Some("alice"), &[], "court");
    assert_eq!(short, ":cours.irc 372 alice :court\r\n", "rien à couper");
    Ok(())
}

tests![
    les_reponses_de_l_inscription,
    un_texte_vide_garde_ses_deux_points,
    jamais_plus_de_512_octets,
];
