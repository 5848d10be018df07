//! Le déroulé complet du banc d'essai : quels serveurs, quelles charges, dans quel ordre.
//! Chaque serveur est démarré dans son propre processus, mesuré, puis arrêté.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::capacity::run_capacity;
use crate::chat::{ChatRoom, ChatStep};
use crate::echo::{EchoLoad, EchoOutcome, run_echo};
use crate::servers::{self, Role, RunningServer, Server};
use crate::system;

/// Raison d'arrêt quand tous les paliers ont été tenus : le débit soutenu est un minimum.
pub const CEILING: &str = "plafond des paliers";

/// Latence maximale (p99) pour qu'un débit de chat compte comme « soutenu ».
pub const P99_LIMIT_MS: f64 = 50.0;

/// Ce qu'il faut mesurer. [`Plan::full`] et [`Plan::quick`] donnent les deux réglages usuels.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub servers: Vec<Server>,
    pub echo: bool,
    pub chat: bool,
    /// La rafale : `burst_room` clients envoient chacun `burst_lines` lignes d'un coup.
    pub burst: bool,
    pub burst_room: usize,
    pub burst_lines: u32,
    pub capacity: bool,
    pub echo_connections: Vec<usize>,
    pub echo_line_lens: Vec<usize>,
    pub echo_warmup: Duration,
    pub echo_measure: Duration,
    /// Mesures de chaque charge d'écho, dont on garde la médiane.
    pub echo_rounds: usize,
    pub rooms: Vec<usize>,
    /// Paliers de débit de chat, en livraisons par seconde.
    pub chat_rates: Vec<f64>,
    pub chat_step: Duration,
    /// Salon où l'on rejoue le palier avec un client qui ne lit jamais.
    pub stalled_room: usize,
    /// Délai pour remplir les tampons du client muet : au-delà, le serveur est bloqué.
    pub fill_timeout: Duration,
    pub capacity_connections: usize,
}

impl Plan {
    /// La mesure complète : quelques minutes sur deux cœurs.
    pub fn full() -> Plan {
        Plan {
            quick: false,
            servers: Server::ALL.to_vec(),
            echo: true,
            chat: true,
            burst: true,
            burst_room: 50,
            burst_lines: 100,
            capacity: true,
            echo_connections: vec![1, 10, 50, 100, 1000],
            echo_line_lens: vec![64, 512],
            echo_warmup: Duration::from_millis(200),
            echo_measure: Duration::from_millis(500),
            echo_rounds: 3,
            rooms: vec![10, 100, 500],
            chat_rates: (0..9).map(|i| 20_000.0 * f64::powi(2.0, i)).collect(),
            chat_step: Duration::from_millis(1500),
            stalled_room: 100,
            fill_timeout: Duration::from_secs(6),
            capacity_connections: 10_000,
        }
    }

