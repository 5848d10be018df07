//! Le client plein écran, boucle comprise, contre un vrai serveur sur 127.0.0.1 :
//! l'écran est un `TestBackend` de ratatui (un écran en mémoire) et les touches sont
//! écrites par le test. Chaque image dessinée est publiée sur un canal `watch` : le
//! test attend, avec un délai maximal, que l'écran montre ce qu'il attend, au lieu de
//! dormir « assez longtemps ».

mod common;

use std::io;
use std::net::SocketAddr;

use common::{Chat, Client, TIMEOUT, start_server, test_config};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use lesson05_chat::ClientEnd;
use lesson05_chat::tui::run_ui;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const WIDTH: u16 = 80;
const HEIGHT: u16 = 12;
/// La ligne de saisie : sous la ligne de séparation, au-dessus de l'aide.
const INPUT_ROW: usize = HEIGHT as usize - 2;

/// Un écran en mémoire qui publie chaque image terminée (à chaque `flush`).
struct Watched {
    screen: TestBackend,
    shown: watch::Sender<Vec<String>>,
}

impl Backend for Watched {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.screen.draw(content)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.screen.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.screen.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.screen.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(
        &mut self,
        position: P,
    ) -> io::Result<()> {
        self.screen.set_cursor_position(position)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.screen.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.screen.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        self.screen.size()
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.screen.window_size()
    }
    fn flush(&mut self) -> io::Result<()> {
        let buffer = self.screen.buffer();
        let rows = (0..buffer.area.height)
            .map(|y| {
                let row: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect();
                row.trim_end().to_owned()
            })
            .collect();
        self.shown.send_replace(rows);
        Ok(())
    }
}

/// Le client plein écran lancé dans une tâche : ses touches, son écran, sa fin.
struct Ui {
    keys: mpsc::UnboundedSender<io::Result<Event>>,
    screen: watch::Receiver<Vec<String>>,
    task: JoinHandle<io::Result<ClientEnd>>,
}

impl Ui {
    async fn start(addr: SocketAddr, nick: Option<&'static str>) -> io::Result<Ui> {
        let stream = timeout(TIMEOUT, TcpStream::connect(addr)).await??;
        let (shown, screen) = watch::channel(Vec::new());
        let backend = Watched {
            screen: TestBackend::new(WIDTH, HEIGHT),
            shown,
        };
        let (keys, typed) = mpsc::unbounded_channel();
        let typed = stream::unfold(typed, |mut typed| async {
            typed.recv().await.map(|key| (key, typed))
        });
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(backend)?;
            let typed = Box::pin(typed);
            run_ui(&mut terminal, typed, stream, nick, std::future::pending()).await
        });
        Ok(Ui { keys, screen, task })
    }

    fn press(&self, code: KeyCode) {
        let key = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
        self.keys
            .send(Ok(key))
            .expect("la boucle écoute le clavier");
    }

    fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(KeyCode::Char(c)));
    }

    /// Attend (au plus TIMEOUT) une image qui vérifie `wanted`, et la rend.
    async fn wait_screen(
        &mut self,
        what: &str,
        wanted: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let found = timeout(TIMEOUT, self.screen.wait_for(|rows| wanted(rows)))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|rows| rows.clone());
        match found {
            Some(rows) => rows,
            None => panic!(
                "l'écran n'a pas montré {what} ; dernier : {:#?}",
                *self.screen.borrow()
            ),
        }
    }

    /// Attend la fin de la boucle et rend comment elle a fini.
    async fn end(self) -> io::Result<ClientEnd> {
        match timeout(TIMEOUT, self.task).await {
            Ok(Ok(end)) => end,
            Ok(Err(panic)) => panic!("le client a paniqué : {panic}"),
            Err(_) => panic!("le client ne s'est pas arrêté en {TIMEOUT:?}"),
        }
    }
}

fn shows(rows: &[String], text: &str) -> bool {
    rows.iter().any(|row| row.contains(text))
}

