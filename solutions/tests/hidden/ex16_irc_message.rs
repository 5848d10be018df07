//! Tests cachés de l'exercice 16.

use exercises::ex16_irc_message::parse_message;

fn quinze_parametres_au_plus() -> std::io::Result<()> {
    let words: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    let line = format!("CMD {}", words.join(" "));
    let message = parse_message(&line).expect("un message");
    assert_eq!(message.params.len(), 15, "15 paramètres au plus");
    assert_eq!(message.params[14], "15 16 17 18 19 20", "le quinzième : le reste");
    Ok(())
}

fn le_prefixe_et_les_espaces() -> std::io::Result<()> {
    let message = parse_message(":a!b@c   notice  *  :x  y ").expect("un message");
    assert_eq!(message.prefix.as_deref(), Some("a!b@c"));
    assert_eq!(message.command, "NOTICE");
    assert_eq!(message.params, ["*", "x  y "], "le dernier garde tout, même la fin");
    let lone = parse_message("PING :").expect("un message");
    assert_eq!(lone.params, [""], "un dernier paramètre vide");
    Ok(())
}

tests![quinze_parametres_au_plus, le_prefixe_et_les_espaces];
