//! Tests cachés de l'exercice 12.

use exercises::ex12_history::History;

fn capacite_un() -> std::io::Result<()> {
    let mut history = History::new(1);
    history.push("a".into());
    history.push("b".into());
    assert_eq!(history.last(5), ["b"], "capacité 1 : le dernier seulement");
    Ok(())
}

fn lire_ne_modifie_rien() -> std::io::Result<()> {
    let mut history = History::new(3);
    for message in ["x", "y"] {
        history.push(message.into());
    }
    assert_eq!(history.last(1), ["y"], "1er appel");
    assert_eq!(history.last(1), ["y"], "2e appel identique");
    let mut out = Vec::new();
    assert_eq!(history.replay(&mut out)?, 2, "2 messages");
    assert_eq!(history.len(), 2, "replay ne vide pas l'historique");
    assert_eq!(out, b"x\ny\n", "contenu rejoué");
    Ok(())
}

fn rejouer_un_historique_vide() -> std::io::Result<()> {
    let mut out = Vec::new();
    assert_eq!(History::new(3).replay(&mut out)?, 0, "rien à rejouer");
    assert!(out.is_empty(), "rien d'écrit");
    Ok(())
}

tests![
    capacite_un,
    lire_ne_modifie_rien,
    rejouer_un_historique_vide
];