#[tokio::test]
async fn la_saisie_reste_intacte_quand_un_message_arrive() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut bob = Client::join(server.addr, "bob").await?;
    let mut ui = Ui::start(server.addr, Some("alice")).await?;
    // Le /who automatique de l'inscription remplit le volet des présents.
    let rows = ui
        .wait_screen("les deux présents", |rows| {
            shows(rows, "Présents (2)") && shows(rows, "│bob")
        })
        .await;
    assert!(
        !shows(&rows, "Connectés ("),
        "réponse au /who automatique cachée"
    );
    ui.type_text("je suis en train d'écr");
    let typing = "> je suis en train d'écr";
    ui.wait_screen("la saisie", |rows| rows[INPUT_ROW] == typing)
        .await;
    bob.send("coucou alice").await?;
    let rows = ui
        .wait_screen("le message de bob", |rows| shows(rows, "bob: coucou alice"))
        .await;
    assert_eq!(rows[INPUT_ROW], typing, "la saisie est intacte : {rows:#?}");
    assert!(
        !shows(&rows, "écrbob"),
        "rien n'est collé à la saisie : {rows:#?}"
    );
    ui.press(KeyCode::Enter);
    bob.skip_until(|line| line == "alice: je suis en train d'écr")
        .await?;
    ui.wait_screen("notre ligne, et une saisie vide", |rows| {
        shows(rows, "alice: je suis en train d'écr") && rows[INPUT_ROW] == ">"
    })
    .await;
    ui.press(KeyCode::Esc);
    assert_eq!(ui.end().await?, ClientEnd::Quit);
    bob.skip_until(|line| line == "*** alice a quitté le salon.")
        .await?;
    server.stop().await
}

#[tokio::test]
async fn quand_le_serveur_part_l_ecran_le_dit_jusqu_a_echap() -> io::Result<()> {
    let server = start_server(test_config()).await?;
    let mut ui = Ui::start(server.addr, None).await?;
    ui.wait_screen("la question du pseudo", |rows| {
        shows(rows, "Votre pseudo ?")
    })
    .await;
    ui.type_text("alice");
    ui.press(KeyCode::Enter);
    ui.wait_screen("l'inscription", |rows| shows(rows, "vous : alice"))
        .await;
    server.stop().await?;
    let rows = ui
        .wait_screen("la fermeture", |rows| {
            shows(rows, "Le serveur a fermé la connexion")
        })
        .await;
    assert!(
        shows(&rows, "*** Le serveur s'arrête. Au revoir !"),
        "{rows:#?}"
    );
    assert!(rows[0].contains("Déconnecté"), "ligne d'état : {rows:#?}");
    ui.type_text("encore là ?");
    ui.press(KeyCode::Enter);
    ui.wait_screen("la ligne gardée", |rows| {
        rows[INPUT_ROW] == "> encore là ?" && shows(rows, "n'est pas partie")
    })
    .await;
    ui.press(KeyCode::Esc);
    assert_eq!(ui.end().await?, ClientEnd::ServerClosed);
    Ok(())
}

#[tokio::test]
async fn ce_qu_envoie_un_serveur_hostile_est_neutralise() -> io::Result<()> {
    // Un faux serveur : des séquences qui effaceraient l'écran, renommeraient la
    // fenêtre ou retourneraient le texte.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let hostile = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        socket
            .write_all("\x1b[2J\x1b]0;piège\x07bob: salut\u{202e}envers\n".as_bytes())
            .await?;
        socket.write_all(b"*** fin\n").await?;
        // On garde la connexion ouverte jusqu'au départ du client.
        let mut rest = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut rest).await?;
        io::Result::Ok(())
    });
    let mut ui = Ui::start(addr, Some("alice")).await?;
    let rows = ui
        .wait_screen("les lignes du faux serveur", |rows| shows(rows, "*** fin"))
        .await;
    let expected = "\u{FFFD}[2J\u{FFFD}]0;piège\u{FFFD}bob: salut\u{FFFD}envers";
    assert!(shows(&rows, expected), "caractères neutralisés : {rows:#?}");
    ui.press(KeyCode::Esc);
    assert_eq!(ui.end().await?, ClientEnd::Quit);
    timeout(TIMEOUT, hostile).await??
}
