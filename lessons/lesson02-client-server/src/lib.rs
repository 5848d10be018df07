//! # Leçon 02 — une conversation client/serveur, chacun son tour
//!
//! Le serveur accueille le client (« Bienvenue sur le serveur ! »), puis le client et
//! l'**opérateur** assis devant le terminal du serveur se répondent à tour de rôle,
//! une ligne chacun. Taper `exit`, d'un côté ou de l'autre, termine la conversation
//! proprement des deux côtés ; le serveur attend alors le client suivant.
//!
//! La nouveauté par rapport à la leçon 01 : un **protocole**. TCP ne transporte qu'un
//! flux d'octets, sans frontières entre les messages ; c'est nous qui décidons qu'un
//! message est une ligne terminée par `\n` (on tolère `\r\n`), qu'elle ne dépasse pas
//! [`MAX_LINE`] octets, que le serveur parle le premier et que `exit` signifie « au
//! revoir ».
//!
//! - Lancer le serveur : `cargo run -p lesson02-client-server` (vous êtes
//!   l'opérateur).
//! - Dans un autre terminal : `cargo run -p lesson02-client-server -- client` ou
//!   `nc 127.0.0.1 7777`.
//!
//! À observer : le serveur ne sert qu'**une conversation à la fois**. Un second
//! client est bien connecté (le noyau a fait la poignée de main), mais il ne reçoit
//! pas l'accueil tant que le premier n'est pas parti. Et un client qui se tait bloque
//! le serveur : on attend un humain, donc pas de délai maximal. La leçon 03 corrigera
//! cela avec un thread par client.

use lesson01_echo::is_disconnection;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::ops::ControlFlow;

// ANCHOR: protocol
/// Première ligne envoyée par le serveur à chaque client (comme dans le `serveur.py`
/// d'origine).
pub const GREETING: &str = "Bienvenue sur le serveur !";

/// Le mot qui termine la conversation, tapé par le client ou par l'opérateur.
pub const EXIT: &str = "exit";

/// Longueur maximale d'une ligne, sans le `\n`. Au-delà, la ligne est refusée : sans
/// limite, un pair qui envoie des octets sans jamais de `\n` ferait grossir notre
/// mémoire sans fin.
pub const MAX_LINE: usize = 4096;

/// Réponse du serveur à une ligne trop longue ; la conversation continue ensuite.
pub const TOO_LONG_REPLY: &str =
    "Erreur : ligne trop longue (plus de 4096 octets), elle a été ignorée.";
// ANCHOR_END: protocol

// ANCHOR: listen
/// La socket d'écoute est celle de la leçon 01 (`socket` → `setsockopt` → `bind` →
/// `listen`, chaque étape y est expliquée) : la leçon l'emprunte au lieu de la
/// recopier.
pub use lesson01_echo::listen;
// ANCHOR_END: listen

// ANCHOR: read_line
/// Ce que l'on a reçu en lisant une ligne.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Une ligne complète, sans `\n` ni `\r` final. Les octets qui ne sont pas de
    /// l'UTF-8 valide sont remplacés par « � » au lieu de faire échouer la
    /// lecture.
    Line(String),
    /// Une ligne de plus de [`MAX_LINE`] octets : elle a été lue jusqu'au bout et
    /// jetée.
    TooLong,
    /// Le pair a fermé son sens d'envoi (fin de flux) : plus rien n'arrivera.
    Closed,
}

