//! Ce que tout serveur du cours doit faire sur le réseau, vérifié une seule fois.
//!
//! Les serveurs d'écho des leçons 01, 03 et 04 diffèrent par leur façon de servir
//! (un client à la fois, un thread par client, une boucle d'événements), jamais par
//! ce qu'un client reçoit : les mêmes vérifications les jugent tous, et chaque leçon
//! appelle celles-ci au lieu d'en garder sa copie. Il en va de même du refus d'un
//! client de trop et d'un journal écrit dans un tube fermé.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::net::SocketAddr;

use crate::program::with_addr;
use crate::{Program, assert_echoes, connect, pattern, roundtrip};

/// Vérifie qu'un serveur d'écho à `addr` renvoie intactes les 256 valeurs d'octet,
/// suivies d'octets qui ne forment pas de l'UTF-8 (`0xff`, `0xfe`, un zéro, un
/// `0xc3` sans sa suite).
///
/// TCP transporte des octets, pas du texte : un serveur qui décoderait l'UTF-8 (et
/// remplacerait l'invalide par « � »), couperait au premier zéro comme une chaîne
/// C, ou retoucherait les fins de ligne, abîmerait un fichier ou une image.
#[track_caller]
pub fn assert_echoes_binary(addr: SocketAddr) -> io::Result<()> {
    let payload: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0x00, 0xc3]).collect();
    assert_echoes(
        addr,
        payload,
        "le serveur ne doit ni décoder ni modifier les octets",
    )
}

/// Vérifie qu'un serveur d'écho à `addr` renvoie un mébioctet entier et dans l'ordre
/// (des octets reconnaissables, voir [`pattern`]).
///
/// 1 Mio ne tient pas dans un seul `read` : il arrive en plusieurs morceaux, et un
/// `write` peut n'en accepter qu'une partie quand les tampons du noyau sont pleins.
/// Un serveur qui suppose « un message par lecture », ou qui oublie le reste d'une
/// écriture partielle, perd ou mélange des octets : cette vérification le voit.
#[track_caller]
pub fn assert_echoes_a_mebibyte(addr: SocketAddr) -> io::Result<()> {
    assert_echoes(
        addr,
        pattern(1024 * 1024),
        concat!(
            "1 Mio arrive en plusieurs lectures, et chaque morceau doit repartir ",
            "entier : le reste d'une écriture partielle est-il gardé pour la ",
            "suivante ?"
        ),
    )
}

/// Vérifie qu'un serveur plein, à `addr`, refuse poliment un client de plus : le
/// client reçoit exactement `expected` (la phrase française du refus), puis la fin
/// du flux.
///
/// Refuser, c'est accepter la connexion (le noyau l'a déjà faite), écrire pourquoi,
/// puis fermer : un client laissé en attente sans un mot, ou coupé sans explication,
/// ne saurait pas qu'il doit réessayer plus tard. Un serveur qui garde la connexion
/// ouverte fait échouer la lecture à l'échéance de [`connect`].
#[track_caller]
pub fn assert_turned_away(addr: SocketAddr, expected: &str) -> io::Result<()> {
    let mut late = connect(addr)?;
    let mut received = Vec::new();
    let end = late.read_to_end(&mut received);
    let refusal = String::from_utf8_lossy(&received);
    if let Err(err) = end {
        panic!(
            "le client de trop attendait un refus puis la fermeture : {err} ; \
             reçu jusque-là : {refusal:?}"
        );
    }
    assert_eq!(
        refusal, expected,
        "le client de trop doit recevoir le refus en français, puis la fermeture"
    );
    Ok(())
}

/// Lance le serveur d'écho `program args --addr 127.0.0.1:0`, lit sa bannière, ferme
/// ses deux sorties (comme `programme 2>&1 | head -1`), puis vérifie qu'il renvoie
/// encore l'écho à trois clients, l'un après l'autre.
///
/// Chaque client fait écrire au serveur des lignes de journal, qui échouent toutes
/// (« broken pipe ») : `println!` et `eprintln!` paniquent alors, et le serveur
/// s'arrêterait pour tout le monde à cause d'une ligne de journal. Un serveur du
/// cours ignore ces échecs (`course_kit::show!`, `course_kit::log!`) et continue.
#[track_caller]
pub fn assert_echo_survives_closed_outputs(
    program: impl AsRef<OsStr>,
    args: &[&str],
) -> io::Result<()> {
    let full = with_addr(args, "127.0.0.1:0");
    let mut server = Program::start_then_close_outputs(program, &full)?;
    let addr = server.listening_addr();
    for round in 0..3 {
        let why = format!(
            "tour {round} : le serveur doit servir encore malgré ses sorties fermées"
        );
        // Un serveur qui a paniqué coupe la connexion : c'est le même échec.
        let received = roundtrip(addr, b"encore\n".to_vec())
            .unwrap_or_else(|err| panic!("{why} ; la connexion a échoué : {err}"));
        assert_eq!(String::from_utf8_lossy(&received), "encore\n", "{why}");
    }
    Ok(())
}