    /// La mesure rapide, pour l'intégration continue : moins de points, fenêtres courtes.
    pub fn quick() -> Plan {
        Plan {
            quick: true,
            echo_connections: vec![1, 50],
            echo_line_lens: vec![64],
            echo_warmup: Duration::from_millis(100),
            echo_measure: Duration::from_millis(250),
            echo_rounds: 3,
            rooms: vec![10, 100],
            stalled_room: 10,
            fill_timeout: Duration::from_secs(3),
            chat_rates: vec![20_000.0, 160_000.0, 1_280_000.0],
            chat_step: Duration::from_millis(400),
            capacity_connections: 2_000,
            ..Plan::full()
        }
    }
}

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
    pub server: String,
    pub label: String,
    pub connections: usize,
    pub line_len: usize,
    pub messages_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub cpu_per_message_us: Option<f64>,
    /// Coût CPU par message divisé par celui de la référence epoll, même charge.
    pub vs_reference: Option<f64>,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub offered: f64,
    pub delivered_per_second: f64,
    pub lost: u64,
    pub disordered: u64,
    pub closed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub cpu_per_delivery_us: Option<f64>,
    /// Charge du serveur pendant le palier, en fraction d'un cœur (1,0 = saturé).
    pub server_load: Option<f64>,
    pub generator_kept_up: bool,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChatRow {
    pub server: String,
    pub label: String,
    pub room: usize,
    /// Plus haut palier tenu : rien de perdu, ordre respecté, p99 < 50 ms.
    pub sustained: Option<f64>,
    /// Pourquoi le palier suivant a échoué (ou « plafond des paliers »).
    pub limit: String,
    pub steps: Vec<StepRow>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StalledRow {
    pub server: String,
    pub label: String,
    pub room: usize,
    pub offered: f64,
    pub healthy_p99_ms: Option<f64>,
    pub stalled_p50_ms: f64,
    pub stalled_p99_ms: f64,
    pub lost: u64,
    /// Mémoire du serveur à la fin : une file non bornée garde tout ce que le muet ne lit pas.
    pub server_rss_after: Option<u64>,
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BurstRow {
    pub server: String,
    pub label: String,
    pub clients: usize,
    pub lines: u32,
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

#[derive(Debug, Clone, Serialize)]
pub struct CapacityRow {
    pub server: String,
    pub label: String,
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

/// Tout ce qu'a mesuré un passage, prêt à écrire en Markdown, SVG et JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub command: String,
    pub mode: String,
    pub machine: Machine,
    pub notes: Vec<String>,
    pub echo: Vec<EchoRow>,
    pub chat: Vec<ChatRow>,
    pub stalled: Vec<StalledRow>,
    pub burst: Vec<BurstRow>,
    pub capacity: Vec<CapacityRow>,
    pub targets: Vec<TargetRow>,
}

impl Report {
    /// Les mesures qui ont échoué (un salon injoignable, une connexion perdue, des échos
    /// faux) : le banc le dit et sort avec un code d'erreur, au lieu de publier un tableau
    /// troué comme s'il était complet.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for row in &self.echo {
            if row.errors > 0 {
                failures.push(format!(
                    "écho {} ({} connexions, lignes de {} o) : {} erreurs",
                    row.server, row.connections, row.line_len, row.errors
                ));
            }
        }
        for row in &self.chat {
            if let Some(error) = &row.error {
                failures.push(format!(
                    "chat {} (salon de {}) : {error}",
                    row.server, row.room
                ));
            }
        }
        for row in &self.burst {
            if let Some(error) = &row.error {
                failures.push(format!("rafale {} : {error}", row.server));
            }
        }
        failures
    }
}

/// Le déroulé : garde le fil des serveurs, des cœurs et de la progression.
pub struct Suite<'a> {
    plan: Plan,
    exe: PathBuf,
    server_core: Option<usize>,
    progress: &'a mut dyn FnMut(&str),
    report: Report,
}

impl<'a> Suite<'a> {
    /// Prépare un passage. `exe` est le binaire du banc d'essai (relancé pour chaque serveur
    /// Rust), `command` la ligne de commande à citer dans les résultats.
    pub fn new(
        plan: Plan,
        exe: PathBuf,
        command: String,
        progress: &'a mut dyn FnMut(&str),
    ) -> Self {
        let (cores, cpu_model) = system::machine_description();
        let limit = system::raise_file_limit(plan.capacity_connections as u64 + 1_000);
        // Le générateur sur le cœur 0, le serveur seul sur le cœur 1.
        let pinned = cores >= 2 && system::pin_current_thread(0) && cfg!(target_os = "linux");
        let server_core = pinned.then_some(1);
        let proc_available = system::cpu_time(std::process::id()).is_some();
        let notes = setup_notes(&plan, limit, proc_available, pinned);
        let machine = Machine {
            cores,
            cpu_model,
            os: std::env::consts::OS.to_string(),
            pinned,
            proc_available,
            file_limit: limit.map(|limit| limit.current),
        };
        let report = Report {
            date: utc_now(),
            command,
            mode: if plan.quick { "rapide" } else { "complet" }.to_string(),
            machine,
            notes,
            echo: Vec::new(),
            chat: Vec::new(),
            stalled: Vec::new(),
            burst: Vec::new(),
            capacity: Vec::new(),
            targets: Vec::new(),
        };
        Suite {
            plan,
            exe,
            server_core,
            progress,
            report,
        }
    }

