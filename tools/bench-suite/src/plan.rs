//! Ce qu'il faut mesurer : quels scénarios, quels serveurs, quelles charges.
//! [`Plan::full`] et [`Plan::quick`] donnent les deux réglages usuels.

use std::time::Duration;

use crate::servers::{SERVERS, ServerSpec};

/// Les scénarios du comparatif.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Écho en boucle fermée, CPU du serveur par message.
    Echo,
    /// Chat en boucle ouverte, paliers de débit, puis avec un client qui ne lit
    /// jamais.
    Chat,
    /// Toute une classe colle un long texte en même temps.
    Rafale,
    /// Des milliers de connexions inactives : mémoire et threads.
    #[value(alias = "capacité")]
    Capacite,
    /// IRC : la leçon 07 face à ngIRCd, un salon au rythme fixe, puis une rafale.
    Irc,
    /// La leçon 08 : le même salon par TCP et par WebSocket.
    Web,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub parts: Vec<Part>,
    pub servers: Vec<&'static ServerSpec>,
    /// Les serveurs ont été nommés (`--servers`) : un serveur qu'on ne peut pas
    /// lancer est alors une mesure qui échoue, pas une note.
    pub servers_named: bool,
    pub echo_connections: Vec<usize>,
    pub echo_line_lens: Vec<usize>,
    pub echo_warmup: Duration,
    pub echo_measure: Duration,
    /// Mesures de chaque charge d'écho, dont on garde la médiane.
    pub echo_rounds: usize,
    pub rooms: Vec<usize>,
    /// Paliers de débit de chat, en livraisons par seconde (un message reçu par un
    /// client).
    pub chat_rates: Vec<f64>,
    pub chat_step: Duration,
    /// Longueur des lignes de chat, fin de ligne comprise : un message court
    /// réaliste.
    pub chat_line_len: usize,
    /// Salon où l'on rejoue un palier avec un client qui ne lit jamais.
    pub stalled_room: usize,
    /// Délai pour remplir les tampons du client muet : au-delà, le serveur est
    /// bloqué.
    pub fill_timeout: Duration,
    /// La rafale : `burst_room` clients envoient chacun `burst_lines` lignes d'un
    /// coup.
    pub burst_room: usize,
    pub burst_lines: u64,
    pub capacity_connections: usize,
    /// IRC : clients du salon (un seul canal), lignes par seconde et par client,
    /// durée de chaque rythme.
    pub irc_room: usize,
    pub irc_rates: Vec<f64>,
    pub irc_step: Duration,
    /// IRC : passages au rythme fixe, entrelacés d'un serveur à l'autre ; le
    /// tableau en garde la médiane.
    pub irc_rounds: usize,
    /// IRC : la rafale, `irc_burst_room` clients × `irc_burst_lines` lignes.
    pub irc_burst_room: usize,
    pub irc_burst_lines: u64,
    /// IRC : ce qu'on attend au plus les dernières livraisons, au rythme fixe et
    /// après la rafale (un serveur qui ralentit les bavards livre tard, mais livre).
    pub irc_drain: Duration,
    pub irc_burst_drain: Duration,
    /// La rafale de la leçon 08 : par WebSocket, elle prend plus de 2 s ; on attend
    /// jusque-là pour distinguer une ligne en retard d'une ligne perdue.
    pub web_burst_drain: Duration,
}

impl Plan {
    /// La mesure complète : quelques minutes sur deux cœurs.
    pub fn full() -> Plan {
        Plan {
            quick: false,
            parts: vec![
                Part::Echo,
                Part::Chat,
                Part::Rafale,
                Part::Capacite,
                Part::Irc,
                Part::Web,
            ],
            servers: SERVERS.iter().collect(),
            servers_named: false,
            echo_connections: vec![1, 10, 50, 100, 1000],
            echo_line_lens: vec![64, 512],
            echo_warmup: Duration::from_millis(200),
            echo_measure: Duration::from_millis(500),
            echo_rounds: 3,
            rooms: vec![10, 100, 500],
            chat_rates: (0..9).map(|i| 20_000.0 * f64::powi(2.0, i)).collect(),
            chat_step: Duration::from_millis(1500),
            chat_line_len: 100,
            stalled_room: 100,
            fill_timeout: Duration::from_secs(6),
            burst_room: 50,
            burst_lines: 100,
            capacity_connections: 10_000,
            irc_room: 100,
            irc_rates: vec![1.0, 4.0],
            irc_step: Duration::from_secs(5),
            irc_rounds: 5,
            irc_burst_room: 50,
            irc_burst_lines: 100,
            irc_drain: Duration::from_secs(10),
            irc_burst_drain: Duration::from_secs(90),
            web_burst_drain: Duration::from_secs(30),
        }
    }

    /// La mesure rapide, pour l'intégration continue : moins de points, fenêtres
    /// courtes.
    pub fn quick() -> Plan {
        Plan {
            quick: true,
            echo_connections: vec![1, 50],
            echo_line_lens: vec![64],
            echo_warmup: Duration::from_millis(100),
            echo_measure: Duration::from_millis(250),
            rooms: vec![10, 100],
            stalled_room: 10,
            fill_timeout: Duration::from_secs(3),
            chat_rates: vec![20_000.0, 160_000.0, 1_280_000.0],
            chat_step: Duration::from_millis(400),
            capacity_connections: 2_000,
            irc_step: Duration::from_secs(1),
            irc_rounds: 1,
            irc_burst_room: 10,
            irc_burst_lines: 10,
            ..Plan::full()
        }
    }

    pub fn runs(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }
}
