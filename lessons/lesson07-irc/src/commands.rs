//! Les commandes qui ne concernent pas un salon en particulier : parler (`PRIVMSG`,
//! `NOTICE`), chercher quelqu'un (`WHO`, `WHOIS`, `ISON`, `USERHOST`), s'absenter
//! (`AWAY`), ses propres modes, l'opérateur (`OPER`, `KILL`), et ce que le serveur
//! dit de lui (`VERSION`, `TIME`).
//!
//! Les commandes de la leçon 05 y retrouvent leur nom IRC : un message public est
//! un `PRIVMSG #salon`, `/msg bob` un `PRIVMSG bob`, `/who` un `WHO` ou un `NAMES`,
//! `/nick` un `NICK`, `/quit` un `QUIT`, `/oper` et `/kill` un `OPER` et un `KILL`.

use std::time::{Instant, SystemTime};

use course_kit::log;
use lesson05_chat::rate_limit::{OperAttempt, same_secret};

use crate::connection::End;
use crate::message::{self, casefold, wildcard_match};
use crate::register::VERSION;
use crate::replies;
use crate::session::Session;
use crate::state::{Member, State, User};

/// Au plus tant de destinataires par `PRIVMSG` (`TARGMAX=PRIVMSG:4`).
const MAX_TARGETS: usize = 4;

/// Longueur maximale d'un message d'absence (`AWAYLEN`).
const AWAYLEN: usize = 200;

// ANCHOR: privmsg
impl Session {
    /// `PRIVMSG cible[,cible] :texte` (ou `NOTICE`) : à un salon ou à un pseudo.
    ///
    /// `NOTICE` ne provoque JAMAIS de réponse automatique, pas même une erreur
    /// (RFC 1459 § 4.4.2) : deux robots qui se répondraient l'un à l'autre par des
    /// notices ne peuvent pas entrer dans une boucle sans fin.
    pub(crate) fn privmsg(
        &mut self,
        params: &[&str],
        notice: bool,
    ) -> Result<(), End> {
        let command = if notice { "NOTICE" } else { "PRIVMSG" };
        let error = |numeric, args: &[&str]| {
            if notice {
                Ok(())
            } else {
                self.numeric(numeric, args)
            }
        };
        let Some(targets) = params.first().filter(|targets| !targets.is_empty())
        else {
            if notice {
                return Ok(());
            }
            return self.reply(
                "411",
                &[],
                &format!("No recipient given ({command})"),
            );
        };
        let Some(text) = params.get(1).filter(|text| !text.is_empty()) else {
            return error(replies::ERR_NOTEXTTOSEND, &[]);
        };
        let text = message::sanitize(text);
        let targets: Vec<&str> =
            targets.split(',').filter(|t| !t.is_empty()).collect();
        if targets.len() > MAX_TARGETS {
            return error(replies::ERR_TOOMANYTARGETS, &[targets[MAX_TARGETS]]);
        }
        let mut state = self.shared.lock();
        let me = state.users.get_mut(&self.id).ok_or(End::Cancelled)?;
        me.last_message = Instant::now();
        let mask = me.mask();
        for target in targets {
            if target.starts_with('#') {
                let Some(channel) = state.channels.get(&casefold(target)) else {
                    error(replies::ERR_NOSUCHCHANNEL, &[&message::sanitize(target)])?;
                    continue;
                };
                let member = channel.members.get(&self.id);
                let outside = channel.modes.no_external && member.is_none();
                let muted = channel.modes.moderated
                    && !member.is_some_and(|member| member.op || member.voice);
                if outside || muted {
                    error(replies::ERR_CANNOTSENDTOCHAN, &[&channel.name])?;
                    continue;
                }
                // Tous les membres sauf l'expéditeur : son client affiche déjà ce
                // qu'il a tapé.
                let line =
                    message::build(&mask, command, &[&channel.name], Some(&text));
                let others: Vec<u64> = channel
                    .members
                    .keys()
                    .copied()
                    .filter(|&id| id != self.id)
                    .collect();
                state.deliver(&others, &line);
            } else {
                let Some(id) = state.find(target) else {
                    error(replies::ERR_NOSUCHNICK, &[&message::sanitize(target)])?;
                    continue;
                };
                let user = &state.users[&id];
                let line = message::build(&mask, command, &[&user.nick], Some(&text));
                if let (Some(away), false) = (&user.away, notice) {
                    self.reply("301", &[&user.nick], away)?;
                }
                state.send(id, &line);
            }
        }
        Ok(())
    }
}
// ANCHOR_END: privmsg

