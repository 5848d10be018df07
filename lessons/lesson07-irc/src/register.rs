//! L'inscription : `CAP`, `PASS`, `NICK`, `USER`, puis le message de bienvenue
//! (`001` à `005`, `LUSERS`, le message du jour). Et le changement de pseudo.
//!
//! À la leçon 05, la première ligne du client était son pseudo. Un client IRC, lui,
//! envoie d'un coup :
//!
//! ```text
//! CAP LS 302
//! NICK alice
//! USER alice 0 * :Alice Martin
//! ```
//!
//! et n'écrit rien d'autre avant d'avoir reçu `001` : c'est cette réponse qui lui
//! dit « vous êtes inscrit, sous ce pseudo ».

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use course_kit::log;

use crate::connection::End;
use crate::message::{self, CHANNELLEN, NICKLEN, TOPICLEN, casefold, is_valid_nick};
use crate::replies;
use crate::server::MAX_CHANNELS_PER_USER;
use crate::session::Session;
use crate::state::{User, Whowas, unix_time};

/// La version annoncée par `002`, `004` et `VERSION`.
pub const VERSION: &str = concat!("lesson07-irc-", env!("CARGO_PKG_VERSION"));

/// Le nom du réseau (`NETWORK` dans `ISUPPORT`) : les clients l'affichent.
pub const NETWORK: &str = "ReseauEnRust";

/// Longueur maximale d'un nom d'utilisateur (`USER`) ; au-delà, il est coupé.
const USERLEN: usize = 10;

// ANCHOR: cap
impl Session {
    /// `CAP` : la négociation des extensions d'IRCv3. Ce serveur n'en propose
    /// aucune, mais il doit répondre : un client moderne envoie `CAP LS 302` et
    /// attend la réponse avant de finir son inscription. Sans réponse, irssi ou
    /// WeeChat attendraient leur délai avant de continuer.
    pub(crate) fn cap(&mut self, params: &[&str]) -> Result<(), End> {
        let name = self.shared.config.name.clone();
        let target = self.target().to_owned();
        let cap = |sub: &str, last: &str| {
            message::build(&name, "CAP", &[&target, sub], Some(last))
        };
        let sub = params.first().map(|sub| sub.to_ascii_uppercase());
        match sub.as_deref() {
            Some("LS") => {
                self.cap_negotiating = !self.registered;
                self.send(&cap("LS", ""))
            }
            Some("LIST") => self.send(&cap("LIST", "")),
            Some("REQ") => {
                self.cap_negotiating = !self.registered;
                self.send(&cap("NAK", params.get(1).copied().unwrap_or("")))
            }
            Some("END") => {
                self.cap_negotiating = false;
                self.try_register()
            }
            _ => {
                let sub = message::sanitize(params.first().copied().unwrap_or("*"));
                self.numeric(replies::ERR_INVALIDCAPCMD, &[&sub])
            }
        }
    }

    /// `PASS mot_de_passe` : le mot de passe du serveur, avant `NICK` et `USER`.
    pub(crate) fn pass(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(password) = params.first() else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["PASS"]);
        };
        self.password = Some((*password).to_owned());
        Ok(())
    }
}
// ANCHOR_END: cap

// ANCHOR: nick
impl Session {
    /// `NICK pseudo` : avant l'inscription, propose un pseudo ; après, en change.
    pub(crate) fn nick_command(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(wanted) = params.first().filter(|nick| !nick.is_empty()) else {
            return self.numeric(replies::ERR_NONICKNAMEGIVEN, &[]);
        };
        if !is_valid_nick(wanted) {
            let mut shown = message::sanitize(wanted).into_owned();
            message::truncate(&mut shown, NICKLEN + 10);
            return self.numeric(replies::ERR_ERRONEUSNICKNAME, &[&shown]);
        }
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let key = casefold(wanted);
        if state.nicks.get(&key).is_some_and(|&id| id != self.id) {
            drop(state);
            return self.numeric(replies::ERR_NICKNAMEINUSE, &[wanted]);
        }
        if !self.registered {
            drop(state);
            self.nick = Some((*wanted).to_owned());
            return self.try_register();
        }
        let Some(user) = state.users.get_mut(&self.id) else {
            return Ok(());
        };
        if user.nick == *wanted {
            return Ok(());
        }
        // Sous le verrou, d'un bloc : libérer l'ancien pseudo, prendre le nouveau,
        // prévenir. Deux clients qui veulent le même pseudo passent l'un après
        // l'autre : un seul l'obtient, l'autre reçoit `433`.
        let old_mask = user.mask();
        let old_key = casefold(&user.nick);
        let old = Whowas::of(user);
        user.nick = (*wanted).to_owned();
        state.nicks.remove(&old_key);
        state.nicks.insert(key, self.id);
        state.remember(old);
        let line = message::build(&old_mask, "NICK", &[], Some(wanted));
        let mut targets = state.neighbours(self.id);
        targets.push(self.id);
        state.deliver(&targets, &line);
        drop(state);
        log!("{} s'appelle désormais {wanted}", self.describe());
        self.nick = Some((*wanted).to_owned());
        Ok(())
    }

    /// `USER nom mode inutilisé :nom réel`.
    pub(crate) fn user_command(&mut self, params: &[&str]) -> Result<(), End> {
        if params.len() < 4 || params[0].is_empty() || params[3].is_empty() {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["USER"]);
        }
        // Le nom d'utilisateur entre dans le préfixe de chaque message
        // (`nick!nom@hôte`) : ni espace, ni `!`, ni `@`, ni contrôle.
        let mut user: String = params[0]
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"!@:".contains(*c))
            .collect();
        message::truncate(&mut user, USERLEN);
        if user.is_empty() {
            user.push_str("user");
        }
        let mut realname = message::sanitize(params[3]).into_owned();
        message::truncate(&mut realname, 100);
        self.user = Some((user, realname));
        self.try_register()
    }
}
// ANCHOR_END: nick

