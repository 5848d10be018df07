//! Le graphique du rapport, en SVG, dessiné avec plotters : un panneau par scénario
//! mesuré, l'un sous l'autre, une couleur par famille de serveurs (voir la table des
//! serveurs). Le texte reste du texte SVG : c'est le navigateur qui le dessine, avec
//! ses polices, sur un fond blanc explicite, lisible dans les thèmes clair et sombre
//! du livre.

use std::io;

use plotters::coord::Shift;
use plotters::coord::combinators::IntoLogRange;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

use crate::numbers::{decimal, thousands};
use crate::results::{IrcLoad, Report, Transport};
use crate::servers;

/// La largeur de la colonne du livre : plus large, la figure serait réduite et son
/// texte deviendrait illisible (la même borne que les figures du livre).
const WIDTH: u32 = 720;
const PANEL_HEIGHT: u32 = 380;
const FOOTER_HEIGHT: u32 = 70;
/// Caractères par ligne du pied de page : une commande longue passe à la ligne.
const FOOTER_COLUMNS: usize = 100;
const FONT: &str = "sans-serif";

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Toute erreur de dessin devient une erreur d'entrée-sortie : le rapport n'est pas
/// écrit.
fn drawing<E: std::error::Error + Send + Sync>(
    err: DrawingAreaErrorKind<E>,
) -> io::Error {
    io::Error::other(format!("graphique impossible à dessiner : {err}"))
}

/// La couleur d'un serveur, d'après la table.
fn color(server: &str) -> RGBColor {
    let (r, g, b) = servers::find(server).map_or((34, 34, 34), |spec| spec.color);
    RGBColor(r, g, b)
}

type Panel = fn(&Area, &Report) -> io::Result<()>;

/// Les panneaux des scénarios mesurés ; sans aucun, les trois premiers disent
/// « non mesuré ».
fn panels(report: &Report) -> Vec<Panel> {
    let measured: [(bool, Panel); 5] = [
        (!report.echo.is_empty(), echo_panel),
        (!report.chat.is_empty(), chat_panel),
        (!report.capacity.is_empty(), capacity_panel),
        (
            report.irc.iter().any(|row| row.delivery.is_some()),
            irc_panel,
        ),
        (!report.web.is_empty(), web_panel),
    ];
    let panels: Vec<Panel> = measured
        .iter()
        .filter(|(shown, _)| *shown)
        .map(|&(_, panel)| panel)
        .collect();
    match panels.is_empty() {
        true => vec![echo_panel, chat_panel, capacity_panel],
        false => panels,
    }
}