    /// Lance tout le plan et rend le rapport.
    pub fn run(mut self) -> Report {
        let servers = self.available_servers();
        if self.plan.echo {
            let echo_servers: Vec<Server> = servers
                .iter()
                .copied()
                .filter(|s| s.role() == Role::Echo)
                .collect();
            self.echo_all(&echo_servers);
            self.compare_echo_to_reference();
        }
        if self.plan.chat {
            for &room in &self.plan.rooms.clone() {
                for &server in servers.iter().filter(|s| s.role() == Role::Chat) {
                    self.chat_server(server, room);
                }
            }
            if self.plan.rooms.contains(&self.plan.stalled_room) {
                for &server in servers.iter().filter(|s| s.role() == Role::Chat) {
                    self.stalled_server(server);
                }
            }
        }
        if self.plan.burst {
            for &server in servers.iter().filter(|s| s.role() == Role::Chat) {
                self.burst_server(server);
            }
        }
        if self.plan.capacity {
            for &server in servers.iter().filter(|s| capacity_candidate(**s)) {
                self.capacity_server(server);
            }
        }
        self.report.targets = crate::targets::evaluate(&self.report);
        self.report
    }

    fn available_servers(&mut self) -> Vec<Server> {
        let python = servers::python_available();
        if !python && self.plan.servers.iter().any(|s| s.is_python()) {
            self.report
                .notes
                .push("python3 absent : serveurs Python non mesurés.".to_string());
        }
        self.plan
            .servers
            .iter()
            .copied()
            .filter(|s| python || !s.is_python())
            .collect()
    }

    fn start(&mut self, server: Server) -> Option<RunningServer> {
        match servers::spawn(&self.exe, server, self.server_core) {
            Ok(running) => Some(running),
            Err(err) => {
                self.report.notes.push(format!(
                    "{} ({}) n'a pas démarré : {err}",
                    server.label(),
                    server.name()
                ));
                None
            }
        }
    }

    /// Mesure l'écho de tous les serveurs, charge par charge. Les serveurs tournent tous en
    /// même temps (ceux qui attendent ne coûtent rien) et chaque charge est mesurée
    /// [`Plan::echo_rounds`] fois, un serveur après l'autre : une perturbation passagère de la
    /// machine touche alors tous les serveurs, et la médiane l'écarte.
    fn echo_all(&mut self, servers: &[Server]) {
        let running: Vec<(Server, RunningServer)> = servers
            .iter()
            .filter_map(|&server| Some((server, self.start(server)?)))
            .collect();
        for &line_len in &self.plan.echo_line_lens.clone() {
            for &connections in &self.plan.echo_connections.clone() {
                let load = EchoLoad {
                    connections,
                    line_len,
                    warmup: self.plan.echo_warmup,
                    measure: self.plan.echo_measure,
                };
                let mut outcomes: Vec<Vec<EchoOutcome>> = vec![Vec::new(); running.len()];
                for round in 1..=self.plan.echo_rounds {
                    for (index, (server, server_process)) in running.iter().enumerate() {
                        (self.progress)(&format!(
                            "écho {:<11} {connections:>5} connexions, lignes de {line_len} o, mesure {round}/{}",
                            server.name(),
                            self.plan.echo_rounds
                        ));
                        match run_echo(server_process.addr, load, Some(server_process.pid())) {
                            Ok(outcome) => outcomes[index].push(outcome),
                            Err(err) => self.report.notes.push(format!(
                                "écho {} avec {connections} connexions : {err}",
                                server.name()
                            )),
                        }
                    }
                }
                for ((server, _), outcomes) in running.iter().zip(outcomes) {
                    if let Some(row) = echo_row(*server, load, &outcomes) {
                        self.report.echo.push(row);
                    }
                }
            }
        }
    }

