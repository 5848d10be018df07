//! Le déroulé complet : quels serveurs, quelles charges, dans quel ordre. Chaque
//! serveur est démarré dans son propre processus, épinglé sur un cœur, mesuré avec le
//! générateur de la leçon 06, puis arrêté.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lesson06_bench::chat::{
    ChatLoad, ChatOutcome, ChatRoom, DRAIN, Dialect, Lesson05,
};
use lesson06_bench::echo::{EchoLoad, EchoOutcome, run_echo};
use lesson06_bench::stats::{Latencies, Progress};
use lesson06_bench::system::{cpu_time, memory_use};

use crate::capacity::run_capacity;
use crate::child::{self, RunningServer};
use crate::irc::Irc;
use crate::numbers::decimal;
use crate::plan::{Part, Plan};
use crate::results::{
    BurstRow, CapacityRow, ChatRow, Delivery, EchoRow, IrcLoad, IrcRow, Limit,
    Machine, P99_LIMIT_MS, Report, StalledRow, StepFailure, StepRow, Transport,
    Verdict, WebBurstRow, WebRow, median,
};
use crate::servers::{REFERENCE, ServerSpec, Speaks};
use crate::system::{self, FileLimit};
use crate::web::WebSocket;
use crate::{ngircd, silent};

/// Une porte d'entrée d'un salon : son adresse, le protocole qu'on y parle, le PID
/// du serveur (pour son temps CPU).
#[derive(Clone, Copy)]
struct Door {
    addr: SocketAddr,
    dialect: &'static dyn Dialect,
    pid: u32,
}

impl Door {
    /// Le salon d'un chat de leçon : des lignes, le protocole de la leçon 05.
    fn chat(running: &RunningServer) -> Door {
        let (addr, pid) = (running.addr, running.pid());
        let dialect = &Lesson05;
        Door { addr, dialect, pid }
    }

    /// Le salon de la leçon 08, par `transport`.
    fn web(running: &RunningServer, transport: Transport) -> io::Result<Door> {
        let door = Door::chat(running);
        match transport {
            Transport::Tcp => Ok(door),
            Transport::WebSocket => Ok(Door {
                addr: running.web.ok_or_else(|| {
                    io::Error::other(
                        "la leçon 08 n'a pas annoncé l'adresse de sa page",
                    )
                })?,
                dialect: &WebSocket,
                ..door
            }),
        }
    }

    fn join(&self, clients: usize) -> io::Result<ChatRoom> {
        ChatRoom::join_with(self.addr, clients, self.dialect)
    }
}