// ANCHOR: who
impl Session {
    /// `WHO masque [o]` : une ligne `352` par personne trouvée, puis `315`.
    /// Le masque est un salon (ses membres) ou des jokers sur le pseudo, le nom,
    /// l'hôte ou le nom réel. Les invisibles (`+i`) n'apparaissent qu'à ceux qui
    /// partagent un salon avec eux.
    pub(crate) fn who(&mut self, params: &[&str]) -> Result<(), End> {
        let mask = params.first().copied().unwrap_or("*");
        let opers_only = params.get(1).is_some_and(|flag| flag.contains('o'));
        let state = self.shared.lock();
        let shown_mask = message::sanitize(mask).into_owned();
        if mask.starts_with('#') {
            if let Some(channel) = state.channels.get(&casefold(mask)) {
                let inside = channel.members.contains_key(&self.id);
                for (id, member) in &channel.members {
                    let Some(user) = state.users.get(id) else {
                        continue;
                    };
                    if (inside || !user.invisible) && (!opers_only || user.oper) {
                        self.who_line(&channel.name, user, Some(*member))?;
                    }
                }
            }
            return self.numeric(replies::RPL_ENDOFWHO, &[&shown_mask]);
        }
        let everyone = mask == "*" || mask == "0";
        let mut users: Vec<&User> = state.users.values().collect();
        users.sort_by_key(|user| user.id);
        for user in users {
            // Un pseudo exact trouve même un invisible : `+i` cache des
            // recherches, pas de ceux qui connaissent déjà le pseudo.
            let named = casefold(mask) == casefold(&user.nick);
            let visible = user.id == self.id
                || named
                || !user.invisible
                || shares(&state, self.id, user);
            let server = &self.shared.config.name;
            let fields = [&user.nick, &user.user, &user.host, &user.realname, server];
            let matches =
                everyone || fields.iter().any(|field| wildcard_match(mask, field));
            if visible && matches && (!opers_only || user.oper) {
                self.who_line("*", user, None)?;
            }
        }
        self.numeric(replies::RPL_ENDOFWHO, &[&shown_mask])
    }

    /// `352 moi #salon nom hôte serveur pseudo H@ :0 nom réel` : `H` présent ou `G`
    /// absent (*gone*), `*` opérateur du serveur, `@`/`+` dans le salon.
    fn who_line(
        &self,
        channel: &str,
        user: &User,
        member: Option<Member>,
    ) -> Result<(), End> {
        let mut flags = String::from(if user.away.is_some() { "G" } else { "H" });
        if user.oper {
            flags.push('*');
        }
        flags.push_str(member.map_or("", Member::prefix));
        let server = &self.shared.config.name;
        let params = [channel, &user.user, &user.host, server, &user.nick, &flags];
        self.reply("352", &params, &format!("0 {}", user.realname))
    }

    /// `WHOIS pseudo` : qui c'est, où il est, depuis quand il ne dit rien.
    pub(crate) fn whois(&mut self, params: &[&str]) -> Result<(), End> {
        // `WHOIS serveur pseudo` existe aussi : le pseudo est alors le dernier.
        let Some(nick) = params.last().filter(|nick| !nick.is_empty()) else {
            return self.numeric(replies::ERR_NONICKNAMEGIVEN, &[]);
        };
        let nick = nick.split(',').next().unwrap_or_default();
        let state = self.shared.lock();
        let Some(user) = state.find(nick).and_then(|id| state.users.get(&id)) else {
            let nick = message::sanitize(nick);
            self.numeric(replies::ERR_NOSUCHNICK, &[&nick])?;
            return self.numeric(replies::RPL_ENDOFWHOIS, &[&nick]);
        };
        let name = &user.nick;
        self.reply("311", &[name, &user.user, &user.host, "*"], &user.realname)?;
        let channels: Vec<String> = user
            .channels
            .iter()
            .filter_map(|key| state.channels.get(key))
            .filter(|channel| self.may_see(channel))
            .map(|channel| {
                let prefix = channel.members.get(&user.id).map_or("", |m| m.prefix());
                format!("{prefix}{}", channel.name)
            })
            .collect();
        if !channels.is_empty() {
            self.reply("319", &[name], &channels.join(" "))?;
        }
        let server = &self.shared.config.name;
        self.reply("312", &[name, server], "Cours « Réseau en Rust », leçon 07")?;
        if let Some(away) = &user.away {
            self.reply("301", &[name], away)?;
        }
        if user.oper {
            self.numeric(replies::RPL_ISOPER, &[name])?;
        }
        let idle = user.last_message.elapsed().as_secs().to_string();
        let signon = user.signon.to_string();
        self.reply("317", &[name, &idle, &signon], "seconds idle, signon time")?;
        self.numeric(replies::RPL_ENDOFWHOIS, &[name])
    }