/// Lit une ligne d'au plus [`MAX_LINE`] octets.
///
/// Le `serveur.py` de la séance 02 fait `recv(1024).decode()` et traite le résultat
/// comme UN message. Or TCP ne connaît pas les messages : un `recv` peut rendre la
/// moitié d'une ligne, ou deux lignes collées. Ici, on lit jusqu'au `\n`, quel que
/// soit le nombre de paquets. Et `.decode()` lève une exception sur des octets non
/// UTF-8 : nous les affichons quand même.
pub fn read_line_bounded(reader: &mut impl BufRead) -> io::Result<Incoming> {
    let mut line = Vec::new();
    // take() borne la lecture : au plus MAX_LINE octets plus le `\n`, jamais
    // davantage en mémoire, même si le `\n` n'arrive jamais.
    let limit = MAX_LINE as u64 + 1;
    if reader.by_ref().take(limit).read_until(b'\n', &mut line)? == 0 {
        return Ok(Incoming::Closed);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_LINE {
        skip_rest_of_line(reader)?;
        return Ok(Incoming::TooLong);
    }
    // Sinon, la dernière ligne est arrivée sans `\n` avant la fin du flux : on la
    // garde.
    Ok(Incoming::Line(String::from_utf8_lossy(&line).into_owned()))
}

/// Jette les octets jusqu'au prochain `\n` (compris) ou jusqu'à la fin du flux,
/// morceau par morceau : la mémoire utilisée reste celle du tampon de lecture.
/// Publique : le chat de la leçon 03 jette ses lignes trop longues de la même façon.
pub fn skip_rest_of_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|&byte| byte == b'\n') {
            Some(newline) => {
                reader.consume(newline + 1);
                return Ok(());
            }
            None => {
                let skipped = available.len();
                reader.consume(skipped);
            }
        }
    }
}
// ANCHOR_END: read_line

// ANCHOR: send_line
/// Envoie une ligne terminée par `\n`.
///
/// `write_all` et non `write` : comme le `send` de Python utilisé par la séance 02,
/// `write` peut n'envoyer qu'une partie des octets. `write_all` (le `sendall` de
/// Python) boucle jusqu'au dernier. Le `\n` final est notre frontière de message ; le
/// `serveur.py` de la séance 01 envoie son accueil sans fin de ligne, et le client ne
/// peut pas savoir s'il a tout.
pub fn send_line(mut stream: &TcpStream, line: &str) -> io::Result<()> {
    stream.write_all(format!("{line}\n").as_bytes())
}

/// `exit` termine la conversation, qu'il soit tapé par le client ou par l'opérateur
/// (on tolère des espaces autour, invisibles pour qui tape).
pub fn is_exit(line: &str) -> bool {
    line.trim() == EXIT
}
// ANCHOR_END: send_line

// ANCHOR: accept_loop
/// Sert les clients l'un après l'autre : accueil, conversation, puis client suivant.
///
/// `operator` est ce que tape l'opérateur (le clavier dans le programme, un texte
/// préparé dans les tests) et `screen` ce qu'il voit. Renvoie `Ok(())` quand l'entrée
/// de l'opérateur est terminée (Ctrl+D, ou fin du fichier redirigé) : sans opérateur,
/// plus personne ne peut répondre, le serveur s'arrête. Une erreur ne vient que de
/// l'écran ou du clavier ; un client qui disparaît n'arrête jamais le serveur.
///
/// Le `serveur.py` de la séance 02 lance un thread par client, mais tous ces threads
/// lisent le MÊME clavier avec `input()` : avec deux clients, chaque ligne tapée part
/// chez l'un ou chez l'autre, au hasard. Nous servons donc volontairement une
/// conversation à la fois.
pub fn serve(
    listener: &TcpListener,
    mut operator: impl BufRead,
    mut screen: impl Write,
) -> io::Result<()> {
    loop {
        writeln!(screen, "En attente d'un client…")?;
        // accept() crée une NOUVELLE socket pour ce client ; la socket d'écoute reste
        // libre et les clients suivants patientent dans le backlog jusqu'au
        // prochain accept().
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(err) => {
                writeln!(screen, "accept() a échoué : {err} ; on continue.")?;
                continue;
            }
        };
        writeln!(screen, "Client connecté : {peer}")?;
        if converse(stream, &mut operator, &mut screen)?
            == ConversationEnd::OperatorInputClosed
        {
            writeln!(
                screen,
                "Entrée de l'opérateur terminée : le serveur s'arrête."
            )?;
            return Ok(());
        }
        // La socket du client a été fermée en sortant de converse() : au suivant.
    }
}
// ANCHOR_END: accept_loop

