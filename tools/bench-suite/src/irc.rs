//! IRC pour le générateur de la leçon 06 : le dialecte du salon (s'inscrire, entrer
//! dans `#banc`, répondre aux `PING`) et le serveur de la leçon 07 tel que le
//! comparatif le lance. ngIRCd, l'autre serveur IRC mesuré, est dans `ngircd.rs`.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use lesson06_bench::chat::Dialect;

use crate::ngircd::MAX_PER_ADDRESS;
use crate::reference::run_tokio;

/// Le salon du banc : tous les clients y entrent.
pub const CHANNEL: &str = "#banc";

// ANCHOR: dialect
/// IRC (RFC 1459 et 2812), tel que le parle le banc. Chaque client s'inscrit
/// (`NICK`, `USER`), entre dans `#banc` dès la bienvenue (`001`), et il est dans le
/// salon à la fin de la liste des membres (`366`). Chaque message du banc part en
/// `PRIVMSG #banc :~marqueur~ xxx…` et revient aux autres précédé de l'auteur
/// (`:b40312!b40312@127.0.0.1 PRIVMSG #banc :~marqueur~ xxx…`).
pub struct Irc;

impl Dialect for Irc {
    fn open(&self, stream: &mut TcpStream, nick: &str) -> io::Result<()> {
        write!(stream, "NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n")
    }

    fn on_line(&self, line: &[u8], _nick: &str, reply: &mut Vec<u8>) -> bool {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\r', '\n']);
        // `[:préfixe] COMMANDE paramètres…` : le préfixe est facultatif.
        let rest = match line.strip_prefix(':') {
            Some(prefixed) => prefixed.split_once(' ').map_or("", |(_, rest)| rest),
            None => line,
        };
        let (command, params) = rest.split_once(' ').unwrap_or((rest, ""));
        match command {
            // Sans réponse, le serveur fermerait la connexion en pleine mesure.
            "PING" => {
                reply.extend_from_slice(format!("PONG {params}\r\n").as_bytes())
            }
            "001" => {
                reply.extend_from_slice(format!("JOIN {CHANNEL}\r\n").as_bytes())
            }
            "366" => return true,
            _ => {}
        }
        false
    }

    fn frame(&self, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("PRIVMSG {CHANNEL} :").as_bytes());
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    }
}
// ANCHOR_END: dialect

// ANCHOR: lesson07
/// Les réglages de la leçon 07 dans le banc : `Config::default()`, sa limite de
/// débit comprise (100 commandes par seconde et par client, par rafales d'une
/// seconde), sauf les connexions par adresse (64 par défaut) : tous les clients du
/// banc viennent de 127.0.0.1. La même limite que pour ngIRCd.
pub fn lesson07_config() -> lesson07_irc::Config {
    let config = lesson07_irc::Config::default();
    lesson07_irc::Config {
        max_per_address: MAX_PER_ADDRESS,
        ..config
    }
}

/// La même leçon sans regroupement des envois (`--flush-delay 0`) : chaque ligne
/// part seule, dès qu'elle arrive. Mesurée à côté, pour voir ce que le
/// regroupement gagne en CPU et coûte en latence.
pub fn lesson07_direct_config() -> lesson07_irc::Config {
    lesson07_irc::Config {
        flush_delay: Duration::ZERO,
        ..lesson07_config()
    }
}
// ANCHOR_END: lesson07

/// Fait tourner la leçon 07 sur `listener`, jusqu'à une erreur.
pub fn serve_lesson07(listener: TcpListener) -> io::Result<()> {
    serve_lesson07_with(listener, lesson07_config())
}

/// La leçon 07 sans regroupement des envois, sur `listener`.
pub fn serve_lesson07_direct(listener: TcpListener) -> io::Result<()> {
    serve_lesson07_with(listener, lesson07_direct_config())
}

fn serve_lesson07_with(
    listener: TcpListener,
    config: lesson07_irc::Config,
) -> io::Result<()> {
    course_kit::journal::set_enabled(false); // Son journal se mêlerait au rapport.
    run_tokio(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        lesson07_irc::serve(listener, config, std::future::pending()).await
    })
}
