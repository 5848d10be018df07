//! Écrit un rapport en Markdown (inclus dans le livre), en SVG (le graphique) et en JSON.
//! Rien n'est tapé à la main : le livre montre exactement ce que la commande a mesuré.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::suite::{CEILING, P99_LIMIT_MS, Report, comparison_rate};

/// Écrit `results.md`, `results.svg` et `results.json` dans `dir`.
pub fn write_all(report: &Report, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("results.md"), markdown(report))?;
    std::fs::write(dir.join("results.svg"), svg(report))?;
    let json = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    std::fs::write(dir.join("results.json"), json + "\n")?;
    Ok(())
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => decimal(v, decimals),
        _ => "—".to_string(),
    }
}

/// 5.25 → « 5,25 » : la virgule décimale, à la française.
pub fn decimal(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}").replace('.', ",")
}

/// 1234567 → « 1 234 567 » (espace fine insécable, à la française).
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
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
    echo_table(report, &mut md);
    chat_table(report, &mut md);
    stalled_table(report, &mut md);
    burst_table(report, &mut md);
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
         vu par le générateur. Avec une seule connexion, le serveur s'endort entre deux \
         messages : le coût du réveil domine ; avec beaucoup de connexions, un seul réveil \
         sert plusieurs messages (boucle d'événements), ou non (un thread par client).\n\n\
         | Serveur | Connexions | Ligne | Messages/s | p50 (µs) | p99 (µs) | CPU serveur par message (µs) | × référence |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rows: Vec<_> = report.echo.iter().collect();
    rows.sort_by_key(|row| (row.line_len, row.connections));
    for row in rows {
        let errors = if row.errors > 0 {
            format!(" ({} erreurs)", row.errors)
        } else {
            String::new()
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
            opt(row.cpu_per_message_us, 2),
            opt(row.vs_reference, 2),
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
         un client) sans perte (tout est arrivé moins de 2 s après le dernier envoi), dans l'ordre de chaque émetteur, avec un p99 sous {P99_LIMIT_MS} ms. \
         Les paliers doublent ; p50, p99 et CPU sont ceux du palier soutenu. Un serveur chargé \
         à 100 % d'un cœur qui tient encore le palier regroupe tout ce qui attend en une \
         écriture : son coût par livraison n'y vaut plus que « 1 / débit ». Latence : de \
         l'envoi à la réception, mesurée par le générateur.\n\n\
         | Serveur | Salon | Débit soutenu (livraisons/s) | p50 (ms) | p99 (ms) | CPU par livraison (µs) | Charge du serveur | CPU à {first_rate} (µs) | Palier suivant |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let mut rows: Vec<_> = report.chat.iter().collect();
    rows.sort_by_key(|row| row.room);
    for row in rows {
        let at_sustained = row
            .sustained
            .and_then(|rate| row.steps.iter().find(|s| s.offered == rate));
        let first = row.steps.first();
        let limit = match &row.error {
            Some(err) => format!("{} ({err})", row.limit),
            None => row.limit.clone(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {limit} |",
            row.label,
            row.room,
            match row.sustained {
                Some(rate) if row.limit == CEILING => format!("≥ {}", thousands(rate)),
                Some(rate) => thousands(rate),
                None => "aucun".to_string(),
            },
            opt(at_sustained.map(|s| s.p50_ms), 2),
            opt(at_sustained.map(|s| s.p99_ms), 2),
            opt(at_sustained.and_then(|s| s.cpu_per_delivery_us), 2),
            at_sustained
                .and_then(|s| s.server_load)
                .map_or("—".to_string(), |load| format!("{:.0} %", load * 100.0)),
            opt(first.and_then(|s| s.cpu_per_delivery_us), 2),
        );
    }
    md.push('\n');
    let mut rooms: Vec<usize> = report.chat.iter().map(|row| row.room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    for room in rooms {
        let Some(rate) = comparison_rate(report, room, &[]) else {
            continue;
        };
        let costs: Vec<String> = report
            .chat
            .iter()
            .filter(|row| row.room == room)
            .filter_map(|row| {
                let step = row.steps.iter().find(|s| s.offered == rate)?;
                Some(format!(
                    "{} {} µs",
                    row.label,
                    opt(step.cpu_per_delivery_us, 2)
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
         jamais : on remplit d'abord ses tampons (environ 2 Mo de longues lignes), puis on \
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
            opt(row.healthy_p99_ms, 2),
            opt(Some(row.stalled_p50_ms), 2),
            opt(Some(row.stalled_p99_ms), 2),
            row.lost,
            opt(row.server_rss_after.map(|b| b as f64 / 1_048_576.0), 1),
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
        let delivered = match &row.error {
            Some(err) => format!("erreur : {err}"),
            None => format!(
                "{} / {}",
                thousands(row.delivered as f64),
                thousands(row.expected as f64)
            ),
        };
        let _ = writeln!(
            md,
            "| {} | {delivered} | {} | {} | {} | {} | {} | {} |",
            row.label,
            row.disordered,
            row.closed,
            opt(Some(row.p50_ms), 2),
            opt(Some(row.p99_ms), 2),
            opt(Some(row.total_ms), 0),
            opt(row.cpu_per_delivery_us, 2),
        );
    }
    md.push('\n');
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
    let mib = |bytes: Option<u64>| opt(bytes.map(|b| b as f64 / 1_048_576.0), 1);
    for row in &report.capacity {
        let _ = writeln!(
            md,
            "| {} | {} / {} | {} | {} | {} → {} | {} |",
            row.label,
            row.connected,
            row.target,
            opt(row.bytes_per_connection.map(|b| b / 1024.0), 2),
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

/// Couleur fixe par famille de serveur, lisible sur fond blanc.
fn color(server: &str) -> &'static str {
    match server {
        "ref-mio" => "#555555",
        s if s.starts_with("tokio") => "#1f77b4",
        s if s.starts_with("l03") => "#e67e00",
        s if s.starts_with("l04") => "#2a9d3a",
        s if s.starts_with("l05") => "#8e44ad",
        s if s.starts_with("py") => "#c0392b",
        _ => "#333333",
    }
}

/// Une barre du graphique.
struct Bar {
    /// Nom court du serveur, pour la couleur.
    server: String,
    label: String,
    value: f64,
    /// « ≥ » quand la valeur n'est qu'un minimum (tous les paliers tenus).
    prefix: &'static str,
}

fn bar(server: &str, label: &str, value: f64) -> Bar {
    Bar {
        server: server.to_string(),
        label: label.to_string(),
        value,
        prefix: "",
    }
}

/// Un panneau de barres horizontales groupées.
struct Panel {
    title: String,
    unit: &'static str,
    groups: Vec<(String, Vec<Bar>)>,
}

const WIDTH: f64 = 900.0;
const LABEL_W: f64 = 270.0;
const BAR_H: f64 = 14.0;

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn draw_panel(panel: &Panel, top: f64, out: &mut String) -> f64 {
    let mut y = top + 24.0;
    let _ = writeln!(
        out,
        r#"<text x="16" y="{y}" font-size="16" font-weight="bold">{}</text>"#,
        xml_escape(&panel.title)
    );
    y += 10.0;
    let max = panel
        .groups
        .iter()
        .flat_map(|(_, bars)| bars.iter().map(|b| b.value))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let scale = (WIDTH - LABEL_W - 140.0) / max;
    for (group, bars) in &panel.groups {
        y += 18.0;
        let _ = writeln!(
            out,
            r#"<text x="16" y="{y}" font-size="13" font-style="italic">{}</text>"#,
            xml_escape(group)
        );
        y += 4.0;
        for Bar {
            server,
            label,
            value,
            prefix,
        } in bars
        {
            let width = if value.is_finite() {
                value * scale
            } else {
                0.0
            };
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text><rect x="{LABEL_W}" y="{y}" width="{width:.1}" height="{BAR_H}" fill="{}"/><text x="{:.1}" y="{}" font-size="12">{prefix}{} {}</text>"#,
                LABEL_W - 6.0,
                y + 11.0,
                xml_escape(label),
                color(server),
                LABEL_W + width + 4.0,
                y + 11.0,
                format_value(*value),
                panel.unit,
            );
            y += BAR_H + 3.0;
        }
    }
    y + 8.0
}

fn format_value(value: f64) -> String {
    if !value.is_finite() {
        "—".to_string()
    } else if value >= 1000.0 {
        thousands(value)
    } else if value >= 10.0 {
        decimal(value, 1)
    } else {
        decimal(value, 2)
    }
}

fn panels(report: &Report) -> Vec<Panel> {
    let mut panels = Vec::new();
    let line_len = report.echo.iter().map(|r| r.line_len).min();
    let mut connections: Vec<usize> = report.echo.iter().map(|r| r.connections).collect();
    connections.sort_unstable();
    connections.dedup();
    if let Some(line_len) = line_len {
        let groups = connections
            .iter()
            .map(|&n| {
                let bars = report
                    .echo
                    .iter()
                    .filter(|r| r.connections == n && r.line_len == line_len)
                    .filter_map(|r| Some(bar(&r.server, &r.label, r.cpu_per_message_us?)))
                    .collect();
                (
                    format!("{n} connexion{}", if n > 1 { "s" } else { "" }),
                    bars,
                )
            })
            .collect();
        panels.push(Panel {
            title: format!("Écho {line_len} o : CPU du serveur par message (plus court = mieux)"),
            unit: "µs",
            groups,
        });
    }
    let mut rooms: Vec<usize> = report.chat.iter().map(|r| r.room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    if !rooms.is_empty() {
        let groups = rooms
            .iter()
            .map(|&room| {
                let bars = report
                    .chat
                    .iter()
                    .filter(|r| r.room == room)
                    .map(|r| Bar {
                        prefix: if r.limit == CEILING { "≥ " } else { "" },
                        ..bar(&r.server, &r.label, r.sustained.unwrap_or(f64::NAN))
                    })
                    .collect();
                (format!("salon de {room} clients"), bars)
            })
            .collect();
        panels.push(Panel {
            title: format!("Chat : débit soutenu, livraisons/s (p99 < {P99_LIMIT_MS} ms, aucune perte ; plus long = mieux)"),
            unit: "/s",
            groups,
        });
    }
    if let Some(panel) = chat_cpu_panel(report, &rooms) {
        panels.push(panel);
    }
    if !report.capacity.is_empty() {
        let bars = report
            .capacity
            .iter()
            .filter_map(|r| Some(bar(&r.server, &r.label, r.bytes_per_connection? / 1024.0)))
            .collect();
        let target = report.capacity.first().map_or(0, |r| r.target);
        panels.push(Panel {
            title: format!("Capacité : mémoire par connexion inactive, {target} connexions (plus court = mieux)"),
            unit: "Kio",
            groups: vec![(String::new(), bars)],
        });
    }
    panels
}

/// CPU par livraison de chaque serveur de chat, au même débit : l'effet du regroupement
/// des écritures se lit ici.
fn chat_cpu_panel(report: &Report, rooms: &[usize]) -> Option<Panel> {
    let groups: Vec<(String, Vec<Bar>)> = rooms
        .iter()
        .filter_map(|&room| {
            let rate = comparison_rate(report, room, &[])?;
            let bars = report
                .chat
                .iter()
                .filter(|row| row.room == room)
                .filter_map(|row| {
                    let step = row.steps.iter().find(|s| s.offered == rate)?;
                    Some(bar(&row.server, &row.label, step.cpu_per_delivery_us?))
                })
                .collect();
            Some((
                format!("salon de {room} clients, {} livraisons/s", thousands(rate)),
                bars,
            ))
        })
        .collect();
    (!groups.is_empty()).then(|| Panel {
        title: "Chat : CPU du serveur par livraison, au même débit (plus court = mieux)"
            .to_string(),
        unit: "µs",
        groups,
    })
}

/// Le graphique : fond blanc explicite, lisible dans les thèmes clair et sombre du livre.
pub fn svg(report: &Report) -> String {
    let mut body = String::new();
    let mut y = 0.0;
    for panel in panels(report) {
        y = draw_panel(&panel, y, &mut body);
    }
    y += 10.0;
    let _ = writeln!(
        body,
        r##"<text x="16" y="{y}" font-size="11" fill="#555555">{}</text>"##,
        xml_escape(&format!(
            "Mesuré le {} sur {} cœurs ({}), mode {}",
            report.date, report.machine.cores, report.machine.cpu_model, report.mode
        ))
    );
    y += 14.0;
    let _ = writeln!(
        body,
        r##"<text x="16" y="{y}" font-size="11" fill="#555555">{}</text>"##,
        xml_escape(&report.command)
    );
    let height = y + 14.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" fill=\"#222222\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{body}</svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_nombres_sont_ecrits_a_la_francaise() {
        assert_eq!(decimal(5.254, 2), "5,25", "virgule décimale");
        assert_eq!(
            thousands(1_280_000.0),
            "1\u{202f}280\u{202f}000",
            "espace fine entre milliers"
        );
        assert_eq!(thousands(999.0), "999");
    }
}