    fn compare_echo_to_reference(&mut self) {
        let reference: Vec<EchoRow> = self
            .report
            .echo
            .iter()
            .filter(|row| row.server == Server::RefMio.name())
            .cloned()
            .collect();
        for row in &mut self.report.echo {
            let same_load = reference
                .iter()
                .find(|r| r.connections == row.connections && r.line_len == row.line_len);
            row.vs_reference = match (
                row.cpu_per_message_us,
                same_load.and_then(|r| r.cpu_per_message_us),
            ) {
                (Some(cost), Some(base)) if base > 0.0 => Some(cost / base),
                _ => None,
            };
        }
    }

    fn chat_server(&mut self, server: Server, room: usize) {
        let Some(running) = self.start(server) else {
            return;
        };
        (self.progress)(&format!(
            "chat {:<11} salon de {room} : connexion",
            server.name()
        ));
        let mut row = ChatRow {
            server: server.name().to_string(),
            label: server.label().to_string(),
            room,
            sustained: None,
            limit: CEILING.to_string(),
            steps: Vec::new(),
            error: None,
        };
        let mut chat = match ChatRoom::join(
            running.addr,
            room,
            server.protocol(),
            false,
            Some(running.pid()),
        ) {
            Ok(chat) => chat,
            Err(err) => {
                row.error = Some(format!("entrée dans le salon impossible : {err}"));
                row.limit = "salon injoignable".to_string();
                self.report.chat.push(row);
                return;
            }
        };
        for &rate in &self.plan.chat_rates.clone() {
            (self.progress)(&format!(
                "chat {:<11} salon de {room}, {} livraisons/s",
                server.name(),
                rate as u64
            ));
            let mut result = chat.step(rate, self.plan.chat_step);
            // Seule la latence est sensible à un à-coup passager de la machine (un autre
            // programme prend le cœur 20 ms) : un palier raté pour elle seule est rejoué une fois.
            if let Ok(step) = &result {
                if only_latency_failed(step) {
                    result = chat.step(rate, self.plan.chat_step);
                }
            }
            let step = match result {
                Ok(step) => step,
                Err(err) => {
                    row.error = Some(err.to_string());
                    break;
                }
            };
            let step_row = step_row(&step);
            let passed = step_row.passed;
            row.steps.push(step_row);
            if passed {
                row.sustained = Some(rate);
            } else {
                row.limit = failure_reason(&step);
                break;
            }
        }
        self.report.chat.push(row);
    }

    /// La rafale de toute une classe, sur un serveur neuf.
    fn burst_server(&mut self, server: Server) {
        let Some(running) = self.start(server) else {
            return;
        };
        let (clients, lines) = (self.plan.burst_room, self.plan.burst_lines);
        (self.progress)(&format!(
            "rafale {:<9} {clients} clients × {lines} lignes",
            server.name()
        ));
        let mut row = BurstRow {
            server: server.name().to_string(),
            label: server.label().to_string(),
            clients,
            lines,
            expected: (clients * (clients - 1)) as u64 * u64::from(lines),
            delivered: 0,
            disordered: 0,
            closed: 0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            total_ms: 0.0,
            cpu_per_delivery_us: None,
            error: None,
        };
        let joined = ChatRoom::join(
            running.addr,
            clients,
            server.protocol(),
            false,
            Some(running.pid()),
        );
        match joined.and_then(|mut room| room.burst(lines)) {
            Ok(step) => {
                row.expected = step.expected.max(row.expected);
                row.delivered = step.delivered;
                row.disordered = step.disordered;
                row.closed = step.closed;
                row.p50_ms = step.p50_ms();
                row.p99_ms = step.p99_ms();
                row.total_ms = step.total.as_secs_f64() * 1e3;
                row.cpu_per_delivery_us = step.cpu_per_delivery_us();
            }
            Err(err) => row.error = Some(err.to_string()),
        }
        self.report.burst.push(row);
    }

