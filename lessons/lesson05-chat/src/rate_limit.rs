//! Les limites de vitesse : combien de lignes un client peut envoyer, et combien
//! d'essais de mot de passe `/oper` il peut tenter.
//!
//! Aucune ne jette quoi que ce soit : quand un client va trop vite, le serveur cesse
//! simplement de LIRE sa socket jusqu'à l'heure dite. Ses octets attendent dans le
//! tampon de réception du noyau ; quand ce tampon est plein, TCP annonce une fenêtre
//! nulle et c'est le programme du client qui attend dans son `send`. C'est la
//! contre-pression : le trop rapide ralentit, rien n'est perdu, et les autres ne
//! remarquent rien.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// Limite de débit (« seau à jetons ») : le seau contient au plus `capacity` jetons
/// et se remplit de `per_second` jetons par seconde ; chaque ligne reçue en coûte un,
/// quelle qu'elle soit (un message, une commande, une ligne trop longue ou invalide :
/// les réponses d'erreur sont donc bornées elles aussi). On peut coller d'un coup une
/// rafale d'une seconde ; au-delà, chaque ligne attend son jeton.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `per_second` lignes par seconde, par rafales d'une seconde ; 0 : pas de
    /// limite.
    pub(crate) fn per_second(per_second: u32, now: Instant) -> TokenBucket {
        TokenBucket::new(f64::from(per_second), f64::from(per_second), now)
    }

    /// Un seau de `capacity` jetons qui se remplit de `per_second` jetons par
    /// seconde.
    pub(crate) fn new(capacity: f64, per_second: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            capacity,
            per_second,
            tokens: capacity,
            last: now,
        }
    }

    /// Prend un jeton s'il y en a un ; sinon, renvoie l'instant où il y en aura un.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Instant> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let refill =
            now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        // La marge d'un milliardième absorbe les arrondis des calculs en virgule
        // flottante : à l'heure annoncée par `Err`, le jeton est bien là.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            return Ok(());
        }
        Err(now + Duration::from_secs_f64((1.0 - self.tokens) / self.per_second))
    }

    /// Vrai si le seau est plein : il ne retient plus rien du passé.
    pub(crate) fn is_full(&self, now: Instant) -> bool {
        let refill =
            now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.per_second <= 0.0 || self.tokens + refill >= self.capacity
    }
}
// ANCHOR_END: token_bucket

// ANCHOR: oper_guard
/// Essais manqués avant que `/oper` soit bloqué pour toute une adresse.
pub(crate) const OPER_MAX_FAILURES: u32 = 5;

/// Durée du blocage de `/oper` pour une adresse, après trop d'échecs.
pub(crate) const OPER_LOCKOUT: Duration = Duration::from_secs(10 * 60);

/// Les échecs de `/oper` depuis une adresse.
///
/// Sans limite, un script essaie des dizaines de milliers de mots de passe par
/// seconde. Après chaque échec, la connexion n'est plus lue pendant un délai qui
/// double (1 s, 2 s, 4 s…) ; après [`OPER_MAX_FAILURES`] échecs depuis la même
/// adresse (toutes connexions confondues, sinon il suffirait d'en ouvrir d'autres),
/// `/oper` y est refusé pendant [`OPER_LOCKOUT`]. Il faudrait alors des siècles pour
/// deviner un mot de passe de dix caractères.
#[derive(Debug, Default)]
pub(crate) struct OperGuard {
    failures: u32,
    locked_until: Option<Instant>,
}

/// Ce que devient un essai de `/oper`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OperAttempt {
    /// L'adresse est bloquée : on ne vérifie même pas le mot de passe.
    Locked { remaining: Duration },
    /// On peut vérifier le mot de passe.
    Allowed,
}

