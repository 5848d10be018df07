//! Les limites de vitesse : combien de lignes un client peut envoyer, et combien
//! d'essais de mot de passe `/oper` il peut tenter.
//!
//! Aucune ne jette quoi que ce soit : quand un client va trop vite, le serveur cesse
//! simplement de LIRE sa socket jusqu'à l'heure dite. Ses octets attendent dans le
//! tampon de réception du noyau ; quand ce tampon est plein, TCP annonce une fenêtre
//! nulle et c'est le programme du client qui attend dans son `send`. C'est la
//! contre-pression : le trop rapide ralentit, rien n'est perdu, et les autres ne
//! remarquent rien.
//!
//! Le module est public : la leçon 07 (IRC) emprunte ces deux limites.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// Limite de débit (« seau à jetons ») : le seau contient au plus `capacity` jetons
/// et se remplit de `per_second` jetons par seconde ; chaque ligne reçue en coûte un,
/// quelle qu'elle soit (un message, une commande, une ligne trop longue ou invalide :
/// les réponses d'erreur sont donc bornées elles aussi). On peut coller d'un coup une
/// rafale d'une seconde ; au-delà, chaque ligne attend son jeton.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `per_second` lignes par seconde, par rafales d'une seconde ; 0 : pas de
    /// limite.
    pub fn per_second(per_second: u32, now: Instant) -> TokenBucket {
        TokenBucket::new(f64::from(per_second), f64::from(per_second), now)
    }

    /// Un seau de `capacity` jetons qui se remplit de `per_second` jetons par
    /// seconde.
    pub fn new(capacity: f64, per_second: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            capacity,
            per_second,
            tokens: capacity,
            last: now,
        }
    }

    /// Prend un jeton s'il y en a un ; sinon, renvoie l'instant où il y en aura un.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
        self.take_many(1, now)
    }

    /// Prend `cost` jetons d'un coup (les commandes coûteuses d'IRC, leçon 07). Un
    /// coût plus grand que le seau ne pourrait jamais passer : il est ramené à la
    /// taille du seau.
    pub fn take_many(&mut self, cost: u32, now: Instant) -> Result<(), Instant> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let cost = f64::from(cost).min(self.capacity);
        let refill =
            now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        // La marge d'un milliardième absorbe les arrondis des calculs en virgule
        // flottante : à l'heure annoncée par `Err`, les jetons sont bien là.
        if self.tokens >= cost - 1e-9 {
            self.tokens = (self.tokens - cost).max(0.0);
            return Ok(());
        }
        Err(now + Duration::from_secs_f64((cost - self.tokens) / self.per_second))
    }

    /// Vrai si le seau est plein : il ne retient plus rien du passé.
    pub fn is_full(&self, now: Instant) -> bool {
        let refill =
            now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.per_second <= 0.0 || self.tokens + refill >= self.capacity
    }
}
// ANCHOR_END: token_bucket

// ANCHOR: oper_guard
/// Essais manqués avant que `/oper` soit bloqué pour toute une adresse.
pub const OPER_MAX_FAILURES: u32 = 5;

/// Durée du blocage de `/oper` pour une adresse, après trop d'échecs.
pub const OPER_LOCKOUT: Duration = Duration::from_secs(10 * 60);

/// Les échecs de `/oper` depuis une adresse.
///
/// Sans limite, un script essaie des dizaines de milliers de mots de passe par
/// seconde. Après chaque échec, la connexion n'est plus lue pendant un délai qui
/// double (1 s, 2 s, 4 s…) ; après [`OPER_MAX_FAILURES`] échecs depuis la même
/// adresse (toutes connexions confondues, sinon il suffirait d'en ouvrir d'autres),
/// `/oper` y est refusé pendant [`OPER_LOCKOUT`]. Il faudrait alors des siècles pour
/// deviner un mot de passe de dix caractères.
#[derive(Debug, Default)]
pub struct OperGuard {
    failures: u32,
    locked_until: Option<Instant>,
}