    /// Rejoue un palier avec, en plus, un client qui ne lit jamais.
    fn stalled_server(&mut self, server: Server) {
        let room = self.plan.stalled_room;
        // Au débit que TOUS les serveurs ont tenu sans saturer dans ce salon : loin de la
        // limite de chacun, seul l'effet du client muet reste.
        let rate = comparison_rate(&self.report, room, &[]).unwrap_or(self.plan.chat_rates[0]);
        let healthy_p99 = self
            .report
            .chat
            .iter()
            .find(|row| row.server == server.name() && row.room == room)
            .and_then(|row| row.steps.iter().find(|s| s.offered == rate))
            .map(|step| step.p99_ms);
        let Some(running) = self.start(server) else {
            return;
        };
        (self.progress)(&format!(
            "chat {:<11} salon de {room} + 1 client muet, {} livraisons/s",
            server.name(),
            rate as u64
        ));
        let result = ChatRoom::join(
            running.addr,
            room + 1,
            server.protocol(),
            true,
            Some(running.pid()),
        )
        .and_then(|mut chat| {
            // On remplit d'abord les tampons du client muet, puis on mesure un palier.
            let filled = chat.fill_silent(2 * 1024 * 1024, self.plan.fill_timeout)?;
            Ok((filled, chat.step(rate, self.plan.chat_step)?))
        });
        let mut row = StalledRow {
            server: server.name().to_string(),
            label: server.label().to_string(),
            room,
            offered: rate,
            healthy_p99_ms: healthy_p99,
            stalled_p50_ms: f64::NAN,
            stalled_p99_ms: f64::NAN,
            lost: 0,
            server_rss_after: system::memory_use(running.pid()).map(|m| m.rss_bytes),
            verdict: String::new(),
        };
        match result {
            Ok((filled, step)) => {
                row.stalled_p50_ms = step.p50_ms();
                row.stalled_p99_ms = step.p99_ms();
                row.lost = step.lost();
                row.verdict = stalled_verdict(filled, &step);
            }
            Err(err) => row.verdict = format!("échec : {err}"),
        }
        self.report.stalled.push(row);
    }

    fn capacity_server(&mut self, server: Server) {
        let Some(running) = self.start(server) else {
            return;
        };
        let target = self.plan.capacity_connections;
        (self.progress)(&format!(
            "capacité {:<11} {target} connexions inactives",
            server.name()
        ));
        let outcome = run_capacity(
            running.addr,
            target,
            server.role(),
            server.protocol(),
            Some(running.pid()),
        );
        self.report.capacity.push(CapacityRow {
            server: server.name().to_string(),
            label: server.label().to_string(),
            target,
            connected: outcome.connected,
            bytes_per_connection: outcome.bytes_per_connection(),
            threads: outcome.after.map(|m| m.threads),
            rss_before: outcome.before.map(|m| m.rss_bytes),
            rss_after: outcome.after.map(|m| m.rss_bytes),
            stopped_by: outcome.stopped_by,
        });
    }
}

