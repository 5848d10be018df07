//! Ce que fait chaque commande d'un inscrit (les extensions du document 04, § 2.3 : MSG,
//! NICK, WHO, QUIT, KILL, notifications, commande invalide).
//!
//! Chaque fonction prend le verrou, fait son travail sans jamais attendre, et le rend : aucune
//! n'est `async`. Celles qui agissent sur les autres vérifient d'abord que le client est
//! toujours inscrit : il a pu être expulsé pendant que ses dernières lignes arrivaient.

use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::{End, Session, State, User, history_block};
use crate::history::Entry;
use crate::protocol::{
    Command, HELP, nick_key, notice, parse_line, private_line, public_line, sanitize, validate_nick,
};

// ANCHOR: handle_line
impl Session {
    /// Traite une ligne d'un inscrit. `Err` termine la connexion.
    pub(super) fn handle_line(&mut self, line: &str) -> Result<(), End> {
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => return Ok(()), // ligne vide : ignorée
            // Commande inconnue ou mal formée : la réponse ne va qu'à son auteur.
            Err(err) => return self.reply(notice(&err.to_string())),
        };
        if let Command::Quit(reason) = command {
            return Err(End::Quit(
                reason.map(|reason| sanitize(reason).into_owned()),
            ));
        }
        if !self.rate.allow() {
            let max = self.shared.config.max_rate;
            return self.reply(notice(&format!(
                "Doucement ! Au plus {max} lignes par seconde : celle-ci est ignorée."
            )));
        }
        match command {
            Command::Say(text) => self.say(text),
            Command::Msg { to, text } => self.private(to, text),
            Command::Nick(new) => self.rename(new),
            Command::Who => self.who(),
            Command::History(count) => self.history(count),
            Command::Help => self.reply(HELP.to_owned()),
            Command::Oper(password) => self.oper(password),
            Command::Kill { target, reason } => self.kill(target, reason),
            Command::Quit(_) => Ok(()), // déjà traité plus haut
        }
    }

    /// Vérifie que ce client est toujours inscrit et rend sa fiche.
    fn me<'s>(&self, state: &'s mut State) -> Result<&'s mut User, End> {
        match state.users.get_mut(&nick_key(self.nick())) {
            Some(user) if user.id == self.id => Ok(user),
            _ => Err(End::Cancelled),
        }
    }
}
// ANCHOR_END: handle_line

// ANCHOR: say
impl Session {
    /// Un message public : à tous les autres, et dans l'historique.
    fn say(&mut self, text: &str) -> Result<(), End> {
        let text = sanitize(text);
        let nick = self.nick();
        // C'est le SERVEUR qui écrit le pseudo devant le texte : un client ne peut pas
        // parler au nom d'un autre (le serveur du document 04, § 2.1, relaie les octets bruts,
        // sans dire de qui ils viennent).
        let line: Arc<str> = public_line(nick, &text).into();
        debug!("{nick}: {text}");
        let mut state = self.shared.lock();
        self.me(&mut state)?;
        state.history.push(Entry::now(nick, &text));
        state.broadcast(&line, Some(self.id));
        Ok(())
    }

    /// `/msg PSEUDO TEXTE` : à une seule personne, jamais dans l'historique.
    fn private(&mut self, to: &str, text: &str) -> Result<(), End> {
        let line = private_line(self.nick(), &sanitize(text));
        let mut state = self.shared.lock();
        self.me(&mut state)?;
        let key = nick_key(to);
        if !state.users.contains_key(&key) {
            drop(state);
            return self.reply(unknown_nick(to));
        }
        debug!("message privé de {} à {to}", self.nick());
        state.send_to(&key, line);
        Ok(())
    }
}

fn unknown_nick(nick: &str) -> String {
    notice(&format!(
        "Personne ne s'appelle « {} » ici. /who donne la liste.",
        sanitize(nick)
    ))
}
// ANCHOR_END: say

// ANCHOR: nick_who
impl Session {
    /// `/nick NOUVEAU` : renomme le client et prévient tout le monde, lui compris.
    fn rename(&mut self, new: &str) -> Result<(), End> {
        if let Err(err) = validate_nick(new) {
            return self.reply(notice(&format!("Pseudo refusé : {err}.")));
        }
        let old = self.nick().to_owned();
        if new == old {
            return self.reply(notice(&format!("Vous vous appelez déjà {old}.")));
        }
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        self.me(&mut state)?;
        let (old_key, new_key) = (nick_key(&old), nick_key(new));
        // « alice » → « Alice » garde la même clé : ce n'est pas une collision.
        if new_key != old_key && state.users.contains_key(&new_key) {
            drop(state);
            return self.reply(notice(&format!(
                "Le pseudo {new} est déjà pris : choisissez-en un autre."
            )));
        }
        if let Some(mut user) = state.users.remove(&old_key) {
            user.nick = new.to_owned();
            state.users.insert(new_key, user);
        }
        info!("{old} s'appelle désormais {new}");
        let renamed = notice(&format!("{old} s'appelle désormais {new}."));
        state.broadcast(&renamed.into(), None);
        self.nick = Some(new.to_owned());
        Ok(())
    }