    /// `ISON a b c` : lesquels sont connectés (les listes d'amis des clients).
    pub(crate) fn ison(&mut self, params: &[&str]) -> Result<(), End> {
        if params.is_empty() {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["ISON"]);
        }
        let state = self.shared.lock();
        let words = params.iter().flat_map(|param| param.split(' ')).take(32);
        let online: Vec<&str> = words
            .filter_map(|nick| state.find(nick).and_then(|id| state.users.get(&id)))
            .map(|user| user.nick.as_str())
            .collect();
        self.reply("303", &[], &online.join(" "))
    }

    /// `USERHOST a b` : `a=+nom@hôte` (`-` s'il est absent, `*` s'il est opérateur).
    pub(crate) fn userhost(&mut self, params: &[&str]) -> Result<(), End> {
        if params.is_empty() {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["USERHOST"]);
        }
        let state = self.shared.lock();
        let found: Vec<String> = params
            .iter()
            .take(5)
            .filter_map(|nick| state.find(nick).and_then(|id| state.users.get(&id)))
            .map(|user| {
                let oper = if user.oper { "*" } else { "" };
                let here = if user.away.is_some() { '-' } else { '+' };
                format!("{}{oper}={here}{}@{}", user.nick, user.user, user.host)
            })
            .collect();
        self.reply("302", &[], &found.join(" "))
    }
}

impl Session {
    /// `WHOWAS pseudo [nombre]` : qui portait ce pseudo, du plus récent au plus
    /// ancien (un nombre nul ou négatif : tous).
    pub(crate) fn whowas(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(nick) = params.first().filter(|nick| !nick.is_empty()) else {
            return self.numeric(replies::ERR_NONICKNAMEGIVEN, &[]);
        };
        let count = params
            .get(1)
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(0);
        let count = usize::try_from(count)
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or(usize::MAX);
        let nick = message::sanitize(nick).into_owned();
        let state = self.shared.lock();
        let key = casefold(&nick);
        let found = state.whowas.iter().filter(|old| casefold(&old.nick) == key);
        let server = &self.shared.config.name;
        let mut any = false;
        for old in found.take(count) {
            any = true;
            self.reply(
                "314",
                &[&old.nick, &old.user, &old.host, "*"],
                &old.realname,
            )?;
            self.reply("312", &[&old.nick, server], "Cours « Réseau en Rust »")?;
        }
        if !any {
            self.reply("406", &[&nick], "There was no such nickname")?;
        }
        self.reply("369", &[&nick], "End of WHOWAS")
    }

    /// `INFO` : quelques lignes sur le logiciel du serveur.
    pub(crate) fn info(&mut self) -> Result<(), End> {
        for line in [
            VERSION,
            "Le serveur IRC de la leçon 07 du cours « Réseau en Rust ».",
            "RFC 1459, RFC 2812 ; ni IRCv3 ni services.",
        ] {
            self.reply("371", &[], line)?;
        }
        self.reply("374", &[], "End of INFO list")
    }
}

/// Vrai si `id` et `user` sont ensemble dans au moins un salon.
fn shares(state: &State, id: u64, user: &User) -> bool {
    user.channels.iter().any(|key| {
        state
            .channels
            .get(key)
            .is_some_and(|channel| channel.members.contains_key(&id))
    })
}
// ANCHOR_END: who

// ANCHOR: away_mode
impl Session {
    /// `AWAY :raison` : absent ; `AWAY` seul : de retour.
    pub(crate) fn away(&mut self, params: &[&str]) -> Result<(), End> {
        let text = params.first().filter(|text| !text.is_empty()).map(|text| {
            let mut text = message::sanitize(text).into_owned();
            message::truncate(&mut text, AWAYLEN);
            text
        });
        let back = text.is_none();
        if let Some(user) = self.shared.lock().users.get_mut(&self.id) {
            user.away = text;
        }
        let reply = if back {
            replies::RPL_UNAWAY
        } else {
            replies::RPL_NOWAWAY
        };
        self.numeric(reply, &[])
    }

    /// `MODE` : d'un salon (`channels.rs`) ou de soi-même (`+i`).
    pub(crate) fn mode(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(target) = params.first().filter(|target| !target.is_empty()) else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["MODE"]);
        };
        if target.starts_with('#') {
            return self.channel_mode(params);
        }
        let mut state = self.shared.lock();
        if casefold(target) != casefold(self.target()) {
            return match state.find(target) {
                Some(_) => self.numeric(replies::ERR_USERSDONTMATCH, &[]),
                None => self
                    .numeric(replies::ERR_NOSUCHNICK, &[&message::sanitize(target)]),
            };
        }
        let user = state.users.get_mut(&self.id).ok_or(End::Cancelled)?;
        let Some(modestring) = params.get(1) else {
            let modes = format!(
                "+{}{}",
                if user.invisible { "i" } else { "" },
                if user.oper { "o" } else { "" }
            );
            return self.reply("221", &[], &modes);
        };
        let (mut plus, mut changed, mut unknown) = (true, String::new(), false);
        for mode in modestring.chars() {
            match mode {
                '+' | '-' => plus = mode == '+',
                'i' if user.invisible != plus => {
                    user.invisible = plus;
                    changed.push_str(if plus { "+i" } else { "-i" });
                }
                // On peut renoncer à être opérateur, pas se nommer soi-même.
                'o' if !plus && user.oper => {
                    user.oper = false;
                    changed.push_str("-o");
                }
                'i' | 'o' => {}
                _ => unknown = true,
            }
        }
        let mask = user.mask();
        let nick = user.nick.clone();
        drop(state);
        if unknown {
            self.numeric(replies::ERR_UMODEUNKNOWNFLAG, &[])?;
        }
        if changed.is_empty() {
            return Ok(());
        }
        self.send(&message::build(&mask, "MODE", &[&nick], Some(&changed)))
    }
}
// ANCHOR_END: away_mode