/// Pourquoi une conversation s'est terminée, côté serveur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationEnd {
    /// Le client a envoyé `exit`.
    ClientExit,
    /// L'opérateur a tapé `exit` ; le client l'a reçu.
    OperatorExit,
    /// Le client est parti sans `exit` : fin de flux, ou connexion coupée
    /// brutalement.
    ClientGone,
    /// L'entrée de l'opérateur est terminée ; le client a reçu `exit`.
    OperatorInputClosed,
}

// ANCHOR: converse
/// Mène une conversation complète avec un client déjà accepté, puis ferme sa
/// connexion.
///
/// Les erreurs réseau terminent la conversation (`ClientGone`) et sont affichées à
/// l'opérateur ; `Err` ne signale qu'un problème d'écran ou de clavier.
pub fn converse(
    stream: TcpStream,
    operator: &mut impl BufRead,
    screen: &mut impl Write,
) -> io::Result<ConversationEnd> {
    // Si le client a déjà coupé, peer_addr() échoue : on ne s'arrête pas pour si peu.
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "client inconnu".to_string(), |addr| addr.to_string());
    // `&TcpStream` sait lire et écrire : le BufReader lit à travers une référence, et
    // nous pouvons écrire sur la même socket pendant ce temps.
    let mut from_client = BufReader::new(&stream);

    // Le serveur parle le premier : c'est le protocole, le client attend cet accueil.
    if let ControlFlow::Break(end) = send_to_client(&stream, GREETING, screen, &peer)?
    {
        return Ok(end);
    }
    // Chaque tour dit s'il faut continuer (`ControlFlow::Continue`) ou s'arrêter, et
    // pourquoi (`ControlFlow::Break`). En sortant par `return`, `stream` est
    // détruit : close() envoie un FIN au client, qui lira 0 octet.
    loop {
        if let ControlFlow::Break(end) =
            client_turn(&stream, &mut from_client, screen, &peer)?
        {
            return Ok(end);
        }
        if let ControlFlow::Break(end) =
            operator_turn(&stream, operator, screen, &peer)?
        {
            return Ok(end);
        }
    }
}
// ANCHOR_END: converse

// ANCHOR: client_turn
/// Attend une ligne du client et l'affiche à l'opérateur.
fn client_turn(
    stream: &TcpStream,
    from_client: &mut impl BufRead,
    screen: &mut impl Write,
    peer: &str,
) -> io::Result<ControlFlow<ConversationEnd>> {
    loop {
        // Le serveur bloque ici tant que le client ne finit pas sa ligne : un client
        // muet bloque tout le serveur. On attend un humain, donc pas de délai
        // maximal.
        match read_line_bounded(from_client) {
            Ok(Incoming::Line(message)) if is_exit(&message) => {
                writeln!(screen, "{peer} a quitté la conversation (exit).")?;
                return Ok(ControlFlow::Break(ConversationEnd::ClientExit));
            }
            Ok(Incoming::Line(message)) => {
                writeln!(screen, "{peer} : {message}")?;
                return Ok(ControlFlow::Continue(()));
            }
            Ok(Incoming::TooLong) => {
                writeln!(screen, "{peer} a envoyé une ligne trop longue : ignorée.")?;
                // On le lui dit, et c'est de nouveau à lui de parler : on relit une
                // ligne.
                if let ControlFlow::Break(end) =
                    send_to_client(stream, TOO_LONG_REPLY, screen, peer)?
                {
                    return Ok(ControlFlow::Break(end));
                }
            }
            // Lire 0 octet : le client a fermé sa connexion sans dire `exit`. Le
            // `serveur.py` de la séance 02 ne teste pas ce cas : il
            // reçoit "" pour toujours, l'affiche, et demande une réponse
            // à l'opérateur pour un client qui n'est plus là.
            Ok(Incoming::Closed) => {
                writeln!(screen, "{peer} est parti sans dire « exit ».")?;
                return Ok(ControlFlow::Break(ConversationEnd::ClientGone));
            }
            Err(err) => return client_lost(screen, peer, &err),
        }
    }
}
// ANCHOR_END: client_turn

