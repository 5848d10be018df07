//! Tests de l'exercice 11 : qui reçoit quoi quand quelqu'un parle dans le chat.

use exercises::ex11_chat_routing::{Delivery, route_message, route_private};

fn users(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn delivery(to: &str, line: &str) -> Delivery {
    Delivery {
        to: to.to_string(),
        line: line.to_string(),
    }
}

fn chacun_sauf_l_expediteur_recoit_la_ligne() -> std::io::Result<()> {
    let connected = users(&["alice", "bob", "chloe"]);
    assert_eq!(
        route_message(&connected, "bob", "salut"),
        [
            delivery("alice", "bob: salut\n"),
            delivery("chloe", "bob: salut\n")
        ],
        "alice et chloé reçoivent « bob: salut », dans l'ordre de la liste ; pas bob"
    );
    Ok(())
}

fn seul_dans_le_salon_personne_ne_recoit() -> std::io::Result<()> {
    let connected = users(&["alice"]);
    assert!(
        route_message(&connected, "alice", "il y a quelqu'un ?").is_empty(),
        "l'expéditeur ne reçoit pas son propre message"
    );
    Ok(())
}

fn un_expediteur_inconnu_ne_peut_rien_envoyer() -> std::io::Result<()> {
    let connected = users(&["alice", "bob"]);
    assert!(
        route_message(&connected, "mallory", "je ne suis pas inscrit").is_empty(),
        "un expéditeur absent de la liste ne doit rien pouvoir diffuser"
    );
    assert!(
        route_message(&connected, "alice", "").is_empty(),
        "un texte vide ne provoque aucune livraison"
    );
    Ok(())
}

fn un_retour_a_la_ligne_ne_fabrique_pas_de_fausse_ligne() -> std::io::Result<()> {
    let connected = users(&["alice", "bob"]);
    let deliveries = route_message(&connected, "bob", "coucou\nalice: je me rends");
    assert_eq!(
        deliveries,
        [delivery("alice", "bob: coucou\u{FFFD}alice: je me rends\n")],
        "le \\n du texte doit devenir « � » (U+FFFD) : sinon bob fabrique une ligne au nom d'alice"
    );
    let deliveries = route_message(&connected, "bob", "\x1b[31mrouge\r");
    assert_eq!(
        deliveries,
        [delivery("alice", "bob: \u{FFFD}[31mrouge\u{FFFD}\n")],
        "les caractères de contrôle (échappement ANSI, \\r) deviennent « � » (U+FFFD)"
    );
    Ok(())
}

fn un_message_prive_ne_va_qu_au_destinataire() -> std::io::Result<()> {
    let connected = users(&["alice", "bob", "chloe"]);
    assert_eq!(
        route_private(&connected, "bob", "chloe", "psst"),
        Ok(delivery("chloe", "[privé] bob: psst\n")),
        "le message privé de bob à chloé, au format de la leçon 05 : « [privé] bob: psst »"
    );
    Ok(())
}

fn les_messages_prives_impossibles_sont_refuses() -> std::io::Result<()> {
    let connected = users(&["alice", "bob"]);
    let err =
        route_private(&connected, "bob", "zoe", "tu es là ?").expect_err("zoe n'est pas connectée");
    assert!(
        err.contains("zoe"),
        "l'erreur doit citer le destinataire inconnu : « {err} »"
    );
    assert!(
        route_private(&connected, "bob", "bob", "moi-même").is_err(),
        "un message privé à soi-même est refusé"
    );
    assert!(
        route_private(&connected, "mallory", "alice", "coucou").is_err(),
        "un expéditeur inconnu est refusé"
    );
    Ok(())
}

tests![
    chacun_sauf_l_expediteur_recoit_la_ligne,
    seul_dans_le_salon_personne_ne_recoit,
    un_expediteur_inconnu_ne_peut_rien_envoyer,
    un_retour_a_la_ligne_ne_fabrique_pas_de_fausse_ligne,
    un_message_prive_ne_va_qu_au_destinataire,
    les_messages_prives_impossibles_sont_refuses,
];