/// Le graphique entier, en SVG.
pub fn svg(report: &Report) -> io::Result<String> {
    let mut svg = String::new();
    {
        let panels = panels(report);
        let count = panels.len() as u32;
        let height = count * PANEL_HEIGHT + FOOTER_HEIGHT;
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let (areas, footer) = root.split_vertically(count * PANEL_HEIGHT);
        let areas = areas.split_evenly((panels.len(), 1));
        for (area, panel) in areas.iter().zip(panels) {
            panel(area, report)?;
        }
        let m = &report.machine;
        let style = (FONT, 12).into_font().color(&RGBColor(85, 85, 85));
        let when = format!(
            "Mesuré le {} sur {} cœurs ({}), mode {}",
            report.date, m.cores, m.cpu_model, report.mode
        );
        let lines =
            std::iter::once(when).chain(wrap(&report.command, FOOTER_COLUMNS));
        for (row, line) in lines.take(3).enumerate() {
            let y = 8 + 20 * row as i32;
            footer.draw_text(&line, &style, (16, y)).map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Coupe `text` aux espaces en lignes d'au plus `columns` caractères (un mot plus
/// long garde sa ligne à lui).
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line)
                if line.chars().count() + 1 + word.chars().count() <= columns =>
            {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Un panneau sans données dit pourquoi, au lieu de rester vide.
fn empty_panel(area: &Area, title: &str) -> io::Result<()> {
    let style = TextStyle::from((FONT, 16).into_font());
    area.draw_text(
        &format!("{title} : non mesuré dans ce passage"),
        &style,
        (16, 16),
    )
    .map_err(drawing)
}

/// Écho : CPU du serveur par message selon le nombre de connexions, une courbe par
/// serveur.
fn echo_panel(area: &Area, report: &Report) -> io::Result<()> {
    let title = "Écho : CPU du serveur par message (µs ; plus bas = mieux)";
    let Some(line_len) = report.echo.iter().map(|row| row.line_len).min() else {
        return empty_panel(area, title);
    };
    let rows: Vec<_> = report
        .echo
        .iter()
        .filter(|row| row.line_len == line_len)
        .collect();
    let max_connections =
        rows.iter().map(|row| row.connections).max().unwrap_or(1) as f64;
    let max_cost = rows
        .iter()
        .filter_map(|row| row.cpu_per_message_us)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{title}, lignes de {line_len} o"), (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(
            (1.0..max_connections * 1.5).log_scale(),
            0.0..max_cost * 1.2,
        )
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("connexions simultanées")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style((FONT, 12))
        .draw()
        .map_err(drawing)?;
    for name in in_table_order(rows.iter().map(|row| row.server)) {
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|row| row.server == name)
            .filter_map(|row| Some((row.connections as f64, row.cpu_per_message_us?)))
            .collect();
        draw_line(&mut chart, label(name), color(name), points)?;
    }
    legend(&mut chart)
}

/// Chat : débit soutenu selon la taille du salon, une courbe par serveur (échelles
/// logarithmiques : les débits vont du simple au centuple).
fn chat_panel(area: &Area, report: &Report) -> io::Result<()> {
    let title = "Chat : débit soutenu (livraisons/s, sans perte, p99 < 50 ms)";
    let names = in_table_order(report.chat.iter().map(|row| row.server));
    let series = names.into_iter().map(|name| {
        let points = report
            .chat
            .iter()
            .filter(|row| row.server == name)
            .filter_map(|row| Some((row.room as f64, row.sustained?)))
            .collect();
        (label(name), color(name), points)
    });
    sustained_panel(area, title, series.collect())
}

/// Leçon 08 : débit soutenu selon la taille du salon, par TCP et par WebSocket.
fn web_panel(area: &Area, report: &Report) -> io::Result<()> {
    let title = "Leçon 08 : débit soutenu par TCP et par WebSocket (livraisons/s)";
    let transports = [
        (Transport::Tcp, RGBColor(142, 68, 173)),
        (Transport::WebSocket, RGBColor(230, 126, 0)),
    ];
    let series = transports.into_iter().map(|(transport, color)| {
        let points = report
            .web
            .iter()
            .filter(|row| row.transport == transport)
            .filter_map(|row| Some((row.chat.room as f64, row.chat.sustained?)))
            .collect();
        (transport.label(), color, points)
    });
    sustained_panel(area, title, series.collect())
}

/// Une courbe de débit soutenu par série : (légende, couleur, (salon, débit)).
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

/// Débit soutenu selon la taille du salon, une courbe par série (échelles
/// logarithmiques : les débits vont du simple au centuple).
fn sustained_panel(area: &Area, title: &str, series: Vec<Series>) -> io::Result<()> {
    let points = || series.iter().flat_map(|(_, _, points)| points.iter());
    if points().next().is_none() {
        return empty_panel(area, title);
    }
    let max_room = points().map(|&(room, _)| room).fold(2.0, f64::max);
    let (low, high) = points().fold((f64::MAX, 1.0f64), |(low, high), &(_, rate)| {
        (low.min(rate), high.max(rate))
    });
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (5.0..max_room * 1.5).log_scale(),
            (low / 2.0..high * 2.0).log_scale(),
        )
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("clients dans le salon")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| thousands(*y))
        .y_labels(6)
        .label_style((FONT, 12))
        .draw()
        .map_err(drawing)?;
    for (label, color, points) in series {
        if !points.is_empty() {
            draw_line(&mut chart, label, color, points)?;
        }
    }
    legend(&mut chart)
}

