//! Les serveurs comparés. Chacun est décrit par UNE ligne de [`SERVERS`] : son nom,
//! ce qu'il est, ce qu'il parle, comment le lancer, s'il se prête au scénario
//! capacité, et les objectifs chiffrés qu'on lui fixe. Ajouter un serveur, c'est
//! ajouter une ligne.

use std::io;
use std::net::TcpListener;

use lesson06_bench::Scenario;
use lesson06_bench::local::{self, Lesson};

use crate::irc::{serve_lesson07, serve_lesson07_direct};
use crate::reference::{serve_mio_echo, serve_tokio_chat, serve_tokio_echo};
use crate::web::serve_lesson08;

/// Ce que parle un serveur, donc les scénarios qu'on peut lui appliquer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaks {
    /// Un écho : scénarios écho et capacité.
    Echo,
    /// Un chat en lignes (leçons 03 à 05) : chat, rafale, capacité.
    Chat,
    /// IRC (leçon 07, ngIRCd) : scénario irc.
    Irc,
    /// Le salon de la leçon 05 par TCP ET par WebSocket (leçon 08) : scénario web.
    Web,
}

impl Speaks {
    /// Le scénario du générateur de la leçon 06 : l'écho, ou le chat (IRC et le
    /// WebSocket en sont des dialectes, voir `irc.rs` et `web.rs`).
    pub fn scenario(self) -> Scenario {
        match self {
            Speaks::Echo => Scenario::Echo,
            Speaks::Chat | Speaks::Irc | Speaks::Web => Scenario::Chat,
        }
    }
}

// ANCHOR: server_spec
/// Comment lancer un serveur, dans un processus à part.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// Le serveur d'une leçon, appelé par sa bibliothèque
    /// (`lesson06_bench::local::serve`) : le comparatif se relance lui-même avec
    /// `serve NOM ADRESSE`.
    Lesson(Lesson),
    /// Un serveur de référence de ce crate, lancé de la même façon.
    Reference(fn(TcpListener) -> io::Result<()>),
    /// Un script du dossier `python/`, lancé avec l'interpréteur Python.
    Python(&'static str),
    /// Le serveur d'une leçon qui vient APRÈS la leçon 06 (la 07) : la leçon 06 ne
    /// dépend pas des suivantes, c'est ce crate qui l'appelle, de la même façon.
    Later(fn(TcpListener) -> io::Result<()>),
    /// La leçon 08 : deux sockets d'écoute, le salon (TCP) puis la page et `/ws`.
    Web(fn(TcpListener, TcpListener) -> io::Result<()>),
    /// ngIRCd, le programme installé (paquet Debian `ngircd`), lancé avec une
    /// configuration générée (`ngircd.rs`).
    Ngircd,
}

/// Les objectifs chiffrés d'un serveur, vérifiés sur chaque passage (voir
/// `targets.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    /// Écho 64 o, 50 connexions : CPU par message au plus tant de fois la référence
    /// epoll.
    pub echo_vs_reference: Option<f64>,
    /// Rafale d'une classe : tout est livré, dans l'ordre, sans déconnecter
    /// personne.
    pub delivers_burst: bool,
    /// Capacité : au plus tant de Kio de mémoire résidente par connexion inactive.
    pub idle_kib: Option<f64>,
    /// Chat, salon de 100 : au moins le débit soutenu de ces serveurs, et moins de
    /// CPU par livraison qu'eux au même débit.
    pub chat_beats: &'static [&'static str],
    /// IRC : rien de perdu, moins de CPU par livraison et un p99 plus bas que ce
    /// serveur, une rafale au p99 au moins dix fois plus bas.
    pub irc_beats: Option<&'static str>,
}

