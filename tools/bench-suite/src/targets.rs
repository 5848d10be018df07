//! Les objectifs chiffrés des serveurs (colonne `targets` de la table des serveurs),
//! vérifiés sur les mesures du passage.

use crate::numbers::{decimal, thousands};
use crate::results::{ChatRow, Report, TargetRow};
use crate::servers::{REFERENCE, SERVERS, ServerSpec};

/// Salon et charge d'écho sur lesquels portent les objectifs.
const TARGET_ROOM: usize = 100;
const TARGET_CONNECTIONS: usize = 50;
const TARGET_LINE_LEN: usize = 64;

pub fn evaluate(report: &Report) -> Vec<TargetRow> {
    let mut targets = Vec::new();
    for server in &SERVERS {
        if let Some(limit) = server.targets.echo_vs_reference {
            targets.push(echo_target(report, server, limit));
        }
    }
    for server in &SERVERS {
        for &rival in server.targets.chat_beats {
            targets.extend(chat_targets(report, server, rival));
        }
    }
    for server in SERVERS
        .iter()
        .filter(|server| server.targets.delivers_burst)
    {
        targets.push(burst_target(report, server));
    }
    for server in &SERVERS {
        if let Some(kib) = server.targets.idle_kib {
            targets.push(capacity_target(report, server, kib));
        }
    }
    targets
}

fn not_measured(target: String) -> TargetRow {
    let measured = "non mesuré".to_string();
    TargetRow {
        target,
        measured,
        met: None,
    }
}

fn echo_target(report: &Report, server: &ServerSpec, limit: f64) -> TargetRow {
    let target = format!(
        "écho {TARGET_LINE_LEN} o, {TARGET_CONNECTIONS} connexions : CPU par message de {} ≤ {}× la référence epoll ({REFERENCE})",
        server.name,
        decimal(limit, 2)
    );
    let row = report.echo.iter().find(|row| {
        row.server == server.name
            && row.connections == TARGET_CONNECTIONS
            && row.line_len == TARGET_LINE_LEN
    });
    let Some((row, ratio, cost)) =
        row.and_then(|row| Some((row, row.vs_reference?, row.cpu_per_message_us?)))
    else {
        return not_measured(target);
    };
    // Un écho faux ou une connexion fermée : un serveur rapide mais incorrect échoue.
    let errors = match row.errors {
        0 => String::new(),
        errors => format!(", {errors} erreurs"),
    };
    TargetRow {
        target,
        measured: format!(
            "{}× ({} µs par message{errors})",
            decimal(ratio, 2),
            decimal(cost, 2)
        ),
        met: Some(ratio <= limit && row.errors == 0),
    }
}

fn chat_row<'a>(report: &'a Report, server: &str) -> Option<&'a ChatRow> {
    report
        .chat
        .iter()
        .find(|row| row.server == server && row.room == TARGET_ROOM)
}

/// Coût CPU par livraison au palier `rate`, s'il a été tenu.
fn cpu_at(row: &ChatRow, rate: f64) -> Option<f64> {
    let step = row
        .steps
        .iter()
        .find(|step| step.offered == rate && step.passed())?;
    step.cpu_per_delivery_us
}

/// `server` soutient au moins le débit de `rival`, et dépense moins de CPU par
/// livraison au même débit (le plus haut que les deux tiennent sans saturer : un
/// serveur saturé regroupe tout, et son coût par livraison ne veut plus rien dire).
fn chat_targets(report: &Report, server: &ServerSpec, rival: &str) -> [TargetRow; 2] {
    let (name, room) = (server.name, TARGET_ROOM);
    let rate_target = format!(
        "chat, salon de {room} : {name} soutient au moins le débit de {rival} sans perte"
    );
    let cpu_target = format!(
        "chat, salon de {room} : {name} dépense moins de CPU par livraison que {rival} (même débit)"
    );
    let (Some(ours), Some(theirs)) =
        (chat_row(report, name), chat_row(report, rival))
    else {
        return [not_measured(rate_target), not_measured(cpu_target)];
    };
    let (mine, other) = (
        ours.sustained.unwrap_or(0.0),
        theirs.sustained.unwrap_or(0.0),
    );
    let rate_row = TargetRow {
        target: rate_target,
        measured: format!(
            "{} contre {} livraisons/s",
            thousands(mine),
            thousands(other)
        ),
        met: Some(mine >= other && mine > 0.0),
    };
    let common = report
        .comparison_rate(room, &[name, rival])
        .and_then(|rate| {
            let costs = cpu_at(ours, rate).zip(cpu_at(theirs, rate));
            costs.map(|(mine, other)| (rate, mine, other))
        });
    let cpu_row = match common {
        Some((rate, mine, other)) => TargetRow {
            target: cpu_target,
            measured: format!(
                "{} contre {} µs par livraison à {} livraisons/s",
                decimal(mine, 2),
                decimal(other, 2),
                thousands(rate)
            ),
            met: Some(mine < other),
        },
        None => not_measured(cpu_target),
    };
    [rate_row, cpu_row]
}

/// La rafale d'une classe : tout arrive, dans l'ordre, et personne n'est déconnecté.
fn burst_target(report: &Report, server: &ServerSpec) -> TargetRow {
    let name = server.name;
    let Some(row) = report.burst.iter().find(|row| row.server == name) else {
        return not_measured(format!("rafale : {name} livre tout, dans l'ordre"));
    };
    TargetRow {
        target: format!(
            "rafale {} × {} : {name} livre tout, dans l'ordre, sans déconnecter personne",
            row.clients, row.lines
        ),
        measured: format!(
            "{} / {} livrées, {} hors d'ordre, {} déconnectés, p99 {} ms",
            row.delivered,
            row.expected,
            row.disordered,
            row.closed,
            decimal(row.p99_ms, 1)
        ),
        met: Some(row.complete()),
    }
}

fn capacity_target(report: &Report, server: &ServerSpec, kib: f64) -> TargetRow {
    let row = report.capacity.iter().find(|row| row.server == server.name);
    let wanted = row.map_or(10_000, |row| row.target);
    let target = format!(
        "capacité : {wanted} connexions inactives sur {}, ≤ {} Kio par connexion",
        server.name,
        decimal(kib, 0)
    );
    let Some(row) = row else {
        return not_measured(target);
    };
    match row.bytes_per_connection {
        Some(bytes) => TargetRow {
            target,
            measured: format!(
                "{} connexions, {} Kio par connexion",
                row.connected,
                decimal(bytes / 1024.0, 2)
            ),
            met: Some(row.connected == row.target && bytes <= kib * 1024.0),
        },
        None => TargetRow {
            target,
            measured: format!("{} connexions, mémoire non mesurée", row.connected),
            met: None,
        },
    }
}
