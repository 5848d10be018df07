//! ngIRCd, le serveur IRC de Debian (paquet `ngircd`), mesuré à côté de la leçon 07.
//!
//! Le comparatif le lance comme n'importe quel programme installé : une
//! configuration générée dans un dossier de `target/`, un port libre de la boucle
//! locale, et `-n` pour qu'il reste au premier plan (le PID mesuré est le sien).
//! Ses réglages sont ceux par défaut, son contrôle du débit compris, sauf ce qu'il
//! faut pour admettre les clients du banc, qui viennent tous de 127.0.0.1.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::system;

/// Connexions depuis une même adresse : autant que la leçon 07 dans le banc.
pub const MAX_PER_ADDRESS: usize = 200;

/// Ce que ngIRCd a au plus pour ouvrir son port.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Le programme : `BENCH_NGIRCD` s'il est donné, sinon `/usr/sbin/ngircd` s'il
/// existe (Debian l'installe là, hors du PATH d'un utilisateur), sinon `ngircd`.
pub fn program() -> OsString {
    let debian = Path::new("/usr/sbin/ngircd");
    std::env::var_os("BENCH_NGIRCD").unwrap_or_else(|| match debian.exists() {
        true => debian.into(),
        false => "ngircd".into(),
    })
}

/// ngIRCd est-il installé ?
pub fn available() -> bool {
    system::answers_version(&program())
}

// ANCHOR: config
/// La configuration de ngIRCd pour le banc : ses valeurs par défaut (son contrôle
/// du débit, ses délais de `PING`), sauf trois choses.
fn config(port: u16) -> String {
    format!(
        "[Global]
    Name = banc.ngircd
    Info = ngIRCd mesuré par le comparatif du cours
    Listen = 127.0.0.1
    Ports = {port}
    MotdPhrase = Banc d'essai
[Limits]
    # 5 par défaut : les clients du banc viennent tous de 127.0.0.1.
    MaxConnectionsIP = {MAX_PER_ADDRESS}
    # Lancé en root, ngIRCd devient « nobody » : Linux oublie alors de le tuer
    # avec le comparatif. S'il survit, il s'arrête seul, sans client, en 60 s.
    IdleTimeout = 60
[Options]
    # Rien à chercher sur un client qui arrive (la leçon 07 non plus) : ni nom
    # (DNS), ni identité (IDENT, PAM).
    DNS = no
    Ident = no
    PAM = no
"
    )
}
// ANCHOR_END: config

// ANCHOR: spawn
/// Lance ngIRCd, épinglé sur `core`, avec sa configuration dans un dossier neuf de
/// `target/` (à côté du binaire `exe`), et attend qu'il accepte les connexions.
/// Rend le processus, son adresse et son dossier, à effacer après lui.
pub fn spawn(
    exe: &Path,
    core: Option<usize>,
) -> io::Result<(Child, SocketAddr, PathBuf)> {
    let dir = workdir(exe)?;
    let port = free_port()?;
    let (conf, log) = (dir.join("ngircd.conf"), dir.join("ngircd.log"));
    std::fs::write(&conf, config(port))?;
    let output = File::create(&log)?;
    let mut command = Command::new(program());
    // -n : au premier plan, sans se détacher (le processus mesuré est le bon) ;
    // -f : ce fichier-là, pas celui de /etc.
    command.arg("-n").arg("-f").arg(&conf);
    command
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output);
    system::prepare_child(&mut command, core);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = command.spawn().and_then(|mut child| {
        match wait_listening(&mut child, addr, &log) {
            Ok(()) => Ok(child),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(err)
            }
        }
    });
    match started {
        Ok(child) => Ok((child, addr, dir)),
        Err(err) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(err)
        }
    }
}
// ANCHOR_END: spawn

/// Un dossier neuf pour ce ngIRCd : `target/ngircd/<pid>-<numéro>`.
fn workdir(exe: &Path) -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let target = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = target
        .join("ngircd")
        .join(format!("{}-{number}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Un port libre de 127.0.0.1 : le noyau en choisit un, on le rend aussitôt.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Attend que ngIRCd accepte une connexion ; s'il s'arrête avant, la dernière
/// ligne de son journal dit pourquoi.
fn wait_listening(child: &mut Child, addr: SocketAddr, log: &Path) -> io::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            let journal = std::fs::read_to_string(log).unwrap_or_default();
            let last = journal.lines().last().unwrap_or("journal vide").trim();
            return Err(io::Error::other(format!(
                "ngIRCd s'est arrêté au démarrage (« {last} »)"
            )));
        }
        let timeout = Duration::from_millis(200);
        if TcpStream::connect_timeout(&addr, timeout).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        "ngIRCd n'a pas ouvert son port à temps",
    ))
}
