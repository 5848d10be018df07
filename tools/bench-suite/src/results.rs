//! Ce qu'a mesuré un passage, en données typées : une ligne par serveur et par
//! charge, prête à écrire en Markdown, en JSON et en graphique. Rien ici ne mesure ni
//! n'écrit.

use std::fmt;

use serde::Serialize;

use crate::numbers::decimal;

/// Latence maximale (p99) pour qu'un débit de chat compte comme « soutenu ».
pub const P99_LIMIT_MS: f64 = 50.0;

/// Au-delà de cette charge, un serveur est presque saturé : il regroupe alors tout ce
/// qui attend en une écriture, et son coût par livraison ne dit plus que « 1 /
/// débit ».
pub const COMFORTABLE_LOAD: f64 = 0.8;

/// La machine et les conditions de la mesure.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub os: String,
    /// Serveur et générateur épinglés sur deux cœurs différents ?
    pub pinned: bool,
    /// Temps CPU et mémoire du serveur lus dans /proc ?
    pub proc_available: bool,
    pub file_limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EchoRow {
    pub server: &'static str,
    pub label: &'static str,
    pub connections: usize,
    pub line_len: usize,
    /// Médianes des mesures de cette charge.
    pub messages_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub cpu_per_message_us: Option<f64>,
    /// Coût CPU par message divisé par celui de la référence epoll, même charge.
    pub vs_reference: Option<f64>,
    /// Échos faux et connexions fermées, toutes mesures réunies.
    pub errors: u64,
}

/// Pourquoi un palier de chat n'est pas tenu.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepFailure {
    /// Le serveur a fermé des connexions.
    Closed { count: u64 },
    /// Des livraisons manquaient 2 s après le dernier envoi.
    Lost { count: u64 },
    /// Des messages sont arrivés en double ou hors de l'ordre de leur émetteur.
    Disordered { count: u64 },
    /// Tout est arrivé, mais trop tard.
    SlowP99 { p99_ms: f64 },
    /// Le générateur n'a pas tenu son horaire : c'est lui, pas le serveur, qui
    /// limitait.
    GeneratorBehind { lag_ms: f64 },
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StepFailure::Closed { count } => {
                write!(f, "{count} connexions fermées par le serveur")
            }
            StepFailure::Lost { count } => {
                write!(
                    f,
                    "{count} livraisons manquantes 2 s après le dernier envoi"
                )
            }
            StepFailure::Disordered { count } => {
                write!(f, "{count} messages dans le désordre")
            }
            StepFailure::SlowP99 { p99_ms } => {
                write!(f, "p99 de {} ms", decimal(p99_ms, 1))
            }
            StepFailure::GeneratorBehind { lag_ms } => write!(
                f,
                "limite du générateur de charge ({} ms de retard au p99)",
                decimal(lag_ms, 1)
            ),
        }
    }
}

/// Un palier de débit de chat.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    /// Livraisons par seconde demandées (messages × destinataires).
    pub offered: f64,
    pub delivered_per_second: f64,
    pub lost: u64,
    pub disordered: u64,
    pub closed: u64,
    /// Latences depuis l'heure prévue de l'envoi (corrigées).
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Le p99 depuis l'envoi réel (non corrigé), pour voir l'omission coordonnée.
    pub p99_uncorrected_ms: f64,
    pub cpu_per_delivery_us: Option<f64>,
    /// Charge du serveur pendant le palier, en fraction d'un cœur (1,0 = saturé).
    pub server_load: Option<f64>,
    /// `None` : palier tenu (rien de perdu, dans l'ordre, p99 sous 50 ms, horaire
    /// tenu).
    pub failure: Option<StepFailure>,
}

