//! Le dessin de l'écran, avec ratatui : une fonction de l'état ([`App`]) vers une
//! image. ratatui compare chaque image à la précédente et n'envoie au terminal que
//! les cases qui ont changé. Les tests dessinent dans un `TestBackend` (un écran en
//! mémoire) et lisent le résultat case par case.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::{App, Link};
use super::message::Message;
use crate::protocol::nick_key;

/// Le volet des présents : un pseudo a 16 caractères au plus, plus la bordure.
const ROOM_WIDTH: u16 = 20;

/// En dessous de cette largeur, le volet des présents disparaît (le nombre de
/// présents reste dans la ligne d'état) : les messages gardent la place.
const NARROW: u16 = 60;

/// Les touches, sur la dernière ligne.
const HELP: &str = "Entrée : envoyer · ↑↓ : historique · Pg↑ Pg↓ : défiler · \
                    Échap, Ctrl+C : quitter";

// ANCHOR: layout
/// Dessine tout l'écran : la ligne d'état en haut, les messages (et les présents à
/// droite), la saisie, l'aide. La saisie a sa propre zone : une ligne qui arrive
/// s'ajoute au volet des messages et ne peut pas se mêler au texte en cours.
pub fn draw(frame: &mut Frame, app: &App) {
    let [status, body, input, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(status_line(app), status);
    let messages = if body.width >= NARROW {
        let [messages, room] =
            Layout::horizontal([Constraint::Min(1), Constraint::Length(ROOM_WIDTH)])
                .areas(body);
        frame.render_widget(room_pane(app), room);
        messages
    } else {
        body
    };
    frame.render_widget(message_pane(app, messages), messages);
    draw_input(frame, app, input);
    let dim = Style::new().add_modifier(Modifier::DIM);
    frame.render_widget(Paragraph::new(HELP).style(dim), help);
}

/// La hauteur du volet des messages pour un terminal de `height` lignes (les quatre
/// autres lignes : état, bordure et saisie, aide).
pub fn message_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(4))
}
// ANCHOR_END: layout

fn status_line(app: &App) -> Paragraph<'static> {
    let server = app.server();
    let (text, color) = match app.link() {
        Link::Registering => (
            format!(" Connecté à {server} : choisissez un pseudo"),
            Color::Yellow,
        ),
        Link::InRoom => {
            let me = app.me().unwrap_or_default();
            let people = match app.room().len() {
                1 => "1 personne".to_owned(),
                count => format!("{count} personnes"),
            };
            (
                format!(" Connecté à {server} · vous : {me} · {people}"),
                Color::Green,
            )
        }
        Link::Leaving => (format!(" Départ de {server}…"), Color::Yellow),
        Link::Closed => (
            format!(" Déconnecté : {server} a fermé la connexion"),
            Color::Red,
        ),
    };
    let mut text = text;
    if app.scroll() > 0 {
        text.push_str(&format!(" · {} plus bas (Pg↓)", app.scroll()));
    }
    Paragraph::new(text).style(Style::new().fg(Color::Black).bg(color))
}

// ANCHOR: message_pane
/// Les messages, longues lignes repliées ; quand le volet est plein, le plus récent
/// est sur la dernière ligne.
///
/// Il suffit de replier les `height` derniers messages visibles : chacun occupe au
/// moins une ligne d'écran, ils remplissent donc le volet. `line_count` dit combien
/// de lignes d'écran ils font une fois repliés ; on saute celles qui dépassent en
/// haut.
fn message_pane(app: &App, area: Rect) -> Paragraph<'static> {
    let height = usize::from(area.height);
    let visible = app.messages().len() - app.scroll();
    let first = visible.saturating_sub(height);
    let lines: Vec<Line> = app
        .messages()
        .range(first..visible)
        .map(|message| styled(message, app.me()))
        .collect();
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let overflow = paragraph.line_count(area.width).saturating_sub(height);
    paragraph.scroll((u16::try_from(overflow).unwrap_or(u16::MAX), 0))
}
// ANCHOR_END: message_pane

