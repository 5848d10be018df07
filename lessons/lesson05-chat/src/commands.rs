//! Ce que fait chaque commande d'un inscrit (les extensions du document 04, § 2.3 :
//! MSG, NICK, WHO, QUIT, KILL, notifications, commande invalide).
//!
//! Chaque fonction prend le verrou, fait son travail sans jamais attendre, et le
//! rend : aucune n'est `async`. Celles qui agissent sur les autres vérifient d'abord
//! que le client est toujours inscrit : il a pu être expulsé pendant que ses
//! dernières lignes arrivaient.

use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, info, warn};

use crate::connection::End;
use crate::history::Entry;
use crate::protocol::{
    self, Command, HELP, clean, nick_key, parse_line, private_line, public_line,
    validate_nick,
};
use crate::rate_limit::{OperAttempt, same_secret};
use crate::session::{Session, history_block};
use crate::state::{State, User};

// ANCHOR: handle_command
impl Session {
    /// Traite une ligne d'un inscrit. `Err` termine la connexion.
    pub(crate) fn handle_command(&mut self, line: &str) -> Result<(), End> {
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => return Ok(()), // ligne vide : ignorée
            // Commande inconnue ou mal formée : la réponse ne va qu'à son auteur.
            Err(err) => return self.reply(protocol::command_error(&err)),
        };
        match command {
            Command::Say(text) => self.say(text),
            Command::Msg { to, text } => self.private(to, text),
            Command::Nick(new) => self.rename(new),
            Command::Who => self.who(),
            Command::History(count) => self.history(count),
            Command::Help => self.reply(HELP.to_owned()),
            Command::Oper(password) => self.oper(password),
            Command::Kill { target, reason } => self.kill(target, reason),
            Command::Quit(reason) => {
                Err(End::Quit(reason.map(clean).filter(|r| !r.is_empty())))
            }
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
// ANCHOR_END: handle_command

// ANCHOR: say
impl Session {
    /// Un message public : à tous les autres, et dans l'historique.
    fn say(&mut self, text: &str) -> Result<(), End> {
        let text = clean(text);
        if text.is_empty() {
            // que des blancs (ou des caractères neutralisés puis réduits)
            return Ok(());
        }
        let nick = self.nick();
        // C'est le SERVEUR qui écrit le pseudo devant le texte : un client ne peut
        // pas parler au nom d'un autre (le serveur du document 04, § 2.1,
        // relaie les octets bruts, sans dire de qui ils viennent).
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
        let text = clean(text);
        if text.is_empty() {
            return Ok(());
        }
        let line = private_line(self.nick(), &text);
        let mut state = self.shared.lock();
        self.me(&mut state)?;
        let key = nick_key(to);
        if !state.users.contains_key(&key) {
            drop(state);
            return self.reply(protocol::unknown_nick(&clean(to)));
        }
        debug!("message privé de {} à {to}", self.nick());
        state.send_to(&key, line);
        Ok(())
    }
}
// ANCHOR_END: say

// ANCHOR: nick_who
impl Session {
    /// `/nick NOUVEAU` : renomme le client et prévient tout le monde, lui compris.
    fn rename(&mut self, new: &str) -> Result<(), End> {
        if let Err(err) = validate_nick(new) {
            return self.reply(protocol::nick_refused(&err));
        }
        let old = self.nick().to_owned();
        if new == old {
            return self.reply(protocol::already_named(&old));
        }
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        self.me(&mut state)?;
        let (old_key, new_key) = (nick_key(&old), nick_key(new));
        // « alice » → « Alice » garde la même clé : ce n'est pas une collision.
        if new_key != old_key && state.users.contains_key(&new_key) {
            drop(state);
            return self.reply(protocol::nick_taken(new));
        }
        if let Some(mut user) = state.users.remove(&old_key) {
            user.nick = new.to_owned();
            state.users.insert(new_key, user);
        }
        info!("{old} s'appelle désormais {new}");
        state.broadcast(&protocol::renamed(&old, new).into(), None);
        self.nick = Some(new.to_owned());
        Ok(())
    }

    /// `/who` : les inscrits, par ordre alphabétique.
    fn who(&mut self) -> Result<(), End> {
        let state = self.shared.lock();
        let mut users: Vec<(&String, &User)> = state.users.iter().collect();
        users.sort_unstable_by_key(|(key, _)| *key);
        let nicks: Vec<&str> =
            users.iter().map(|(_, user)| user.nick.as_str()).collect();
        let list = protocol::who_list(&nicks);
        drop(state);
        self.reply(list)
    }

    /// `/history [N]` : les N derniers messages publics gardés (tous sans N).
    fn history(&mut self, count: Option<usize>) -> Result<(), End> {
        let state = self.shared.lock();
        let block = if state.history.is_empty() {
            protocol::history_empty()
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
    ///
    /// Chaque échec coûte de plus en plus cher, et trop d'échecs bloquent l'adresse
    /// (voir `OperGuard`). Le journal n'en garde qu'une ligne par seconde, et
    /// jamais le mot de passe essayé : un journal est souvent lisible par plus de
    /// monde que le serveur.
    fn oper(&mut self, password: &str) -> Result<(), End> {
        let Some(expected) = self.shared.config.oper_password.clone() else {
            return self.reply(protocol::oper_disabled());
        };
        let now = Instant::now();
        let shared = Arc::clone(&self.shared);
        let is_right = || same_secret(password, &expected);
        let (penalty, locked) =
            match shared
                .connections
                .doorman
                .try_oper(self.peer.ip(), now, is_right)
            {
                OperAttempt::Granted => (None, false),
                OperAttempt::Locked { remaining } => {
                    let wait =
                        protocol::french_duration(round_up_to_minute(remaining));
                    return self.reply(protocol::oper_locked(&wait));
                }
                OperAttempt::Wrong { penalty, locked } => (Some(penalty), locked),
            };
        if let Some(penalty) = penalty {
            if let Some(suppressed) = shared
                .oper_log
                .lock()
                .map_or(None, |mut log| log.allow(now))
            {
                warn!(
                    "{} ({}) : mauvais mot de passe pour /oper{}{}",
                    self.nick(),
                    self.peer,
                    if locked { ", adresse bloquée" } else { "" },
                    match suppressed {
                        0 => String::new(),
                        n => format!(
                            " ({n} autres échecs tus depuis la dernière ligne)"
                        ),
                    }
                );
            }
            // La connexion n'est plus lue pendant la pénalité : pas d'autre essai
            // avant.
            self.pace
                .pause_until(tokio::time::Instant::from_std(now + penalty));
            let wait = protocol::french_duration(penalty);
            return self.reply(protocol::oper_wrong(&wait));
        }
        self.me(&mut shared.lock())?.operator = true;
        info!("{} est maintenant opérateur", self.nick());
        self.reply(protocol::oper_granted())
    }

    /// `/kill PSEUDO [raison]` : un opérateur déconnecte quelqu'un.
    fn kill(&mut self, target: &str, reason: Option<&str>) -> Result<(), End> {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        if !self.me(&mut state)?.operator {
            drop(state);
            return self.reply(protocol::kill_refused());
        }
        let Some(victim) = state.users.remove(&nick_key(target)) else {
            drop(state);
            return self.reply(protocol::unknown_nick(&clean(target)));
        };
        let reason = clean(reason.unwrap_or("sans raison"));
        let me = self.nick();
        // Sa file déborde ? Il part quand même, sans l'explication.
        let _ = victim.outbox.push(&protocol::kicked(me, &reason).into());
        victim.cancel.cancel();
        info!("{me} expulse {} ({reason})", victim.nick);
        let why = protocol::Departure::Killed {
            by: me.to_owned(),
            reason,
        };
        state.broadcast(&protocol::departure(&victim.nick, &why).into(), None);
        Ok(())
    }
}

/// « 10 min » plutôt que « 587 s ».
fn round_up_to_minute(delay: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_secs(delay.as_secs().div_ceil(60).max(1) * 60)
}

// ANCHOR_END: oper_kill

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
}