    /// `/who` : les inscrits, par ordre alphabétique.
    fn who(&mut self) -> Result<(), End> {
        let state = self.shared.lock();
        let mut users: Vec<(&String, &User)> = state.users.iter().collect();
        users.sort_unstable_by_key(|(key, _)| *key);
        let nicks: Vec<&str> = users.iter().map(|(_, user)| user.nick.as_str()).collect();
        let list = notice(&format!(
            "Connectés ({}) : {}",
            nicks.len(),
            nicks.join(", ")
        ));
        drop(state);
        self.reply(list)
    }

    /// `/history [N]` : les N derniers messages publics gardés (tous sans N).
    fn history(&mut self, count: Option<usize>) -> Result<(), End> {
        let state = self.shared.lock();
        let block = if state.history.is_empty() {
            notice("L'historique est vide.")
        } else {
            history_block(&state.history, count)
        };
        drop(state);
        self.reply(block)
    }
}
// ANCHOR_END: nick_who

// ANCHOR: oper_kill
impl Session {
    /// `/oper MOT_DE_PASSE` : devient opérateur si le mot de passe est le bon.
    fn oper(&mut self, password: &str) -> Result<(), End> {
        let Some(expected) = &self.shared.config.oper_password else {
            return self.reply(notice(
                "Aucun mot de passe d'opérateur n'est configuré sur ce serveur : /oper et /kill sont désactivés.",
            ));
        };
        if !same_secret(password, expected) {
            warn!(
                "{} ({}) : mauvais mot de passe pour /oper",
                self.nick(),
                self.peer
            );
            return self.reply(notice("Mot de passe incorrect."));
        }
        let shared = Arc::clone(&self.shared);
        self.me(&mut shared.lock())?.operator = true;
        info!("{} est maintenant opérateur", self.nick());
        self.reply(notice(
            "Vous êtes maintenant opérateur : /kill est à votre disposition.",
        ))
    }

    /// `/kill PSEUDO [raison]` : un opérateur déconnecte quelqu'un.
    fn kill(&mut self, target: &str, reason: Option<&str>) -> Result<(), End> {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        if !self.me(&mut state)?.operator {
            drop(state);
            return self.reply(notice(
                "Permission refusée : seuls les opérateurs peuvent utiliser /kill (voir /oper).",
            ));
        }
        let Some(victim) = state.users.remove(&nick_key(target)) else {
            drop(state);
            return self.reply(unknown_nick(target));
        };
        let reason = sanitize(reason.unwrap_or("sans raison")).into_owned();
        let me = self.nick();
        let told = notice(&format!("Vous avez été expulsé(e) par {me} : {reason}."));
        let _ = victim.outgoing.try_send(told.into()); // sa file pleine ? il part quand même
        victim.cancel.cancel();
        info!("{me} expulse {} ({reason})", victim.nick);
        let text = format!("{} a été expulsé(e) par {me} ({reason}).", victim.nick);
        state.broadcast(&notice(&text).into(), None);
        Ok(())
    }
}

/// Compare deux secrets en temps constant : une comparaison ordinaire s'arrête au premier
/// octet différent, et le temps de réponse dirait alors combien de caractères sont justes.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    let mut difference = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ given.get(index).copied().unwrap_or(0));
    }
    difference == 0
}
// ANCHOR_END: oper_kill

// ANCHOR: rate_limit
/// Limite de débit par client (« seau à jetons ») : le seau se remplit de `per_second`
/// jetons par seconde, jusqu'à `per_second` ; chaque ligne en coûte un. On peut donc coller
/// d'un coup une rafale d'une seconde, mais pas inonder le salon avec `yes | nc`.
pub(super) struct RateLimit {
    per_second: u32,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    /// `per_second == 0` : pas de limite.
    pub(super) fn new(per_second: u32) -> RateLimit {
        RateLimit {
            per_second,
            tokens: f64::from(per_second),
            last: Instant::now(),
        }
    }

    /// Vrai si une ligne de plus est permise maintenant.
    fn allow(&mut self) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let now = Instant::now();
        let rate = f64::from(self.per_second);
        let refill = now.duration_since(self.last).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate);
        self.last = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}
// ANCHOR_END: rate_limit

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn la_comparaison_des_secrets() {
        assert!(same_secret("sésame", "sésame"));
        assert!(!same_secret("sésam", "sésame"));
        assert!(!same_secret("sésame!", "sésame"));
        assert!(!same_secret("", "x"));
    }

    #[test]
    fn le_seau_laisse_passer_une_rafale_puis_refuse() {
        let mut rate = RateLimit::new(3);
        let allowed = (0..10).filter(|_| rate.allow()).count();
        assert_eq!(allowed, 3, "une rafale d'une seconde au plus");
        let mut unlimited = RateLimit::new(0);
        assert!((0..1000).all(|_| unlimited.allow()));
    }
}