/// Ce que devient un essai de `/oper`.
#[derive(Debug, PartialEq, Eq)]
pub enum OperAttempt {
    /// L'adresse est bloquée : on n'a même pas regardé le mot de passe.
    Locked { remaining: Duration },
    /// Mauvais mot de passe : la connexion n'est plus lue pendant `penalty` ;
    /// `locked` : cet échec vient de bloquer l'adresse.
    Wrong { penalty: Duration, locked: bool },
    /// Le bon mot de passe.
    Granted,
}

impl OperGuard {
    /// Un essai : `is_right` (la comparaison du mot de passe) n'est appelé que si
    /// l'adresse n'est pas bloquée.
    pub fn attempt(
        &mut self,
        now: Instant,
        is_right: impl FnOnce() -> bool,
    ) -> OperAttempt {
        if let Some(remaining) = self.locked(now) {
            return OperAttempt::Locked { remaining };
        }
        if is_right() {
            return OperAttempt::Granted;
        }
        let (penalty, locked) = self.fail(now);
        OperAttempt::Wrong { penalty, locked }
    }

    /// `Some(reste)` si l'adresse est bloquée.
    fn locked(&mut self, now: Instant) -> Option<Duration> {
        match self.locked_until {
            Some(until) if until > now => Some(until - now),
            Some(_) => {
                // Le blocage est fini : on repart de zéro.
                *self = OperGuard::default();
                None
            }
            None => None,
        }
    }

    /// Enregistre un échec ; renvoie le délai de pénalité de la connexion, et si
    /// l'adresse vient d'être bloquée.
    fn fail(&mut self, now: Instant) -> (Duration, bool) {
        self.failures += 1;
        let penalty = Duration::from_secs(1 << (self.failures - 1).min(5));
        if self.failures >= OPER_MAX_FAILURES {
            self.locked_until = Some(now + OPER_LOCKOUT);
            return (penalty, true);
        }
        (penalty, false)
    }

    /// Vrai si cet état n'a plus rien à retenir (on peut l'oublier).
    pub fn is_clear(&self, now: Instant) -> bool {
        self.failures == 0 || self.locked_until.is_some_and(|until| until <= now)
    }
}

/// Compare deux secrets en temps constant : une comparaison ordinaire s'arrête au
/// premier octet différent, et le temps de réponse dirait alors combien de caractères
/// sont justes.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    let mut difference = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ given.get(index).copied().unwrap_or(0));
    }
    difference == 0
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
    fn une_commande_couteuse_prend_plusieurs_jetons() {
        let start = Instant::now();
        let mut bucket = TokenBucket::per_second(4, start);
        assert!(
            bucket.take_many(3, start).is_ok(),
            "une rafale d'une seconde"
        );
        let ready = bucket.take_many(2, start).expect_err("il manque un jeton");
        let wait = ready - start;
        assert!(wait > Duration::from_millis(240), "{wait:?}");
        assert!(wait < Duration::from_millis(260), "{wait:?}");
        assert!(
            bucket.take_many(2, ready).is_ok(),
            "à l'heure dite, c'est bon"
        );
        assert!(
            bucket
                .take_many(100, ready + Duration::from_secs(1))
                .is_ok(),
            "un coût plus grand que le seau passe quand le seau est plein"
        );
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
        assert_eq!(guard.locked(now), None);
        assert!(guard.fail(now).1, "le cinquième échec bloque l'adresse");
        assert!(guard.locked(now).is_some());
        assert!(!guard.is_clear(now));
        let later = now + OPER_LOCKOUT;
        assert!(guard.is_clear(later));
        assert_eq!(guard.locked(later), None, "le blocage a une fin");
    }

    #[test]
    fn un_essai_sur_une_adresse_bloquee_ne_regarde_pas_le_mot_de_passe() {
        let now = Instant::now();
        let mut guard = OperGuard::default();
        let wrong = guard.attempt(now, || false);
        let penalty = Duration::from_secs(1);
        assert_eq!(
            wrong,
            OperAttempt::Wrong {
                penalty,
                locked: false
            }
        );
        assert_eq!(guard.attempt(now, || true), OperAttempt::Granted);
        for _ in 0..4 {
            guard.attempt(now, || false);
        }
        let locked = guard.attempt(now, || panic!("mot de passe regardé"));
        assert!(matches!(locked, OperAttempt::Locked { .. }), "{locked:?}");
    }
}