/// Ce qu'il faut savoir pour lire les chiffres : grille, limites refusées, mesures absentes.
fn setup_notes(
    plan: &Plan,
    limit: Option<system::FileLimit>,
    proc_available: bool,
    pinned: bool,
) -> Vec<String> {
    let mut notes = vec![grid_note(plan)];
    let needed = plan.capacity_connections as u64 + 1_000;
    match limit {
        Some(limit) if limit.current < needed => notes.push(format!(
            "Le système refuse plus de {} fichiers ouverts (plafond {}) : il en faudrait {needed}. \
             Le scénario capacité s'arrêtera avant {} connexions ; l'administrateur peut \
             relever le plafond (ulimit -Hn, /etc/security/limits.conf).",
            limit.current, limit.hard, plan.capacity_connections
        )),
        Some(_) => {}
        None => notes.push(
            "Limite de fichiers ouverts inconnue sur ce système : le scénario capacité peut s'arrêter tôt."
                .to_string(),
        ),
    }
    if !proc_available {
        notes.push(
            "Ce système n'a pas de /proc : temps CPU et mémoire du serveur indisponibles."
                .to_string(),
        );
    }
    if !pinned {
        notes.push(
            "Serveur et générateur NON épinglés sur des cœurs distincts : ils se partagent le processeur."
                .to_string(),
        );
    }
    notes
}

