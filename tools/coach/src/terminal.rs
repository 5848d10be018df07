//! Le vrai monde du mode surveillance : le terminal (crossterm), la surveillance
//! des fichiers (notify) et le correcteur, chacun dans son thread, qui envoient
//! leurs [`Event`] à la boucle par un seul canal.
//!
//! Le terminal passe en mode brut (chaque touche arrive tout de suite, sans
//! Entrée ni écho) ; il est TOUJOURS rendu dans son état normal en sortant, même
//! après une panique : sinon l'élève se retrouve avec un terminal qui n'affiche
//! plus ce qu'il tape.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{
    self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers,
};
use crossterm::{cursor, queue, terminal};
use notify::{EventKind, RecursiveMode, Watcher};

use crate::watch::{self, App, Event, Io, Job};
use crate::{Workspace, check};

/// `cargo run -p exercises` sans commande.
pub fn watch(workspace: &Workspace) -> ExitCode {
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return without_terminal(workspace);
    }
    let (sender, events) = mpsc::channel();
    // Gardé vivant jusqu'à la fin : le lâcher arrêterait la surveillance.
    let watcher = watch_files(&workspace.src(), sender.clone());
    let mut app = App::new(&workspace.src());
    if let Err(err) = &watcher {
        app.notice(format!(
            "La surveillance des fichiers est impossible ({err}) : la touche v \
             vérifie à la demande."
        ));
    }
    let raw = match RawMode::enter() {
        Ok(raw) => raw,
        Err(err) => {
            let _ = writeln!(io::stderr(), "Erreur : terminal inutilisable : {err}");
            return ExitCode::FAILURE;
        }
    };
    read_keys(sender.clone());
    let mut terminal = Terminal {
        workspace,
        sender,
        events,
    };
    watch::run(&mut app, &mut terminal);
    drop(raw);
    drop(watcher);
    // Une ligne vide d'abord : l'écran s'arrête au milieu de la dernière ligne.
    course_kit::show!("\nÀ bientôt ! Pour reprendre : cargo run -p exercises");
    ExitCode::SUCCESS
}

/// Sans terminal (sortie redirigée, script) : pas de touches possibles. On montre
/// l'écran d'ouverture une fois et on dit quoi utiliser à la place.
fn without_terminal(workspace: &Workspace) -> ExitCode {
    let mut app = App::new(&workspace.src());
    let results = check::check(workspace, None);
    app.handle(
        Event::Checked {
            job: Job::All,
            results,
        },
        Instant::now(),
    );
    course_kit::show!(
        "{}\n\nLes touches demandent un terminal. Pour un script :\n  \
         cargo run -p exercises -- liste | indice NN | verifier NN",
        app.screen()
    );
    ExitCode::SUCCESS
}

/// Le mode brut, rendu quand on le lâche, et aussi en cas de panique.
struct RawMode;

impl RawMode {
    fn enter() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = terminal::disable_raw_mode();
            previous(info);
        }));
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Surveille `src` (et ses sous-dossiers) : chaque création, écriture, renommage
/// ou suppression devient un [`Event::Changed`]. Les simples lectures ne comptent
/// pas : le correcteur LIT le fichier à chaque vérification, ce qui relancerait
/// une vérification sans fin.
fn watch_files(
    src: &Path,
    sender: Sender<Event>,
) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<_>| {
            let Ok(notify::Event { kind, paths, .. }) = event else {
                return;
            };
            let relevant = matches!(
                kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && !matches!(
                kind,
                EventKind::Modify(notify::event::ModifyKind::Metadata(
                    notify::event::MetadataKind::AccessTime
                ))
            );
            if relevant {
                for path in paths {
                    let _ = sender.send(Event::Changed(path));
                }
            }
        })?;
    watcher.watch(src, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Lit le clavier dans un thread : chaque touche devient un [`Event::Key`].
/// Ctrl+C n'envoie pas de signal en mode brut : il quitte comme `q`.
fn read_keys(sender: Sender<Event>) {
    thread::spawn(move || {
        loop {
            let event = match event::read() {
                Ok(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => {
                    match key.code {
                        KeyCode::Char('c')
                            if key.modifiers == KeyModifiers::CONTROL =>
                        {
                            Event::Key('q')
                        }
                        KeyCode::Char(c) => Event::Key(c.to_ascii_lowercase()),
                        KeyCode::Esc => Event::Key('\u{1b}'),
                        KeyCode::Right | KeyCode::PageDown => Event::Key('n'),
                        KeyCode::Left | KeyCode::PageUp => Event::Key('p'),
                        _ => continue,
                    }
                }
                Ok(TermEvent::Resize(..)) => Event::Redraw,
                Ok(_) => continue,
                Err(_) => break,
            };
            if sender.send(event).is_err() {
                break;
            }
        }
    });
}

/// Le vrai [`Io`] de la boucle.
struct Terminal<'a> {
    workspace: &'a Workspace,
    sender: Sender<Event>,
    events: Receiver<Event>,
}

impl Io for Terminal<'_> {
    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Le correcteur travaille dans un thread : pendant ce temps, les touches
    /// répondent.
    fn start(&mut self, job: Job) {
        let sender = self.sender.clone();
        let workspace = self.workspace.clone();
        thread::spawn(move || {
            let only = match job {
                Job::All => None,
                Job::One(index) => Some(index),
            };
            let results = check::check(&workspace, only);
            let _ = sender.send(Event::Checked { job, results });
        });
    }

    /// Tout l'écran est redessiné : effacer, puis écrire de haut en bas. En mode
    /// brut, `\n` ne ramène pas au début de la ligne : il faut `\r\n`.
    fn draw(&mut self, screen: &str) {
        let mut out = io::stdout().lock();
        let _ = queue!(
            out,
            terminal::Clear(terminal::ClearType::All),
            cursor::MoveTo(0, 0)
        );
        let _ = out.write_all(screen.replace('\n', "\r\n").as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// La vraie surveillance, sur un dossier temporaire : l'écriture d'un exercice
    /// est signalée, sa simple lecture (ce que fait le correcteur) ne l'est pas.
    #[test]
    fn ecrire_un_exercice_est_signale_le_lire_ne_l_est_pas() {
        let dir =
            std::env::temp_dir().join(format!("coach-notify-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dossier temporaire");
        let read_only = dir.join("ex03_line_reader.rs");
        let written = dir.join("ex04_length_prefix.rs");
        fs::write(&read_only, "// lu seulement\n").expect("fichier lu");
        fs::write(&written, "// sera modifié\n").expect("fichier écrit");
        let (sender, events) = mpsc::channel();
        let watcher = watch_files(&dir, sender).expect("surveillance du dossier");
        // Les événements arrivent dans l'ordre : si lire en produisait un, il
        // arriverait avant celui de l'écriture.
        fs::read(&read_only).expect("lecture");
        fs::write(&written, "// modifié\n").expect("écriture");
        let first = events
            .recv_timeout(Duration::from_secs(10))
            .expect("l'écriture doit être signalée");
        let Event::Changed(path) = first else {
            panic!("un changement de fichier était attendu");
        };
        assert_eq!(
            watch::exercise_of(&path),
            Some(3),
            "le premier signalé est l'exercice écrit, pas celui qu'on a lu : {path:?}"
        );
        drop(watcher);
        let _ = fs::remove_dir_all(&dir);
    }
}
