//! Le seau à jetons : au plus N lignes par seconde et par client, avec une réserve de
//! N.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// Un seau qui se remplit tout seul de `rate` jetons par seconde, sans jamais
/// dépasser `capacity`. Chaque ligne reçue en prend un. Un client calme a toujours le
/// seau plein et peut envoyer d'un coup `capacity` lignes (un copier-coller) ; un
/// client qui envoie sans arrêt est ramené à `rate` lignes par seconde.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    /// Dernière mise à jour de `tokens`.
    updated: Instant,
}

impl TokenBucket {
    /// Un seau plein, qui rend `rate` jetons par seconde (`rate` > 0).
    pub(crate) fn new(rate: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            rate: f64::from(rate),
            capacity: f64::from(rate),
            tokens: f64::from(rate),
            updated: now,
        }
    }

    /// Prend un jeton s'il y en a un. Sinon, renvoie `Err(instant)` : le moment où le
    /// prochain jeton sera là, pour savoir quand recommencer à lire ce client.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Instant> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = (1.0 - self.tokens) / self.rate;
            Err(now + Duration::from_secs_f64(missing))
        }
    }
}
// ANCHOR_END: token_bucket
