//! L'état de l'interface : les messages reçus, la saisie, les présents, l'état de la
//! connexion. Une structure ordinaire, sans socket ni terminal : chaque événement
//! (une touche, une ligne du serveur) passe par une méthode pure, qu'un test appelle
//! directement. Le réseau et l'écran sont dans `tui.rs` et `view.rs`.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::editor::Editor;
use super::message::Message;
use crate::client::is_quit;
use crate::protocol::{Command, clean, nick_key, parse_line, validate_nick};

/// Messages gardés pour le défilement ; au-delà, les plus anciens sont oubliés.
pub const MAX_MESSAGES: usize = 1000;

/// Une ligne reçue plus longue que cela, en octets (un serveur hostile peut en
/// envoyer d'un Mio), est raccourcie : les messages gardés tiennent en 4 Mio.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// Où en est la connexion, pour la ligne d'état.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Connecté, le serveur attend un pseudo.
    Registering,
    /// Inscrit : on est dans le salon.
    InRoom,
    /// `/quit` envoyé : on attend que le serveur ferme.
    Leaving,
    /// Le serveur a fermé la connexion.
    Closed,
}

/// Ce que la boucle doit faire après une touche.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Envoyer cette ligne au serveur (sans son `\n`).
    Send(String),
    /// Quitter tout de suite (Échap, Ctrl+C).
    Quit,
}

// ANCHOR: app
/// Tout ce que l'écran affiche, et rien d'autre.
pub struct App {
    server: String,
    link: Link,
    /// Notre pseudo, tel que le serveur l'a accepté (`*** Bienvenue, alice !`).
    me: Option<String>,
    messages: VecDeque<Message>,
    /// Combien des messages les plus récents sont cachés sous le bas du volet
    /// (PageUp), 0 pour suivre la discussion.
    scroll: usize,
    /// Hauteur du volet des messages, en lignes : PageUp en fait défiler la moitié.
    page: usize,
    editor: Editor,
    /// Les présents, d'après la dernière réponse à `/who`.
    room: Vec<String>,
    who: WhoRequests,
}
// ANCHOR_END: app

/// Les réponses à `/who` attendues. Le serveur répond aux commandes d'un client dans
/// l'ordre où il les a reçues : une file suffit pour savoir si la prochaine réponse
/// répond à l'utilisateur (elle s'affiche) ou à ce client (elle ne sert qu'au volet
/// des présents).
#[derive(Debug, Default)]
struct WhoRequests {
    /// Pour chaque `/who` envoyé, dans l'ordre : vrai s'il vient de ce client.
    pending: VecDeque<bool>,
    /// Un `/who` de ce client est en route : on n'en envoie pas un deuxième…
    in_flight: bool,
    /// … mais on se souvient que la salle a encore changé depuis.
    stale: bool,
    /// Une longue liste arrive en plusieurs lignes (80 colonnes au plus chacune).
    reading: Option<WhoList>,
}

#[derive(Debug)]
struct WhoList {
    count: usize,
    nicks: Vec<String>,
    hidden: bool,
}