// ANCHOR: styled
/// Une ligne du volet, avec ses couleurs : le pseudo dans SA couleur, les notices en
/// jaune italique, les messages privés marqués en magenta.
fn styled(message: &Message, me: Option<&str>) -> Line<'static> {
    let notice = Style::new()
        .fg(Color::Yellow)
        .add_modifier(Modifier::ITALIC);
    let private = Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD);
    let said = |from: &str, text: &str| {
        let mut style = Style::new().fg(nick_color(from));
        if me == Some(from) {
            style = style.add_modifier(Modifier::BOLD);
        }
        [
            Span::styled(format!("{from}: "), style),
            Span::raw(text.to_owned()),
        ]
    };
    match message {
        Message::Public { from, text } => Line::from_iter(said(from, text)),
        Message::Private { from, text } => {
            let mut spans = vec![Span::styled("[privé] ", private)];
            spans.extend(said(from, text));
            Line::from(spans)
        }
        Message::PrivateSent { to, text } => Line::from(vec![
            Span::styled(format!("[privé → {to}] "), private),
            Span::raw(text.to_owned()),
        ]),
        Message::Replayed { age, from, text } => {
            let dim = Style::new().add_modifier(Modifier::DIM);
            let mut spans = vec![Span::styled(format!("[il y a {age}] "), dim)];
            spans.extend(said(from, text));
            Line::from(spans)
        }
        Message::Notice(text) => Line::styled(format!("*** {text}"), notice),
        Message::Other(text) => Line::raw(text.to_owned()),
        Message::Client(text) => Line::styled(
            format!("!!! {text}"),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
    }
}

/// Une couleur par pseudo, toujours la même pour un même pseudo (« Alice » et
/// « alice » sont la même personne pour le serveur, et ici).
///
/// Le hachage FNV-1a tient en une ligne et donne le même résultat sur toutes les
/// machines et à chaque lancement : `DefaultHasher` ne le promet pas. Ni jaune ni
/// magenta dans la palette : ce sont les couleurs des notices et des messages privés.
pub fn nick_color(nick: &str) -> Color {
    const PALETTE: [Color; 8] = [
        Color::Green,
        Color::Blue,
        Color::Cyan,
        Color::Red,
        Color::LightGreen,
        Color::LightBlue,
        Color::LightCyan,
        Color::LightRed,
    ];
    let hash = nick_key(nick).bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    PALETTE[hash as usize % PALETTE.len()]
}
// ANCHOR_END: styled

fn room_pane(app: &App) -> Paragraph<'static> {
    let lines: Vec<Line> = app
        .room()
        .iter()
        .map(|nick| {
            let mut style = Style::new().fg(nick_color(nick));
            if app.me() == Some(nick.as_str()) {
                style = style.add_modifier(Modifier::BOLD);
            }
            Line::styled(nick.clone(), style)
        })
        .collect();
    let title = format!(" Présents ({}) ", app.room().len());
    Paragraph::new(lines).block(Block::new().borders(Borders::LEFT).title(title))
}

