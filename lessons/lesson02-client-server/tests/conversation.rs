//! Tests de la leçon 02, sur de vraies sockets TCP en boucle locale (127.0.0.1, port
//! 0).
//!
//! L'opérateur est un texte préparé à l'avance (`Cursor`) : le serveur ne lit sa
//! ligne suivante qu'après avoir reçu celle du client, donc les réponses partent dans
//! l'ordre. Chaque socket de test a un délai maximal et chaque thread serveur est
//! attendu via un canal avec `recv_timeout` : un serveur cassé fait échouer un test,
//! jamais bloquer.

use std::io::{self, BufReader, Cursor, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use lesson02_client_server::{
    ClientEnd, ConversationEnd, GREETING, MAX_LINE, TOO_LONG_REPLY, converse, listen,
    run_client, serve,
};

use test_kit::TIMEOUT;

/// L'écran de l'opérateur : ce que le serveur affiche, lisible par le test.
#[derive(Clone, Default)]
struct Screen(Arc<Mutex<Vec<u8>>>);

impl Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut shown = self
            .0
            .lock()
            .map_err(|_| io::Error::other("écran empoisonné"))?;
        shown.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Screen {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("écran empoisonné"))
            .into_owned()
    }
}

/// Un vrai serveur lancé dans un thread, avec son écran et le résultat de `serve`.
struct Server {
    addr: SocketAddr,
    screen: Screen,
    finished: Receiver<io::Result<()>>,
}

/// Démarre `serve` sur un port libre choisi par le noyau (port 0). `operator`
/// contient les réponses que l'opérateur « tapera », une par ligne, dans l'ordre.
fn start_server(operator: &str) -> io::Result<Server> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    let screen = Screen::default();
    let (done, finished) = mpsc::channel();
    let (operator, screen_for_server) =
        (Cursor::new(operator.to_string()), screen.clone());
    thread::spawn(move || done.send(serve(&listener, operator, screen_for_server)));
    Ok(Server {
        addr,
        screen,
        finished,
    })
}

/// Accepte UN client et mène `converse` avec lui dans un thread ; le résultat arrive
/// par le canal. Renvoie le client de test déjà connecté.
fn start_conversation(
    operator: &str,
) -> io::Result<(TestClient, Screen, Receiver<io::Result<ConversationEnd>>)> {
    let listener = listen("127.0.0.1:0".parse().unwrap())?;
    let client = TestClient::connect(listener.local_addr()?)?;
    // La connexion est déjà établie par le noyau : accept() rend la main tout de
    // suite.
    let (stream, _) = listener.accept()?;
    let screen = Screen::default();
    let (done, finished) = mpsc::channel();
    let (mut operator, mut screen_for_server) =
        (Cursor::new(operator.to_string()), screen.clone());
    thread::spawn(move || {
        done.send(converse(stream, &mut operator, &mut screen_for_server))
    });
    Ok((client, screen, finished))
}

fn wait<T>(finished: &Receiver<io::Result<T>>) -> T {
    finished
        .recv_timeout(TIMEOUT)
        .expect("le serveur aurait dû finir dans les délais")
        .expect("le serveur a renvoyé une erreur")
}

/// Un client « à la main », comme `nc` : il envoie et lit des lignes brutes.
struct TestClient {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl TestClient {
    fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = test_kit::connect(addr)?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(TestClient { stream, reader })
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Lit une ligne, `\n` compris ; une chaîne vide signifie que le serveur a fermé.
    fn receive(&mut self) -> io::Result<String> {
        test_kit::read_line(&mut self.reader)
    }

    /// Lit l'accueil, qui doit arriver en premier.
    fn greeted(mut self) -> io::Result<Self> {
        assert_eq!(
            self.receive()?,
            format!("{GREETING}\n"),
            "le serveur doit d'abord envoyer son accueil"
        );
        Ok(self)
    }

