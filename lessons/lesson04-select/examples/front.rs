//! Essai : `mio` est déclenché **par front**, `select` et `poll` **par niveau**.
//!
//! On ouvre une connexion sur la boucle locale, on y inscrit `WRITABLE` en
//! permanence, puis on compte combien de fois l'attente se réveille en une seconde,
//! sans rien écrire :
//!
//! - avec `mio` (epoll en mode front sous Linux, kqueue sous macOS, IOCP sous
//!   Windows) : une seule fois, au moment où la socket DEVIENT inscriptible ;
//! - avec `poll(2)`, déclenché par niveau comme le `select` du TP en Python (Unix
//!   seulement) : à chaque appel, tant que la socket RESTE inscriptible, c'est-à-dire
//!   presque toujours.
//!
//! Puis le pair envoie quelques octets qu'on ne lit pas : `mio` prévient une fois,
//! pas plus.
//!
//! `cargo run -p lesson04-select --example front`

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

/// Durée de chaque observation.
const WINDOW: Duration = Duration::from_secs(1);

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut peer = TcpStream::connect(listener.local_addr()?)?;
    let (ours, _) = listener.accept()?;
    ours.set_nonblocking(true)?;

    let mut poll = Poll::new()?;
    let mut stream = mio::net::TcpStream::from_std(ours);
    // Les deux intérêts, une fois pour toutes, comme le fait tokio.
    poll.registry().register(
        &mut stream,
        Token(0),
        Interest::READABLE | Interest::WRITABLE,
    )?;

    let wakeups = count_mio_wakeups(&mut poll)?;
    println!(
        "mio, WRITABLE inscrit en permanence, rien à écrire : {wakeups} réveil(s) en 1 s"
    );

    peer.write_all(b"bonjour")?;
    let wakeups = count_mio_wakeups(&mut poll)?;
    println!(
        "mio, le pair envoie 7 octets qu'on ne lit pas : {wakeups} réveil(s) en 1 s"
    );

    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let wakeups = count_level_wakeups(stream.as_raw_fd())?;
        println!(
            "poll(2) par niveau, même socket, POLLOUT demandé : {wakeups} réveil(s) en 1 s"
        );
    }
    Ok(())
}

// ANCHOR: count
/// Attend les événements pendant `WINDOW` et compte les réveils qui en apportent.
fn count_mio_wakeups(poll: &mut Poll) -> io::Result<usize> {
    let mut events = Events::with_capacity(16);
    let deadline = Instant::now() + WINDOW;
    let mut wakeups = 0;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        poll.poll(&mut events, Some(left))?;
        if !events.is_empty() {
            wakeups += 1;
        }
    }
    Ok(wakeups)
}

/// La même attente avec `poll(2)` : par niveau, elle rend la main aussitôt, encore et
/// encore, tant que la socket a de la place dans son tampon d'envoi. La boucle occupe
/// tout un cœur.
#[cfg(unix)]
fn count_level_wakeups(fd: std::os::fd::RawFd) -> io::Result<u64> {
    let deadline = Instant::now() + WINDOW;
    let mut wakeups = 0;
    while Instant::now() < deadline {
        let mut watched = libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY : un seul `pollfd` valide, `fd` reste ouvert pendant l'appel.
        let ready = unsafe { libc::poll(&mut watched, 1, 1000) };
        if ready < 0 {
            return Err(io::Error::last_os_error());
        }
        if ready > 0 {
            wakeups += 1;
        }
    }
    Ok(wakeups)
}
// ANCHOR_END: count
