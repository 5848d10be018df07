//! Tests cachés de l'exercice 11.

use exercises::ex11_chat_routing::{route_message, route_private};

fn users(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn l_ordre_des_utilisateurs_est_garde() -> std::io::Result<()> {
    let deliveries = route_message(&users(&["zoe", "alice", "max"]), "alice", "hop");
    let to: Vec<&str> = deliveries.iter().map(|d| d.to.as_str()).collect();
    assert_eq!(to, ["zoe", "max"], "ordre de la liste");
    Ok(())
}

fn accents_gardes_controles_remplaces() -> std::io::Result<()> {
    let deliveries = route_message(&users(&["a", "b"]), "a", "héhé ✓\t\0");
    assert_eq!(
        deliveries[0].line, "a: héhé ✓\t\u{FFFD}\n",
        "accents et tabulation intacts, NUL remplacé par « � »"
    );
    let private = route_private(&users(&["a", "b"]), "a", "b", "x\ny");
    assert_eq!(
        private.map(|d| d.line),
        Ok("[privé] a: x\u{FFFD}y\n".to_string()),
        "privé : \\n remplacé par « � »"
    );
    Ok(())
}

fn les_controles_bidirectionnels_et_separateurs_sont_remplaces() -> std::io::Result<()> {
    let text = "a\u{202E}b\u{2066}c\u{200F}d\u{061C}e\u{2028}f\u{2029}g\u{0085}h";
    let deliveries = route_message(&users(&["a", "b"]), "a", text);
    assert_eq!(
        deliveries[0].line, "a: a�b�c�d�e�f�g�h\n",
        "contrôles bidirectionnels, U+2028/U+2029 et U+0085 deviennent « � »"
    );
    Ok(())
}

fn un_grand_salon() -> std::io::Result<()> {
    let names: Vec<String> = (0..1000).map(|i| format!("u{i}")).collect();
    assert_eq!(
        route_message(&names, "u500", "salut").len(),
        999,
        "999 destinataires"
    );
    Ok(())
}

tests![
    l_ordre_des_utilisateurs_est_garde,
    accents_gardes_controles_remplaces,
    les_controles_bidirectionnels_et_separateurs_sont_remplaces,
    un_grand_salon,
];