impl StepRow {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Ce qui a arrêté la montée en débit d'un salon.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Limit {
    /// Tous les paliers ont été tenus : le débit soutenu n'est qu'un minimum.
    Ceiling,
    /// Le palier suivant a échoué.
    Step { failure: StepFailure },
    /// La mesure elle-même a échoué (salon injoignable, erreur d'entrée-sortie).
    Error { message: String },
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Ceiling => f.write_str("plafond des paliers"),
            Limit::Step { failure } => failure.fmt(f),
            Limit::Error { message } => write!(f, "erreur : {message}"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChatRow {
    pub server: &'static str,
    pub label: &'static str,
    pub room: usize,
    /// Plus haut palier tenu.
    pub sustained: Option<f64>,
    pub limit: Limit,
    pub steps: Vec<StepRow>,
}

/// Ce que le client qui ne lit jamais a fait aux autres.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Les autres ne voient rien.
    Unaffected,
    /// Le serveur s'est bloqué pendant qu'on remplissait les tampons du muet.
    BlockedWhileFilling {
        then: Option<StepFailure>,
    },
    /// Plus personne ne reçoit rien.
    RoomBlocked,
    /// Les autres reçoivent, mais moins bien.
    Degraded {
        failure: StepFailure,
    },
    Error {
        message: String,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Unaffected => f.write_str("les autres ne voient rien"),
            Verdict::BlockedWhileFilling { then: None } => {
                f.write_str("bloqué dès le remplissage")
            }
            Verdict::BlockedWhileFilling {
                then: Some(failure),
            } => {
                write!(f, "bloqué dès le remplissage ; {failure}")
            }
            Verdict::RoomBlocked => f.write_str("tout le salon est bloqué"),
            Verdict::Degraded { failure } => failure.fmt(f),
            Verdict::Error { message } => write!(f, "échec : {message}"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StalledRow {
    pub server: &'static str,
    pub label: &'static str,
    pub room: usize,
    pub offered: f64,
    pub healthy_p99_ms: Option<f64>,
    pub stalled_p50_ms: Option<f64>,
    pub stalled_p99_ms: Option<f64>,
    pub lost: u64,
    /// Mémoire du serveur à la fin : une file non bornée garde tout ce que le muet
    /// ne lit pas.
    pub server_rss_after: Option<u64>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct BurstRow {
    pub server: &'static str,
    pub label: &'static str,
    pub clients: usize,
    pub lines: u64,
    pub expected: u64,
    pub delivered: u64,
    pub disordered: u64,
    /// Connexions fermées par le serveur pendant la rafale.
    pub closed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Temps jusqu'à la dernière livraison (ou la fin de l'attente).
    pub total_ms: f64,
    pub cpu_per_delivery_us: Option<f64>,
    pub error: Option<String>,
}

impl BurstRow {
    /// Tout est arrivé, dans l'ordre, et personne n'a été déconnecté.
    pub fn complete(&self) -> bool {
        self.error.is_none()
            && self.delivered == self.expected
            && self.disordered == 0
            && self.closed == 0
    }
}

/// Une charge IRC : un rythme fixe par client, ou une rafale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IrcLoad {
    /// Chaque client envoie `lines_per_second` lignes par seconde, régulièrement.
    Paced { lines_per_second: f64 },
    /// Chaque client envoie `lines` lignes d'un coup.
    Burst { lines: u64 },
}

impl fmt::Display for IrcLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IrcLoad::Paced { lines_per_second } => {
                write!(f, "{} ligne(s)/s par client", decimal(lines_per_second, 0))
            }
            IrcLoad::Burst { lines } => {
                write!(f, "rafale de {lines} lignes par client")
            }
        }
    }
}

/// Ce qu'a donné une charge fixe (IRC) : chaque livraison comptée, deux latences,
/// le CPU du serveur.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub sent: u64,
    pub expected: u64,
    pub delivered: u64,
    /// Pas arrivées `drain_s` secondes après le dernier envoi.
    pub lost: u64,
    pub disordered: u64,
    /// Clients déconnectés par le serveur.
    pub closed: u64,
    /// Depuis l'heure PRÉVUE de l'envoi (corrigées).
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Depuis l'envoi réel (non corrigée).
    pub p99_uncorrected_ms: f64,
    /// Du premier envoi à la dernière livraison (ou la fin de l'attente).
    pub total_ms: f64,
    pub cpu_per_delivery_us: Option<f64>,
    /// Charge du serveur, en fraction d'un cœur.
    pub server_load: Option<f64>,
}

