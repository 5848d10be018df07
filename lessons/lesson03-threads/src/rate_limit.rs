//! Le seau à jetons : au plus N lignes par seconde et par client, sans jamais en
//! perdre une.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// Un seau de `rate` jetons au plus, rempli de `rate` jetons par seconde. Chaque
/// ligne lue en coûte un. Seau vide : le lecteur attend qu'un jeton revienne AVANT de
/// lire la ligne suivante. Pendant ce temps, personne ne lit la socket : ses tampons
/// se remplissent, la fenêtre TCP se ferme, et c'est le programme du client qui
/// attend dans son `write`. C'est le contrôle de flux de TCP qui ralentit le bavard ;
/// aucune ligne n'est jetée.
///
/// Un seau plein permet une rafale de `rate` lignes d'un coup (un copier-coller),
/// puis le rythme moyen est tenu.
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last_refill: Instant,
}

impl TokenBucket {
    /// `rate` lignes par seconde, en rafale de `rate` au plus. `rate` est strictement
    /// positif.
    pub fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        TokenBucket {
            rate,
            tokens: rate,
            last_refill: Instant::now(),
        }
    }

    /// Prend le jeton d'une ligne. Renvoie le temps à attendre avant de la lire :
    /// zéro s'il restait un jeton.
    pub fn take(&mut self) -> Duration {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last_refill).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.last_refill = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // Le jeton emprunté sera rendu par le remplissage pendant l'attente.
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}
// ANCHOR_END: token_bucket
