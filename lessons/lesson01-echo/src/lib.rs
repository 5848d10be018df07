//! # Leçon 01 — le serveur d'écho bloquant
//!
//! Un serveur d'écho renvoie à l'identique tout ce qu'il reçoit. C'est le « bonjour
//! le monde » du réseau : il montre tout le cycle de vie d'une socket TCP côté
//! serveur, `socket` → `bind` → `listen` → `accept` → `read`/`write` → `close`.
//!
//! Ce serveur est **bloquant** et ne sert **qu'un client à la fois** : tant que le
//! premier client reste connecté, le suivant attend dans la file d'attente du noyau
//! (le *backlog*).
//!
//! - Lancer le serveur : `cargo run -p lesson01-echo`
//! - Dans un autre terminal : `cargo run -p lesson01-echo -- client` ou
//!   `nc 127.0.0.1 7777`
//!
//! À observer : ouvrez deux clients. Le second est bien « connecté » (le noyau a fait
//! la poignée de main à la place du programme), mais il ne reçoit aucun écho tant que
//! le premier n'est pas parti. La leçon 03 corrigera cela avec un thread par client.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use course_kit::log;
use socket2::{Domain, Protocol, Socket, Type};

mod lifecycle;

pub use lifecycle::{Ending, serve_client};

/// Taille de la file d'attente des connexions établies mais pas encore acceptées.
pub const BACKLOG: i32 = 128;

// ANCHOR: listen_options
/// Réglages de la socket d'écoute. Les valeurs par défaut sont celles de tout
/// serveur ; les options `--sans-reuseaddr` et `--backlog` du serveur les changent
/// pour qu'on VOIE à quoi elles servent (« Address already in use », SYN ignorés
/// quand la file est pleine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenOptions {
    /// Active SO_REUSEADDR (sous Unix). Oui par défaut.
    pub reuse_address: bool,
    /// Longueur de la file des connexions établies pas encore acceptées.
    pub backlog: i32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            reuse_address: true,
            backlog: BACKLOG,
        }
    }
}
// ANCHOR_END: listen_options

/// La socket d'écoute avec les réglages par défaut (voir [`listen_with`]).
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    listen_with(addr, ListenOptions::default())
}

// ANCHOR: listen
/// Crée la socket d'écoute en montrant chaque appel système, comme le ferait un
/// programme C ou le module `socket` de Python.
///
/// On pourrait aussi écrire simplement `TcpListener::bind(addr)` : la bibliothèque
/// standard enchaîne les mêmes étapes (avec SO_REUSEADDR sur Unix et un backlog de
/// 128), sauf `IPV6_V6ONLY`, qu'elle laisse au réglage du système.
pub fn listen_with(
    addr: SocketAddr,
    options: ListenOptions,
) -> io::Result<TcpListener> {
    // 1. socket() : le noyau nous donne une socket TCP (SOCK_STREAM) de la famille de
    //    l'adresse (AF_INET pour IPv4, AF_INET6 pour IPv6). Elle n'a encore ni
    //    adresse ni rôle.
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;

    // 2. setsockopt(SO_REUSEADDR) : sans cette option, relancer le serveur juste
    //    après l'avoir arrêté échoue (« adresse déjà utilisée ») tant que d'anciennes
    //    connexions sont en TIME_WAIT. La bibliothèque standard l'active elle aussi
    //    dans `TcpListener::bind`, mais seulement sur Unix : sous Windows,
    //    SO_REUSEADDR permettrait à un AUTRE programme d'écouter sur le même port,
    //    d'où le `cfg`.
    #[cfg(unix)]
    socket.set_reuse_address(options.reuse_address)?;

    // Une socket IPv6 sur `[::]` accepte aussi les clients IPv4 quand IPV6_V6ONLY est
    // désactivé (c'est le cas par défaut sous Linux, pas sous Windows) : on le
    // demande explicitement.
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }

    // 3. bind() : on attache la socket à une adresse IP et un port. C'est ici
    //    qu'échouent « adresse déjà utilisée » et « permission refusée » (ports <
    //    1024 sous Unix).
    socket.bind(&addr.into())?;

    // 4. listen() : la socket devient une socket d'écoute. Le noyau fait désormais
    //    seul la poignée de main en trois temps avec les clients et range jusqu'à
    //    BACKLOG connexions établies dans une file, en attendant que le programme
    //    appelle accept(). Quand la file est pleine, Linux ignore les SYN suivants :
    //    le client les réenvoie (toutes les secondes d'abord sur un Linux récent,
    //    puis de plus en plus espacés).
    socket.listen(options.backlog)?;

    Ok(socket.into())
}
// ANCHOR_END: listen

/// Sert les clients l'un après l'autre, pour toujours, en écho jusqu'à ce qu'ils
/// ferment.
pub fn serve(listener: &TcpListener) -> io::Result<()> {
    serve_with(listener, Ending::ClientFirst)
}

