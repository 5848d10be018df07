//! Le rapport d'un passage : un tableau Markdown (inclus dans le livre), les données
//! brutes en JSON et le graphique SVG (`chart.rs`). Rien n'est tapé à la main : le
//! livre montre exactement ce que la commande a mesuré. Tout est écrit dans le seul
//! dossier `--out`.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::numbers::{decimal, or_dash, thousands};
use crate::results::{
    BurstRow, ChatRow, IrcLoad, Limit, P99_LIMIT_MS, Report, WebRow, common_rate,
};

/// Les fichiers écrits, dans le dossier `--out`.
pub const FILES: [&str; 3] = ["results.md", "results.svg", "results.json"];

/// Écrit `results.md`, `results.svg` et `results.json` dans `dir` (créé s'il le
/// faut).
pub fn write_all(report: &Report, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(FILES[0]), markdown(report))?;
    std::fs::write(dir.join(FILES[1]), crate::chart::svg(report)?)?;
    let json = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    std::fs::write(dir.join(FILES[2]), json + "\n")
}

/// L'en-tête commun : machine, date, commande.
fn provenance(report: &Report) -> String {
    let m = &report.machine;
    format!(
        "Mesuré le {} sur {} cœurs ({}, {}), mode {}, avec :\n`{}`\n\n\
         Serveur épinglé seul sur un cœur, générateur de charge sur un autre : {}. \
         Le générateur active TCP_NODELAY (pas d'algorithme de Nagle) sur toutes ses connexions ; \
         côté serveur, c'est le choix de chaque serveur (les références et les scripts Python \
         l'activent).\n",
        report.date,
        m.cores,
        m.cpu_model,
        m.os,
        report.mode,
        report.command,
        if m.pinned { "oui" } else { "non" },
    )
}

pub fn markdown(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "{}", provenance(report));
    for note in &report.notes {
        let _ = writeln!(md, "> {note}\n");
    }
    for error in &report.errors {
        let _ = writeln!(md, "> **Mesure impossible** : {error}\n");
    }
    echo_table(report, &mut md);
    chat_table(report, &mut md);
    stalled_table(report, &mut md);
    burst_table(report, &mut md);
    irc_table(report, &mut md);
    web_table(report, &mut md);
    web_burst_table(report, &mut md);
    capacity_table(report, &mut md);
    targets_table(report, &mut md);
    md
}

fn echo_table(report: &Report, md: &mut String) {
    if report.echo.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Écho : boucle fermée, un message en vol par connexion\n\n\
         CPU serveur : temps CPU (utilisateur + système) du processus serveur pendant la \
         fenêtre mesurée, divisé par le nombre de messages renvoyés. Latence : aller-retour \
         vu par le générateur. Médianes de trois mesures. Avec une seule connexion, le serveur \
         s'endort entre deux messages : le coût du réveil domine ; avec beaucoup de connexions, \
         un seul réveil sert plusieurs messages (boucle d'événements), ou non (un thread par \
         client).\n\n\
         | Serveur | Connexions | Ligne | Messages/s | p50 (µs) | p99 (µs) | CPU serveur par message (µs) | × référence |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rows: Vec<_> = report.echo.iter().collect();
    rows.sort_by_key(|row| (row.line_len, row.connections));
    for row in rows {
        let errors = match row.errors {
            0 => String::new(),
            errors => format!(" ({errors} erreurs)"),
        };
        let _ = writeln!(
            md,
            "| {}{errors} | {} | {} o | {} | {:.0} | {:.0} | {} | {} |",
            row.label,
            row.connections,
            row.line_len,
            thousands(row.messages_per_second),
            row.p50_us,
            row.p99_us,
            or_dash(row.cpu_per_message_us, 2),
            or_dash(row.vs_reference, 2),
        );
    }
    md.push('\n');
}

