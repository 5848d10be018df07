//! Tests du serveur de chat (hub + un lecteur et un écrivain par client), sur de vraies
//! sockets TCP (127.0.0.1, port 0). Chaque lecture a un délai maximal.

mod common;

use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use socket2::{Domain, Protocol, Socket, Type};

use common::{TIMEOUT, any_local_port, connect, read_line, spawn_with_deadline};
use lesson03_threads::{ChatConfig, listen, serve_chat, set_logging};

/// Démarre un vrai serveur de chat sur un port libre.
fn start_server(config: ChatConfig) -> io::Result<SocketAddr> {
    set_logging(false); // des dizaines de serveurs dans ce processus : pas de journal
    let listener = listen(any_local_port())?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_chat(listener, config));
    Ok(addr)
}

/// Un participant : sa connexion, et son nom vu par le serveur (son adresse locale).
struct Chatter {
    name: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Chatter {
    /// Se connecte et lit le message de bienvenue : après lui, le hub connaît ce client.
    fn join(addr: SocketAddr) -> io::Result<Chatter> {
        let stream = connect(addr)?;
        let mut chatter = Chatter {
            name: stream.local_addr()?,
            reader: BufReader::new(stream),
        };
        let welcome = chatter.read_line()?;
        assert!(
            welcome.starts_with("*** Bienvenue"),
            "le nouveau venu doit être accueilli, reçu : {welcome:?}"
        );
        Ok(chatter)
    }

    fn say(&mut self, text: &str) -> io::Result<()> {
        self.reader
            .get_mut()
            .write_all(format!("{text}\n").as_bytes())
    }

    fn read_line(&mut self) -> io::Result<String> {
        read_line(&mut self.reader)
    }

    /// Lit la ligne suivante et vérifie qu'elle vaut `expected`.
    fn expect(&mut self, expected: &str, why: &str) -> io::Result<()> {
        let line = self.read_line()?;
        assert_eq!(line, expected, "{why}");
        Ok(())
    }
}

#[test]
fn une_ligne_arrive_a_tous_les_autres_mais_pas_a_son_auteur() -> io::Result<()> {
    let addr = start_server(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    let mut carol = Chatter::join(addr)?;
    alice.expect(
        &format!("*** {} a rejoint le salon\n", bob.name),
        "arrivée de bob",
    )?;
    alice.expect(
        &format!("*** {} a rejoint le salon\n", carol.name),
        "arrivée de carol",
    )?;
    bob.expect(
        &format!("*** {} a rejoint le salon\n", carol.name),
        "arrivée de carol",
    )?;

    alice.say("bonjour à tous")?;
    let relayed = format!("[{}] bonjour à tous\n", alice.name);
    bob.expect(
        &relayed,
        "bob doit recevoir la ligne d'alice, préfixée par son adresse",
    )?;
    carol.expect(&relayed, "carol doit recevoir la ligne d'alice")?;

    // Preuve que l'auteur ne reçoit pas sa propre ligne, sans rien attendre « un peu » : le hub
    // traite les événements dans l'ordre, donc si alice avait reçu sa ligne, elle la lirait
    // AVANT la réponse de bob.
    bob.say("salut alice")?;
    alice.expect(
        &format!("[{}] salut alice\n", bob.name),
        "la première ligne reçue par alice doit être la réponse de bob, pas sa propre ligne",
    )?;
    Ok(())
}

#[test]
fn les_arrivees_et_les_departs_sont_annonces() -> io::Result<()> {
    let addr = start_server(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let stream = connect(addr)?;
    let bob_name = stream.local_addr()?;
    let mut bob = BufReader::new(stream);
    let welcome = read_line(&mut bob)?;
    assert!(
        welcome.contains("Autres personnes dans le salon : 1"),
        "l'accueil doit dire combien de personnes sont là : {welcome:?}"
    );
    alice.expect(
        &format!("*** {bob_name} a rejoint le salon\n"),
        "annonce de l'arrivée",
    )?;

    drop(bob); // fermeture de la connexion : le lecteur de bob lit 0 octet
    alice.expect(
        &format!("*** {bob_name} a quitté le salon\n"),
        "annonce du départ",
    )?;
    Ok(())
}

#[test]
fn les_caracteres_de_controle_sont_neutralises() -> io::Result<()> {
    let addr = start_server(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.read_line()?; // arrivée de bob

    // ESC [2J efface l'écran, BEL fait sonner le terminal, \r ramène le curseur en début de
    // ligne (pour écraser le préfixe et se faire passer pour un autre), 0x9b est un CSI sur un
    // octet (ici en UTF-8). La tabulation, elle, est permise.
    bob.reader
        .get_mut()
        .write_all("a\x1b[2Jb\x07c\rd\u{9b}e\tf\n".as_bytes())?;
    alice.expect(
        &format!("[{}] a?[2Jb?c?d?e\tf\n", bob.name),
        "les caractères de contrôle (sauf la tabulation) doivent être remplacés par « ? »",
    )?;

    // Des octets qui ne sont pas de l'UTF-8 : remplacés, et la connexion continue.
    bob.reader.get_mut().write_all(b"caf\xe9\n")?;
    alice.expect(
        &format!("[{}] caf\u{fffd}\n", bob.name),
        "l'UTF-8 invalide doit devenir « \u{fffd} »",
    )?;
    Ok(())
}

#[test]
fn une_ligne_trop_longue_est_refusee_sans_etre_gardee_en_memoire() -> io::Result<()> {
    let addr = start_server(ChatConfig::default())?; // 1024 octets au plus
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.read_line()?; // arrivée de bob

    // 8 Mio sans retour à la ligne, envoyés depuis un thread pendant qu'on lit : le serveur
    // doit les jeter au fil de l'eau, pas les accumuler en attendant un `\n`.
    let mut writer = bob.reader.get_ref().try_clone()?;
    let flood = spawn_with_deadline(move || -> io::Result<()> {
        let chunk = vec![b'z'; 64 * 1024];
        for _ in 0..128 {
            writer.write_all(&chunk)?;
        }
        writer.write_all(b"\napres la tempete\n")
    });
    bob.expect(
        "*** Ligne trop longue (plus de 1024 octets), ignorée.\n",
        "l'auteur d'une ligne trop longue doit recevoir une erreur en français",
    )?;
    flood
        .recv_timeout(TIMEOUT * 4)
        .expect("l'envoi de 8 Mio doit se terminer : le serveur doit lire et jeter")?;
    alice.expect(
        &format!("[{}] apres la tempete\n", bob.name),
        "rien de la ligne trop longue ne doit être relayé, et la suite doit passer",
    )?;
    Ok(())
}

#[test]
fn un_client_qui_ne_lit_plus_est_deconnecte_sans_bloquer_les_autres() -> io::Result<()> {
    let capacity = ChatConfig::default().queue_capacity;
    let addr = start_server(ChatConfig::default())?;
    // Le dormeur ne lira plus rien après son accueil. Un petit tampon de réception (réglé AVANT
    // connect(), pour que la fenêtre TCP annoncée soit petite) le fait déborder plus vite.
    let sleeper_socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    sleeper_socket.set_recv_buffer_size(4096)?;
    sleeper_socket.connect_timeout(&addr.into(), TIMEOUT)?;
    let sleeper_stream: TcpStream = sleeper_socket.into();
    sleeper_stream.set_read_timeout(Some(TIMEOUT))?;
    let sleeper_name = sleeper_stream.local_addr()?;
    let mut sleeper = BufReader::new(sleeper_stream);
    assert!(read_line(&mut sleeper)?.starts_with("*** Bienvenue"));

    let mut observer = Chatter::join(addr)?;
    let mut flooder = Chatter::join(addr)?;
    observer.expect(
        &format!("*** {} a rejoint le salon\n", flooder.name),
        "arrivée",
    )?;

    // Le bavard envoie des salves de lignes ; l'observateur lit chaque salve en entier avant la
    // suivante. Une salve tient dans une file : l'observateur n'est jamais en retard de plus
    // d'une salve, le dormeur, lui, accumule tout jusqu'à ce que sa file déborde.
    let kicked = format!("*** {sleeper_name} est trop lent, déconnecté\n");
    let flood_line = format!("{}\n", "bla ".repeat(100));
    let relayed = format!("[{}] {flood_line}", flooder.name);
    let burst = capacity / 2;
    let mut saw_kick = false;
    let mut bursts = 0;
    while !saw_kick {
        bursts += 1;
        assert!(bursts <= 1000, "le dormeur n'a jamais été déconnecté");
        flooder
            .reader
            .get_mut()
            .write_all(flood_line.repeat(burst).as_bytes())?;
        let mut received = 0;
        while received < burst {
            let line = observer.read_line()?;
            if line == kicked {
                saw_kick = true;
            } else {
                assert_eq!(
                    line, relayed,
                    "l'observateur doit recevoir chaque ligne du bavard"
                );
                received += 1;
            }
        }
    }
    println!("dormeur déconnecté après {bursts} salves de {burst} lignes");

    // Les autres continuent de discuter normalement.
    flooder.expect(
        &kicked,
        "le bavard doit être prévenu, et ne jamais recevoir ses lignes",
    )?;
    observer.say("on est encore la ?")?;
    flooder.expect(
        &format!("[{}] on est encore la ?\n", observer.name),
        "après la déconnexion du dormeur, le salon doit fonctionner",
    )?;

    // Le dormeur trouve, après ce qui était déjà en route, la fin de la connexion.
    let mut rest = Vec::new();
    match sleeper.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
        Err(err) => panic!("le dormeur doit être déconnecté, pas laissé en attente : {err}"),
    }
    Ok(())
}

#[test]
fn le_chat_refuse_le_client_de_trop() -> io::Result<()> {
    let config = ChatConfig {
        max_clients: 1,
        ..ChatConfig::default()
    };
    let addr = start_server(config)?;
    let _alice = Chatter::join(addr)?;
    let mut late = connect(addr)?;
    let mut refusal = String::new();
    late.read_to_string(&mut refusal)?;
    assert_eq!(
        refusal, "*** Serveur plein (1 client maximum), réessayez plus tard.\n",
        "le client de trop doit recevoir le refus en français, puis la fermeture"
    );
    Ok(())
}

#[test]
fn une_derniere_ligne_sans_retour_a_la_ligne_est_relayee() -> io::Result<()> {
    let addr = start_server(ChatConfig::default())?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.read_line()?; // arrivée de bob
    bob.reader.get_mut().write_all(b"au revoir")?;
    bob.reader.get_mut().shutdown(std::net::Shutdown::Write)?;
    alice.expect(&format!("[{}] au revoir\n", bob.name), "ligne finale")?;
    alice.expect(&format!("*** {} a quitté le salon\n", bob.name), "départ")?;
    Ok(())
}

#[test]
fn la_limite_de_longueur_est_exacte() -> io::Result<()> {
    let config = ChatConfig {
        max_line: 8,
        ..ChatConfig::default()
    };
    let addr = start_server(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.read_line()?; // arrivée de bob

    bob.say("12345678")?; // 8 octets : exactement la limite
    alice.expect(&format!("[{}] 12345678\n", bob.name), "8 octets passent")?;
    bob.say("123456789")?; // 9 octets : un de trop
    bob.expect(
        "*** Ligne trop longue (plus de 8 octets), ignorée.\n",
        "un octet de trop suffit à refuser la ligne",
    )?;
    bob.reader.get_mut().write_all(b"1234567\r\n")?; // \r\n (telnet, nc -C) : \r retiré
    alice.expect(
        &format!("[{}] 1234567\n", bob.name),
        "la ligne suivante passe, et le \\r final est retiré",
    )?;
    Ok(())
}

#[test]
fn une_limite_de_longueur_enorme_ne_fait_pas_deborder_le_lecteur() -> io::Result<()> {
    // `--max-line 18446744073709551615` : la borne `max_line + 1` ne doit pas déborder.
    let config = ChatConfig {
        max_line: usize::MAX,
        ..ChatConfig::default()
    };
    let addr = start_server(config)?;
    let mut alice = Chatter::join(addr)?;
    let mut bob = Chatter::join(addr)?;
    alice.read_line()?; // arrivée de bob
    bob.say("sans limite")?;
    alice.expect(
        &format!("[{}] sans limite\n", bob.name),
        "avec une limite énorme, les lignes doivent passer",
    )?;
    Ok(())
}