impl OperGuard {
    pub(crate) fn check(&mut self, now: Instant) -> OperAttempt {
        match self.locked_until {
            Some(until) if until > now => OperAttempt::Locked {
                remaining: until - now,
            },
            Some(_) => {
                // Le blocage est fini : on repart de zéro.
                *self = OperGuard::default();
                OperAttempt::Allowed
            }
            None => OperAttempt::Allowed,
        }
    }

    /// Enregistre un échec ; renvoie le délai de pénalité de la connexion, et si
    /// l'adresse vient d'être bloquée.
    pub(crate) fn fail(&mut self, now: Instant) -> (Duration, bool) {
        self.failures += 1;
        let penalty = Duration::from_secs(1 << (self.failures - 1).min(5));
        if self.failures >= OPER_MAX_FAILURES {
            self.locked_until = Some(now + OPER_LOCKOUT);
            return (penalty, true);
        }
        (penalty, false)
    }

    /// Vrai si cet état n'a plus rien à retenir (on peut l'oublier).
    pub(crate) fn is_clear(&self, now: Instant) -> bool {
        self.failures == 0 || self.locked_until.is_some_and(|until| until <= now)
    }
}
// ANCHOR_END: oper_guard

// ANCHOR: log_throttle
/// Limite un message de journal à une ligne par seconde. Sans cela, un client qui
/// provoque une erreur en boucle (mauvais mot de passe, connexion refusée) remplirait
/// le disque du serveur de journaux : ce serait une autre façon de le faire tomber.
#[derive(Debug, Default)]
pub(crate) struct LogThrottle {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogThrottle {
    /// `Some(n)` s'il faut journaliser maintenant (`n` : combien de fois on s'est tu
    /// depuis la dernière ligne), `None` s'il faut se taire.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|last| {
            now.saturating_duration_since(last) < Duration::from_secs(1)
        }) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}
// ANCHOR_END: log_throttle

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_seau_laisse_passer_une_rafale_puis_fait_attendre() {
        let start = Instant::now();
        let mut bucket = TokenBucket::per_second(3, start);
        assert!(
            (0..3).all(|_| bucket.take(start).is_ok()),
            "une rafale d'une seconde"
        );
        let ready = bucket.take(start).expect_err("le quatrième attend");
        let wait = ready - start;
        assert!(
            wait > Duration::from_millis(330) && wait < Duration::from_millis(340),
            "{wait:?}"
        );
        assert!(
            bucket.take(ready).is_ok(),
            "à l'heure dite, un jeton est revenu"
        );
        let mut unlimited = TokenBucket::per_second(0, start);
        assert!((0..1000).all(|_| unlimited.take(start).is_ok()));
    }

    #[test]
    fn le_journal_se_tait_puis_dit_combien_il_a_tu() {
        let now = Instant::now();
        let mut throttle = LogThrottle::default();
        assert_eq!(throttle.allow(now), Some(0));
        assert_eq!(throttle.allow(now), None);
        assert_eq!(throttle.allow(now), None);
        assert_eq!(throttle.allow(now + Duration::from_secs(1)), Some(2));
    }

    #[test]
    fn les_echecs_d_oper_doublent_le_delai_puis_bloquent_l_adresse() {
        let now = Instant::now();
        let mut guard = OperGuard::default();
        let penalties: Vec<_> = (0..4).map(|_| guard.fail(now)).collect();
        let secs: Vec<u64> =
            penalties.iter().map(|(delay, _)| delay.as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8]);
        assert!(penalties.iter().all(|(_, locked)| !locked));
        assert_eq!(guard.check(now), OperAttempt::Allowed);
        assert!(guard.fail(now).1, "le cinquième échec bloque l'adresse");
        assert!(matches!(guard.check(now), OperAttempt::Locked { .. }));
        assert!(!guard.is_clear(now));
        let later = now + OPER_LOCKOUT;
        assert!(guard.is_clear(later));
        assert_eq!(
            guard.check(later),
            OperAttempt::Allowed,
            "le blocage a une fin"
        );
    }
}