    /// Vérifie que le serveur a fermé la connexion : lire donne 0 octet (ou un RST).
    fn assert_closed(&mut self) {
        match self.receive() {
            Ok(line) => {
                assert_eq!(line, "", "le serveur aurait dû fermer la connexion")
            }
            Err(err) => assert!(
                matches!(
                    err.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ),
                "le serveur aurait dû fermer la connexion, pas : {err}"
            ),
        }
    }
}

#[test]
fn le_serveur_accueille_chaque_client_en_francais() -> io::Result<()> {
    let server = start_server("")?;
    let mut client = TestClient::connect(server.addr)?;
    assert_eq!(
        client.receive()?,
        "Bienvenue sur le serveur !\n",
        "l'accueil de la séance 01, terminé par un \\n"
    );
    Ok(())
}

#[test]
fn client_et_operateur_parlent_chacun_leur_tour() -> io::Result<()> {
    let server = start_server("réponse un\nréponse deux\nréponse trois\n")?;
    let mut client = TestClient::connect(server.addr)?.greeted()?;
    let me = client.stream.local_addr()?;
    for (message, reply) in [("un", "un"), ("deux", "deux"), ("trois", "trois")] {
        client.send(format!("message {message}\n").as_bytes())?;
        assert_eq!(
            client.receive()?,
            format!("réponse {reply}\n"),
            "chaque ligne du client reçoit la réponse suivante de l'opérateur"
        );
        // La réponse est partie après l'affichage : l'écran montre déjà le message.
        let shown = server.screen.text();
        assert!(
            shown.contains(&format!("{me} : message {message}\n")),
            "l'opérateur doit voir le message avec l'adresse du client :\n{shown}"
        );
    }
    Ok(())
}

#[test]
fn le_retour_chariot_de_telnet_est_tolere() -> io::Result<()> {
    let (mut client, screen, finished) = start_conversation("ok\n")?;
    client = client.greeted()?;
    client.send(b"bonjour\r\n")?;
    assert_eq!(client.receive()?, "ok\n");
    client.send(b"exit\r\n")?;
    assert_eq!(
        wait(&finished),
        ConversationEnd::ClientExit,
        "« exit\\r\\n » est un exit"
    );
    assert!(
        !screen.text().contains('\r'),
        "le \\r ne doit pas être affiché"
    );
    Ok(())
}

#[test]
fn exit_du_client_termine_la_conversation_des_deux_cotes() -> io::Result<()> {
    let (client, screen, finished) = start_conversation("")?;
    let mut client = client.greeted()?;
    client.send(b"exit\n")?;
    assert_eq!(wait(&finished), ConversationEnd::ClientExit);
    client.assert_closed();
    let shown = screen.text();
    assert!(
        shown.contains("a quitté la conversation"),
        "l'opérateur doit savoir que le client est parti :\n{shown}"
    );
    Ok(())
}

#[test]
fn exit_de_l_operateur_est_transmis_puis_la_connexion_fermee() -> io::Result<()> {
    let (client, screen, finished) =
        start_conversation("exit\nne doit pas partir\n")?;
    let mut client = client.greeted()?;
    client.send(b"salut\n")?;
    assert_eq!(
        client.receive()?,
        "exit\n",
        "le client doit recevoir le exit de l'opérateur"
    );
    client.assert_closed();
    assert_eq!(wait(&finished), ConversationEnd::OperatorExit);
    assert!(
        screen.text().contains("Vous avez mis fin"),
        "{}",
        screen.text()
    );
    Ok(())
}

#[test]
fn un_client_qui_ferme_sans_exit_termine_la_conversation() -> io::Result<()> {
    let (client, screen, finished) = start_conversation("")?;
    let client = client.greeted()?;
    client.stream.shutdown(Shutdown::Write)?; // un FIN, sans « exit »
    assert_eq!(wait(&finished), ConversationEnd::ClientGone);
    assert!(
        screen.text().contains("sans dire « exit »"),
        "{}",
        screen.text()
    );
    Ok(())
}

#[test]
fn apres_un_exit_le_serveur_sert_le_client_suivant() -> io::Result<()> {
    let server = start_server("exit\nbonjour le deuxième\n")?;

    // Premier client : l'opérateur met fin à la conversation.
    let mut first = TestClient::connect(server.addr)?.greeted()?;
    first.send(b"je suis le premier\n")?;
    assert_eq!(first.receive()?, "exit\n");
    first.assert_closed();

    // Deuxième client : il est accueilli, converse, puis part avec exit.
    let mut second = TestClient::connect(server.addr)?.greeted()?;
    second.send(b"je suis le deuxieme\n")?;
    assert_eq!(second.receive()?, "bonjour le deuxième\n");
    second.send(b"exit\n")?;
    second.assert_closed();

    // Troisième client : toujours accueilli.
    TestClient::connect(server.addr)?.greeted()?;
    Ok(())
}

#[test]
fn le_second_client_attend_la_fin_de_la_premiere_conversation() -> io::Result<()> {
    let server = start_server("")?;
    let first = TestClient::connect(server.addr)?.greeted()?;

    // La connexion du second réussit (le noyau a fait la poignée de main), mais le
    // serveur, occupé avec le premier, ne l'a pas encore acceptée : pas
    // d'accueil.
    let mut second = TestClient::connect(server.addr)?;
    second
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))?;
    let early = second.receive();
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "le second client ne doit pas être accueilli pendant la première conversation : {early:?}"
    );

    drop(first); // le premier part : le serveur rappelle accept() et accueille le second
    second.stream.set_read_timeout(Some(TIMEOUT))?;
    second.greeted()?;
    Ok(())
}