/// IRC : le p99 (depuis l'heure prévue) de chaque serveur à chaque charge, une
/// barre chacun, groupées par charge (échelle logarithmique : de la milliseconde à
/// la demi-minute).
fn irc_panel(area: &Area, report: &Report) -> io::Result<()> {
    let title =
        "IRC : p99 depuis l'heure prévue (ms, échelle log ; plus bas = mieux)";
    let mut bars: Vec<(String, &str, f64)> = Vec::new();
    let mut loads: Vec<IrcLoad> = Vec::new();
    for row in &report.irc {
        if !loads.contains(&row.load) {
            loads.push(row.load);
        }
    }
    for load in loads {
        let rows = report.irc.iter().filter(|row| row.load == load);
        for row in rows {
            let Some(delivery) = &row.delivery else {
                continue;
            };
            let short = match load {
                IrcLoad::Paced { lines_per_second } => {
                    format!("{}/s", decimal(lines_per_second, 0))
                }
                IrcLoad::Burst { .. } => "rafale".to_string(),
            };
            bars.push((
                format!("{} {short}", row.server),
                row.server,
                delivery.p99_ms,
            ));
        }
    }
    if bars.is_empty() {
        return empty_panel(area, title);
    }
    let low = bars
        .iter()
        .map(|bar| bar.2)
        .fold(f64::MAX, f64::min)
        .max(0.01);
    let high = bars.iter().map(|bar| bar.2).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (0..bars.len() - 1).into_segmented(),
            (low / 2.0..high * 2.0).log_scale(),
        )
        .map_err(drawing)?;
    let name_of = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(index) => {
            bars.get(*index).map_or(String::new(), |bar| bar.0.clone())
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&name_of)
        .y_label_formatter(&|y| thousands(*y))
        .label_style((FONT, 11))
        .draw()
        .map_err(drawing)?;
    let rectangles = bars.iter().enumerate().map(|(index, (_, server, p99))| {
        let corners = [
            (SegmentValue::Exact(index), low / 2.0),
            (SegmentValue::Exact(index + 1), *p99),
        ];
        let mut bar = Rectangle::new(corners, color(server).filled());
        bar.set_margin(0, 0, 10, 10);
        bar
    });
    chart.draw_series(rectangles).map_err(drawing)?;
    Ok(())
}

/// Capacité : mémoire par connexion inactive, une barre par serveur.
fn capacity_panel(area: &Area, report: &Report) -> io::Result<()> {
    let title = "Capacité : Kio par connexion inactive (plus bas = mieux)";
    let bars: Vec<(&str, f64)> = report
        .capacity
        .iter()
        .filter_map(|row| Some((row.server, row.bytes_per_connection? / 1024.0)))
        .collect();
    if bars.is_empty() {
        return empty_panel(area, title);
    }
    let target = report.capacity.first().map_or(0, |row| row.target);
    let max = bars.iter().map(|&(_, kib)| kib).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{title}, {target} connexions"), (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((0..bars.len() - 1).into_segmented(), 0.0..max * 1.2)
        .map_err(drawing)?;
    let name_of = |value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(index) => {
            bars.get(*index).map_or("", |&(name, _)| name).to_string()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&name_of)
        .label_style((FONT, 12))
        .draw()
        .map_err(drawing)?;
    let rectangles = bars.iter().enumerate().map(|(index, &(name, kib))| {
        let corners = [
            (SegmentValue::Exact(index), 0.0),
            (SegmentValue::Exact(index + 1), kib),
        ];
        let mut bar = Rectangle::new(corners, color(name).filled());
        bar.set_margin(0, 0, 12, 12);
        bar
    });
    chart.draw_series(rectangles).map_err(drawing)?;
    Ok(())
}

/// Les serveurs présents parmi `names`, une fois chacun, dans l'ordre de la table.
fn in_table_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'static str> {
    let present: Vec<&str> = names.collect();
    let table = servers::SERVERS.iter().map(|server| server.name);
    table.filter(|name| present.contains(name)).collect()
}

/// Ce qu'est un serveur, d'après la table, pour la légende.
fn label(server: &str) -> &'static str {
    servers::find(server).map_or("?", |spec| spec.label)
}

/// Une courbe (et ses points), avec `label` dans la légende.
fn draw_line<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    label: &str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
) -> io::Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
        .map_err(drawing)?
        .label(label)
        .legend(move |(x, y)| {
            PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
        });
    let dots = points
        .into_iter()
        .map(|point| Circle::new(point, 3, color.filled()));
    chart.draw_series(dots).map_err(drawing)?;
    Ok(())
}

fn legend<'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
) -> io::Result<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 12))
        .draw()
        .map_err(drawing)
}

#[cfg(test)]
mod tests {
    #[test]
    fn une_longue_commande_passe_a_la_ligne_aux_espaces() {
        let lines = super::wrap("cargo run --release -p bench-suite -- --quick", 20);
        assert_eq!(
            lines,
            ["cargo run --release", "-p bench-suite --", "--quick"]
        );
        assert!(
            lines.iter().all(|line| line.chars().count() <= 20),
            "{lines:?}"
        );
    }
}
