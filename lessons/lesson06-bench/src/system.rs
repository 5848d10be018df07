//! Ce que le système d'exploitation sait d'un processus : temps CPU, mémoire, threads,
//! plus la limite de descripteurs et l'épinglage sur un cœur.
//!
//! Tout passe par `/proc` et par deux appels système (`setrlimit`, `sched_setaffinity`) :
//! c'est propre à Linux. Ailleurs, les fonctions renvoient `None` et le rapport dit
//! clairement que les mesures CPU et mémoire manquent.

use std::time::Duration;

// ANCHOR: cpu_time
/// Temps CPU consommé par un processus (utilisateur + système), tous threads compris,
/// même ceux qui sont déjà terminés.
///
/// On demande d'abord au noyau l'horloge CPU du processus (`clock_getcpuclockid`), précise
/// à la nanoseconde ; à défaut, on lit `utime` et `stime` dans `/proc/<pid>/stat`, comptés
/// en « tops » de 10 ms : il faut alors des fenêtres de mesure de plusieurs secondes.
#[cfg(target_os = "linux")]
pub fn cpu_time(pid: u32) -> Option<Duration> {
    process_clock(pid).or_else(|| stat_cpu_time(pid))
}

#[cfg(target_os = "linux")]
fn process_clock(pid: u32) -> Option<Duration> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: les deux appels n'écrivent que dans les variables que nous leur passons.
    unsafe {
        if libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) != 0 {
            return None;
        }
        let mut now: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(clock, &mut now) != 0 {
            return None;
        }
        Some(Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
    }
}

#[cfg(target_os = "linux")]
fn stat_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Le 2e champ est le nom du programme entre parenthèses et peut contenir des espaces :
    // on repart après la DERNIÈRE parenthèse fermante.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Après le nom : state(3) ppid(4) … utime(14) stime(15), donc les indices 11 et 12 ici.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks_per_second = clock_ticks()?;
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks_per_second as f64,
    ))
}
// ANCHOR_END: cpu_time

#[cfg(not(target_os = "linux"))]
pub fn cpu_time(_pid: u32) -> Option<Duration> {
    None
}

/// Nombre de « tops d'horloge » par seconde dans lesquels `/proc/<pid>/stat` compte le temps
/// (presque toujours 100 : une précision de 10 ms, d'où des fenêtres de mesure d'au moins 1 s).
#[cfg(target_os = "linux")]
fn clock_ticks() -> Option<u64> {
    // SAFETY: sysconf ne lit qu'une constante du système, sans effet de bord.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then_some(ticks as u64)
}

/// Mémoire résidente et nombre de threads, lus dans `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    /// VmRSS : les pages du processus réellement présentes en mémoire, en octets.
    pub rss_bytes: u64,
    /// Threads: le nombre de threads du processus.
    pub threads: u64,
}

#[cfg(target_os = "linux")]
pub fn memory_use(pid: u32) -> Option<MemoryUse> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(MemoryUse {
        rss_bytes: field("VmRSS:")? * 1024,
        threads: field("Threads:")?,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn memory_use(_pid: u32) -> Option<MemoryUse> {
    None
}

/// Ce que l'on a obtenu en demandant plus de descripteurs de fichiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    /// Limite en vigueur après la demande.
    pub current: u64,
    /// Plafond que seul l'administrateur peut relever.
    pub hard: u64,
}

/// Relève la limite de fichiers ouverts (RLIMIT_NOFILE) à `wanted`, dans la limite du plafond.
///
/// Chaque socket est un descripteur de fichier : 10 000 connexions en demandent 10 000 de
/// chaque côté, alors que la limite par défaut est souvent de 1 024.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t n'est pas u64 sur toutes les plateformes Unix.
pub fn raise_file_limit(wanted: u64) -> Option<FileLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit écrit dans la structure que nous lui passons, rien d'autre.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if (limit.rlim_cur as u64) < wanted {
        let target = wanted.min(limit.rlim_max as u64);
        let raised = libc::rlimit {
            rlim_cur: target as libc::rlim_t,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit lit la structure ; en cas de refus, la limite reste inchangée.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = raised.rlim_cur;
        }
    }
    Some(FileLimit {
        current: limit.rlim_cur as u64,
        hard: limit.rlim_max as u64,
    })
}

#[cfg(not(unix))]
pub fn raise_file_limit(_wanted: u64) -> Option<FileLimit> {
    None
}

/// Épingle le thread appelant (et les threads qu'il créera ensuite) sur le cœur `core`.
///
/// Le serveur et le générateur de charge sur deux cœurs différents : sinon ils se
/// disputent le même processeur et l'on mesure surtout l'ordonnanceur.
pub fn pin_current_thread(core: usize) -> bool {
    core_affinity::get_core_ids()
        .and_then(|ids| ids.into_iter().find(|id| id.id == core))
        .is_some_and(core_affinity::set_for_current)
}

/// Prépare un processus enfant juste après `fork`, avant `exec` :
/// - il est épinglé sur `core` (tous ses threads, y compris ceux de Python ou de tokio,
///   hériteront de ce cœur) ;
/// - il est tué si le banc d'essai meurt (Ctrl+C, délai dépassé) : pas de serveur orphelin.
///   Précisément, `PR_SET_PDEATHSIG` réagit à la fin du THREAD qui l'a lancé : le banc lance
///   ses serveurs depuis son thread principal, et chaque test depuis son propre thread.
#[cfg(target_os = "linux")]
pub fn prepare_child(command: &mut std::process::Command, core: Option<usize>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: entre fork et exec, on ne fait que des appels système sans allocation
    // (prctl, sched_setaffinity), ce qui est permis dans un processus tout juste forké.
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if let Some(core) = core {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(core, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn prepare_child(_command: &mut std::process::Command, _core: Option<usize>) {}

/// Nombre de cœurs et modèle du processeur, pour dater et situer chaque mesure.
pub fn machine_description() -> (usize, String) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_string())
        })
        .unwrap_or_else(|| format!("processeur inconnu ({})", std::env::consts::ARCH));
    (cores, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn le_processus_courant_a_un_temps_cpu_et_une_memoire() {
        let pid = std::process::id();
        assert!(
            cpu_time(pid).is_some(),
            "/proc/<pid>/stat doit être lisible"
        );
        let memory = memory_use(pid).expect("/proc/<pid>/status doit être lisible");
        assert!(
            memory.rss_bytes > 0,
            "un processus vivant occupe de la mémoire"
        );
        assert!(memory.threads >= 1, "au moins un thread");
    }
}