/// Le générateur ne montre pas sa ligne de progression : le comparatif a la sienne.
fn quiet() -> impl FnMut(&Progress) {
    |_: &Progress| {}
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
    /// Prépare un passage. `exe` est le binaire du comparatif (relancé pour chaque
    /// serveur Rust), `command` la ligne de commande à citer dans les résultats.
    pub fn new(
        plan: Plan,
        exe: PathBuf,
        command: String,
        progress: &'a mut dyn FnMut(&str),
    ) -> Self {
        let (cores, cpu_model) = system::machine_description();
        let limit =
            system::raise_file_limit(plan.capacity_connections as u64 + 1_000);
        // Le générateur sur le cœur 0, le serveur seul sur le cœur 1.
        let pinned =
            cores >= 2 && cfg!(target_os = "linux") && system::pin_current_thread(0);
        let proc_available = cpu_time(std::process::id()).is_some();
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
            mode: if plan.quick { "rapide" } else { "complet" },
            machine,
            notes,
            errors: Vec::new(),
            echo: Vec::new(),
            chat: Vec::new(),
            stalled: Vec::new(),
            burst: Vec::new(),
            capacity: Vec::new(),
            irc: Vec::new(),
            web: Vec::new(),
            web_burst: Vec::new(),
            targets: Vec::new(),
        };
        let server_core = pinned.then_some(1);
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
        let speaking = |speaks| -> Vec<&'static ServerSpec> {
            servers
                .iter()
                .copied()
                .filter(|s| s.speaks == speaks)
                .collect()
        };
        let (echo, chat) = (speaking(Speaks::Echo), speaking(Speaks::Chat));
        if self.plan.runs(Part::Echo) {
            self.echo_all(&echo);
            self.compare_echo_to_reference();
        }
        if self.plan.runs(Part::Chat) {
            for room in self.plan.rooms.clone() {
                chat.iter()
                    .for_each(|server| self.chat_server(server, room));
            }
            if self.plan.rooms.contains(&self.plan.stalled_room) {
                chat.iter().for_each(|server| self.stalled_server(server));
            }
        }
        if self.plan.runs(Part::Rafale) {
            chat.iter().for_each(|server| self.burst_server(server));
        }
        if self.plan.runs(Part::Irc) {
            let irc = speaking(Speaks::Irc);
            // Au rythme fixe, l'écart entre deux serveurs est de l'ordre du bruit :
            // plusieurs passages, entrelacés, et leur médiane.
            for _ in 0..self.plan.irc_rounds {
                irc.iter().for_each(|server| self.irc_paced(server));
            }
            irc.iter().for_each(|server| self.irc_burst(server));
            self.report.irc = merge_rounds(std::mem::take(&mut self.report.irc));
        }
        if self.plan.runs(Part::Web) {
            let web = speaking(Speaks::Web);
            web.iter().for_each(|server| self.web_server(server));
        }
        if self.plan.runs(Part::Capacite) {
            for server in servers.iter().filter(|server| server.idle_capacity) {
                self.capacity_server(server);
            }
        }
        self.report.targets =
            crate::targets::evaluate(&self.report, &self.plan.parts);
        self.report
    }

    /// Les serveurs du plan qu'on peut lancer ici. Sans interpréteur Python, les
    /// serveurs Python sont écartés avec une note, sans ngIRCd, ngIRCd ; sauf s'ils
    /// ont été demandés nommément : c'est alors une mesure qui échoue.
    fn available_servers(&mut self) -> Vec<&'static ServerSpec> {
        let wanted =
            |test: fn(&ServerSpec) -> bool| self.plan.servers.iter().any(|s| test(s));
        let python = !wanted(ServerSpec::is_python) || child::python_available();
        let ngircd = !(wanted(ServerSpec::is_installed_program)
            && self.plan.runs(Part::Irc))
            || ngircd::available();
        if !python {
            self.missing(concat!(
                "interpréteur Python absent (python3, ou BENCH_PYTHON) : ",
                "serveurs Python non mesurés."
            ));
        }
        if !ngircd {
            self.missing(concat!(
                "ngIRCd absent (paquet Debian « ngircd », ou BENCH_NGIRCD) : ",
                "serveur ngircd non mesuré."
            ));
        }
        let servers = self.plan.servers.iter().copied();
        servers
            .filter(|server| python || !server.is_python())
            .filter(|server| ngircd || !server.is_installed_program())
            .collect()
    }

    /// Un serveur du plan manque : une note, ou une erreur s'il était demandé.
    fn missing(&mut self, message: &str) {
        match self.plan.servers_named {
            true => self.report.errors.push(message.to_string()),
            false => self.report.notes.push(message.to_string()),
        }
    }

    fn start(&mut self, server: &ServerSpec) -> Option<RunningServer> {
        match child::spawn(&self.exe, server, self.server_core) {
            Ok(running) => Some(running),
            Err(err) => {
                let (label, name) = (server.label, server.name);
                self.report
                    .errors
                    .push(format!("{label} ({name}) n'a pas démarré : {err}"));
                None
            }
        }
    }

    /// Mesure l'écho de tous les serveurs, charge par charge. Les serveurs tournent
    /// tous en même temps (ceux qui attendent ne coûtent rien) et chaque charge
    /// est mesurée `echo_rounds` fois, un serveur après l'autre : une
    /// perturbation passagère de la machine touche alors tous les serveurs, et la
    /// médiane l'écarte.
    fn echo_all(&mut self, servers: &[&'static ServerSpec]) {
        let running: Vec<(&ServerSpec, RunningServer)> = servers
            .iter()
            .filter_map(|&server| Some((server, self.start(server)?)))
            .collect();
        for line_len in self.plan.echo_line_lens.clone() {
            for connections in self.plan.echo_connections.clone() {
                let (warmup, duration) =
                    (self.plan.echo_warmup, self.plan.echo_measure);
                let load = EchoLoad {
                    connections,
                    line_len,
                    warmup,
                    duration,
                };
                let mut outcomes: Vec<Vec<EchoOutcome>> =
                    vec![Vec::new(); running.len()];
                for round in 1..=self.plan.echo_rounds {
                    for (index, (server, process)) in running.iter().enumerate() {
                        let rounds = self.plan.echo_rounds;
                        (self.progress)(&format!(
                            "écho {:<11} {connections:>5} connexions, lignes de {line_len} o, mesure {round}/{rounds}",
                            server.name
                        ));
                        match run_echo(
                            process.addr,
                            load,
                            Some(process.pid()),
                            &mut quiet(),
                        ) {
                            Ok(outcome) => outcomes[index].push(outcome),
                            Err(err) => self.report.errors.push(format!(
                                "écho {} avec {connections} connexions : {err}",
                                server.name
                            )),
                        }
                    }
                }
                for ((server, _), outcomes) in running.iter().zip(outcomes) {
                    self.report.echo.extend(echo_row(server, load, &outcomes));
                }
            }
        }
    }

    fn compare_echo_to_reference(&mut self) {
        let reference: Vec<EchoRow> = self
            .report
            .echo
            .iter()
            .filter(|row| row.server == REFERENCE)
            .cloned()
            .collect();
        for row in &mut self.report.echo {
            let same_load = reference.iter().find(|r| {
                r.connections == row.connections && r.line_len == row.line_len
            });
            row.vs_reference = match (
                row.cpu_per_message_us,
                same_load.and_then(|r| r.cpu_per_message_us),
            ) {
                (Some(cost), Some(base)) if base > 0.0 => Some(cost / base),
                _ => None,
            };
        }
    }

    /// La montée en débit d'un salon de `room` clients, sur un serveur neuf.
    fn chat_server(&mut self, server: &'static ServerSpec, room: usize) {
        let Some(running) = self.start(server) else {
            return;
        };
        let what = format!("chat {:<11}", server.name);
        let row = self.ramp(&what, server, server.label, room, Door::chat(&running));
        self.report.chat.push(row);
    }

    /// La montée en débit d'un salon de `room` clients entrés par `door` : les
    /// paliers doublent jusqu'au premier qui échoue. `what` : ce que dit la ligne de
    /// progression.
    fn ramp(
        &mut self,
        what: &str,
        server: &'static ServerSpec,
        label: &'static str,
        room: usize,
        door: Door,
    ) -> ChatRow {
        (self.progress)(&format!("{what} salon de {room} : connexion"));
        let mut row = ChatRow {
            server: server.name,
            label,
            room,
            sustained: None,
            limit: Limit::Ceiling,
            steps: Vec::new(),
        };
        let mut chat = match door.join(room) {
            Ok(chat) => chat,
            Err(err) => {
                let message = format!("entrée dans le salon impossible : {err}");
                row.limit = Limit::Error { message };
                return row;
            }
        };
        for rate in self.plan.chat_rates.clone() {
            (self.progress)(&format!(
                "{what} salon de {room}, {} livraisons/s",
                rate as u64
            ));
            let load = self.chat_load(rate, room);
            let mut result = chat.run(load, Some(door.pid), &mut quiet());
            // Seule la latence est sensible à un à-coup passager de la machine (un
            // autre programme prend le cœur 20 ms) : un palier raté pour
            // elle seule est rejoué une fois.
            if result.as_ref().is_ok_and(only_latency_failed) {
                result = chat.run(load, Some(door.pid), &mut quiet());
            }
            let outcome = match result {
                Ok(outcome) => outcome,
                Err(err) => {
                    row.limit = Limit::Error {
                        message: err.to_string(),
                    };
                    break;
                }
            };
            let step = step_row(rate, &outcome, load.over);
            let failure = step.failure;
            row.steps.push(step);
            match failure {
                None => row.sustained = Some(rate),
                Some(failure) => {
                    row.limit = Limit::Step { failure };
                    break;
                }
            }
        }
        row
    }

    /// `rate` livraisons par seconde dans un salon de `room` clients : chaque message
    /// est livré aux `room - 1` autres.
    fn chat_load(&self, rate: f64, room: usize) -> ChatLoad {
        let messages_per_second = rate / room.saturating_sub(1).max(1) as f64;
        ChatLoad::steady(
            messages_per_second,
            self.plan.chat_step,
            self.plan.chat_line_len,
        )
    }

    /// Rejoue un palier avec, en plus, un client qui ne lit jamais.
    fn stalled_server(&mut self, server: &'static ServerSpec) {
        let room = self.plan.stalled_room;
        // Au débit que TOUS les serveurs ont tenu sans saturer dans ce salon : loin
        // de la limite de chacun, seul l'effet du client muet reste.
        let rate = self
            .report
            .comparison_rate(room, &[])
            .unwrap_or(self.plan.chat_rates[0]);
        let healthy_p99_ms = self
            .report
            .chat
            .iter()
            .find(|row| row.server == server.name && row.room == room)
            .and_then(|row| row.steps.iter().find(|step| step.offered == rate))
            .map(|step| step.p99_ms);
        let Some(running) = self.start(server) else {
            return;
        };
        (self.progress)(&format!(
            "chat {:<11} salon de {room} + 1 client muet, {} livraisons/s",
            server.name, rate as u64
        ));
        let (load, fill_timeout) =
            (self.chat_load(rate, room), self.plan.fill_timeout);
        let measured = silent::connect(running.addr).and_then(|silent| {
            let mut chat = ChatRoom::join(running.addr, room)?;
            // On remplit d'abord les tampons du client muet, puis on mesure un
            // palier.
            let filled = silent::fill(&mut chat, fill_timeout)?;
            let outcome = chat.run(load, Some(running.pid()), &mut quiet())?;
            drop(silent);
            Ok((filled, outcome))
        });
        let mut row = StalledRow {
            server: server.name,
            label: server.label,
            room,
            offered: rate,
            healthy_p99_ms,
            stalled_p50_ms: None,
            stalled_p99_ms: None,
            lost: 0,
            server_rss_after: memory_use(running.pid())
                .map(|memory| memory.rss_bytes),
            verdict: Verdict::Unaffected,
        };
        row.verdict = match measured {
            Ok((filled, outcome)) => {
                row.stalled_p50_ms = Some(millis(outcome.corrected.quantile(0.5)));
                row.stalled_p99_ms = Some(millis(outcome.corrected.quantile(0.99)));
                row.lost = outcome.lost();
                match step_failure(&outcome) {
                    failure if !filled => {
                        Verdict::BlockedWhileFilling { then: failure }
                    }
                    None => Verdict::Unaffected,
                    Some(_) if outcome.delivered == 0 => Verdict::RoomBlocked,
                    Some(failure) => Verdict::Degraded { failure },
                }
            }
            Err(err) => Verdict::Error {
                message: err.to_string(),
            },
        };
        self.report.stalled.push(row);
    }

    /// La rafale de toute une classe, sur un serveur neuf.
    fn burst_server(&mut self, server: &'static ServerSpec) {
        let Some(running) = self.start(server) else {
            return;
        };
        let what = format!("rafale {:<9}", server.name);
        let door = Door::chat(&running);
        let row = self.burst_row(&what, server, server.label, door, DRAIN);
        self.report.burst.push(row);
    }

    /// La rafale de toute une classe entrée par `door` ; ce qui n'est pas arrivé
    /// `drain` après le dernier envoi compte perdu.
    fn burst_row(
        &mut self,
        what: &str,
        server: &'static ServerSpec,
        label: &'static str,
        door: Door,
        drain: Duration,
    ) -> BurstRow {
        let (clients, lines) = (self.plan.burst_room, self.plan.burst_lines);
        (self.progress)(&format!("{what} {clients} clients × {lines} lignes"));
        let mut row = BurstRow {
            server: server.name,
            label,
            clients,
            lines,
            expected: (clients * (clients - 1)) as u64 * lines,
            delivered: 0,
            disordered: 0,
            closed: 0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            total_ms: 0.0,
            cpu_per_delivery_us: None,
            error: None,
        };
        let burst = ChatLoad::burst(lines * clients as u64, self.plan.chat_line_len);
        let load = ChatLoad { drain, ..burst };
        let measured = door
            .join(clients)
            .and_then(|mut chat| chat.run(load, Some(door.pid), &mut quiet()));
        match measured {
            Ok(outcome) => {
                row.expected = outcome.expected;
                (row.delivered, row.disordered) =
                    (outcome.delivered, outcome.disordered);
                row.closed = outcome.closed;
                row.p50_ms = millis(outcome.corrected.quantile(0.5));
                row.p99_ms = millis(outcome.corrected.quantile(0.99));
                row.total_ms = millis(outcome.total);
                row.cpu_per_delivery_us = cpu_per_delivery_us(&outcome);
            }
            Err(err) => row.error = Some(err.to_string()),
        }
        row
    }

    /// IRC au rythme fixe : un salon de `irc_room` clients dans UN canal, chacun
    /// envoyant `irc_rates` lignes par seconde, sur un serveur neuf.
    fn irc_paced(&mut self, server: &'static ServerSpec) {
        let Some(running) = self.start(server) else {
            return;
        };
        let (clients, drain) = (self.plan.irc_room, self.plan.irc_drain);
        (self.progress)(&format!(
            "irc {:<8} salon de {clients} : inscription",
            server.name
        ));
        let mut room = ChatRoom::join_with(running.addr, clients, &Irc)
            .map_err(|err| format!("entrée dans le salon impossible : {err}"));
        for rate in self.plan.irc_rates.clone() {
            let load = IrcLoad::Paced {
                lines_per_second: rate,
            };
            (self.progress)(&format!(
                "irc {:<8} salon de {clients}, {load}",
                server.name
            ));
            let steady = ChatLoad::steady(
                rate * clients as f64,
                self.plan.irc_step,
                self.plan.chat_line_len,
            );
            let chat_load = ChatLoad { drain, ..steady };
            let measured = match &mut room {
                Ok(room) => room.run(chat_load, Some(running.pid()), &mut quiet()),
                Err(message) => Err(io::Error::other(message.clone())),
            };
            let row = irc_row(server, clients, load, drain, measured);
            self.report.irc.push(row);
        }
    }

    /// IRC, la rafale : `irc_burst_room` clients envoient chacun
    /// `irc_burst_lines` lignes d'un coup, sur un serveur neuf. On attend les
    /// dernières livraisons longtemps : un serveur qui ralentit les bavards livre
    /// tard, mais il livre.
    fn irc_burst(&mut self, server: &'static ServerSpec) {
        let Some(running) = self.start(server) else {
            return;
        };
        let (clients, lines) = (self.plan.irc_burst_room, self.plan.irc_burst_lines);
        let drain = self.plan.irc_burst_drain;
        let load = IrcLoad::Burst { lines };
        (self.progress)(&format!("irc {:<8} {clients} clients, {load}", server.name));
        let burst = ChatLoad::burst(lines * clients as u64, self.plan.chat_line_len);
        let chat_load = ChatLoad { drain, ..burst };
        let measured =
            ChatRoom::join_with(running.addr, clients, &Irc).and_then(|mut room| {
                room.run(chat_load, Some(running.pid()), &mut quiet())
            });
        let row = irc_row(server, clients, load, drain, measured);
        self.report.irc.push(row);
    }

    /// La leçon 08 : pour chaque taille de salon, sur un serveur neuf, la montée en
    /// débit par TCP puis par WebSocket, dans le MÊME processus ; puis la rafale,
    /// par l'un puis par l'autre.
    fn web_server(&mut self, server: &'static ServerSpec) {
        let transports = [Transport::Tcp, Transport::WebSocket];
        for room in self.plan.rooms.clone() {
            let Some(running) = self.start(server) else {
                return;
            };
            for transport in transports {
                let what = format!("web {transport:<15}");
                let label = transport.label();
                let chat = match Door::web(&running, transport) {
                    Ok(door) => self.ramp(&what, server, label, room, door),
                    Err(err) => return self.report.errors.push(err.to_string()),
                };
                self.report.web.push(WebRow { transport, chat });
            }
        }
        let Some(running) = self.start(server) else {
            return;
        };
        let drain = self.plan.web_burst_drain;
        for transport in transports {
            let what = format!("rafale {transport}");
            let label = transport.label();
            let burst = match Door::web(&running, transport) {
                Ok(door) => self.burst_row(&what, server, label, door, drain),
                Err(err) => return self.report.errors.push(err.to_string()),
            };
            let drain_s = drain.as_secs_f64();
            let row = WebBurstRow {
                transport,
                drain_s,
                burst,
            };
            self.report.web_burst.push(row);
        }
    }

    fn capacity_server(&mut self, server: &'static ServerSpec) {
        let Some(running) = self.start(server) else {
            return;
        };
        let target = self.plan.capacity_connections;
        (self.progress)(&format!(
            "capacité {:<11} {target} connexions inactives",
            server.name
        ));
        let outcome = run_capacity(
            running.addr,
            target,
            server.speaks.scenario(),
            Some(running.pid()),
        );
        self.report.capacity.push(CapacityRow {
            server: server.name,
            label: server.label,
            target,
            connected: outcome.connected,
            bytes_per_connection: outcome.bytes_per_connection(),
            threads: outcome.after.map(|memory| memory.threads),
            rss_before: outcome.before.map(|memory| memory.rss_bytes),
            rss_after: outcome.after.map(|memory| memory.rss_bytes),
            stopped_by: outcome.stopped_by,
        });
    }
}

