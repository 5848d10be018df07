//! Les objectifs chiffrés des serveurs des leçons, vérifiés sur les mesures du passage.

use crate::report::{decimal, thousands};
use crate::servers::Server;
use crate::suite::{ChatRow, Report, TargetRow, comparison_rate};

/// Salon et charge d'écho sur lesquels portent les objectifs.
const TARGET_ROOM: usize = 100;
const TARGET_CONNECTIONS: usize = 50;
const TARGET_LINE_LEN: usize = 64;

pub fn evaluate(report: &Report) -> Vec<TargetRow> {
    let mut targets = Vec::new();
    for (server, limit) in [
        (Server::Lesson04Echo, 1.15),
        (Server::TokioEcho, 1.15),
        (Server::Lesson03Echo, 1.5),
    ] {
        targets.push(echo_target(report, server, limit));
    }
    targets.extend(chat_targets(report));
    for server in [
        Server::Lesson03Chat,
        Server::Lesson04Chat,
        Server::Lesson05Chat,
    ] {
        targets.push(burst_target(report, server));
    }
    for (server, limit) in [
        (Server::Lesson04Echo, 1024.0),
        (Server::Lesson04Chat, 1024.0),
        (Server::Lesson05Chat, 4096.0),
    ] {
        targets.push(capacity_target(report, server, limit));
    }
    targets
}

/// La rafale d'une classe : tout arrive, dans l'ordre, et personne n'est déconnecté.
fn burst_target(report: &Report, server: Server) -> TargetRow {
    let row = report.burst.iter().find(|row| row.server == server.name());
    let target = match row {
        Some(row) => format!(
            "rafale {} × {} : {} livre tout, dans l'ordre, sans déconnecter personne",
            row.clients,
            row.lines,
            server.name()
        ),
        None => format!("rafale : {} livre tout, dans l'ordre", server.name()),
    };
    let Some(row) = row else {
        return TargetRow {
            target,
            measured: "non mesuré".to_string(),
            met: None,
        };
    };
    TargetRow {
        target,
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

fn echo_target(report: &Report, server: Server, limit: f64) -> TargetRow {
    let target = format!(
        "écho {TARGET_LINE_LEN} o, {TARGET_CONNECTIONS} connexions : CPU par message de {} ≤ {}× la référence epoll",
        server.name(),
        decimal(limit, 2)
    );
    let row = report.echo.iter().find(|row| {
        row.server == server.name()
            && row.connections == TARGET_CONNECTIONS
            && row.line_len == TARGET_LINE_LEN
    });
    match row.and_then(|row| Some((row.vs_reference?, row.cpu_per_message_us?, row.errors))) {
        // Un écho faux ou une connexion fermée : un serveur rapide mais incorrect échoue.
        Some((ratio, cost, errors)) => TargetRow {
            target,
            measured: format!(
                "{}× ({} µs par message{})",
                decimal(ratio, 2),
                decimal(cost, 2),
                if errors > 0 {
                    format!(", {errors} erreurs")
                } else {
                    String::new()
                }
            ),
            met: Some(ratio <= limit && errors == 0),
        },
        None => TargetRow {
            target,
            measured: "non mesuré".to_string(),
            met: None,
        },
    }
}

fn chat_row(report: &Report, server: Server) -> Option<&ChatRow> {
    report
        .chat
        .iter()
        .find(|row| row.server == server.name() && row.room == TARGET_ROOM)
}

/// Coût CPU par livraison au palier `rate`.
fn cpu_at(row: &ChatRow, rate: f64) -> Option<f64> {
    row.steps
        .iter()
        .find(|step| step.offered == rate && step.passed)?
        .cpu_per_delivery_us
}

fn chat_targets(report: &Report) -> Vec<TargetRow> {
    let lesson = chat_row(report, Server::Lesson05Chat);
    let mut targets = Vec::new();
    for other in [Server::PythonChat, Server::TokioChat] {
        let target = format!(
            "chat, salon de {TARGET_ROOM} : l05-chat soutient au moins le débit de {} sans perte",
            other.name()
        );
        let (measured, met) = match (lesson, chat_row(report, other)) {
            (Some(lesson), Some(other_row)) => {
                let ours = lesson.sustained.unwrap_or(0.0);
                let theirs = other_row.sustained.unwrap_or(0.0);
                (
                    format!(
                        "{} contre {} livraisons/s",
                        thousands(ours),
                        thousands(theirs)
                    ),
                    Some(ours >= theirs && ours > 0.0),
                )
            }
            _ => ("non mesuré".to_string(), None),
        };
        targets.push(TargetRow {
            target,
            measured,
            met,
        });
        let target = format!(
            "chat, salon de {TARGET_ROOM} : l05-chat dépense moins de CPU par livraison que {} (même débit)",
            other.name()
        );
        // Au même débit, le plus haut que les deux tiennent sans saturer : un serveur saturé
        // regroupe tout et son coût par livraison ne veut plus rien dire.
        let common = match (lesson, chat_row(report, other)) {
            (Some(lesson), Some(other_row)) => {
                comparison_rate(report, TARGET_ROOM, &[&lesson.server, &other_row.server]).and_then(
                    |rate| {
                        cpu_at(lesson, rate)
                            .zip(cpu_at(other_row, rate))
                            .map(|(ours, theirs)| (rate, ours, theirs))
                    },
                )
            }
            _ => None,
        };
        targets.push(match common {
            Some((rate, ours, theirs)) => TargetRow {
                target,
                measured: format!(
                    "{} contre {} µs par livraison à {} livraisons/s",
                    decimal(ours, 2),
                    decimal(theirs, 2),
                    thousands(rate)
                ),
                met: Some(ours < theirs),
            },
            None => TargetRow {
                target,
                measured: "non mesuré".to_string(),
                met: None,
            },
        });
    }
    targets
}

fn capacity_target(report: &Report, server: Server, limit: f64) -> TargetRow {
    let row = report
        .capacity
        .iter()
        .find(|row| row.server == server.name());
    let wanted = row.map_or(10_000, |row| row.target);
    let target = format!(
        "capacité : {wanted} connexions inactives sur {}, ≤ {} Kio par connexion",
        server.name(),
        limit / 1024.0
    );
    match row {
        Some(row) => match row.bytes_per_connection {
            Some(bytes) => TargetRow {
                target,
                measured: format!(
                    "{} connexions, {} Kio par connexion",
                    row.connected,
                    decimal(bytes / 1024.0, 2)
                ),
                met: Some(row.connected == row.target && bytes <= limit),
            },
            None => TargetRow {
                target,
                measured: format!("{} connexions, mémoire non mesurée", row.connected),
                met: None,
            },
        },
        None => TargetRow {
            target,
            measured: "non mesuré".to_string(),
            met: None,
        },
    }
}