// ANCHOR: operator_turn
/// Demande sa réponse à l'opérateur et l'envoie au client.
fn operator_turn(
    stream: &TcpStream,
    operator: &mut impl BufRead,
    screen: &mut impl Write,
    peer: &str,
) -> io::Result<ControlFlow<ConversationEnd>> {
    let reply = loop {
        write!(screen, "Votre réponse à {peer} : ")?;
        // l'invite n'a pas de `\n` : sans flush, elle resterait en mémoire
        screen.flush()?;
        match read_line_bounded(operator)? {
            Incoming::Line(reply) => break reply,
            Incoming::TooLong => writeln!(screen, "Ligne trop longue, recommencez.")?,
            Incoming::Closed => {
                // Plus d'opérateur : on prévient poliment le client avec `exit`. S'il
                // est déjà parti, l'envoi échoue, et ce n'est pas
                // grave : on s'arrête de toute façon.
                writeln!(screen)?;
                let _ = send_line(stream, EXIT);
                return Ok(ControlFlow::Break(ConversationEnd::OperatorInputClosed));
            }
        }
    };
    if let ControlFlow::Break(end) = send_to_client(stream, &reply, screen, peer)? {
        return Ok(ControlFlow::Break(end));
    }
    if is_exit(&reply) {
        // Le client a reçu `exit` : il sait que la conversation est finie.
        writeln!(screen, "Vous avez mis fin à la conversation avec {peer}.")?;
        return Ok(ControlFlow::Break(ConversationEnd::OperatorExit));
    }
    Ok(ControlFlow::Continue(()))
}
// ANCHOR_END: operator_turn

/// Envoie une ligne au client ; s'il a disparu, la conversation s'arrête là.
fn send_to_client(
    stream: &TcpStream,
    line: &str,
    screen: &mut impl Write,
    peer: &str,
) -> io::Result<ControlFlow<ConversationEnd>> {
    match send_line(stream, line) {
        Ok(()) => Ok(ControlFlow::Continue(())),
        Err(err) => client_lost(screen, peer, &err),
    }
}

/// Une erreur réseau avec un client termine SA conversation, jamais le serveur.
fn client_lost(
    screen: &mut impl Write,
    peer: &str,
    err: &io::Error,
) -> io::Result<ControlFlow<ConversationEnd>> {
    writeln!(
        screen,
        "La connexion avec {peer} a été coupée : {}.",
        describe(err)
    )?;
    Ok(ControlFlow::Break(ConversationEnd::ClientGone))
}

/// Les erreurs d'une connexion qui disparaît, en français.
fn describe(err: &io::Error) -> String {
    match err.kind() {
        // Le pair a envoyé un RST : il a fermé brutalement (processus tué, SO_LINGER
        // à 0…).
        ErrorKind::ConnectionReset => "le pair l'a réinitialisée (RST)".to_string(),
        ErrorKind::ConnectionAborted => "connexion interrompue".to_string(),
        // Écrire vers un pair qui a déjà tout fermé.
        ErrorKind::BrokenPipe => "le pair ne lit plus (tuyau cassé)".to_string(),
        _ => err.to_string(),
    }
}

/// Pourquoi la session du client s'est terminée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// L'utilisateur a tapé `exit`.
    Exit,
    /// L'entrée est terminée (Ctrl+D, ou fin du fichier redirigé).
    EndOfInput,
    /// Le serveur a envoyé `exit` : l'opérateur a mis fin à la conversation.
    ServerExit,
    /// Le serveur a fermé la connexion (ou elle a été coupée).
    ServerClosed,
}