// ANCHOR: oper
impl Session {
    /// `OPER nom mot_de_passe` : devenir opérateur du serveur.
    ///
    /// Sans limite, un script essaierait des milliers de mots de passe par seconde.
    /// Après chaque échec, cette connexion n'est plus lue pendant un délai qui
    /// double ; après cinq échecs depuis la même adresse, `OPER` y est bloqué dix
    /// minutes (`OperGuard`, emprunté à la leçon 05).
    pub(crate) fn oper(&mut self, params: &[&str]) -> Result<(), End> {
        if params.len() < 2 {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["OPER"]);
        }
        let Some((name, password)) = self.shared.config.oper.clone() else {
            return self.numeric(replies::ERR_NOOPERHOST, &[]);
        };
        let now = Instant::now();
        let is_right = || params[0] == name && same_secret(params[1], &password);
        match self
            .shared
            .connections
            .doorman
            .try_oper(self.peer.ip(), now, is_right)
        {
            OperAttempt::Granted => {}
            OperAttempt::Locked { remaining } => {
                self.notice(&format!(
                    "*** Trop d'essais manqués depuis votre adresse : OPER est bloqué \
                     encore {} min.",
                    remaining.as_secs().div_ceil(60)
                ))?;
                return self.numeric(replies::ERR_PASSWDMISMATCH, &[]);
            }
            OperAttempt::Wrong { penalty, .. } => {
                log!("{} : mauvais mot de passe OPER", self.describe());
                self.pace
                    .pause_until(tokio::time::Instant::from_std(now + penalty));
                return self.numeric(replies::ERR_PASSWDMISMATCH, &[]);
            }
        }
        let mut state = self.shared.lock();
        let user = state.users.get_mut(&self.id).ok_or(End::Cancelled)?;
        user.oper = true;
        let (mask, nick) = (user.mask(), user.nick.clone());
        drop(state);
        log!("{} devient opérateur", self.describe());
        self.numeric(replies::RPL_YOUREOPER, &[])?;
        self.send(&message::build(&mask, "MODE", &[&nick], Some("+o")))
    }

    /// `KILL pseudo :raison` (opérateurs) : la cible est déconnectée, ceux qui
    /// partagent un salon avec elle voient son `QUIT`.
    pub(crate) fn kill(&mut self, params: &[&str]) -> Result<(), End> {
        let mut state = self.shared.lock();
        if !state.users.get(&self.id).is_some_and(|user| user.oper) {
            return self.numeric(replies::ERR_NOPRIVILEGES, &[]);
        }
        let Some(nick) = params.first().filter(|nick| !nick.is_empty()) else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["KILL"]);
        };
        let Some(target) = state.find(nick) else {
            return self
                .numeric(replies::ERR_NOSUCHNICK, &[&message::sanitize(nick)]);
        };
        let mut reason =
            message::sanitize(params.get(1).copied().unwrap_or("Killed"))
                .into_owned();
        message::truncate(&mut reason, 200);
        let reason = format!("Killed ({} ({reason}))", self.target());
        let victim = &state.users[&target];
        log!("{} expulse {}", self.describe(), victim.nick);
        victim.outbox.push_last(message::build_error(&format!(
            "Closing Link: {} ({reason})",
            victim.host
        )));
        state.quit(target, &reason);
        Ok(())
    }

    /// `VERSION` : le logiciel du serveur.
    pub(crate) fn version(&mut self) -> Result<(), End> {
        let name = self.shared.config.name.clone();
        self.reply(
            "351",
            &[VERSION, &name],
            "Cours « Réseau en Rust », leçon 07",
        )
    }

    /// `TIME` : l'heure du serveur (UTC, RFC 3339).
    pub(crate) fn time(&mut self) -> Result<(), End> {
        let name = self.shared.config.name.clone();
        let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        self.reply("391", &[&name], &now)
    }
}
// ANCHOR_END: oper
