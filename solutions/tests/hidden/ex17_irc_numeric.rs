//! Tests cachés de l'exercice 17.

use exercises::ex17_irc_numeric::{MAX_LINE, numeric_reply};

fn le_texte_est_coupe_sur_une_frontiere_de_caractere() -> std::io::Result<()> {
    // Des « é » (deux octets) : une coupe à 510 octets pile tomberait au milieu
    // d'un caractère selon la longueur de l'en-tête.
    for server in ["a", "ab"] {
        let text = "é".repeat(400);
        let line = numeric_reply(server, 372, Some("bob"), &[], &text);
        assert!(line.len() <= MAX_LINE, "{} octets", line.len());
        assert!(line.len() >= MAX_LINE - 1, "coupée au plus près : {}", line.len());
        assert!(line.ends_with("é\r\n"), "un « é » entier, puis \\r\\n");
    }
    Ok(())
}

fn les_codes_et_les_parametres() -> std::io::Result<()> {
    assert_eq!(numeric_reply("s", 42, Some("n"), &[], "t"), ":s 042 n :t\r\n");
    assert_eq!(
        numeric_reply("s", 482, Some("n"), &["#c"], "You're not channel operator"),
        ":s 482 n #c :You're not channel operator\r\n"
    );
    Ok(())
}

tests![
    le_texte_est_coupe_sur_une_frontiere_de_caractere,
    les_codes_et_les_parametres,
];