impl Delivery {
    /// Tout est arrivé, dans l'ordre, et personne n'a été déconnecté.
    pub fn complete(&self) -> bool {
        self.lost == 0 && self.disordered == 0 && self.closed == 0
    }
}

/// Une mesure IRC : un serveur, un salon, une charge.
#[derive(Debug, Clone, Serialize)]
pub struct IrcRow {
    pub server: &'static str,
    pub label: &'static str,
    pub clients: usize,
    pub load: IrcLoad,
    /// Ce qu'on attend au plus, après le dernier envoi, les dernières livraisons.
    pub drain_s: f64,
    /// Combien de passages la ligne résume (voir `merge_rounds`).
    pub rounds: usize,
    pub delivery: Option<Delivery>,
    /// La mesure n'a pas pu se faire (serveur absent, salon injoignable…).
    pub error: Option<String>,
}

/// Par où passent les clients du salon de la leçon 08.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Le protocole de la leçon 05, en lignes, sur le port du salon.
    Tcp,
    /// Une ligne par trame, sur `/ws`, par la passerelle de la leçon 08.
    WebSocket,
}

impl Transport {
    /// Le chemin, pour les tableaux.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Tcp => "leçon 08 par TCP (lignes de la leçon 05)",
            Transport::WebSocket => "leçon 08 par WebSocket (/ws)",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP (lignes)",
            Transport::WebSocket => "WebSocket (/ws)",
        })
    }
}

/// La montée en débit d'un salon de la leçon 08, par un transport.
#[derive(Debug, Clone, Serialize)]
pub struct WebRow {
    pub transport: Transport,
    pub chat: ChatRow,
}

/// La rafale d'une classe dans le salon de la leçon 08, par un transport.
#[derive(Debug, Clone, Serialize)]
pub struct WebBurstRow {
    pub transport: Transport,
    /// Ce qu'on attend au plus, après le dernier envoi, les dernières livraisons.
    pub drain_s: f64,
    pub burst: BurstRow,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapacityRow {
    pub server: &'static str,
    pub label: &'static str,
    pub target: usize,
    pub connected: usize,
    pub bytes_per_connection: Option<f64>,
    pub threads: Option<u64>,
    pub rss_before: Option<u64>,
    pub rss_after: Option<u64>,
    pub stopped_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    pub target: String,
    pub measured: String,
    /// `None` : pas mesurable dans ce passage (serveur absent, /proc indisponible…).
    pub met: Option<bool>,
}

/// Tout ce qu'a mesuré un passage.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub command: String,
    pub mode: &'static str,
    pub machine: Machine,
    /// Ce qu'il faut savoir pour lire les chiffres (grille, limites, mesures
    /// absentes).
    pub notes: Vec<String>,
    /// Les mesures qui n'ont pas pu se faire (serveur qui ne démarre pas, écho sans
    /// réponse) : le passage échoue.
    pub errors: Vec<String>,
    pub echo: Vec<EchoRow>,
    pub chat: Vec<ChatRow>,
    pub stalled: Vec<StalledRow>,
    pub burst: Vec<BurstRow>,
    pub capacity: Vec<CapacityRow>,
    pub irc: Vec<IrcRow>,
    pub web: Vec<WebRow>,
    pub web_burst: Vec<WebBurstRow>,
    pub targets: Vec<TargetRow>,
}

