//! Les limites de vitesse : combien de commandes un client peut envoyer, et combien
//! d'essais de mot de passe `OPER` il peut tenter.
//!
//! Aucune ne jette quoi que ce soit : quand un client va trop vite, le serveur cesse
//! simplement de LIRE sa socket jusqu'à l'heure dite. Ses octets attendent dans le
//! tampon de réception du noyau ; quand ce tampon est plein, TCP annonce une fenêtre
//! nulle et c'est le programme du client qui attend dans son `send`. C'est la
//! contre-pression de la leçon 05, et celle des serveurs IRC depuis 1990 : ircd
//! ajoute une « pénalité » de quelques secondes à chaque commande et ne lit plus le
//! client tant que son compteur dépasse l'heure présente de dix secondes.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// Limite de débit (« seau à jetons ») : le seau contient au plus `capacity` jetons
/// et se remplit de `per_second` jetons par seconde ; chaque commande en coûte au
/// moins un (voir `penalty` dans `session.rs`). On peut coller d'un coup une rafale
/// d'une seconde ; au-delà, chaque commande attend ses jetons.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `per_second` jetons par seconde, par rafales d'une seconde ; 0 : pas de
    /// limite.
    pub(crate) fn per_second(per_second: u32, now: Instant) -> TokenBucket {
        let rate = f64::from(per_second);
        TokenBucket {
            capacity: rate,
            per_second: rate,
            tokens: rate,
            last: now,
        }
    }

    /// Prend `cost` jetons s'il y en a assez ; sinon, renvoie l'instant où il y en
    /// aura assez. Un coût plus grand que le seau ne peut jamais passer : il est
    /// ramené à la taille du seau.
    pub(crate) fn take(&mut self, cost: u32, now: Instant) -> Result<(), Instant> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let cost = f64::from(cost).min(self.capacity);
        let refill =
            now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        // La marge d'un milliardième absorbe les arrondis : à l'heure annoncée par
        // `Err`, les jetons sont bien là.
        if self.tokens >= cost - 1e-9 {
            self.tokens = (self.tokens - cost).max(0.0);
            return Ok(());
        }
        let wait = (cost - self.tokens) / self.per_second;
        Err(now + Duration::from_secs_f64(wait))
    }
}
// ANCHOR_END: token_bucket

// ANCHOR: oper_guard
/// Essais manqués avant que `OPER` soit bloqué pour toute une adresse.
pub(crate) const OPER_MAX_FAILURES: u32 = 5;

/// Durée du blocage de `OPER` pour une adresse, après trop d'échecs.
pub(crate) const OPER_LOCKOUT: Duration = Duration::from_secs(10 * 60);

/// Les échecs de `OPER` depuis une adresse (la même règle que `/oper` à la leçon
/// 05).
///
/// Après chaque échec, la connexion n'est plus lue pendant un délai qui double (1 s,
/// 2 s, 4 s…) ; après [`OPER_MAX_FAILURES`] échecs depuis la même adresse (toutes
/// connexions confondues, sinon il suffirait d'en ouvrir d'autres), `OPER` y est
/// refusé pendant [`OPER_LOCKOUT`].
#[derive(Debug, Default)]
pub(crate) struct OperGuard {
    failures: u32,
    locked_until: Option<Instant>,
}

impl OperGuard {
    /// `Some(reste)` si l'adresse est bloquée : on ne vérifie même pas le mot de
    /// passe.
    pub(crate) fn locked(&mut self, now: Instant) -> Option<Duration> {
        match self.locked_until {
            Some(until) if until > now => Some(until - now),
            Some(_) => {
                *self = OperGuard::default(); // le blocage est fini
                None
            }
            None => None,
        }
    }

    /// Enregistre un échec ; renvoie le délai de pénalité de la connexion.
    pub(crate) fn fail(&mut self, now: Instant) -> Duration {
        self.failures += 1;
        if self.failures >= OPER_MAX_FAILURES {
            self.locked_until = Some(now + OPER_LOCKOUT);
        }
        Duration::from_secs(1 << (self.failures - 1).min(5))
    }

    /// Vrai s'il n'y a plus rien à retenir (on peut oublier l'adresse).
    pub(crate) fn is_clear(&self, now: Instant) -> bool {
        self.failures == 0 || self.locked_until.is_some_and(|until| until <= now)
    }
}
// ANCHOR_END: oper_guard

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_seau_laisse_passer_une_rafale_puis_fait_attendre() {
        let start = Instant::now();
        let mut bucket = TokenBucket::per_second(4, start);
        assert!(bucket.take(3, start).is_ok(), "une rafale d'une seconde");
        let ready = bucket.take(2, start).expect_err("il manque un jeton");
        let wait = ready - start;
        assert!(wait > Duration::from_millis(240), "{wait:?}");
        assert!(wait < Duration::from_millis(260), "{wait:?}");
        assert!(bucket.take(2, ready).is_ok(), "à l'heure dite, c'est bon");
        assert!(
            bucket.take(100, ready + Duration::from_secs(1)).is_ok(),
            "un coût plus grand que le seau passe quand le seau est plein"
        );
        let mut unlimited = TokenBucket::per_second(0, start);
        assert!((0..1000).all(|_| unlimited.take(5, start).is_ok()));
    }

    #[test]
    fn les_echecs_d_oper_doublent_le_delai_puis_bloquent_l_adresse() {
        let now = Instant::now();
        let mut guard = OperGuard::default();
        let secs: Vec<u64> = (0..4).map(|_| guard.fail(now).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8]);
        assert_eq!(guard.locked(now), None);
        guard.fail(now);
        assert!(guard.locked(now).is_some(), "le cinquième échec bloque");
        assert_eq!(
            guard.locked(now + OPER_LOCKOUT),
            None,
            "le blocage a une fin"
        );
    }
}