/// Ce que couvre ce passage, pour qu'on ne lise pas un passage rapide comme une mesure.
fn grid_note(plan: &Plan) -> String {
    let list = |values: &[usize]| {
        values
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = if plan.quick {
        "Mode rapide (intégration continue) : grille réduite et fenêtres courtes, des ordres de grandeur seulement"
    } else {
        "Mode complet"
    };
    format!(
        "{kind}. Écho : {} connexions, lignes de {} octets, chauffe {} ms puis {} ms mesurées, \
         {} fois (médiane). \
         Chat : salons de {} clients, paliers de {} s (un palier raté pour sa seule latence \
         est rejoué une fois). Capacité : {} connexions.",
        list(&plan.echo_connections),
        list(&plan.echo_line_lens),
        plan.echo_warmup.as_millis(),
        plan.echo_measure.as_millis(),
        plan.echo_rounds,
        list(&plan.rooms),
        crate::report::decimal(plan.chat_step.as_secs_f64(), 1),
        plan.capacity_connections,
    )
}

/// Résume les mesures d'une charge : médiane des débits et des coûts CPU, latences de
/// toutes les mesures réunies.
fn echo_row(server: Server, load: EchoLoad, outcomes: &[EchoOutcome]) -> Option<EchoRow> {
    let first = outcomes.first()?;
    let mut latency = first.latency.clone();
    for outcome in &outcomes[1..] {
        let _ = latency.add(&outcome.latency);
    }
    let rates: Vec<f64> = outcomes
        .iter()
        .map(EchoOutcome::messages_per_second)
        .collect();
    let costs: Vec<f64> = outcomes
        .iter()
        .filter_map(EchoOutcome::cpu_per_message_us)
        .collect();
    Some(EchoRow {
        server: server.name().to_string(),
        label: server.label().to_string(),
        connections: load.connections,
        line_len: load.line_len,
        messages_per_second: median(rates)?,
        p50_us: latency.value_at_quantile(0.5) as f64 / 1e3,
        p99_us: latency.value_at_quantile(0.99) as f64 / 1e3,
        cpu_per_message_us: median(costs),
        vs_reference: None,
        errors: outcomes.iter().map(|o| o.corrupted + o.closed).sum(),
    })
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

/// Les serveurs dont on mesure la capacité : ceux qui répondent à une connexion inactive
/// sans prévenir tout le salon : le chat de la leçon 03 annonce chaque arrivée à tous, soit
/// 50 millions de lignes pour 10 000 connexions (celui de la leçon 04 cesse d'annoncer
/// au-delà de 100 participants, celui de la leçon 05 n'annonce qu'après le pseudo).
pub fn capacity_candidate(server: Server) -> bool {
    matches!(
        server,
        Server::RefMio
            | Server::TokioEcho
            | Server::Lesson03Echo
            | Server::Lesson04Echo
            | Server::Lesson04Chat
            | Server::Lesson05Chat
    )
}

fn step_row(step: &ChatStep) -> StepRow {
    StepRow {
        offered: step.offered,
        delivered_per_second: step.deliveries_per_second(),
        lost: step.lost(),
        disordered: step.disordered,
        closed: step.closed,
        p50_ms: step.p50_ms(),
        p99_ms: step.p99_ms(),
        cpu_per_delivery_us: step.cpu_per_delivery_us(),
        server_load: step
            .server_cpu
            .map(|cpu| cpu.as_secs_f64() / step.total.as_secs_f64().max(1e-9)),
        generator_kept_up: step.generator_kept_up(),
        passed: step_passed(step),
    }
}

/// Un palier est tenu si tout est arrivé, dans l'ordre, vite, et que le générateur a suivi.
pub fn step_passed(step: &ChatStep) -> bool {
    step.lost() == 0
        && step.disordered == 0
        && step.closed == 0
        && step.p99_ms() < P99_LIMIT_MS
        && step.generator_kept_up()
}

/// Tout est arrivé, dans l'ordre, mais trop lentement.
fn only_latency_failed(step: &ChatStep) -> bool {
    !step_passed(step) && step.lost() == 0 && step.disordered == 0 && step.closed == 0
}

/// Ce que le client muet a fait aux autres.
fn stalled_verdict(filled: bool, step: &ChatStep) -> String {
    if !filled {
        format!("bloqué dès le remplissage ; {}", failure_reason(step))
    } else if step_passed(step) {
        "les autres ne voient rien".to_string()
    } else if step.delivered == 0 {
        "tout le salon est bloqué".to_string()
    } else {
        failure_reason(step)
    }
}

fn failure_reason(step: &ChatStep) -> String {
    if step.closed > 0 {
        format!("{} connexions fermées par le serveur", step.closed)
    } else if step.lost() > 0 {
        format!(
            "{} livraisons manquantes 2 s après le dernier envoi",
            step.lost()
        )
    } else if step.disordered > 0 {
        format!("{} messages dans le désordre", step.disordered)
    } else if step.p99_ms() >= P99_LIMIT_MS {
        format!("p99 de {} ms", crate::report::decimal(step.p99_ms(), 1))
    } else {
        "limite du générateur de charge".to_string()
    }
}

/// Au-delà de cette charge, un serveur est presque saturé : il regroupe alors tout ce qui
/// attend en une écriture, et son coût par livraison ne dit plus que « 1 / débit ».
pub const COMFORTABLE_LOAD: f64 = 0.8;

/// Débit de comparaison d'un salon, pour les serveurs `servers` (tous si vide) : le plus
/// haut palier que tous ont tenu sans dépasser [`COMFORTABLE_LOAD`] ; à défaut, le plus bas
/// palier tenu par tous.
pub fn comparison_rate(report: &Report, room: usize, servers: &[&str]) -> Option<f64> {
    let rows: Vec<&ChatRow> = report
        .chat
        .iter()
        .filter(|row| {
            row.room == room && (servers.is_empty() || servers.contains(&row.server.as_str()))
        })
        .collect();
    let first = rows.first()?;
    let held_by_all = |rate: f64, comfortable: bool| {
        rows.iter().all(|row| {
            row.steps.iter().any(|step| {
                step.offered == rate
                    && step.passed
                    && (!comfortable || step.server_load.is_some_and(|l| l < COMFORTABLE_LOAD))
            })
        })
    };
    let rates: Vec<f64> = first.steps.iter().map(|step| step.offered).collect();
    rates
        .iter()
        .rev()
        .find(|&&rate| held_by_all(rate, true))
        .or_else(|| rates.iter().find(|&&rate| held_by_all(rate, false)))
        .copied()
}

/// Date et heure UTC au format ISO 8601, sans dépendance.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Conversion jours → date civile (algorithme de Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
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
    fn la_date_est_au_format_iso() {
        let date = utc_now();
        assert_eq!(
            date.len(),
            "2026-11-22 02:12 UTC".len(),
            "format inattendu : {date}"
        );
        assert!(
            date.ends_with(" UTC") && date.as_bytes()[4] == b'-',
            "format inattendu : {date}"
        );
    }
}
