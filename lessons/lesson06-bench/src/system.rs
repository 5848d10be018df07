//! Ce que le noyau sait du serveur mesuré (option `--pid`) : temps CPU, mémoire,
//! threads.
//!
//! Pourquoi le temps CPU du serveur plutôt que les messages par seconde ? Sur deux
//! cœurs, le générateur et le serveur se partagent le processeur : le débit mesure
//! surtout le plus lent des deux, souvent le générateur. Le temps CPU que le SERVEUR
//! a dépensé, divisé par le nombre de messages, ne compte que son travail à lui.
//!
//! C'est propre à Linux ; ailleurs, ces fonctions renvoient `None` et le rapport le
//! dit.

use std::time::Duration;

// ANCHOR: cpu_time
/// Temps CPU consommé par le processus `pid` (utilisateur + système), tous ses
/// threads compris.
///
/// Le noyau tient pour chaque processus une horloge CPU précise à la nanoseconde :
/// `clock_getcpuclockid` en donne l'identifiant, `clock_gettime` la lit
/// (`/proc/<pid>/stat` compte en « tops » de 10 ms : trop grossier pour une mesure
/// d'une seconde).
#[cfg(target_os = "linux")]
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `timespec` (deux entiers) est valide remplie de zéros ; les deux appels
    // n'écrivent que dans les variables que nous leur passons.
    let mut now: libc::timespec = unsafe { std::mem::zeroed() };
    let read = unsafe {
        libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) == 0
            && libc::clock_gettime(clock, &mut now) == 0
    };
    read.then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}
// ANCHOR_END: cpu_time

#[cfg(not(target_os = "linux"))]
pub fn cpu_time(_pid: u32) -> Option<Duration> {
    None
}

/// Mémoire résidente et nombre de threads, lus dans `/proc/<pid>/status`. VmRSS
/// compte les pages du processus présentes en mémoire ; les tampons des sockets, eux,
/// sont au noyau.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    pub rss_bytes: u64,
    pub threads: u64,
}

/// Ailleurs qu'à Linux, `/proc` n'existe pas : la lecture échoue, la réponse est
/// `None`.
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