impl App {
    /// `server` est l'adresse affichée dans la ligne d'état.
    pub fn new(server: impl Into<String>) -> App {
        App {
            server: server.into(),
            link: Link::Registering,
            me: None,
            messages: VecDeque::new(),
            scroll: 0,
            page: 10,
            editor: Editor::default(),
            room: Vec::new(),
            who: WhoRequests::default(),
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn link(&self) -> Link {
        self.link
    }

    pub fn me(&self) -> Option<&str> {
        self.me.as_deref()
    }

    pub fn messages(&self) -> &VecDeque<Message> {
        &self.messages
    }

    pub fn scroll(&self) -> usize {
        self.scroll
    }

    pub fn editor(&self) -> &Editor {
        &self.editor
    }

    pub fn room(&self) -> &[String] {
        &self.room
    }

    /// La boucle donne la hauteur du volet des messages après chaque dessin.
    pub fn set_page(&mut self, rows: usize) {
        self.page = rows.max(1);
    }

    // ANCHOR: on_key
    /// Une touche. Ni le réseau ni l'écran ne sont touchés ici : la boucle fait ce
    /// que dit l'[`Action`] rendue.
    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        // Sous Windows, le terminal signale aussi le RELÂCHEMENT de chaque touche :
        // sans ce filtre, chaque lettre serait tapée deux fois.
        if key.kind == KeyEventKind::Release {
            return Action::Nothing;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // AltGr (« @ », « # », « { » sur un clavier français) arrive sous Windows
        // comme Ctrl+Alt : c'est un caractère à taper, pas un raccourci.
        let altgr = ctrl && key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => return Action::Quit,
            KeyCode::Char('c') if ctrl && !altgr => return Action::Quit,
            KeyCode::Char(c) if !ctrl || altgr => self.editor.insert(c),
            KeyCode::Enter => return self.submit(),
            KeyCode::Left => self.editor.left(),
            KeyCode::Right => self.editor.right(),
            KeyCode::Home => self.editor.home(),
            KeyCode::End => self.editor.end(),
            KeyCode::Backspace => self.editor.backspace(),
            KeyCode::Delete => self.editor.delete(),
            KeyCode::Up => self.editor.previous(),
            KeyCode::Down => self.editor.next(),
            KeyCode::PageUp => self.scroll_by(self.page.div_ceil(2) as isize),
            KeyCode::PageDown => self.scroll_by(-(self.page.div_ceil(2) as isize)),
            _ => {}
        }
        Action::Nothing
    }

    /// Entrée : la ligne part, sauf s'il n'y a plus de connexion (elle reste alors
    /// dans la saisie : rien de tapé n'est perdu).
    fn submit(&mut self) -> Action {
        if self.editor.text().trim().is_empty() {
            return Action::Nothing;
        }
        if matches!(self.link, Link::Closed | Link::Leaving) {
            self.push(Message::Client(
                "Plus de connexion : la ligne n'est pas partie.".into(),
            ));
            return Action::Nothing;
        }
        self.scroll = 0;
        Action::Send(self.editor.take())
    }
    // ANCHOR_END: on_key

    /// La ligne est partie vers le serveur. Le serveur ne renvoie pas à son auteur
    /// ce qu'il dit au salon : on l'affiche nous-mêmes, comme il le diffuse.
    pub fn sent(&mut self, line: &str) {
        if is_quit(line.as_bytes()) {
            self.link = Link::Leaving;
            return;
        }
        if self.link != Link::InRoom {
            return; // c'était notre pseudo
        }
        let me = self.me.clone().unwrap_or_default();
        match parse_line(line) {
            Ok(Some(Command::Say(text))) if !clean(text).is_empty() => {
                let text = clean(text);
                self.push(Message::Public { from: me, text });
            }
            Ok(Some(Command::Msg { to, text })) if !clean(text).is_empty() => {
                let (to, text) = (clean(to), clean(text));
                self.push(Message::PrivateSent { to, text });
            }
            Ok(Some(Command::Who)) => self.who.pending.push_back(false),
            _ => {}
        }
    }

    /// La ligne n'a pas pu partir (le serveur ne lit plus assez vite) : elle revient
    /// dans la saisie.
    pub fn not_sent(&mut self, line: String) {
        self.editor.restore(line);
        self.push(Message::Client(
            "Le serveur ne suit pas : la ligne attend dans la saisie, réessayez."
                .into(),
        ));
    }

    /// Le `/who` que [`App::on_line`] demandait n'a pas pu partir.
    pub fn request_lost(&mut self) {
        self.who.pending.pop_back();
        self.who.in_flight = false;
        self.who.stale = false;
    }

    // ANCHOR: on_line
    /// Une ligne du serveur, déjà neutralisée. Rend la ligne à envoyer en retour,
    /// s'il y en a une : `/who`, pour tenir à jour le volet des présents.
    pub fn on_line(&mut self, line: &str) -> Option<String> {
        // Une tabulation occupe de 1 à 8 colonnes selon l'endroit où elle tombe :
        // une espace est plus sûre pour calculer les retours à la ligne.
        let line = line.replace('\t', " ");
        let message = Message::parse(shorten(&line));
        let Message::Notice(text) = &message else {
            self.push(message);
            return None;
        };
        if let Some(hidden) = self.read_who(text) {
            if !hidden {
                self.push(message);
            }
            return self.who_done();
        }
        let request = self.notice_effects(text);
        self.push(message);
        request
    }
    // ANCHOR_END: on_line

    /// Le serveur a fermé la connexion : l'interface reste, pour qu'on lise pourquoi.
    pub fn on_closed(&mut self) {
        self.link = Link::Closed;
        self.room.clear();
        self.push(Message::Client(
            "Le serveur a fermé la connexion. Échap ou Ctrl+C pour quitter.".into(),
        ));
    }

    /// Ce qu'une notice change : l'inscription, notre pseudo, la liste des présents.
    fn notice_effects(&mut self, text: &str) -> Option<String> {
        if let Some(rest) = text.strip_prefix("Bienvenue, ") {
            // « Bienvenue, alice ! 2 personnes dans le salon » : la première ligne
            // après un pseudo accepté.
            self.me = rest.split(' ').next().map(str::to_owned);
            self.link = Link::InRoom;
            return self.ask_who();
        }
        if self.link != Link::InRoom || !changes_room(text) {
            return None;
        }
        // « alice s'appelle désormais alicia. » : c'est peut-être nous.
        if let Some((old, new)) = text.split_once(" s'appelle désormais ") {
            let mine = self.me.as_deref().map(nick_key) == Some(nick_key(old));
            if mine {
                self.me = Some(new.trim_end_matches('.').to_owned());
            }
        }
        self.ask_who()
    }

    /// Demande la liste des présents, sans jamais avoir deux demandes en route.
    fn ask_who(&mut self) -> Option<String> {
        if self.who.in_flight {
            self.who.stale = true;
            return None;
        }
        self.who.in_flight = true;
        self.who.pending.push_back(true);
        Some("/who".to_owned())
    }

    /// Si `text` fait partie d'une réponse à `/who`, l'enregistre et dit si elle est
    /// cachée (demandée par ce client) ; sinon `None`.
    ///
    /// `*** Connectés (3) : alice, bob, carol`, et au-delà de 80 colonnes, la suite
    /// sur d'autres lignes (`*** dave, eve`) : on lit jusqu'à avoir les N pseudos.
    fn read_who(&mut self, text: &str) -> Option<bool> {
        let list = match self.who.reading.take() {
            Some(list) => list,
            None => {
                let rest = text.strip_prefix("Connectés (")?;
                let (count, nicks) = rest.split_once(") : ")?;
                let count = count.parse().ok()?;
                let hidden = self.who.pending.pop_front().unwrap_or(false);
                self.who.reading = Some(WhoList {
                    count,
                    nicks: Vec::new(),
                    hidden,
                });
                return self.read_who(nicks);
            }
        };
        let mut list = list;
        for nick in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if validate_nick(nick).is_err() {
                return None; // pas la suite d'une liste : une notice ordinaire
            }
            list.nicks.push(nick.to_owned());
        }
        let hidden = list.hidden;
        if list.nicks.len() >= list.count {
            self.room = list.nicks;
            if hidden {
                self.who.in_flight = false;
            }
        } else {
            self.who.reading = Some(list);
        }
        Some(hidden)
    }