/// « 2026-12-01 09:28 UTC » : la date et l'heure de la mesure, à la minute.
fn utc_now() -> String {
    // RFC 3339 en UTC, « 2026-12-01T09:28:07Z » : on garde la date et l'heure à la
    // minute.
    let stamp =
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    format!("{} UTC", stamp[..16].replace('T', " "))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn cpu_per_delivery_us(outcome: &ChatOutcome) -> Option<f64> {
    let cpu = outcome.server_cpu?;
    (outcome.delivered > 0)
        .then(|| cpu.as_secs_f64() * 1e6 / outcome.delivered as f64)
}

/// Pourquoi un palier n'est pas tenu ; `None` s'il l'est : tout est arrivé, dans
/// l'ordre, avec un p99 sous 50 ms. Si le p99 corrigé (depuis l'heure prévue) dépasse
/// la limite alors que le p99 non corrigé (depuis l'envoi réel) la tient, les
/// messages ont attendu AVANT de partir : c'est le générateur qui n'a pas tenu
/// l'horaire, pas le serveur.
fn step_failure(outcome: &ChatOutcome) -> Option<StepFailure> {
    let p99_ms = millis(outcome.corrected.quantile(0.99));
    let uncorrected_ms = millis(outcome.uncorrected.quantile(0.99));
    Some(if outcome.closed > 0 {
        StepFailure::Closed {
            count: outcome.closed,
        }
    } else if outcome.lost() > 0 {
        StepFailure::Lost {
            count: outcome.lost(),
        }
    } else if outcome.disordered > 0 {
        StepFailure::Disordered {
            count: outcome.disordered,
        }
    } else if p99_ms < P99_LIMIT_MS {
        return None;
    } else if uncorrected_ms < P99_LIMIT_MS {
        StepFailure::GeneratorBehind {
            lag_ms: p99_ms - uncorrected_ms,
        }
    } else {
        StepFailure::SlowP99 { p99_ms }
    })
}

/// Tout est arrivé, dans l'ordre, mais trop lentement.
fn only_latency_failed(outcome: &ChatOutcome) -> bool {
    matches!(
        step_failure(outcome),
        Some(StepFailure::SlowP99 { .. } | StepFailure::GeneratorBehind { .. })
    )
}

/// Une mesure IRC : ce qu'a donné `measured` (ou pourquoi elle n'a pas pu se
/// faire).
fn irc_row(
    server: &'static ServerSpec,
    clients: usize,
    load: IrcLoad,
    drain: Duration,
    measured: io::Result<ChatOutcome>,
) -> IrcRow {
    let (delivery, error) = match measured {
        Ok(outcome) => (Some(delivery(&outcome)), None),
        Err(err) => (None, Some(err.to_string())),
    };
    IrcRow {
        server: server.name,
        label: server.label,
        clients,
        load,
        drain_s: drain.as_secs_f64(),
        rounds: 1,
        delivery,
        error,
    }
}

/// Les passages d'une même mesure IRC (même serveur, même salon, même charge) ne
/// font qu'une ligne : les comptes (envoyées, livrées, perdues…) s'additionnent, les
/// latences et le CPU par livraison prennent la médiane des passages. Un passage
/// impossible rend la ligne impossible.
fn merge_rounds(rows: Vec<IrcRow>) -> Vec<IrcRow> {
    let mut groups: Vec<Vec<IrcRow>> = Vec::new();
    for row in rows {
        let same = |group: &&mut Vec<IrcRow>| {
            let first = &group[0];
            (first.server, first.clients, first.load)
                == (row.server, row.clients, row.load)
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(row),
            None => groups.push(vec![row]),
        }
    }
    groups.into_iter().map(merge_group).collect()
}

fn merge_group(mut group: Vec<IrcRow>) -> IrcRow {
    let rounds = group.len();
    let deliveries: Option<Vec<Delivery>> =
        group.iter().map(|row| row.delivery.clone()).collect();
    let error = group.iter().find_map(|row| row.error.clone());
    let mut row = group.swap_remove(0);
    row.rounds = rounds;
    row.error = error;
    row.delivery = deliveries.filter(|_| row.error.is_none()).map(|all| {
        let total = |field: fn(&Delivery) -> u64| all.iter().map(field).sum();
        let middle = |field: fn(&Delivery) -> f64| {
            median(all.iter().map(field).collect()).unwrap_or(f64::NAN)
        };
        let middle_opt = |field: fn(&Delivery) -> Option<f64>| {
            median(all.iter().filter_map(field).collect())
        };
        Delivery {
            sent: total(|d| d.sent),
            expected: total(|d| d.expected),
            delivered: total(|d| d.delivered),
            lost: total(|d| d.lost),
            disordered: total(|d| d.disordered),
            closed: total(|d| d.closed),
            p50_ms: middle(|d| d.p50_ms),
            p99_ms: middle(|d| d.p99_ms),
            max_ms: middle(|d| d.max_ms),
            p99_uncorrected_ms: middle(|d| d.p99_uncorrected_ms),
            total_ms: middle(|d| d.total_ms),
            cpu_per_delivery_us: middle_opt(|d| d.cpu_per_delivery_us),
            server_load: middle_opt(|d| d.server_load),
        }
    });
    row
}

fn delivery(outcome: &ChatOutcome) -> Delivery {
    let quantile = |latencies: &Latencies, q| millis(latencies.quantile(q));
    Delivery {
        sent: outcome.sent,
        expected: outcome.expected,
        delivered: outcome.delivered,
        lost: outcome.lost(),
        disordered: outcome.disordered,
        closed: outcome.closed,
        p50_ms: quantile(&outcome.corrected, 0.5),
        p99_ms: quantile(&outcome.corrected, 0.99),
        max_ms: millis(outcome.corrected.max()),
        p99_uncorrected_ms: quantile(&outcome.uncorrected, 0.99),
        total_ms: millis(outcome.total),
        cpu_per_delivery_us: cpu_per_delivery_us(outcome),
        server_load: server_load(outcome),
    }
}

/// La charge du serveur pendant la mesure, en fraction d'un cœur.
fn server_load(outcome: &ChatOutcome) -> Option<f64> {
    let cpu = outcome.server_cpu?;
    Some(cpu.as_secs_f64() / outcome.total.as_secs_f64().max(1e-9))
}

fn step_row(offered: f64, outcome: &ChatOutcome, window: Duration) -> StepRow {
    let quantile = |latencies: &Latencies, q| millis(latencies.quantile(q));
    StepRow {
        offered,
        delivered_per_second: outcome.delivered as f64
            / window.as_secs_f64().max(1e-9),
        lost: outcome.lost(),
        disordered: outcome.disordered,
        closed: outcome.closed,
        p50_ms: quantile(&outcome.corrected, 0.5),
        p99_ms: quantile(&outcome.corrected, 0.99),
        p99_uncorrected_ms: quantile(&outcome.uncorrected, 0.99),
        cpu_per_delivery_us: cpu_per_delivery_us(outcome),
        server_load: server_load(outcome),
        failure: step_failure(outcome),
    }
}

/// Ce qu'il faut savoir pour lire les chiffres : grille, limites refusées, mesures
/// absentes.
fn setup_notes(
    plan: &Plan,
    limit: Option<FileLimit>,
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
            "Limite de fichiers ouverts inconnue sur ce système : le scénario capacité peut s'arrêter tôt.".to_string(),
        ),
    }
    if !proc_available {
        notes.push(
            "Temps CPU et mémoire du serveur indisponibles sur ce système (Linux seulement)."
                .to_string(),
        );
    }
    if !pinned {
        notes.push("Serveur et générateur NON épinglés sur des cœurs distincts : ils se partagent le processeur.".to_string());
    }
    notes
}