// ANCHOR: input
/// La saisie, sous une ligne de séparation. Si le texte est plus large que la zone,
/// on en cache le début : le curseur reste toujours visible.
fn draw_input(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::new().borders(Borders::TOP);
    let inner = block.inner(area);
    let prompt = "> ";
    let room = usize::from(inner.width).saturating_sub(prompt.width() + 1);
    let editor = app.editor();
    let mut start = 0;
    while editor.before_cursor()[start..].width() > room {
        start += editor.text()[start..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
    }
    let shown = &editor.text()[start..];
    let cursor = prompt.width() + editor.before_cursor()[start..].width();
    frame.render_widget(
        Paragraph::new(format!("{prompt}{shown}")).block(block),
        area,
    );
    let x = inner.x + u16::try_from(cursor).unwrap_or(u16::MAX);
    frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y));
}
// ANCHOR_END: input

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::protocol;

    /// Dessine `app` sur un écran de `width` × `height` et rend ses lignes.
    fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
        let mut terminal =
            Terminal::new(TestBackend::new(width, height)).expect("écran de test");
        terminal.draw(|frame| draw(frame, app)).expect("dessin");
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                let row: String = (0..width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect();
                row.trim_end().to_owned()
            })
            .collect()
    }

    fn joined_app() -> App {
        let mut app = App::new("127.0.0.1:7777");
        app.on_line(protocol::welcome("alice", 2).trim_end());
        app.on_line(protocol::who_list(&["alice", "bob"]).trim_end());
        app
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn l_ecran_montre_etat_messages_presents_saisie_et_aide() {
        let mut app = joined_app();
        app.on_line("bob: salut alice");
        app.on_line("[privé] bob: un secret");
        type_text(&mut app, "bonjour");
        let rows = screen(&app, 80, 12);
        assert!(
            rows[0].contains("Connecté à 127.0.0.1:7777 · vous : alice"),
            "{rows:#?}"
        );
        assert!(rows[0].contains("2 personnes"), "{rows:#?}");
        assert!(rows[1].starts_with("*** Bienvenue, alice !"), "{rows:#?}");
        // 60 colonnes pour les messages : la bienvenue tient sur deux lignes.
        assert!(rows[3].starts_with("bob: salut alice"), "{rows:#?}");
        assert!(rows[4].starts_with("[privé] bob: un secret"), "{rows:#?}");
        assert!(rows[1].contains("│ Présents (2)"), "{rows:#?}");
        assert!(rows[2].ends_with("│alice"), "{rows:#?}");
        assert!(rows[3].ends_with("│bob"), "{rows:#?}");
        assert_eq!(rows[10], "> bonjour", "{rows:#?}");
        assert!(rows[11].starts_with("Entrée : envoyer"), "{rows:#?}");
    }

    #[test]
    fn un_message_qui_arrive_pendant_la_saisie_laisse_la_saisie_intacte() {
        let mut app = joined_app();
        type_text(&mut app, "je suis en train d'écr");
        let before = screen(&app, 80, 12);
        app.on_line("bob: coucou alice");
        let after = screen(&app, 80, 12);
        assert_eq!(after[10], "> je suis en train d'écr", "{after:#?}");
        assert_eq!(before[10], after[10], "la ligne de saisie n'a pas bougé");
        assert!(after[3].starts_with("bob: coucou alice"), "{after:#?}");
        assert!(
            !after.iter().any(|row| row.contains("écrbob")),
            "rien de collé à la saisie : {after:#?}"
        );
    }

    #[test]
    fn une_longue_ligne_est_repliee_et_le_bas_reste_visible() {
        let mut app = joined_app();
        let long = "mot ".repeat(40);
        app.on_line(&format!("bob: {}", long.trim_end()));
        app.on_line("bob: la fin");
        let rows = screen(&app, 40, 10);
        // 40 colonnes : pas de volet des présents, 6 lignes de messages.
        let pane = &rows[1..7];
        assert_eq!(
            pane[5], "bob: la fin",
            "le dernier message en bas : {rows:#?}"
        );
        assert!(
            pane[1..5].iter().all(|row| row.starts_with("mot")),
            "{rows:#?}"
        );
        assert!(rows.iter().all(|row| row.width() <= 40));
    }

    #[test]
    fn un_terminal_etroit_garde_la_saisie_et_le_curseur_visibles() {
        let mut app = joined_app();
        type_text(&mut app, "une saisie bien plus longue que l'écran");
        let rows = screen(&app, 20, 6);
        assert!(
            !rows.iter().any(|row| row.contains("Présents")),
            "{rows:#?}"
        );
        assert_eq!(rows[4], "> ongue que l'écran", "la fin : {rows:#?}");
        let mut terminal = Terminal::new(TestBackend::new(20, 6)).expect("écran");
        terminal.draw(|frame| draw(frame, &app)).expect("dessin");
        let cursor = terminal.get_cursor_position().expect("curseur");
        assert_eq!((cursor.x, cursor.y), (19, 4), "curseur après le texte");
        // Minuscule : rien ne panique.
        for (width, height) in [(1, 1), (5, 2), (3, 8)] {
            screen(&app, width, height);
        }
    }

    #[test]
    fn apres_pg_haut_on_voit_les_anciens_messages() {
        let mut app = joined_app();
        for n in 0..30 {
            app.on_line(&format!("bob: message {n}"));
        }
        app.set_page(message_rows(12));
        app.on_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
        let rows = screen(&app, 80, 12);
        assert!(rows[8].starts_with("bob: message 25"), "{rows:#?}");
        assert!(rows[0].contains("4 plus bas (Pg↓)"), "{rows:#?}");
    }

    #[test]
    fn la_couleur_d_un_pseudo_est_stable_et_ignore_la_casse() {
        assert_eq!(nick_color("alice"), nick_color("Alice"));
        let colors: std::collections::BTreeSet<String> =
            ["alice", "bob", "carol", "dave"]
                .iter()
                .map(|nick| format!("{:?}", nick_color(nick)))
                .collect();
        assert!(
            colors.len() > 1,
            "des pseudos différents, des couleurs variées"
        );
    }
}