/// Un serveur comparé.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpec {
    /// Nom court, pour la ligne de commande et le JSON.
    pub name: &'static str,
    /// Ce qu'il est, pour les tableaux.
    pub label: &'static str,
    /// Ce qu'il parle : écho, chat, IRC, ou chat et WebSocket.
    pub speaks: Speaks,
    pub start: Start,
    /// Mesuré au scénario capacité (10 000 connexions inactives) ?
    pub idle_capacity: bool,
    pub targets: Targets,
    /// Sa couleur dans le graphique, une par famille.
    pub color: (u8, u8, u8),
}
// ANCHOR_END: server_spec

const NO_TARGET: Targets = Targets {
    echo_vs_reference: None,
    delivers_burst: false,
    idle_kib: None,
    chat_beats: &[],
    irc_beats: None,
};

const GREY: (u8, u8, u8) = (85, 85, 85);
const BLUE: (u8, u8, u8) = (31, 119, 180);
const ORANGE: (u8, u8, u8) = (230, 126, 0);
const GREEN: (u8, u8, u8) = (42, 157, 58);
const PURPLE: (u8, u8, u8) = (142, 68, 173);
const RED: (u8, u8, u8) = (192, 57, 43);

/// Tous les serveurs que le comparatif sait lancer.
///
/// Capacité : seuls les serveurs qui acceptent une connexion inactive sans prévenir
/// tout le salon. Le chat de la leçon 03 annonce chaque arrivée à tous (50 millions
/// de lignes pour 10 000 connexions) ; celui de la leçon 04 cesse d'annoncer au-delà
/// de 100 participants, celui de la leçon 05 n'annonce qu'après le pseudo. Les chats
/// Python et tokio ne bornent pas leurs files : ils ne sont pas faits pour cela.
pub const SERVERS: [ServerSpec; 14] = [
    ServerSpec {
        name: "ref-mio",
        label: "référence epoll (mio, 1 thread)",
        speaks: Speaks::Echo,
        start: Start::Reference(serve_mio_echo),
        idle_capacity: true,
        targets: NO_TARGET,
        color: GREY,
    },
    ServerSpec {
        name: "tokio-echo",
        label: "tokio (une tâche par client)",
        speaks: Speaks::Echo,
        start: Start::Reference(serve_tokio_echo),
        idle_capacity: true,
        targets: Targets {
            echo_vs_reference: Some(1.15),
            ..NO_TARGET
        },
        color: BLUE,
    },
    ServerSpec {
        name: "l03-echo",
        label: "leçon 03, écho (un thread par client)",
        speaks: Speaks::Echo,
        start: Start::Lesson(Lesson::L03),
        idle_capacity: true,
        targets: Targets {
            echo_vs_reference: Some(1.5),
            ..NO_TARGET
        },
        color: ORANGE,
    },
    ServerSpec {
        name: "l04-echo",
        label: "leçon 04, écho (boucle mio)",
        speaks: Speaks::Echo,
        start: Start::Lesson(Lesson::L04),
        idle_capacity: true,
        targets: Targets {
            echo_vs_reference: Some(1.15),
            idle_kib: Some(1.0),
            ..NO_TARGET
        },
        color: GREEN,
    },
    ServerSpec {
        name: "py-echo",
        label: "Python (un thread par client)",
        speaks: Speaks::Echo,
        start: Start::Python("echo_threads.py"),
        idle_capacity: false,
        targets: NO_TARGET,
        color: RED,
    },
    ServerSpec {
        name: "l03-chat",
        label: "leçon 03, chat (un thread par client)",
        speaks: Speaks::Chat,
        start: Start::Lesson(Lesson::L03),
        idle_capacity: false,
        targets: Targets {
            delivers_burst: true,
            ..NO_TARGET
        },
        color: ORANGE,
    },
    // ANCHOR: l04_chat
    ServerSpec {
        name: "l04-chat",
        label: "leçon 04, chat (boucle mio)",
        speaks: Speaks::Chat,
        start: Start::Lesson(Lesson::L04),
        idle_capacity: true,
        targets: Targets {
            delivers_burst: true,
            idle_kib: Some(1.0),
            ..NO_TARGET
        },
        color: GREEN,
    },
    // ANCHOR_END: l04_chat
    ServerSpec {
        name: "l05-chat",
        label: "leçon 05 (tokio)",
        speaks: Speaks::Chat,
        start: Start::Lesson(Lesson::L05),
        idle_capacity: true,
        targets: Targets {
            delivers_burst: true,
            idle_kib: Some(4.0),
            chat_beats: &["py-chat", "tokio-chat"],
            ..NO_TARGET
        },
        color: PURPLE,
    },
    ServerSpec {
        name: "tokio-chat",
        label: "tokio façon examples/chat.rs",
        speaks: Speaks::Chat,
        start: Start::Reference(serve_tokio_chat),
        idle_capacity: false,
        targets: NO_TARGET,
        color: BLUE,
    },
    ServerSpec {
        name: "py-chat",
        label: "Python select",
        speaks: Speaks::Chat,
        start: Start::Python("chat_select.py"),
        idle_capacity: false,
        targets: NO_TARGET,
        color: RED,
    },
    // ANCHOR: irc_servers
    ServerSpec {
        name: "l07-irc",
        label: "leçon 07, IRC (tokio)",
        speaks: Speaks::Irc,
        start: Start::Later(serve_lesson07),
        idle_capacity: false,
        targets: Targets {
            irc_beats: Some("ngircd"),
            ..NO_TARGET
        },
        color: PURPLE,
    },
    ServerSpec {
        name: "l07-direct",
        label: "leçon 07 sans regroupement (--flush-delay 0)",
        speaks: Speaks::Irc,
        start: Start::Later(serve_lesson07_direct),
        idle_capacity: false,
        targets: NO_TARGET,
        color: BLUE,
    },
    ServerSpec {
        name: "ngircd",
        label: "ngIRCd (C, une boucle d'événements)",
        speaks: Speaks::Irc,
        start: Start::Ngircd,
        idle_capacity: false,
        targets: NO_TARGET,
        color: GREY,
    },
    // ANCHOR_END: irc_servers
    ServerSpec {
        name: "l08-web",
        label: "leçon 08 (salon de la leçon 05, TCP et WebSocket)",
        speaks: Speaks::Web,
        start: Start::Web(serve_lesson08),
        idle_capacity: false,
        targets: NO_TARGET,
        color: PURPLE,
    },
];