#[test]
fn un_client_qui_coupe_brutalement_n_arrete_pas_le_serveur() -> io::Result<()> {
    let server = start_server("toujours là\n")?;
    let rude = TestClient::connect(server.addr)?.greeted()?;
    // SO_LINGER à 0 : la fermeture envoie un RST au lieu du FIN poli.
    socket2::SockRef::from(&rude.stream).set_linger(Some(Duration::ZERO))?;
    drop(rude);

    let mut next = TestClient::connect(server.addr)?.greeted()?;
    next.send(b"encore la ?\n")?;
    assert_eq!(
        next.receive()?,
        "toujours là\n",
        "le serveur doit continuer après un RST"
    );
    let shown = server.screen.text();
    assert!(
        shown.contains("RST") || shown.contains("sans dire"),
        "l'opérateur doit savoir que le client a disparu :\n{shown}"
    );
    Ok(())
}

#[test]
fn le_message_d_erreur_annonce_la_vraie_limite() {
    // TOO_LONG_REPLY écrit la limite en toutes lettres : il doit suivre MAX_LINE si
    // elle change.
    assert!(
        TOO_LONG_REPLY.contains(&format!("{MAX_LINE} octets")),
        "le message « {TOO_LONG_REPLY} » doit annoncer la limite réelle de {MAX_LINE} octets"
    );
}

#[test]
fn une_ligne_trop_longue_recoit_une_erreur_et_la_conversation_continue()
-> io::Result<()> {
    let (client, screen, _finished) = start_conversation("réponse normale\n")?;
    let mut client = client.greeted()?;
    let mut long_line = vec![b'a'; 100 * MAX_LINE];
    long_line.push(b'\n');
    client.send(&long_line)?;
    let error = client.receive()?;
    assert_eq!(error, format!("{TOO_LONG_REPLY}\n"));
    assert!(
        error.contains("trop longue"),
        "l'erreur doit être en français : {error}"
    );

    client.send(b"une ligne courte\n")?;
    assert_eq!(
        client.receive()?,
        "réponse normale\n",
        "après l'erreur, la conversation reprend normalement"
    );
    assert!(
        screen.text().contains("une ligne courte"),
        "{}",
        screen.text()
    );
    Ok(())
}

#[test]
fn une_ligne_sans_fin_est_jetee_sans_bloquer_le_serveur() -> io::Result<()> {
    let server = start_server("pour le suivant\n")?;
    let mut endless = TestClient::connect(server.addr)?.greeted()?;
    // 1 Mio sans jamais de `\n` : le serveur jette au fur et à mesure, sans tout
    // garder.
    endless.send(&vec![b'x'; 1024 * 1024])?;
    endless.stream.shutdown(Shutdown::Write)?;
    assert_eq!(endless.receive()?, format!("{TOO_LONG_REPLY}\n"));
    endless.assert_closed();

    let mut next = TestClient::connect(server.addr)?.greeted()?;
    next.send(b"bonjour\n")?;
    assert_eq!(next.receive()?, "pour le suivant\n");
    Ok(())
}

