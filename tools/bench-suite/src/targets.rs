//! Les objectifs chiffrés des serveurs (colonne `targets` de la table des serveurs),
//! vérifiés sur les mesures du passage.

use crate::numbers::{decimal, thousands};
use crate::plan::Part;
use crate::results::{ChatRow, Delivery, IrcLoad, IrcRow, Report, TargetRow};
use crate::servers::{REFERENCE, SERVERS, ServerSpec};

/// Salon et charge d'écho sur lesquels portent les objectifs.
const TARGET_ROOM: usize = 100;
const TARGET_CONNECTIONS: usize = 50;
const TARGET_LINE_LEN: usize = 64;

/// Les objectifs des scénarios `parts` (ceux du passage).
pub fn evaluate(report: &Report, parts: &[Part]) -> Vec<TargetRow> {
    let mut targets = Vec::new();
    for server in &SERVERS {
        let goals = &server.targets;
        match goals.echo_vs_reference {
            Some(limit) if parts.contains(&Part::Echo) => {
                targets.push(echo_target(report, server, limit));
            }
            _ => {}
        }
        if parts.contains(&Part::Chat) {
            for &rival in goals.chat_beats {
                targets.extend(chat_targets(report, server, rival));
            }
        }
        if goals.delivers_burst && parts.contains(&Part::Rafale) {
            targets.push(burst_target(report, server));
        }
        match goals.idle_kib {
            Some(kib) if parts.contains(&Part::Capacite) => {
                targets.push(capacity_target(report, server, kib));
            }
            _ => {}
        }
        match goals.irc_beats {
            Some(rival) if parts.contains(&Part::Irc) => {
                targets.extend(irc_targets(report, server.name, rival));
            }
            _ => {}
        }
    }
    targets
}

/// « Bien plus bas » : le p99 de la rafale IRC, au moins tant de fois plus bas.
const FAR_BELOW: f64 = 10.0;

/// Les objectifs IRC de `name` face à `rival`, mesurés dans le même passage : rien
/// de perdu ; à chaque charge, moins de CPU par livraison ; au rythme fixe, un p99
/// plus bas ; après la rafale, un p99 au moins [`FAR_BELOW`] fois plus bas.
fn irc_targets(report: &Report, name: &str, rival: &str) -> Vec<TargetRow> {
    let rows = |server: &str| -> Vec<&IrcRow> {
        report
            .irc
            .iter()
            .filter(|row| row.server == server)
            .collect()
    };
    let (ours, theirs) = (rows(name), rows(rival));
    let lossless =
        format!("irc : {name} livre tout, dans l'ordre, sans déconnecter personne");
    let mut targets = vec![match ours.is_empty() {
        true => not_measured(lossless),
        false => {
            let deliveries: Vec<Option<&Delivery>> =
                ours.iter().map(|row| row.delivery.as_ref()).collect();
            let sum = |count: fn(&Delivery) -> u64| {
                deliveries.iter().flatten().map(|d| count(d)).sum::<u64>()
            };
            TargetRow {
                target: lossless,
                measured: format!(
                    "{} perdues, {} hors d'ordre, {} déconnectés, {} mesures \
                     impossibles",
                    sum(|d| d.lost),
                    sum(|d| d.disordered),
                    sum(|d| d.closed),
                    deliveries.iter().filter(|d| d.is_none()).count()
                ),
                met: Some(
                    deliveries.iter().all(|d| d.is_some_and(Delivery::complete)),
                ),
            }
        }
    }];
    for row in &ours {
        let rival_row = theirs.iter().find(|other| other.load == row.load);
        let pair = row
            .delivery
            .as_ref()
            .zip(rival_row.and_then(|r| r.delivery.as_ref()));
        let load = row.load;
        let cpu_target = format!(
            "irc, {load} : {name} dépense moins de CPU par livraison que {rival}"
        );
        let p99_target = match load {
            IrcLoad::Paced { .. } => {
                format!("irc, {load} : p99 de {name} sous celui de {rival}")
            }
            IrcLoad::Burst { .. } => format!(
                "irc, {load} : p99 de {name} au moins {} fois sous celui de {rival}",
                decimal(FAR_BELOW, 0)
            ),
        };
        let Some((mine, other)) = pair else {
            targets.extend([not_measured(cpu_target), not_measured(p99_target)]);
            continue;
        };
        targets.push(
            match mine.cpu_per_delivery_us.zip(other.cpu_per_delivery_us) {
                Some((mine, other)) => TargetRow {
                    target: cpu_target,
                    measured: format!(
                        "{} contre {} µs par livraison",
                        decimal(mine, 2),
                        decimal(other, 2)
                    ),
                    met: Some(mine < other),
                },
                None => not_measured(cpu_target),
            },
        );
        let factor = match load {
            IrcLoad::Paced { .. } => 1.0,
            IrcLoad::Burst { .. } => FAR_BELOW,
        };
        targets.push(TargetRow {
            target: p99_target,
            measured: format!(
                "{} contre {} ms",
                decimal(mine.p99_ms, 2),
                decimal(other.p99_ms, 2)
            ),
            met: Some(mine.p99_ms * factor < other.p99_ms),
        });
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