impl Report {
    /// Les mesures qui ont échoué : le comparatif le dit et sort avec un code
    /// d'erreur, au lieu de publier un tableau troué comme s'il était complet.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = self.errors.clone();
        for row in self.echo.iter().filter(|row| row.errors > 0) {
            failures.push(format!(
                "écho {} ({} connexions, lignes de {} o) : {} erreurs",
                row.server, row.connections, row.line_len, row.errors
            ));
        }
        for row in &self.chat {
            if let Limit::Error { message } = &row.limit {
                failures.push(format!(
                    "chat {} (salon de {}) : {message}",
                    row.server, row.room
                ));
            }
        }
        for row in &self.burst {
            if let Some(error) = &row.error {
                failures.push(format!("rafale {} : {error}", row.server));
            }
        }
        for row in &self.irc {
            if let Some(error) = &row.error {
                failures.push(format!("irc {} ({}) : {error}", row.server, row.load));
            }
        }
        for WebRow { transport, chat } in &self.web {
            if let Limit::Error { message } = &chat.limit {
                let room = chat.room;
                failures
                    .push(format!("web {transport} (salon de {room}) : {message}"));
            }
        }
        for WebBurstRow {
            transport, burst, ..
        } in &self.web_burst
        {
            if let Some(error) = &burst.error {
                failures.push(format!("rafale web {transport} : {error}"));
            }
        }
        failures
    }

    /// Les lignes de chat du salon `room`, pour les serveurs `servers` (tous si
    /// vide).
    fn chat_rows(&self, room: usize, servers: &[&str]) -> Vec<&ChatRow> {
        let wanted =
            |row: &&ChatRow| servers.is_empty() || servers.contains(&row.server);
        self.chat
            .iter()
            .filter(|row| row.room == room)
            .filter(wanted)
            .collect()
    }

    /// Débit de comparaison d'un salon, pour les serveurs `servers` (tous si vide) :
    /// le plus haut palier que tous ont tenu sans dépasser [`COMFORTABLE_LOAD`] ;
    /// à défaut, le plus bas palier tenu par tous.
    pub fn comparison_rate(&self, room: usize, servers: &[&str]) -> Option<f64> {
        common_rate(&self.chat_rows(room, servers))
    }
}

/// Débit de comparaison de ces montées en débit : le plus haut palier que toutes ont
/// tenu sans dépasser [`COMFORTABLE_LOAD`] ; à défaut, le plus bas palier tenu par
/// toutes.
pub fn common_rate(rows: &[&ChatRow]) -> Option<f64> {
    let held_by_all = |rate: f64, comfortable: bool| {
        rows.iter().all(|row| {
            row.steps.iter().any(|step| {
                let load_ok =
                    step.server_load.is_some_and(|load| load < COMFORTABLE_LOAD);
                step.offered == rate && step.passed() && (!comfortable || load_ok)
            })
        })
    };
    let rates: Vec<f64> = rows
        .first()?
        .steps
        .iter()
        .map(|step| step.offered)
        .collect();
    let comfortable = rates.iter().rev().find(|&&rate| held_by_all(rate, true));
    comfortable
        .or_else(|| rates.iter().find(|&&rate| held_by_all(rate, false)))
        .copied()
}

/// La médiane : insensible à une mesure isolée faussée par un autre programme.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn la_mediane_ecarte_une_mesure_aberrante() {
        assert_eq!(median(vec![5.0, 5.2, 50.0]), Some(5.2), "50 est écarté");
        assert_eq!(
            median(vec![1.0, 2.0, 3.0, 4.0]),
            Some(2.5),
            "nombre pair : la moyenne des deux du milieu"
        );
        assert_eq!(median(Vec::new()), None, "pas de mesure, pas de médiane");
    }

    #[test]
    fn une_limite_se_lit_en_francais_et_s_ecrit_typee_en_json() {
        let limit = Limit::Step {
            failure: StepFailure::Lost { count: 12 },
        };
        assert_eq!(
            limit.to_string(),
            "12 livraisons manquantes 2 s après le dernier envoi"
        );
        let json = serde_json::to_value(&limit).expect("sérialisable");
        assert_eq!(
            json["kind"], "step",
            "le genre de limite est un champ, pas une phrase"
        );
        assert_eq!(json["failure"]["kind"], "lost");
        assert_eq!(
            serde_json::to_value(Limit::Ceiling).expect("sérialisable")["kind"],
            "ceiling"
        );
    }
}