// ANCHOR: register
impl Session {
    /// L'inscription se termine quand on a le pseudo ET `USER`, et que la
    /// négociation `CAP` est finie. Le pseudo est vérifié à nouveau sous le verrou :
    /// un autre a pu le prendre entre `NICK` et `USER`.
    fn try_register(&mut self) -> Result<(), End> {
        if self.registered || self.cap_negotiating {
            return Ok(());
        }
        let (Some(nick), Some((user, realname))) =
            (self.nick.clone(), self.user.clone())
        else {
            return Ok(());
        };
        let expected = self.shared.config.password.as_ref();
        if expected.is_some() && self.password.as_ref() != expected {
            self.numeric(replies::ERR_PASSWDMISMATCH, &[])?;
            return Err(End::BadPassword);
        }
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let key = casefold(&nick);
        if state.nicks.contains_key(&key) {
            drop(state);
            self.nick = None;
            return self.numeric(replies::ERR_NICKNAMEINUSE, &[&nick]);
        }
        state.nicks.insert(key, self.id);
        state.users.insert(
            self.id,
            User {
                id: self.id,
                nick: nick.clone(),
                user,
                host: self.host.clone(),
                realname,
                outbox: self.outbox.clone(),
                cancel: self.cancel.clone(),
                invisible: false,
                oper: false,
                away: None,
                channels: Default::default(),
                signon: unix_time(),
                last_message: Instant::now(),
            },
        );
        let mask = state.users[&self.id].mask();
        state.max_users = state.max_users.max(state.users.len());
        drop(state);
        self.registered = true;
        self.shared.unregistered.fetch_sub(1, Ordering::Relaxed);
        log!("{} s'inscrit sous le pseudo {nick}", self.peer);
        self.welcome(&mask)
    }

    /// `001` à `005`, puis `LUSERS` et le message du jour : ce qu'un client attend
    /// pour savoir qu'il est inscrit et ce que le serveur sait faire.
    fn welcome(&self, mask: &str) -> Result<(), End> {
        let name = &self.shared.config.name;
        let created = humantime::format_rfc3339_seconds(self.shared.created);
        self.reply(
            "001",
            &[],
            &format!("Welcome to the {NETWORK} IRC Network {mask}"),
        )?;
        self.reply(
            "002",
            &[],
            &format!("Your host is {name}, running version {VERSION}"),
        )?;
        self.reply("003", &[], &format!("This server was created {created}"))?;
        self.send(&message::build(
            name,
            "004",
            &[self.target(), name, VERSION, "io", "biklmnostv", "bklov"],
            None,
        ))?;
        self.isupport()?;
        self.lusers()?;
        self.motd()
    }

    /// `005` (`ISUPPORT`) : ce que le serveur accepte, pour que le client se règle
    /// sur lui (comparer les pseudos comme lui, couper ses messages, afficher `@`).
    fn isupport(&self) -> Result<(), End> {
        let limits = [
            format!("NICKLEN={NICKLEN}"),
            format!("CHANNELLEN={CHANNELLEN}"),
            format!("TOPICLEN={TOPICLEN}"),
            format!("CHANLIMIT=#:{MAX_CHANNELS_PER_USER}"),
            format!("NETWORK={NETWORK}"),
        ];
        let first = [
            "CASEMAPPING=rfc1459",
            "CHANTYPES=#",
            "PREFIX=(ov)@+",
            "CHANMODES=b,k,l,imnst",
            "MODES=4",
            "AWAYLEN=200",
            "KICKLEN=300",
        ];
        let mut tokens: Vec<&str> = first.to_vec();
        tokens.extend(limits.iter().map(String::as_str));
        let text = "are supported by this server";
        self.reply("005", &tokens, text)?;
        self.reply(
            "005",
            &["TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:,PART:,KICK:1"],
            text,
        )
    }

    /// `LUSERS` : combien d'inscrits, d'opérateurs, de connexions pas encore
    /// inscrites, de salons.
    pub(crate) fn lusers(&self) -> Result<(), End> {
        let shared = &self.shared;
        let unknown = shared.unregistered.load(Ordering::Relaxed).to_string();
        let state = shared.lock();
        let users = state.users.len();
        let max = state.max_users.to_string();
        let opers = state.users.values().filter(|user| user.oper).count();
        let channels = state.channels.len();
        drop(state);
        let count = users.to_string();
        let total = format!("There are {users} users and 0 services on 1 servers");
        self.reply("251", &[], &total)?;
        self.reply("252", &[&opers.to_string()], "operator(s) online")?;
        self.reply("253", &[&unknown], "unknown connection(s)")?;
        self.reply("254", &[&channels.to_string()], "channels formed")?;
        self.reply("255", &[], &format!("I have {users} clients and 0 servers"))?;
        let local = format!("Current local users {users}, max {max}");
        self.reply("265", &[&count, &max], &local)?;
        let global = format!("Current global users {users}, max {max}");
        self.reply("266", &[&count, &max], &global)
    }

    /// Le message du jour (`--motd FICHIER`), ou `422` s'il n'y en a pas.
    pub(crate) fn motd(&self) -> Result<(), End> {
        let config = &self.shared.config;
        let Some(lines) = &config.motd else {
            return self.numeric(replies::ERR_NOMOTD, &[]);
        };
        self.reply(
            "375",
            &[],
            &format!("- {} Message of the day - ", config.name),
        )?;
        for line in lines {
            self.reply("372", &[], &format!("- {line}"))?;
        }
        self.numeric(replies::RPL_ENDOFMOTD, &[])
    }
}
// ANCHOR_END: register