/// Le serveur de référence auquel se compare chaque écho.
pub const REFERENCE: &str = "ref-mio";

/// Le serveur nommé `name`, s'il existe.
pub fn find(name: &str) -> Option<&'static ServerSpec> {
    SERVERS.iter().find(|server| server.name == name)
}

impl ServerSpec {
    pub fn is_python(&self) -> bool {
        matches!(self.start, Start::Python(_))
    }

    /// Un programme installé à part (ngIRCd) : s'il manque, le serveur est écarté.
    pub fn is_installed_program(&self) -> bool {
        matches!(self.start, Start::Ngircd)
    }

    /// Fait tourner ce serveur sur `listener` (et `web` pour la leçon 08), dans ce
    /// processus. Ne revient qu'en cas d'erreur.
    pub fn serve(
        &self,
        listener: TcpListener,
        web: Option<TcpListener>,
    ) -> io::Result<()> {
        let elsewhere = |what: &str| {
            Err(io::Error::other(format!(
                "{what} ne se lance pas avec `serve`"
            )))
        };
        match (self.start, web) {
            (Start::Lesson(lesson), _) => {
                local::serve(lesson, self.speaks.scenario(), listener)
            }
            (Start::Reference(serve) | Start::Later(serve), _) => serve(listener),
            (Start::Web(serve), Some(web)) => serve(listener, web),
            (Start::Web(_), None) => elsewhere("la leçon 08 sans sa page"),
            (Start::Python(_), _) => elsewhere("un serveur Python"),
            (Start::Ngircd, _) => elsewhere("ngIRCd"),
        }
    }
}