/// Ce que couvre ce passage, pour qu'on ne lise pas un passage rapide comme une
/// mesure : le mode, puis la grille de chaque scénario mesuré.
fn grid_note(plan: &Plan) -> String {
    let list = |values: &[usize]| {
        values
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut note = vec![match plan.quick {
        true => "Mode rapide (intégration continue) : grille réduite et fenêtres \
                 courtes, des ordres de grandeur seulement."
            .to_string(),
        false => "Mode complet.".to_string(),
    }];
    if plan.runs(Part::Echo) {
        note.push(format!(
            "Écho : {} connexions, lignes de {} octets, chauffe {} ms puis {} ms \
             mesurées, {} fois (médiane).",
            list(&plan.echo_connections),
            list(&plan.echo_line_lens),
            plan.echo_warmup.as_millis(),
            plan.echo_measure.as_millis(),
            plan.echo_rounds,
        ));
    }
    if [Part::Chat, Part::Web].iter().any(|&part| plan.runs(part)) {
        note.push(format!(
            "Chat{} : salons de {} clients, lignes de {} octets, paliers de {} s (un \
             palier raté pour sa seule latence est rejoué une fois).",
            if plan.runs(Part::Web) { " et web" } else { "" },
            list(&plan.rooms),
            plan.chat_line_len,
            decimal(plan.chat_step.as_secs_f64(), 1),
        ));
    }
    if plan.runs(Part::Capacite) {
        note.push(format!(
            "Capacité : {} connexions.",
            plan.capacity_connections
        ));
    }
    if plan.runs(Part::Irc) {
        let rates: Vec<String> = plan
            .irc_rates
            .iter()
            .map(|rate| decimal(*rate, 0))
            .collect();
        note.push(format!(
            "IRC : un salon de {} clients dans un canal, {} ligne(s)/s par client, \
             {} s chaque fois, puis une rafale de {} clients × {} lignes ; {} octets \
             de texte par message, comme les lignes du chat.",
            plan.irc_room,
            rates.join(" puis "),
            decimal(plan.irc_step.as_secs_f64(), 0),
            plan.irc_burst_room,
            plan.irc_burst_lines,
            plan.chat_line_len - 1,
        ));
    }
    note.join(" ")
}

/// Résume les mesures d'une charge : médianes des débits, des latences et des coûts
/// CPU.
fn echo_row(
    server: &ServerSpec,
    load: EchoLoad,
    outcomes: &[EchoOutcome],
) -> Option<EchoRow> {
    let each = |value: &dyn Fn(&EchoOutcome) -> Option<f64>| {
        median(outcomes.iter().filter_map(value).collect())
    };
    let micros = |latency: Duration| latency.as_secs_f64() * 1e6;
    let cpu_per_message = |outcome: &EchoOutcome| {
        let cpu = outcome.server_cpu?;
        (outcome.round_trips > 0)
            .then(|| cpu.as_secs_f64() * 1e6 / outcome.round_trips as f64)
    };
    Some(EchoRow {
        server: server.name,
        label: server.label,
        connections: load.connections,
        line_len: load.line_len,
        messages_per_second: each(&|o| Some(o.round_trips_per_second()))?,
        p50_us: each(&|o| Some(micros(o.latency.quantile(0.5))))?,
        p99_us: each(&|o| Some(micros(o.latency.quantile(0.99))))?,
        cpu_per_message_us: each(&cpu_per_message),
        vs_reference: None,
        errors: outcomes.iter().map(|o| o.corrupted + o.closed).sum(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn la_date_est_a_la_minute_en_utc() {
        let date = super::utc_now();
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