// ANCHOR: accept_loop
/// Sert les clients l'un après l'autre, pour toujours ; `ending` dit qui ferme la
/// connexion et comment (voir [`Ending`] : l'écho normal attend que le client ferme).
///
/// Une erreur sur un client n'arrête pas le serveur : on la note au journal et on
/// passe au suivant. Le journal (`log!`, du crate commun `course_kit`) écrit une
/// ligne par événement sur la sortie d'erreur, sans jamais faire paniquer le serveur
/// (voir le livre).
pub fn serve_with(listener: &TcpListener, ending: Ending) -> io::Result<()> {
    loop {
        // 5. accept() bloque jusqu'à ce qu'une connexion soit dans le backlog, puis
        //    renvoie une NOUVELLE socket, dédiée à ce client. La socket d'écoute,
        //    elle, reste libre pour les connexions suivantes.
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(err) => {
                log!("accept() a échoué : {err} ; on continue.");
                continue;
            }
        };
        log!("Client connecté : {peer}");

        match serve_client(stream, ending) {
            Ok(bytes) => log!("Client {peer} parti ({bytes} octets renvoyés)."),
            Err(err) => log!("Connexion avec {peer} interrompue : {err}"),
        }
        // Ce n'est qu'ICI, une fois ce client parti, que la boucle rappelle
        // accept() : pendant tout l'échange, les clients suivants patientent
        // dans le backlog.
    }
}
// ANCHOR_END: accept_loop

// ANCHOR: echo
/// Renvoie au client tout ce qu'il envoie, jusqu'à ce qu'il ferme sa connexion.
/// Renvoie le nombre d'octets renvoyés.
pub fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let mut buffer = [0u8; 4096];
    let mut total = 0;
    loop {
        // read() rend ce qui est déjà arrivé : entre 1 et 4096 octets, jamais « un
        // message ». TCP transporte un flux d'octets, sans frontières : un
        // envoi de 10 Kio peut arriver en trois morceaux, deux envois peuvent
        // arriver collés.
        let received = match stream.read(&mut buffer) {
            // 0 octet : le client a fermé son côté de la connexion (il a envoyé un
            // FIN).
            Ok(0) => return Ok(total),
            Ok(received) => received,
            // Un signal a interrompu l'appel système : rien n'est perdu, on
            // recommence.
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        // write_all() et non write() : write() peut n'envoyer qu'une partie des
        // octets si le tampon d'envoi du noyau est plein. write_all() boucle
        // jusqu'au dernier octet.
        stream.write_all(&buffer[..received])?;
        total += received as u64;
    }
    // En sortant, `stream` est détruit : son Drop appelle close() et la socket est
    // libérée.
}
// ANCHOR_END: echo

/// Pourquoi la session du client s'est terminée.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// L'entrée standard est terminée (Ctrl+D, ou fin du fichier redirigé).
    EndOfInput,
    /// L'utilisateur a tapé `exit`.
    Exit,
    /// Le serveur a fermé la connexion.
    ServerClosed,
}

// ANCHOR: client
/// Client d'écho : envoie chaque ligne de `input` au serveur et écrit l'écho dans
/// `output`.
///
/// `input` et `output` sont génériques : le programme passe le clavier et l'écran,
/// les tests passent des tampons en mémoire.
pub fn run_client(
    mut stream: TcpStream,
    input: impl BufRead,
    mut output: impl Write,
) -> io::Result<ClientEnd> {
    // On lit les réponses à travers un tampon (BufReader) pour pouvoir découper le
    // flux en lignes. try_clone() donne une deuxième poignée sur la MÊME socket.
    let mut replies = io::BufReader::new(stream.try_clone()?);

    for line in input.split(b'\n') {
        let mut line = line?;
        if line.ends_with(b"\r") {
            line.pop();
        }
        if line == b"exit" {
            return close_politely(&stream, ClientEnd::Exit);
        }
        line.push(b'\n');
        // Le serveur renvoie les octets tels quels ; on attend la fin de la ligne.
        let mut reply = Vec::new();
        let exchange = stream
            .write_all(&line)
            .and_then(|()| replies.read_until(b'\n', &mut reply));
        match exchange {
            Ok(0) => return server_closed(output),
            Ok(_) => {}
            Err(err) if is_disconnection(&err) => return server_closed(output),
            Err(err) => return Err(err),
        }
        output.write_all(&reply)?;
        output.flush()?;
    }
    close_politely(&stream, ClientEnd::EndOfInput)
}

/// Le pair peut partir poliment (lecture de 0 octet) ou brutalement : lire ou
/// écrire sur une connexion déjà fermée par le pair donne un RST (« connection
/// reset »), « aborted » ou un « broken pipe ». Publique : les clients des leçons
/// suivantes posent la même question.
pub fn is_disconnection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
    )
}

fn server_closed(mut output: impl Write) -> io::Result<ClientEnd> {
    writeln!(output, "Le serveur a fermé la connexion.")?;
    Ok(ClientEnd::ServerClosed)
}

/// Ferme notre sens d'envoi (le serveur lira 0 octet et saura que nous avons fini).
fn close_politely(stream: &TcpStream, end: ClientEnd) -> io::Result<ClientEnd> {
    // Si le serveur est déjà parti, la socket peut être déjà déconnectée : ce n'est
    // pas grave.
    match stream.shutdown(Shutdown::Write) {
        Err(err) if err.kind() != ErrorKind::NotConnected => Err(err),
        _ => Ok(end),
    }
}
// ANCHOR_END: client
