//! Tests de l'exercice 12 : un historique borné des derniers messages.

use std::io::BufWriter;

use exercises::ex12_history::History;

use crate::common::*;

fn filled(capacity: usize, count: usize) -> History {
    let mut history = History::new(capacity);
    for index in 1..=count {
        history.push(format!("m{index}"));
    }
    history
}

fn garde_les_n_derniers_dans_l_ordre() -> std::io::Result<()> {
    let history = filled(3, 5);
    assert_eq!(history.len(), 3, "capacité 3 : seuls 3 messages restent");
    assert_eq!(
        history.last(10),
        ["m3", "m4", "m5"],
        "les 3 derniers, du plus ancien au plus récent"
    );
    Ok(())
}

fn last_rend_les_n_plus_recents() -> std::io::Result<()> {
    let history = filled(10, 5);
    assert_eq!(
        history.last(2),
        ["m4", "m5"],
        "les 2 plus récents, dans l'ordre"
    );
    assert!(history.last(0).is_empty(), "last(0) : rien");
    assert_eq!(history.last(5).len(), 5, "last(5) : les 5");
    assert_eq!(
        history.last(6).len(),
        5,
        "last(6) sur 5 messages : les 5, sans paniquer"
    );
    Ok(())
}

fn un_historique_neuf_est_vide() -> std::io::Result<()> {
    let history = History::new(4);
    assert!(history.is_empty(), "un historique neuf est vide");
    assert_eq!(history.len(), 0, "len() d'un historique neuf");
    assert!(history.last(3).is_empty(), "rien à rendre");
    Ok(())
}

fn une_capacite_nulle_ne_garde_rien() -> std::io::Result<()> {
    let history = filled(0, 3);
    assert!(history.is_empty(), "capacité 0 : aucun message gardé");
    assert!(history.last(3).is_empty(), "capacité 0 : rien à rendre");
    Ok(())
}

fn ajouter_prend_un_temps_constant() -> std::io::Result<()> {
    // 300 000 ajouts dans un historique plein de 100 000 messages. Une VecDeque les fait en une
    // fraction de seconde ; retirer le premier élément d'un Vec décale les 100 000 autres à
    // chaque ajout, soit des milliards de copies : des minutes. La différence est si grande
    // qu'on ne chronomètre pas : on attend seulement la fin, avec une échéance très large.
    let history = spawn(|| {
        let mut history = History::new(100_000);
        for index in 1..=300_000 {
            history.push(format!("m{index}"));
        }
        history
    })
    .join_within(
        TIMEOUT * 2,
        "300 000 ajouts dans un historique de 100 000 messages (retirer le premier \
         d'un Vec \
         décale tout : utilisez VecDeque)",
    )?;
    assert_eq!(history.len(), 100_000, "capacité 100 000");
    assert_eq!(history.last(1), ["m300000"], "le plus récent");
    Ok(())
}

fn rejouer_sur_une_vraie_socket() -> std::io::Result<()> {
    let (mut client, server) = socket_pair()?;
    let history = filled(3, 4);
    let mut writer = BufWriter::new(server);
    assert_eq!(history.replay(&mut writer)?, 3, "3 messages rejoués");
    // `writer` est encore vivant : sans flush(), rien n'est parti.
    for expected in ["m2\n", "m3\n", "m4\n"] {
        assert_eq!(
            read_line(&mut client)?,
            expected,
            "le nouveau venu reçoit l'historique dans l'ordre"
        );
    }
    drop(writer);
    Ok(())
}

tests![
    garde_les_n_derniers_dans_l_ordre,
    last_rend_les_n_plus_recents,
    un_historique_neuf_est_vide,
    une_capacite_nulle_ne_garde_rien,
    ajouter_prend_un_temps_constant,
    rejouer_sur_une_vraie_socket,
];
