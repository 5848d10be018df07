//! Essai : un appel bloquant dans une tâche tokio arrête toutes les tâches de son
//! thread.
//!
//! Un runtime à UN thread fait tourner deux tâches : une horloge qui note l'heure
//! toutes les 100 ms, et un « travail » qui attend 500 ms. On essaie deux façons
//! d'attendre :
//!
//! - `tokio::time::sleep(…).await` : la tâche rend la main au runtime, l'horloge
//!   continue ;
//! - `std::thread::sleep(…)` : le thread entier dort, l'horloge aussi. C'est ce que
//!   fait, sans le dire, un `read` de la bibliothèque standard ou un verrou tenu
//!   longtemps.
//!
//! `cargo run -p lesson05-chat --example bloquer`

use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(100);
const WORK: Duration = Duration::from_millis(500);

fn main() {
    // Un seul thread : sur le runtime multi-thread, une autre tâche pourrait être
    // déplacée vers un autre cœur et masquer le problème, sans le régler.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime tokio");
    for blocking in [false, true] {
        let gaps = runtime.block_on(run(blocking));
        let how = if blocking {
            "std::thread::sleep "
        } else {
            "tokio::time::sleep "
        };
        let gaps: Vec<String> = gaps.iter().map(|gap| format!("{gap}")).collect();
        println!("{how}: écarts entre deux tops (ms) : {}", gaps.join(" "));
    }
}

// ANCHOR: run
/// Lance l'horloge et le travail sur le même thread ; rend les écarts entre les tops.
async fn run(blocking: bool) -> Vec<u128> {
    let clock = tokio::spawn(async {
        let mut ticks = Vec::new();
        let mut last = Instant::now();
        for _ in 0..8 {
            tokio::time::sleep(TICK).await;
            ticks.push(last.elapsed().as_millis());
            last = Instant::now();
        }
        ticks
    });
    let work = tokio::spawn(async move {
        tokio::time::sleep(TICK / 2).await; // que l'horloge ait démarré
        if blocking {
            std::thread::sleep(WORK); // le thread entier s'arrête
        } else {
            tokio::time::sleep(WORK).await; // la tâche rend la main
        }
    });
    let _ = work.await;
    clock.await.unwrap_or_default()
}
// ANCHOR_END: run