// ANCHOR: client
/// Client de conversation : affiche l'accueil, puis alterne une ligne de `input`
/// envoyée au serveur et la réponse du serveur écrite dans `output`.
///
/// `input` et `output` sont génériques : le programme passe le clavier et l'écran,
/// les tests passent des tampons en mémoire.
pub fn run_client(
    stream: TcpStream,
    mut input: impl BufRead,
    mut output: impl Write,
) -> io::Result<ClientEnd> {
    let mut from_server = BufReader::new(&stream);
    loop {
        // Le serveur parle le premier (l'accueil), puis répond à chacune de nos
        // lignes.
        if let ControlFlow::Break(end) = server_turn(&mut from_server, &mut output)? {
            return Ok(end);
        }
        if let ControlFlow::Break(end) = user_turn(&stream, &mut input, &mut output)?
        {
            return Ok(end);
        }
    }
}

/// Attend une ligne du serveur et l'affiche.
fn server_turn(
    from_server: &mut impl BufRead,
    output: &mut impl Write,
) -> io::Result<ControlFlow<ClientEnd>> {
    let end = match read_line_bounded(from_server) {
        Ok(Incoming::Line(reply)) if is_exit(&reply) => {
            writeln!(output, "Le serveur a mis fin à la conversation.")?;
            ClientEnd::ServerExit
        }
        Ok(Incoming::Line(reply)) => {
            writeln!(output, "Serveur : {reply}")?;
            return Ok(ControlFlow::Continue(()));
        }
        Ok(Incoming::TooLong) => {
            writeln!(
                output,
                "(Le serveur a envoyé une ligne trop longue, ignorée.)"
            )?;
            return Ok(ControlFlow::Continue(()));
        }
        // Le `client.py` de la séance 02 ne teste pas la fin de flux : il afficherait
        // des messages vides pour toujours.
        Ok(Incoming::Closed) => server_closed(output)?,
        Err(err) if is_disconnection(&err) => server_closed(output)?,
        Err(err) => return Err(err),
    };
    Ok(ControlFlow::Break(end))
}

/// Lit une ligne de l'utilisateur et l'envoie au serveur.
fn user_turn(
    stream: &TcpStream,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> io::Result<ControlFlow<ClientEnd>> {
    let line = loop {
        write!(output, "Vous : ")?;
        output.flush()?;
        match read_line_bounded(input)? {
            Incoming::Line(line) => break line,
            Incoming::TooLong => writeln!(output, "Ligne trop longue, recommencez.")?,
            Incoming::Closed => {
                writeln!(output)?;
                // Fermer notre sens d'envoi : le serveur lira 0 octet et saura que
                // c'est fini.
                return close_politely(stream, ClientEnd::EndOfInput);
            }
        }
    };
    match send_line(stream, &line) {
        Ok(()) if is_exit(&line) => close_politely(stream, ClientEnd::Exit),
        Ok(()) => Ok(ControlFlow::Continue(())),
        Err(err) if is_disconnection(&err) => {
            Ok(ControlFlow::Break(server_closed(output)?))
        }
        Err(err) => Err(err),
    }
}

fn server_closed(output: &mut impl Write) -> io::Result<ClientEnd> {
    writeln!(output, "Le serveur a fermé la connexion.")?;
    Ok(ClientEnd::ServerClosed)
}

/// Ferme notre sens d'envoi (FIN) : le serveur lira 0 octet après nos dernières
/// lignes.
fn close_politely(
    stream: &TcpStream,
    end: ClientEnd,
) -> io::Result<ControlFlow<ClientEnd>> {
    // Si le serveur est déjà parti, la socket peut être déjà déconnectée : ce n'est
    // pas grave.
    match stream.shutdown(Shutdown::Write) {
        Err(err) if err.kind() != ErrorKind::NotConnected => Err(err),
        _ => Ok(ControlFlow::Break(end)),
    }
}
// ANCHOR_END: client
