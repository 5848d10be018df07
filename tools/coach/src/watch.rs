//! Le mode surveillance : une boucle d'événements.
//!
//! Tout ce qui arrive est un [`Event`] : une touche, un fichier enregistré, la fin
//! d'une vérification. L'état ([`App`]) décide quoi faire ; le monde extérieur
//! (horloge, clavier, correcteur, écran) passe par le trait [`Io`]. Les tests
//! remplacent ce monde par un faux : une horloge qu'ils avancent eux-mêmes et des
//! événements écrits d'avance, sans terminal ni attente réelle.
//!
//! Pourquoi attendre un peu (`DEBOUNCE`) après un enregistrement ? Un éditeur
//! écrit souvent un fichier en plusieurs fois (vider, écrire, renommer) : le
//! système signale chaque étape. On attend que le fichier soit calme, puis on
//! vérifie UNE fois.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::catalog;
use crate::check::{self, Status};
use crate::grader::{EXERCISES, ExerciseResult};
use crate::text::{self, Screen};

/// Le calme à attendre après le dernier signal d'un fichier avant de vérifier.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Sans événement, la boucle se réveille quand même de temps en temps.
const IDLE: Duration = Duration::from_secs(1);

/// Ce qui arrive à l'entraîneur.
pub enum Event {
    /// Une touche (en minuscule) ; `q` quitte.
    Key(char),
    /// Le terminal a changé de taille : redessiner.
    Redraw,
    /// Un fichier de `exercises/src` a changé.
    Changed(PathBuf),
    /// Le correcteur a fini.
    Checked {
        job: Job,
        results: Result<Vec<ExerciseResult>, String>,
    },
}

/// Une vérification à lancer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Job {
    /// Tous les exercices (au démarrage).
    All,
    /// L'exercice de ce rang.
    One(usize),
}

/// Le monde extérieur de la boucle.
pub trait Io {
    fn now(&mut self) -> Instant;
    /// Le prochain événement, ou `None` si rien n'arrive pendant `timeout`.
    fn next_event(&mut self, timeout: Duration) -> Option<Event>;
    /// Lance une vérification ; sa fin arrivera comme [`Event::Checked`].
    fn start(&mut self, job: Job);
    fn draw(&mut self, screen: &str);
}

/// L'état du mode surveillance.
pub struct App {
    src: PathBuf,
    results: Vec<Option<ExerciseResult>>,
    current: usize,
    listing: bool,
    /// L'élève a déjà changé d'exercice (`n`, `p`) : la fin de la vérification de
    /// départ ne le ramène pas ailleurs.
    moved: bool,
    hints_shown: usize,
    running: Option<Job>,
    /// Le dernier exercice enregistré et l'heure du dernier signal, en attente de
    /// calme.
    pending: Option<(usize, Instant)>,
    /// `v` : vérifier l'exercice affiché dès que possible.
    check_now: bool,
    notice: Option<String>,
    quit: bool,
}

impl App {
    pub fn new(src: &Path) -> App {
        App {
            src: src.to_path_buf(),
            results: EXERCISES.iter().map(|_| None).collect(),
            current: 0,
            listing: false,
            moved: false,
            hints_shown: 0,
            running: None,
            pending: None,
            check_now: false,
            notice: None,
            quit: false,
        }
    }

    fn statuses(&self) -> Vec<Option<Status>> {
        self.results
            .iter()
            .map(|result| result.as_ref().map(check::status))
            .collect()
    }

    /// L'écran à montrer maintenant.
    pub fn screen(&self) -> String {
        let statuses = self.statuses();
        if self.listing {
            return text::list_screen(&statuses, self.current);
        }
        let statement = catalog::statement(&self.src, &EXERCISES[self.current]);
        let busy = match self.running {
            Some(Job::All) => Some("Vérification de tous les exercices…".to_string()),
            Some(Job::One(index)) if index == self.current => {
                Some(format!("Vérification de {}…", EXERCISES[index].id))
            }
            _ => None,
        };
        text::exercise_screen(&Screen {
            index: self.current,
            statement: statement.as_ref(),
            result: self.results[self.current].as_ref(),
            hints_shown: self.hints_shown,
            statuses: &statuses,
            busy,
            notice: self.notice.as_deref(),
        })
    }