fn chat_table(report: &Report, md: &mut String) {
    if report.chat.is_empty() {
        return;
    }
    let first_rate = report
        .chat
        .iter()
        .find_map(|row| row.steps.first())
        .map_or("1er palier".to_string(), |step| {
            format!("{}/s", thousands(step.offered))
        });
    let _ = writeln!(
        md,
        "### Chat : diffusion en boucle ouverte, chaque livraison vérifiée\n\n\
         Débit soutenu : le plus haut palier (en livraisons par seconde, un message reçu par \
         un client) sans perte (tout est arrivé moins de 2 s après le dernier envoi), dans \
         l'ordre de chaque émetteur, avec un p99 sous {P99_LIMIT_MS} ms. Les paliers doublent ; \
         p50, p99 et CPU sont ceux du palier soutenu. Latence : depuis l'heure PRÉVUE de \
         l'envoi (corrigée) ; entre parenthèses, le p99 depuis l'envoi réel (non corrigé) : \
         l'écart est le retard pris par le générateur lui-même. Un serveur chargé à 100 % \
         d'un cœur qui tient encore le palier regroupe tout ce qui attend en une écriture : \
         son coût par livraison n'y vaut plus que « 1 / débit ».\n\n\
         | Serveur | Salon | Débit soutenu (livraisons/s) | p50 (ms) | p99 (ms) | CPU par livraison (µs) | Charge du serveur | CPU à {first_rate} (µs) | Palier suivant |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let mut rows: Vec<_> = report.chat.iter().collect();
    rows.sort_by_key(|row| row.room);
    for row in rows {
        let _ = writeln!(md, "{}", ramp_line(row));
    }
    md.push('\n');
    let mut rooms: Vec<usize> = report.chat.iter().map(|row| row.room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    for room in rooms {
        let Some(rate) = report.comparison_rate(room, &[]) else {
            continue;
        };
        let costs: Vec<String> = report
            .chat
            .iter()
            .filter(|row| row.room == room)
            .filter_map(|row| {
                let step = row.steps.iter().find(|step| step.offered == rate)?;
                Some(format!(
                    "{} {} µs",
                    row.label,
                    or_dash(step.cpu_per_delivery_us, 2)
                ))
            })
            .collect();
        let _ = writeln!(
            md,
            "- Salon de {room}, au même débit pour tous ({} livraisons/s, le plus haut tenu par tous sous 80 % d'un cœur), CPU par livraison : {}.",
            thousands(rate),
            costs.join(" ; ")
        );
    }
    md.push('\n');
}

fn stalled_table(report: &Report, md: &mut String) {
    if report.stalled.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Chat avec un client qui ne lit jamais\n\n\
         Même salon, au débit que tous les serveurs ont tenu, plus un client qui ne lit \
         jamais : on remplit d'abord ses tampons (environ 2 Mio de longues lignes), puis on \
         mesure un palier.\n\n\
         | Serveur | Salon | Débit (livraisons/s) | p99 sans lui (ms) | p50 avec (ms) | p99 avec (ms) | Manquantes | VmRSS du serveur (Mio) | Verdict |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for row in &report.stalled {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.label,
            row.room,
            thousands(row.offered),
            or_dash(row.healthy_p99_ms, 2),
            or_dash(row.stalled_p50_ms, 2),
            or_dash(row.stalled_p99_ms, 2),
            row.lost,
            or_dash(row.server_rss_after.map(|b| b as f64 / 1_048_576.0), 1),
            row.verdict,
        );
    }
    md.push('\n');
}

fn burst_table(report: &Report, md: &mut String) {
    let Some(first) = report.burst.first() else {
        return;
    };
    let _ = writeln!(
        md,
        "### Rafale : {} clients × {} lignes d'un coup\n\n\
         Toute une classe colle en même temps un texte de {} lignes : chaque client envoie tout \
         d'un coup, puis lit. {} livraisons attendues. Latence : depuis l'instant de la rafale \
         jusqu'à la réception. Un serveur qui ralentit les bavards au lieu de jeter leurs \
         lignes livre tout ; un serveur qui juge « lent » un client sur une file de lignes \
         pleine en perd.\n\n\
         | Serveur | Livrées | Hors d'ordre | Déconnectés | p50 (ms) | p99 (ms) | Dernière livraison (ms) | CPU par livraison (µs) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|",
        first.clients,
        first.lines,
        first.lines,
        thousands(first.expected as f64),
    );
    for row in &report.burst {
        let _ = writeln!(md, "{}", burst_line(row));
    }
    md.push('\n');
}

/// Une ligne du tableau d'une rafale.
fn burst_line(row: &BurstRow) -> String {
    let delivered = match &row.error {
        Some(err) => format!("erreur : {err}"),
        None => format!(
            "{} / {}",
            thousands(row.delivered as f64),
            thousands(row.expected as f64)
        ),
    };
    format!(
        "| {} | {delivered} | {} | {} | {} | {} | {} | {} |",
        row.label,
        row.disordered,
        row.closed,
        decimal(row.p50_ms, 2),
        decimal(row.p99_ms, 2),
        decimal(row.total_ms, 0),
        or_dash(row.cpu_per_delivery_us, 2),
    )
}