#[test]
fn les_octets_non_utf8_sont_affiches_sans_erreur() -> io::Result<()> {
    let server = start_server("bien reçu\n")?;
    let mut client = TestClient::connect(server.addr)?.greeted()?;
    client.send(b"caf\xe9 cr\xe8me\n")?; // du Latin-1, pas de l'UTF-8
    assert_eq!(client.receive()?, "bien reçu\n");
    let shown = server.screen.text();
    assert!(
        shown.contains("caf\u{FFFD} cr\u{FFFD}me"),
        "les octets invalides sont remplacés par « � » :\n{shown}"
    );
    Ok(())
}

#[test]
fn le_serveur_s_arrete_quand_l_operateur_n_a_plus_rien_a_dire() -> io::Result<()> {
    let server = start_server("une seule réponse\n")?;
    let mut client = TestClient::connect(server.addr)?.greeted()?;
    client.send(b"premier\n")?;
    assert_eq!(client.receive()?, "une seule réponse\n");
    client.send(b"second\n")?;
    assert_eq!(
        client.receive()?,
        "exit\n",
        "sans opérateur, le client est prévenu par un exit"
    );
    client.assert_closed();
    wait(&server.finished);
    assert!(
        server.screen.text().contains("le serveur s'arrête"),
        "{}",
        server.screen.text()
    );
    Ok(())
}

#[test]
fn le_client_affiche_l_accueil_puis_les_reponses_et_s_arrete_sur_exit()
-> io::Result<()> {
    let server = start_server("bien reçu\n")?;
    let stream = TestClient::connect(server.addr)?.stream;
    let mut output = Vec::new();
    let input = Cursor::new("bonjour\r\nexit\nignoré\n");
    let end = run_client(stream, input, &mut output)?;
    assert_eq!(end, ClientEnd::Exit, "`exit` doit terminer la session");
    let shown = String::from_utf8_lossy(&output);
    assert!(
        shown.contains("Serveur : Bienvenue sur le serveur !\n"),
        "{shown}"
    );
    assert!(shown.contains("Serveur : bien reçu\n"), "{shown}");

    // Le serveur a bien reçu le exit : il accueille le client suivant.
    TestClient::connect(server.addr)?.greeted()?;
    assert!(
        server.screen.text().contains("a quitté la conversation"),
        "{}",
        server.screen.text()
    );
    Ok(())
}

#[test]
fn le_client_s_arrete_a_la_fin_de_l_entree() -> io::Result<()> {
    let server = start_server("reçu\n")?;
    let stream = TestClient::connect(server.addr)?.stream;
    let mut output = Vec::new();
    let end = run_client(
        stream,
        Cursor::new("une ligne sans fin de ligne"),
        &mut output,
    )?;
    assert_eq!(end, ClientEnd::EndOfInput);
    let shown = String::from_utf8_lossy(&output);
    assert!(
        shown.contains("Serveur : reçu\n"),
        "la dernière ligne, même sans \\n, est envoyée :\n{shown}"
    );
    TestClient::connect(server.addr)?.greeted()?; // le serveur est libre pour le suivant
    Ok(())
}

#[test]
fn le_client_annonce_que_le_serveur_a_mis_fin_a_la_conversation() -> io::Result<()> {
    let server = start_server("exit\n")?;
    let stream = TestClient::connect(server.addr)?.stream;
    let mut output = Vec::new();
    let end = run_client(stream, Cursor::new("salut\nencore ?\n"), &mut output)?;
    assert_eq!(end, ClientEnd::ServerExit);
    let shown = String::from_utf8_lossy(&output);
    assert!(
        shown.contains("Le serveur a mis fin à la conversation."),
        "{shown}"
    );
    Ok(())
}

#[test]
fn le_client_previent_quand_le_serveur_ferme() -> io::Result<()> {
    // Un « serveur » qui accueille puis ferme aussitôt, sans exit.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.write_all(format!("{GREETING}\n").as_bytes())
    });

    let stream = TestClient::connect(addr)?.stream;
    let mut output = Vec::new();
    let end = run_client(stream, Cursor::new("allô ?\nallô ?\n"), &mut output)?;
    assert_eq!(end, ClientEnd::ServerClosed);
    let shown = String::from_utf8_lossy(&output);
    assert!(
        shown.contains("Le serveur a fermé la connexion."),
        "message affiché : {shown:?}"
    );
    Ok(())
}