    /// Un message à montrer sous l'exercice (jusqu'à la prochaine vérification).
    pub fn notice(&mut self, message: String) {
        self.notice = Some(message);
    }

    fn go_to(&mut self, index: usize) {
        if index != self.current {
            self.current = index;
            self.hints_shown = 0;
        }
        self.listing = false;
    }

    /// Traite un événement ; `true` si l'écran a changé.
    pub fn handle(&mut self, event: Event, now: Instant) -> bool {
        match event {
            Event::Key(key) => self.key(key),
            Event::Redraw => true,
            Event::Changed(path) => {
                let Some(index) = exercise_of(&path) else {
                    return false;
                };
                self.pending = Some((index, now));
                false
            }
            Event::Checked { job, results } => {
                self.running = None;
                self.checked(job, results);
                true
            }
        }
    }

    fn key(&mut self, key: char) -> bool {
        let hints = crate::hints::of(self.current).len();
        match key {
            'q' => {
                self.quit = true;
                return false;
            }
            'i' if !self.listing => {
                self.hints_shown = (self.hints_shown + 1).min(hints)
            }
            'l' => self.listing = !self.listing,
            '\u{1b}' => self.listing = false,
            'n' | 'p' => {
                self.moved = true;
                let next = match key {
                    'n' => (self.current + 1).min(EXERCISES.len() - 1),
                    _ => self.current.saturating_sub(1),
                };
                self.go_to(next);
            }
            // Vérifier sans attendre un enregistrement.
            'v' => self.check_now = true,
            _ => return false,
        }
        true
    }

    fn checked(&mut self, job: Job, results: Result<Vec<ExerciseResult>, String>) {
        let results = match results {
            Ok(results) => results,
            Err(message) => {
                self.notice =
                    Some(format!("La vérification n'a pas pu se faire : {message}"));
                return;
            }
        };
        self.notice = None;
        for result in results {
            if let Some(index) =
                EXERCISES.iter().position(|e| e.id == result.exercise.id)
            {
                self.results[index] = Some(result);
            }
        }
        let statuses = self.statuses();
        match job {
            // Au démarrage : s'ouvrir sur le premier exercice pas encore réussi.
            Job::All if !self.moved => {
                let first = statuses.iter().position(|s| *s != Some(Status::Solved));
                self.go_to(first.unwrap_or(0));
            }
            Job::All => {}
            Job::One(index) => self.go_to(index),
        }
    }

    /// La vérification à lancer maintenant, s'il y en a une : un fichier calme
    /// depuis `DEBOUNCE`, et aucune vérification en cours (le correcteur travaille
    /// dans un seul dossier : une à la fois).
    pub fn due(&mut self, now: Instant) -> Option<Job> {
        if self.running.is_some() {
            return None;
        }
        let index = match self.pending {
            Some((index, last)) if now.duration_since(last) >= DEBOUNCE => index,
            _ if self.check_now => self.current,
            _ => return None,
        };
        self.pending = None;
        self.check_now = false;
        self.go_to(index);
        self.running = Some(Job::One(index));
        self.running
    }

    /// Combien de temps attendre le prochain événement.
    pub fn timeout(&self, now: Instant) -> Duration {
        match (self.pending, self.running) {
            (_, Some(_)) => IDLE,
            (_, None) if self.check_now => Duration::ZERO,
            (Some((_, last)), None) => {
                (last + DEBOUNCE).saturating_duration_since(now)
            }
            (None, None) => IDLE,
        }
    }
}