fn irc_table(report: &Report, md: &mut String) {
    if report.irc.is_empty() {
        return;
    }
    let drain = |burst: bool| {
        let row = report
            .irc
            .iter()
            .find(|row| matches!(row.load, IrcLoad::Burst { .. }) == burst);
        row.map_or("—".to_string(), |row| decimal(row.drain_s, 0))
    };
    let _ = writeln!(
        md,
        "### IRC : un salon, un canal, la leçon 07 face à ngIRCd\n\n\
         Chaque client s'inscrit (`NICK`, `USER`), entre dans `#banc`, puis envoie ses \
         lignes (`PRIVMSG #banc :…`) au rythme dit, ou toutes d'un coup (rafale). Chaque \
         ligne est attendue chez tous les autres membres, dans l'ordre de son auteur ; \
         « perdue » : pas arrivée {} s après le dernier envoi ({} s après une rafale). \
         Latence : depuis l'heure PRÉVUE de l'envoi (corrigée) ; entre parenthèses, le \
         p99 depuis l'envoi réel (non corrigé). CPU : temps CPU du serveur pendant la \
         mesure, divisé par les livraisons.{}\n\n\
         | Serveur | Clients | Charge | Livrées | Perdues | Hors d'ordre | Déconnectés | p50 (ms) | p99 (ms) | Dernière livraison (ms) | CPU par livraison (µs) | Charge du serveur |\n\
         |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        drain(false),
        drain(true),
        rounds_note(report),
    );
    for row in &report.irc {
        let Some(d) = &row.delivery else {
            let error = row.error.as_deref().unwrap_or("non mesuré");
            let _ = writeln!(
                md,
                "| {} | {} | {} | erreur : {error} | | | | | | | | |",
                row.label, row.clients, row.load
            );
            continue;
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} / {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} |",
            row.label,
            row.clients,
            row.load,
            thousands(d.delivered as f64),
            thousands(d.expected as f64),
            d.lost,
            d.disordered,
            d.closed,
            decimal(d.p50_ms, 2),
            decimal(d.p99_ms, 2),
            decimal(d.p99_uncorrected_ms, 2),
            decimal(d.total_ms, 0),
            or_dash(d.cpu_per_delivery_us, 2),
            percent(d.server_load),
        );
    }
    md.push('\n');
}