    /// Une réponse à notre `/who` est complète : si la salle a changé entre-temps,
    /// on redemande.
    fn who_done(&mut self) -> Option<String> {
        if self.who.in_flight || self.who.reading.is_some() || !self.who.stale {
            return None;
        }
        self.who.stale = false;
        self.ask_who()
    }

    /// Ajoute un message. Pendant qu'on relit plus haut (PageUp), la vue ne bouge
    /// pas : le nouveau message s'ajoute sous le bas du volet.
    fn push(&mut self, message: Message) {
        if self.scroll > 0 {
            self.scroll += 1;
        }
        self.messages.push_back(message);
        if self.messages.len() > MAX_MESSAGES {
            self.messages.pop_front();
        }
        self.scroll = self.scroll.min(self.messages.len().saturating_sub(1));
    }

    fn scroll_by(&mut self, delta: isize) {
        let max = self.messages.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }
}

/// Les `MAX_MESSAGE_BYTES` premiers octets de `line`, coupés entre deux caractères.
fn shorten(line: &str) -> &str {
    let mut end = line.len().min(MAX_MESSAGE_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Les notices après lesquelles la liste des présents a changé : un pseudo, puis
/// l'une de ces suites (les phrases de `protocol.rs` : un test vérifie qu'elles y
/// sont toujours).
const ROOM_CHANGES: [&str; 7] = [
    " a rejoint le salon.",
    " a quitté le salon",
    " s'est déconnecté(e).",
    " est parti(e) : ",
    " a été expulsé(e) par ",
    " ne lisait plus ses messages",
    " s'appelle désormais ",
];

fn changes_room(text: &str) -> bool {
    let Some(space) = text.find(' ') else {
        return false;
    };
    let (nick, rest) = text.split_at(space);
    validate_nick(nick).is_ok()
        && ROOM_CHANGES.iter().any(|end| rest.starts_with(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{self, Departure};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            assert_eq!(app.on_key(key(KeyCode::Char(c))), Action::Nothing);
        }
    }

    /// Chaque ligne d'une réponse du serveur, sans `\n`.
    fn receive(app: &mut App, lines: &str) -> Vec<String> {
        lines.lines().filter_map(|line| app.on_line(line)).collect()
    }

    /// Une application inscrite sous le nom `alice`, dont le `/who` a eu sa réponse.
    fn joined_app() -> App {
        let mut app = App::new("127.0.0.1:7777");
        let asked = receive(&mut app, &protocol::welcome("alice", 2));
        assert_eq!(
            asked,
            ["/who"],
            "l'inscription demande la liste des présents"
        );
        assert!(receive(&mut app, &protocol::who_list(&["alice", "bob"])).is_empty());
        app
    }

    #[test]
    fn l_inscription_donne_le_pseudo_et_la_liste_des_presents() {
        let app = joined_app();
        assert_eq!(app.link(), Link::InRoom);
        assert_eq!(app.me(), Some("alice"));
        assert_eq!(app.room(), ["alice", "bob"]);
        let shown: Vec<_> = app.messages().iter().collect();
        assert_eq!(shown.len(), 1, "la réponse au /who automatique est cachée");
    }

    #[test]
    fn une_ligne_recue_pendant_la_saisie_ne_touche_pas_a_la_saisie() {
        let mut app = joined_app();
        type_text(&mut app, "je suis en train d'écr");
        app.on_line("bob: coucou alice");
        assert_eq!(app.editor().text(), "je suis en train d'écr");
        assert_eq!(
            app.messages().back(),
            Some(&Message::Public {
                from: "bob".into(),
                text: "coucou alice".into()
            })
        );
    }

    #[test]
    fn entree_envoie_la_ligne_et_l_affiche_comme_le_salon_la_voit() {
        let mut app = joined_app();
        type_text(&mut app, "  salut   tout le monde ");
        let action = app.on_key(key(KeyCode::Enter));
        let Action::Send(line) = action else {
            panic!("Entrée doit envoyer la ligne, pas {action:?}");
        };
        assert_eq!(
            line, "  salut   tout le monde ",
            "la ligne part telle quelle"
        );
        app.sent(&line);
        assert_eq!(app.editor().text(), "", "la saisie est vidée");
        assert_eq!(
            app.messages().back(),
            Some(&Message::Public {
                from: "alice".into(),
                text: "salut tout le monde".into()
            }),
            "affichée comme le serveur la diffuse (blancs réduits)"
        );
        type_text(&mut app, "/msg bob chut");
        app.on_key(key(KeyCode::Enter));
        app.sent("/msg bob chut");
        assert_eq!(
            app.messages().back(),
            Some(&Message::PrivateSent {
                to: "bob".into(),
                text: "chut".into()
            })
        );
    }

    #[test]
    fn le_who_tape_s_affiche_et_le_who_automatique_non() {
        let mut app = joined_app();
        app.sent("/who");
        let before = app.messages().len();
        receive(&mut app, &protocol::who_list(&["alice", "bob", "carol"]));
        assert_eq!(
            app.messages().len(),
            before + 1,
            "réponse au /who tapé affichée"
        );
        assert_eq!(app.room().len(), 3);
    }

    #[test]
    fn une_longue_liste_de_presents_sur_plusieurs_lignes_est_lue_en_entier() {
        let mut app = joined_app();
        let nicks: Vec<String> = (0..40).map(|n| format!("etudiant{n:02}")).collect();
        let names: Vec<&str> = nicks.iter().map(String::as_str).collect();
        let answer = protocol::who_list(&names);
        assert!(
            answer.lines().count() > 3,
            "la réponse tient sur plusieurs lignes"
        );
        app.sent("/who");
        receive(&mut app, &answer);
        assert_eq!(app.room(), nicks.as_slice());
        let shown = app
            .messages()
            .iter()
            .filter(|m| matches!(m, Message::Notice(_)));
        assert_eq!(
            shown.count(),
            1 + answer.lines().count(),
            "la bienvenue, puis chaque ligne de la réponse tapée"
        );
    }

    #[test]
    fn chaque_arrivee_ou_depart_redemande_who_mais_jamais_deux_a_la_fois() {
        let mut app = joined_app();
        let changes = [
            protocol::joined("carol"),
            protocol::departure("bob", &Departure::Quit(None)),
            protocol::departure("bob", &Departure::Quit(Some("dodo".into()))),
            protocol::departure("bob", &Departure::Disconnected),
            protocol::departure("bob", &Departure::Idle),
            protocol::departure("bob", &Departure::TooSlow),
            protocol::departure(
                "bob",
                &Departure::Killed {
                    by: "root".into(),
                    reason: "spam".into(),
                },
            ),
            protocol::renamed("bob", "bobby"),
        ];
        for change in &changes {
            let mut fresh = joined_app();
            assert_eq!(receive(&mut fresh, change), ["/who"], "après {change:?}");
        }
        // Trois changements d'un coup : un seul /who en route, un second après sa
        // réponse (la salle a changé entre-temps), puis plus rien.
        let asked: Vec<String> = changes[..3]
            .iter()
            .flat_map(|c| receive(&mut app, c))
            .collect();
        assert_eq!(asked, ["/who"]);
        let again = receive(&mut app, &protocol::who_list(&["alice", "carol"]));
        assert_eq!(again, ["/who"], "la salle a changé pendant la demande");
        let done = receive(&mut app, &protocol::who_list(&["alice", "carol"]));
        assert!(done.is_empty(), "plus rien à demander : {done:?}");
        let ordinary =
            receive(&mut app, &protocol::unknown_nick("x a rejoint le salon."));
        assert!(
            ordinary.is_empty(),
            "une notice qui cite un texte ne compte pas"
        );
    }

    #[test]
    fn notre_changement_de_pseudo_est_suivi() {
        let mut app = joined_app();
        receive(&mut app, &protocol::renamed("alice", "alicia"));
        assert_eq!(app.me(), Some("alicia"));
    }

    #[test]
    fn echap_ctrl_c_et_quit_font_partir() {
        let mut app = joined_app();
        assert_eq!(app.on_key(key(KeyCode::Esc)), Action::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.on_key(ctrl_c), Action::Quit);
        // AltGr sous Windows : Ctrl+Alt et un caractère, qu'on tape.
        let altgr = KeyModifiers::CONTROL | KeyModifiers::ALT;
        app.on_key(KeyEvent::new(KeyCode::Char('@'), altgr));
        assert_eq!(app.editor().text(), "@");
        app.on_key(key(KeyCode::Backspace));
        app.sent("/quit");
        assert_eq!(app.link(), Link::Leaving);
    }

    #[test]
    fn apres_la_fermeture_la_saisie_est_gardee() {
        let mut app = joined_app();
        app.on_closed();
        type_text(&mut app, "trop tard");
        assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Nothing);
        assert_eq!(app.editor().text(), "trop tard", "rien de tapé n'est perdu");
        assert_eq!(app.link(), Link::Closed);
        assert!(app.room().is_empty());
    }

    #[test]
    fn le_defilement_reste_en_place_quand_un_message_arrive() {
        let mut app = joined_app();
        for n in 0..50 {
            app.on_line(&format!("bob: message {n}"));
        }
        app.set_page(10);
        app.on_key(key(KeyCode::PageUp));
        assert_eq!(app.scroll(), 5, "la moitié du volet");
        app.on_line("bob: nouveau");
        assert_eq!(app.scroll(), 6, "la vue ne bouge pas");
        for _ in 0..100 {
            app.on_key(key(KeyCode::PageUp));
        }
        assert_eq!(
            app.scroll(),
            app.messages().len() - 1,
            "borné au plus ancien"
        );
        for _ in 0..100 {
            app.on_key(key(KeyCode::PageDown));
        }
        assert_eq!(app.scroll(), 0);
    }

    #[test]
    fn les_messages_gardes_sont_bornes() {
        let mut app = joined_app();
        let huge = format!("bob: {}", "é".repeat(100_000));
        for _ in 0..MAX_MESSAGES + 5 {
            app.on_line(&huge);
        }
        assert_eq!(app.messages().len(), MAX_MESSAGES);
        let Some(Message::Public { text, .. }) = app.messages().back() else {
            panic!("un message public attendu");
        };
        assert!(text.len() < MAX_MESSAGE_BYTES, "ligne raccourcie");
    }
}