/// L'exercice d'un fichier de `exercises/src` : `ex03_line_reader.rs`, ou un
/// fichier de son dossier de sous-modules `ex03_line_reader/`. Les fichiers de
/// sauvegarde des éditeurs (`.ex03_line_reader.rs.swp`, `…rs~`) ne comptent pas.
pub fn exercise_of(path: &Path) -> Option<usize> {
    let file = path.file_name()?.to_str()?;
    if !file.ends_with(".rs") || file.starts_with('.') {
        return None;
    }
    EXERCISES.iter().position(|exercise| {
        file == format!("{}.rs", exercise.module)
            || path
                .components()
                .any(|part| part.as_os_str() == exercise.module)
    })
}

/// La boucle : lancer la vérification de tout, puis traiter les événements
/// jusqu'à `q`.
pub fn run(app: &mut App, io: &mut impl Io) {
    app.running = Some(Job::All);
    io.start(Job::All);
    io.draw(&app.screen());
    while !app.quit {
        let now = io.now();
        if let Some(job) = app.due(now) {
            io.start(job);
            io.draw(&app.screen());
        }
        let timeout = app.timeout(now);
        if let Some(event) = io.next_event(timeout) {
            let now = io.now();
            if app.handle(event, now) {
                io.draw(&app.screen());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grader::{Outcome, TestResult, Verdict};
    use std::collections::VecDeque;

    /// Un monde écrit d'avance : chaque pas est « attendre `Duration`, puis cet
    /// événement » ; l'horloge n'avance que quand la boucle attend.
    struct Fake {
        clock: Instant,
        script: VecDeque<(Duration, Event)>,
        /// Les vérifications lancées, dans l'ordre.
        jobs: Vec<Job>,
        /// Le verdict que rend le faux correcteur : tous les tests réussis ?
        solved: Vec<usize>,
        /// Les vérifications en cours : leur fin arrive au prochain `next_event`.
        finishing: VecDeque<Job>,
        screens: Vec<String>,
        calls: usize,
    }

    impl Fake {
        fn new(script: Vec<(u64, Event)>) -> Fake {
            Fake {
                clock: Instant::now(),
                script: script
                    .into_iter()
                    .map(|(ms, event)| (Duration::from_millis(ms), event))
                    .collect(),
                jobs: Vec::new(),
                solved: Vec::new(),
                finishing: VecDeque::new(),
                screens: Vec::new(),
                calls: 0,
            }
        }

        fn results(&self, job: Job) -> Vec<ExerciseResult> {
            let indexes: Vec<usize> = match job {
                Job::All => (0..EXERCISES.len()).collect(),
                Job::One(index) => vec![index],
            };
            indexes
                .into_iter()
                .map(|index| {
                    let outcome = match self.solved.contains(&index) {
                        true => Outcome::Passed,
                        false => Outcome::NotDone {
                            message: "pas fait".into(),
                        },
                    };
                    ExerciseResult {
                        exercise: &EXERCISES[index],
                        verdict: Verdict::Graded {
                            tests: vec![TestResult {
                                name: format!("{}::un_test", EXERCISES[index].id),
                                outcome,
                                output: String::new(),
                            }],
                        },
                    }
                })
                .collect()
        }

        fn last_screen(&self) -> &str {
            self.screens.last().map(String::as_str).unwrap_or_default()
        }
    }

    impl Io for Fake {
        fn now(&mut self) -> Instant {
            self.clock
        }

        fn next_event(&mut self, timeout: Duration) -> Option<Event> {
            self.calls += 1;
            assert!(self.calls < 1000, "la boucle ne s'arrête pas");
            if let Some(job) = self.finishing.pop_front() {
                let results = Ok(self.results(job));
                return Some(Event::Checked { job, results });
            }
            let Some((wait, event)) = self.script.pop_front() else {
                return Some(Event::Key('q'));
            };
            if wait > timeout {
                // Rien n'arrive avant l'échéance : l'horloge avance jusqu'à elle.
                self.clock += timeout;
                self.script.push_front((wait - timeout, event));
                return None;
            }
            self.clock += wait;
            Some(event)
        }

        fn start(&mut self, job: Job) {
            self.jobs.push(job);
            self.finishing.push_back(job);
        }

        fn draw(&mut self, screen: &str) {
            self.screens.push(screen.to_string());
        }
    }

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises/src")
    }

    fn saved(module: &str) -> Event {
        Event::Changed(src().join(format!("{module}.rs")))
    }

    fn run_script(script: Vec<(u64, Event)>, solved: &[usize]) -> Fake {
        let mut fake = Fake::new(script);
        fake.solved = solved.to_vec();
        let mut app = App::new(&src());
        run(&mut app, &mut fake);
        fake
    }

    #[test]
    fn un_enregistrement_relance_exactement_une_verification() {
        // Un éditeur signale trois écritures de suite pour un seul enregistrement.
        let script = vec![
            (2000, saved("ex03_line_reader")),
            (10, saved("ex03_line_reader")),
            (50, saved("ex03_line_reader")),
            (5000, Event::Key('x')),
        ];
        let fake = run_script(script, &[]);
        assert_eq!(
            fake.jobs,
            [Job::All, Job::One(2)],
            "une seule revérification"
        );
    }

    #[test]
    fn deux_enregistrements_espaces_donnent_deux_verifications() {
        let script = vec![
            (1000, saved("ex03_line_reader")),
            (2000, saved("ex03_line_reader")),
            (2000, Event::Key('x')),
        ];
        let fake = run_script(script, &[]);
        assert_eq!(fake.jobs, [Job::All, Job::One(2), Job::One(2)]);
    }

    #[test]
    fn un_enregistrement_pendant_une_verification_en_relance_une_apres() {
        let fake = Fake::new(vec![]);
        let start = fake.clock;
        let mut app = App::new(&src());
        // La vérification de tout est en cours quand le fichier change.
        app.running = Some(Job::All);
        app.handle(saved("ex05_echo_session"), start);
        let later = start + DEBOUNCE * 2;
        assert_eq!(app.due(later), None, "pas pendant une vérification");
        let results = Ok(fake.results(Job::All));
        app.handle(
            Event::Checked {
                job: Job::All,
                results,
            },
            later,
        );
        assert_eq!(app.due(later), Some(Job::One(4)), "puis une fois, après");
        app.running = None;
        assert_eq!(app.due(later + DEBOUNCE), None, "et une seule");
    }

    #[test]
    fn la_touche_v_verifie_l_exercice_affiche() {
        let fake =
            run_script(vec![(10, Event::Key('n')), (10, Event::Key('v'))], &[]);
        assert_eq!(fake.jobs, [Job::All, Job::One(1)]);
    }

    #[test]
    fn les_autres_fichiers_ne_relancent_rien() {
        let script = vec![
            (1000, Event::Changed(src().join("lib.rs"))),
            (10, Event::Changed(src().join(".ex03_line_reader.rs.swp"))),
            (10, Event::Changed(src().join("ex03_line_reader.rs~"))),
            (10, Event::Changed(src().join("notes.txt"))),
            (5000, Event::Key('x')),
        ];
        let fake = run_script(script, &[]);
        assert_eq!(fake.jobs, [Job::All]);
        assert_eq!(
            exercise_of(&src().join("ex09_mio_echo").join("state.rs")),
            Some(8),
            "un sous-module compte pour son exercice"
        );
    }

    #[test]
    fn l_entraineur_s_ouvre_sur_le_premier_exercice_pas_reussi() {
        let fake = run_script(vec![], &[0, 1]);
        let screen = fake.last_screen();
        assert!(screen.starts_with("Exercice 03 sur 17"), "{screen}");
        assert!(
            screen.contains("[██░░░░░░░░░░░░░░░] 2/17 réussis"),
            "{screen}"
        );
        assert!(
            screen.lines().all(|line| line.chars().count() <= 80),
            "tient dans 80 colonnes : {screen}"
        );
        assert!(
            screen.contains("exercises/src/ex03_line_reader.rs"),
            "{screen}"
        );
        assert!(screen.contains("cargo test -p exercises ex03"), "{screen}");
        assert!(screen.contains("book/src/exercices/ex03-"), "{screen}");
        assert!(
            screen.contains("un lecteur de lignes"),
            "l'énoncé : {screen}"
        );
        assert!(screen.contains("Pas encore commencé"), "{screen}");
    }

    #[test]
    fn changer_d_exercice_pendant_la_verification_de_depart_est_respecte() {
        let mut fake = Fake::new(vec![]);
        fake.solved = vec![0, 1, 2];
        let mut app = App::new(&src());
        app.running = Some(Job::All);
        app.handle(Event::Key('n'), fake.clock);
        let results = Ok(fake.results(Job::All));
        app.handle(
            Event::Checked {
                job: Job::All,
                results,
            },
            fake.clock,
        );
        assert!(app.screen().starts_with("Exercice 02"), "{}", app.screen());
    }

    #[test]
    fn les_indices_arrivent_un_par_un() {
        let script = vec![(10, Event::Key('i')), (10, Event::Key('i'))];
        let fake = run_script(script, &[]);
        // Dessins : au lancement, après la vérification, après chaque `i`.
        assert_eq!(fake.screens.len(), 4);
        assert!(
            !fake.screens[1].contains("Indice 1 sur 3"),
            "{}",
            fake.screens[1]
        );
        let first = &fake.screens[2];
        assert!(first.contains("Indice 1 sur 3"), "{first}");
        assert!(!first.contains("Indice 2 sur 3"), "{first}");
        let second = fake.last_screen();
        assert!(second.contains("Indice 2 sur 3"), "{second}");
        assert!(!second.contains("Indice 3 sur 3"), "pas demandé : {second}");
    }

    #[test]
    fn la_liste_suivant_precedent_et_quitter() {
        let script = vec![
            (10, Event::Key('l')),
            (10, Event::Key('l')),
            (10, Event::Key('n')),
            (10, Event::Key('n')),
            (10, Event::Key('p')),
        ];
        let fake = run_script(script, &[0]);
        // Dessins : lancement, vérification, puis un par touche.
        assert_eq!(fake.screens.len(), 7);
        let list = &fake.screens[2];
        assert!(list.contains("▶ ex02"), "{list}");
        assert!(list.contains("[█░░░░░░░░░░░░░░░░] 1/17 réussis"), "{list}");
        assert!(
            fake.screens[3].starts_with("Exercice 02"),
            "{}",
            fake.screens[3]
        );
        assert!(
            fake.screens[5].starts_with("Exercice 04"),
            "{}",
            fake.screens[5]
        );
        assert!(fake.last_screen().starts_with("Exercice 03"));
        assert_eq!(fake.jobs, [Job::All], "changer d'exercice ne vérifie rien");
    }

    #[test]
    fn un_exercice_reussi_est_felicite_et_le_suivant_propose() {
        let mut fake = Fake::new(vec![]);
        let mut app = App::new(&src());
        app.running = Some(Job::All);
        let all = fake.results(Job::All);
        app.handle(
            Event::Checked {
                job: Job::All,
                results: Ok(all),
            },
            fake.clock,
        );
        fake.solved = vec![0];
        let one = Ok(fake.results(Job::One(0)));
        app.handle(
            Event::Checked {
                job: Job::One(0),
                results: one,
            },
            fake.clock,
        );
        let screen = app.screen();
        assert!(screen.contains("Bravo !"), "{screen}");
        assert!(
            screen.contains("n pour l'exercice suivant : ex02"),
            "{screen}"
        );
    }
}