fn web_table(report: &Report, md: &mut String) {
    if report.web.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Leçon 08 : le même salon par TCP et par WebSocket\n\n\
         Un seul processus par taille de salon : le salon de la leçon 05, joint d'abord \
         par son port TCP (des lignes), puis par `/ws` (une ligne par trame, par la \
         passerelle de la leçon 08). Même montée en débit et mêmes règles que le chat : \
         sans perte, dans l'ordre, p99 sous {P99_LIMIT_MS} ms.\n\n\
         | Chemin | Salon | Débit soutenu (livraisons/s) | p50 (ms) | p99 (ms) | CPU par livraison (µs) | Charge du serveur | CPU au 1er palier (µs) | Palier suivant |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for WebRow { chat, .. } in &report.web {
        let _ = writeln!(md, "{}", ramp_line(chat));
    }
    md.push('\n');
    let mut rooms: Vec<usize> = report.web.iter().map(|row| row.chat.room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    for room in rooms {
        let rows: Vec<&WebRow> = report
            .web
            .iter()
            .filter(|row| row.chat.room == room)
            .collect();
        let chats: Vec<&ChatRow> = rows.iter().map(|row| &row.chat).collect();
        let Some(rate) = common_rate(&chats) else {
            continue;
        };
        let each: Vec<String> = rows
            .iter()
            .filter_map(|row| {
                let step = row.chat.steps.iter().find(|step| step.offered == rate)?;
                Some(format!(
                    "{} {} µs (p99 {} ms)",
                    row.transport,
                    or_dash(step.cpu_per_delivery_us, 2),
                    decimal(step.p99_ms, 2)
                ))
            })
            .collect();
        let _ = writeln!(
            md,
            "- Salon de {room}, au même débit ({} livraisons/s, le plus haut tenu par \
             les deux chemins sous 80 % d'un cœur), CPU par livraison : {}.",
            thousands(rate),
            each.join(" ; ")
        );
    }
    md.push('\n');
}

fn web_burst_table(report: &Report, md: &mut String) {
    let Some(first) = report.web_burst.first() else {
        return;
    };
    let _ = writeln!(
        md,
        "### Leçon 08 : la rafale, par TCP et par WebSocket\n\n\
         {} clients × {} lignes d'un coup, dans le même processus, par un chemin puis \
         par l'autre ; une livraison pas arrivée {} s après le dernier envoi compte \
         perdue.\n\n\
         | Chemin | Livrées | Hors d'ordre | Déconnectés | p50 (ms) | p99 (ms) | Dernière livraison (ms) | CPU par livraison (µs) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|",
        first.burst.clients,
        first.burst.lines,
        decimal(first.drain_s, 0),
    );
    for row in &report.web_burst {
        let _ = writeln!(md, "{}", burst_line(&row.burst));
    }
    md.push('\n');
}

/// Une ligne du tableau d'une montée en débit : le palier soutenu, et le suivant.
fn ramp_line(row: &ChatRow) -> String {
    let at_sustained = row
        .sustained
        .and_then(|rate| row.steps.iter().find(|step| step.offered == rate));
    let sustained = match (row.sustained, &row.limit) {
        (Some(rate), Limit::Ceiling) => format!("≥ {}", thousands(rate)),
        (Some(rate), _) => thousands(rate),
        (None, _) => "aucun".to_string(),
    };
    let p99 = at_sustained.map_or("—".to_string(), |step| {
        format!(
            "{} ({})",
            decimal(step.p99_ms, 2),
            decimal(step.p99_uncorrected_ms, 2)
        )
    });
    format!(
        "| {} | {} | {sustained} | {} | {p99} | {} | {} | {} | {} |",
        row.label,
        row.room,
        or_dash(at_sustained.map(|step| step.p50_ms), 2),
        or_dash(at_sustained.and_then(|step| step.cpu_per_delivery_us), 2),
        percent(at_sustained.and_then(|step| step.server_load)),
        or_dash(
            row.steps.first().and_then(|step| step.cpu_per_delivery_us),
            2
        ),
        row.limit,
    )
}

/// 0,42 → « 42 % » (d'un cœur).
fn percent(load: Option<f64>) -> String {
    load.map_or("—".to_string(), |load| format!("{:.0} %", load * 100.0))
}

fn capacity_table(report: &Report, md: &mut String) {
    if report.capacity.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Capacité : connexions inactives\n\n\
         Chaque connexion a échangé une ligne puis se tait. VmRSS ne compte que la mémoire \
         du processus : les tampons des sockets, eux, sont dans le noyau.\n\n\
         | Serveur | Connexions ouvertes | Mémoire par connexion (Kio) | Threads | VmRSS avant → après (Mio) | Remarque |\n\
         |---|---:|---:|---:|---:|---|"
    );
    let mib = |bytes: Option<u64>| or_dash(bytes.map(|b| b as f64 / 1_048_576.0), 1);
    for row in &report.capacity {
        let _ = writeln!(
            md,
            "| {} | {} / {} | {} | {} | {} → {} | {} |",
            row.label,
            row.connected,
            row.target,
            or_dash(row.bytes_per_connection.map(|b| b / 1024.0), 2),
            row.threads.map_or("—".to_string(), |t| t.to_string()),
            mib(row.rss_before),
            mib(row.rss_after),
            row.stopped_by.as_deref().unwrap_or(""),
        );
    }
    md.push('\n');
}

fn targets_table(report: &Report, md: &mut String) {
    if report.targets.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Objectifs\n\n| Objectif | Mesure | Atteint |\n|---|---|:---:|"
    );
    for target in &report.targets {
        let met = match target.met {
            Some(true) => "oui",
            Some(false) => "**non**",
            None => "—",
        };
        let _ = writeln!(md, "| {} | {} | {met} |", target.target, target.measured);
    }
    md.push('\n');
}

/// Combien de passages résume chaque ligne IRC au rythme fixe, s'il y en a plusieurs.
fn rounds_note(report: &Report) -> String {
    match report.irc.iter().map(|row| row.rounds).max() {
        Some(rounds @ 2..) => format!(
            " Au rythme fixe, {rounds} passages de chaque serveur, entrelacés : les \
             latences et le CPU sont leurs médianes, les livraisons et les pertes leurs \
             totaux."
        ),
        _ => String::new(),
    }
}
