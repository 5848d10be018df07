//! Ce que l'on retient d'une mesure : des latences dans un histogramme, et où l'on en
//! est.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

// ANCHOR: latencies
/// Des latences, en microsecondes, de 1 µs à une heure, à trois chiffres
/// significatifs.
///
/// Un histogramme HDR range des millions de mesures dans des cases de largeur
/// croissante (0,1 % d'erreur au plus), en quelques dizaines de Kio, et donne
/// n'importe quel centile. Pourquoi des centiles plutôt qu'une moyenne ? Le 99ᵉ
/// centile (p99) est l'attente qu'un message sur cent dépasse ; une moyenne noierait
/// un message bloqué une seconde dans mille.
#[derive(Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3);
        Latencies(histogram.expect("des bornes d'histogramme valides"))
    }
}

impl Latencies {
    /// Au-delà d'une heure, la latence compte pour une heure : elle reste comptée.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(micros.max(1));
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// La latence que ne dépasse pas la fraction `quantile` des mesures (0,99 : le
    /// p99).
    pub fn quantile(&self, quantile: f64) -> Duration {
        Duration::from_micros(self.0.value_at_quantile(quantile))
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(self.0.max())
    }
}
// ANCHOR_END: latencies

/// Où en est une mesure, depuis `start` : lignes envoyées, et ce qui est revenu
/// (échos, livraisons). Le générateur le dit à chaque tour ; la ligne de progression,
/// chaque seconde.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub elapsed: Duration,
    pub sent: u64,
    pub received: u64,
}

impl Progress {
    pub fn since(start: Instant, sent: u64, received: u64) -> Progress {
        let elapsed = start.elapsed();
        Progress {
            elapsed,
            sent,
            received,
        }
    }
}
