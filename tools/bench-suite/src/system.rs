//! Ce que le comparatif demande au système, en plus de ce que lit la leçon (temps
//! CPU, mémoire : `lesson06_bench::system`) : plus de descripteurs de fichiers,
//! l'épinglage sur un cœur, un enfant qui meurt avec son parent, la description de la
//! machine.
//!
//! Ce sont des appels propres à Unix (`setrlimit`) ou à Linux (`sched_setaffinity`,
//! `prctl`) ; ailleurs, les fonctions ne font rien et le rapport le dit.

/// Ce que l'on a obtenu en demandant plus de descripteurs de fichiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    /// Limite en vigueur après la demande.
    pub current: u64,
    /// Plafond que seul l'administrateur peut relever.
    pub hard: u64,
}

/// Relève la limite de fichiers ouverts (RLIMIT_NOFILE) à `wanted`, dans la limite du
/// plafond.
///
/// Chaque socket est un descripteur de fichier : 10 000 connexions en demandent 10
/// 000 de chaque côté, alors que la limite par défaut est souvent de 1 024.
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
        // SAFETY: setrlimit lit la structure ; en cas de refus, la limite reste
        // inchangée.
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

/// Épingle le thread appelant (et les threads qu'il créera ensuite) sur le cœur
/// `core`.
///
/// Le serveur et le générateur de charge sur deux cœurs différents : sinon ils se
/// disputent le même processeur et l'on mesure surtout l'ordonnanceur.
pub fn pin_current_thread(core: usize) -> bool {
    core_affinity::get_core_ids()
        .and_then(|ids| ids.into_iter().find(|id| id.id == core))
        .is_some_and(core_affinity::set_for_current)
}

/// Prépare un processus enfant juste après `fork`, avant `exec` :
/// - il est épinglé sur `core` (tous ses threads, y compris ceux de Python ou de
///   tokio, hériteront de ce cœur) ;
/// - il est tué si le comparatif meurt (Ctrl+C, délai dépassé) : pas de serveur
///   orphelin. Précisément, `PR_SET_PDEATHSIG` réagit à la fin du THREAD qui l'a
///   lancé : le comparatif lance ses serveurs depuis son thread principal, et chaque
///   test depuis son propre thread.
#[cfg(target_os = "linux")]
pub fn prepare_child(command: &mut std::process::Command, core: Option<usize>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: entre fork et exec, on ne fait que des appels système sans allocation
    // (prctl, sched_setaffinity), ce qui est permis dans un processus tout juste
    // forké.
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if let Some(core) = core {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(core, &mut set);
                libc::sched_setaffinity(
                    0,
                    std::mem::size_of::<libc::cpu_set_t>(),
                    &set,
                );
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn prepare_child(_command: &mut std::process::Command, _core: Option<usize>) {}

/// Le programme `program` est-il là ? Il répond à `--version` et réussit.
pub fn answers_version(program: &std::ffi::OsStr) -> bool {
    use std::process::{Command, Stdio};
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Nombre de cœurs et modèle du processeur, pour situer chaque mesure.
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
        .unwrap_or_else(|| {
            format!("processeur inconnu ({})", std::env::consts::ARCH)
        });
    (cores, model)
}
