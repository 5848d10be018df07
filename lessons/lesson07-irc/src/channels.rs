//! Les salons : `JOIN`, `PART`, `TOPIC`, `NAMES`, `LIST`, `KICK`, `INVITE` et les
//! modes d'un salon (`MODE #salon …`).
//!
//! La leçon 05 avait UN salon, implicite. IRC en a autant qu'on veut, créés par le
//! premier qui les rejoint (il en devient l'opérateur, `@`) et détruits quand le
//! dernier part. Chaque message d'un salon est envoyé à ses membres, mis en forme
//! une fois : la diffusion de la leçon 05, limitée aux membres.

use std::sync::Arc;

use crate::connection::End;
use crate::message::{self, TOPICLEN, casefold, is_valid_channel, wildcard_match};
use crate::replies::{self, Numeric};
use crate::server::MAX_CHANNELS_PER_USER;
use crate::session::Session;
use crate::state::{
    Ban, Channel, ChannelModes, MAX_BANS, Member, State, Topic, unix_time,
};

/// Au plus tant de modes avec paramètre par commande `MODE` (`MODES=4`).
const MAX_MODES: usize = 4;

/// Le nom d'un salon tel qu'on le cite dans une erreur : neutralisé et court.
fn shown(name: &str) -> String {
    let mut name = message::sanitize(name).into_owned();
    message::truncate(&mut name, 64);
    name
}

/// L'inscrit de cette connexion. Absent : il vient d'être retiré (SendQ dépassée
/// par un autre envoi, `KILL`) ; sa connexion est déjà annulée.
fn mask_of(state: &State, id: u64) -> Result<String, End> {
    state
        .users
        .get(&id)
        .map(|user| user.mask())
        .ok_or(End::Cancelled)
}

// ANCHOR: join
impl Session {
    /// `JOIN #a,#b [clé_a,clé_b]`, ou `JOIN 0` : quitter tous ses salons.
    pub(crate) fn join(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(list) = params.first().filter(|list| !list.is_empty()) else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["JOIN"]);
        };
        if *list == "0" {
            let names: Vec<String> = {
                let state = self.shared.lock();
                let user = state.users.get(&self.id).ok_or(End::Cancelled)?;
                let channels = user.channels.iter();
                channels
                    .filter_map(|key| state.channels.get(key))
                    .map(|c| c.name.clone())
                    .collect()
            };
            return names.iter().try_for_each(|name| self.part_one(name, None));
        }
        let keys: Vec<&str> = params
            .get(1)
            .map_or(Vec::new(), |keys| keys.split(',').collect());
        for (index, name) in list.split(',').enumerate().take(MAX_CHANNELS_PER_USER) {
            if !name.is_empty() {
                self.join_one(name, keys.get(index).copied())?;
            }
        }
        Ok(())
    }

    fn join_one(&mut self, name: &str, key: Option<&str>) -> Result<(), End> {
        if !is_valid_channel(name) {
            // `#` puis un nom impossible (trop long, une virgule, un contrôle) :
            // `476` ; pas de `#` du tout : ce n'est pas un salon, `403`.
            let refusal = if name.starts_with('#') {
                replies::ERR_BADCHANMASK
            } else {
                replies::ERR_NOSUCHCHANNEL
            };
            return self.numeric(refusal, &[&shown(name)]);
        }
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        let channel_key = casefold(name);
        let user = state.users.get(&self.id).ok_or(End::Cancelled)?;
        if user.channels.contains(&channel_key) {
            return Ok(());
        }
        if user.channels.len() >= MAX_CHANNELS_PER_USER {
            return self.numeric(replies::ERR_TOOMANYCHANNELS, &[name]);
        }
        let mask = user.mask();
        if let Some(channel) = state.channels.get(&channel_key) {
            if let Some(refusal) = refusal(channel, self.id, &mask, key) {
                return self.numeric(refusal, &[&channel.name]);
            }
        }
        // Le premier arrivé crée le salon et en devient l'opérateur. Par défaut
        // `+nt` : pas de message de l'extérieur, sujet réservé aux opérateurs.
        let created = !state.channels.contains_key(&channel_key);
        let channel =
            state
                .channels
                .entry(channel_key.clone())
                .or_insert_with(|| Channel {
                    name: name.to_owned(),
                    created: unix_time(),
                    modes: ChannelModes {
                        no_external: true,
                        topic_ops: true,
                        ..Default::default()
                    },
                    ..Default::default()
                });
        channel.members.insert(
            self.id,
            Member {
                op: created,
                voice: false,
            },
        );
        channel.invited.remove(&self.id);
        let members: Vec<u64> = channel.members.keys().copied().collect();
        let line = message::build(&mask, "JOIN", &[&channel.name], None);
        if let Some(user) = state.users.get_mut(&self.id) {
            user.channels.insert(channel_key.clone());
        }
        // Tous les membres, le nouveau compris : c'est cet écho qui dit au client
        // « vous êtes entré » (et ouvre la fenêtre du salon dans irssi).
        state.deliver(&members, &line);
        self.topic_reply(&state, &channel_key, false)?;
        self.names_reply(&state, &channel_key)
    }
}

/// Pourquoi `JOIN` est refusé, s'il l'est : clé, limite, invitation, bannissement.
fn refusal(
    channel: &Channel,
    id: u64,
    mask: &str,
    key: Option<&str>,
) -> Option<Numeric> {
    let modes = &channel.modes;
    let invited = channel.invited.contains(&id);
    if modes
        .key
        .as_deref()
        .is_some_and(|expected| key != Some(expected))
    {
        return Some(replies::ERR_BADCHANNELKEY);
    }
    if modes
        .limit
        .is_some_and(|limit| channel.members.len() >= limit)
    {
        return Some(replies::ERR_CHANNELISFULL);
    }
    if modes.invite_only && !invited {
        return Some(replies::ERR_INVITEONLYCHAN);
    }
    if !invited
        && channel
            .bans
            .iter()
            .any(|ban| wildcard_match(&ban.mask, mask))
    {
        return Some(replies::ERR_BANNEDFROMCHAN);
    }
    None
}
// ANCHOR_END: join

// ANCHOR: names
impl Session {
    /// `332`/`333` (le sujet, qui l'a mis et quand) ou, sur demande, `331`.
    fn topic_reply(&self, state: &State, key: &str, asked: bool) -> Result<(), End> {
        let Some(channel) = state.channels.get(key) else {
            return Ok(());
        };
        match &channel.topic {
            Some(topic) => {
                self.reply("332", &[&channel.name], &topic.text)?;
                let time = topic.time.to_string();
                self.send(&message::build(
                    &self.shared.config.name,
                    "333",
                    &[self.target(), &channel.name, &topic.who, &time],
                    None,
                ))
            }
            None if asked => self.numeric(replies::RPL_NOTOPIC, &[&channel.name]),
            None => Ok(()),
        }
    }

    /// `353` (les membres, `@` devant les opérateurs, `+` devant les voix), en
    /// autant de lignes qu'il faut pour rester sous 512 octets, puis `366`.
    fn names_reply(&self, state: &State, key: &str) -> Result<(), End> {
        let Some(channel) = state.channels.get(key) else {
            return Ok(());
        };
        // `=` : un salon public, `@` : un salon secret (RFC 2812 § 3.2.5).
        let kind = if channel.modes.secret { "@" } else { "=" };
        let mut names = String::new();
        for (id, member) in &channel.members {
            let Some(user) = state.users.get(id) else {
                continue;
            };
            if names.len() + user.nick.len() > 400 {
                self.reply("353", &[kind, &channel.name], &names)?;
                names.clear();
            }
            if !names.is_empty() {
                names.push(' ');
            }
            names.push_str(member.prefix());
            names.push_str(&user.nick);
        }
        if !names.is_empty() {
            self.reply("353", &[kind, &channel.name], &names)?;
        }
        self.numeric(replies::RPL_ENDOFNAMES, &[&channel.name])
    }

    /// `NAMES #a,#b` : les membres de chaque salon.
    pub(crate) fn names(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(list) = params.first() else {
            return self.numeric(replies::RPL_ENDOFNAMES, &["*"]);
        };
        let state = self.shared.lock();
        for name in list.split(',').filter(|name| !name.is_empty()).take(8) {
            let key = casefold(name);
            if state.channels.get(&key).is_some_and(|c| self.may_see(c)) {
                self.names_reply(&state, &key)?;
            } else {
                self.numeric(replies::RPL_ENDOFNAMES, &[&shown(name)])?;
            }
        }
        Ok(())
    }

    /// `LIST [#a,#b]` : chaque salon, son nombre de membres et son sujet.
    pub(crate) fn list(&mut self, params: &[&str]) -> Result<(), End> {
        let state = self.shared.lock();
        let wanted: Option<Vec<String>> = params
            .first()
            .map(|list| list.split(',').map(casefold).collect());
        self.reply("321", &["Channel"], "Users  Name")?;
        for (key, channel) in &state.channels {
            if wanted.as_ref().is_some_and(|wanted| !wanted.contains(key))
                || !self.may_see(channel)
            {
                continue;
            }
            let count = channel.members.len().to_string();
            let topic = channel
                .topic
                .as_ref()
                .map_or("", |topic| topic.text.as_str());
            self.reply("322", &[&channel.name, &count], topic)?;
        }
        self.numeric(replies::RPL_LISTEND, &[])
    }
}

impl Session {
    /// Un salon secret (`+s`) n'existe que pour ses membres.
    pub(crate) fn may_see(&self, channel: &Channel) -> bool {
        !channel.modes.secret || channel.members.contains_key(&self.id)
    }
}
// ANCHOR_END: names

// ANCHOR: part
impl Session {
    /// `PART #a,#b [:raison]`.
    pub(crate) fn part(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(list) = params.first().filter(|list| !list.is_empty()) else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["PART"]);
        };
        let reason = params.get(1).map(|reason| message::sanitize(reason));
        for name in list
            .split(',')
            .filter(|name| !name.is_empty())
            .take(MAX_CHANNELS_PER_USER)
        {
            self.part_one(name, reason.as_deref())?;
        }
        Ok(())
    }

    fn part_one(&self, name: &str, reason: Option<&str>) -> Result<(), End> {
        let mut state = self.shared.lock();
        let key = casefold(name);
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(replies::ERR_NOSUCHCHANNEL, &[&shown(name)]);
        };
        if !channel.members.contains_key(&self.id) {
            return self.numeric(replies::ERR_NOTONCHANNEL, &[&channel.name]);
        }
        let mask = mask_of(&state, self.id)?;
        let line = message::build(&mask, "PART", &[&channel.name], reason);
        let members: Vec<u64> = channel.members.keys().copied().collect();
        state.deliver(&members, &line);
        leave_channel(&mut state, &key, self.id);
        Ok(())
    }
}

/// Retire `id` du salon `key` ; le dernier parti détruit le salon.
fn leave_channel(state: &mut State, key: &str, id: u64) {
    if let Some(user) = state.users.get_mut(&id) {
        user.channels.remove(key);
    }
    let empty = state.channels.get_mut(key).is_some_and(|channel| {
        channel.members.remove(&id);
        channel.members.is_empty()
    });
    if empty {
        state.channels.remove(key);
    }
}
// ANCHOR_END: part

// ANCHOR: topic
impl Session {
    /// `TOPIC #salon` : le demander ; `TOPIC #salon :texte` : le changer.
    pub(crate) fn topic(&mut self, params: &[&str]) -> Result<(), End> {
        let Some(name) = params.first() else {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["TOPIC"]);
        };
        let mut state = self.shared.lock();
        let key = casefold(name);
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(replies::ERR_NOSUCHCHANNEL, &[&shown(name)]);
        };
        let Some(text) = params.get(1) else {
            return self.topic_reply(&state, &key, true);
        };
        let Some(member) = channel.members.get(&self.id) else {
            return self.numeric(replies::ERR_NOTONCHANNEL, &[&channel.name]);
        };
        if channel.modes.topic_ops && !member.op {
            return self.numeric(replies::ERR_CHANOPRIVSNEEDED, &[&channel.name]);
        }
        let mut text = message::sanitize(text).into_owned();
        message::truncate(&mut text, TOPICLEN);
        let mask = mask_of(&state, self.id)?;
        let members: Vec<u64> = channel.members.keys().copied().collect();
        let line = message::build(&mask, "TOPIC", &[&channel.name], Some(&text));
        let who = self.target().to_owned();
        if let Some(channel) = state.channels.get_mut(&key) {
            channel.topic = (!text.is_empty()).then(|| Topic {
                text,
                who,
                time: unix_time(),
            });
        }
        state.deliver(&members, &line);
        Ok(())
    }
}
// ANCHOR_END: topic

// ANCHOR: kick
impl Session {
    /// `KICK #salon pseudo[,pseudo] [:raison]` : réservé aux opérateurs du salon.
    pub(crate) fn kick(&mut self, params: &[&str]) -> Result<(), End> {
        if params.len() < 2 {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["KICK"]);
        }
        let mut state = self.shared.lock();
        let key = casefold(params[0]);
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(replies::ERR_NOSUCHCHANNEL, &[&shown(params[0])]);
        };
        let channel_name = channel.name.clone();
        let Some(member) = channel.members.get(&self.id) else {
            return self.numeric(replies::ERR_NOTONCHANNEL, &[&channel_name]);
        };
        if !member.op {
            return self.numeric(replies::ERR_CHANOPRIVSNEEDED, &[&channel_name]);
        }
        let mask = mask_of(&state, self.id)?;
        let default_reason = self.target().to_owned();
        let mut reason =
            message::sanitize(params.get(2).copied().unwrap_or(&default_reason))
                .into_owned();
        message::truncate(&mut reason, 300);
        for nick in params[1].split(',').filter(|nick| !nick.is_empty()).take(4) {
            let Some(target) = state.find(nick) else {
                self.numeric(replies::ERR_NOSUCHNICK, &[&shown(nick)])?;
                continue;
            };
            let Some(channel) = state.channels.get(&key) else {
                break;
            };
            if !channel.members.contains_key(&target) {
                let nick = state.users[&target].nick.clone();
                self.numeric(replies::ERR_USERNOTINCHANNEL, &[&nick, &channel_name])?;
                continue;
            }
            let members: Vec<u64> = channel.members.keys().copied().collect();
            let nick = state.users[&target].nick.clone();
            let line =
                message::build(&mask, "KICK", &[&channel_name, &nick], Some(&reason));
            state.deliver(&members, &line);
            leave_channel(&mut state, &key, target);
        }
        Ok(())
    }

    /// `INVITE pseudo #salon` : permet d'entrer dans un salon `+i`.
    pub(crate) fn invite(&mut self, params: &[&str]) -> Result<(), End> {
        if params.len() < 2 {
            return self.numeric(replies::ERR_NEEDMOREPARAMS, &["INVITE"]);
        }
        let mut state = self.shared.lock();
        let Some(target) = state.find(params[0]) else {
            return self.numeric(replies::ERR_NOSUCHNICK, &[&shown(params[0])]);
        };
        let key = casefold(params[1]);
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(replies::ERR_NOSUCHCHANNEL, &[&shown(params[1])]);
        };
        let name = channel.name.clone();
        let target_nick = state.users[&target].nick.clone();
        let Some(member) = channel.members.get(&self.id) else {
            return self.numeric(replies::ERR_NOTONCHANNEL, &[&name]);
        };
        if channel.members.contains_key(&target) {
            return self.numeric(replies::ERR_USERONCHANNEL, &[&target_nick, &name]);
        }
        if channel.modes.invite_only && !member.op {
            return self.numeric(replies::ERR_CHANOPRIVSNEEDED, &[&name]);
        }
        let mask = mask_of(&state, self.id)?;
        if let Some(channel) = state.channels.get_mut(&key) {
            channel.invited.insert(target);
        }
        self.send(&message::build(
            &self.shared.config.name,
            "341",
            &[self.target(), &target_nick, &name],
            None,
        ))?;
        if let Some(away) = state.users[&target].away.clone() {
            self.reply("301", &[&target_nick], &away)?;
        }
        let line = message::build(&mask, "INVITE", &[&target_nick], Some(&name));
        state.send(target, &line);
        Ok(())
    }
}
// ANCHOR_END: kick

// ANCHOR: channel_mode
impl Session {
    /// `MODE #salon` : les modes ; `MODE #salon +o-v alice bob` : les changer.
    pub(crate) fn channel_mode(&mut self, params: &[&str]) -> Result<(), End> {
        let mut state = self.shared.lock();
        let key = casefold(params[0]);
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(replies::ERR_NOSUCHCHANNEL, &[&shown(params[0])]);
        };
        let name = channel.name.clone();
        let member = channel.members.get(&self.id).copied();
        let Some(modestring) = params.get(1) else {
            let described = channel.modes.describe(member.is_some());
            let mut args: Vec<&str> = vec![&name];
            args.extend(described.iter().map(String::as_str));
            let created = channel.created.to_string();
            let server = &self.shared.config.name;
            let mut middle = vec![self.target()];
            middle.extend(args);
            self.send(&message::build(server, "324", &middle, None))?;
            let middle = [self.target(), &name, &created];
            return self.send(&message::build(server, "329", &middle, None));
        };
        // `MODE #salon b` (ou `+b`) sans masque : la liste des bannis, pour tous.
        if modestring.trim_start_matches('+') == "b" && params.len() == 2 {
            let server = &self.shared.config.name;
            for ban in &channel.bans {
                let time = ban.time.to_string();
                let middle = [self.target(), &name, &ban.mask, &ban.who, &time];
                self.send(&message::build(server, "367", &middle, None))?;
            }
            return self.numeric(replies::RPL_ENDOFBANLIST, &[&name]);
        }
        if !member.is_some_and(|member| member.op) {
            return self.numeric(replies::ERR_CHANOPRIVSNEEDED, &[&name]);
        }
        let mask = mask_of(&state, self.id)?;
        let mut args = params[2..].iter();
        let mut applied = AppliedModes::default();
        let mut plus = true;
        for mode in modestring.chars() {
            match mode {
                '+' | '-' => plus = mode == '+',
                _ if applied.args.len() >= MAX_MODES => break,
                'i' | 'm' | 'n' | 's' | 't' => {
                    let Some(channel) = state.channels.get_mut(&key) else {
                        break;
                    };
                    let flag = match mode {
                        'i' => &mut channel.modes.invite_only,
                        'm' => &mut channel.modes.moderated,
                        'n' => &mut channel.modes.no_external,
                        's' => &mut channel.modes.secret,
                        _ => &mut channel.modes.topic_ops,
                    };
                    if *flag != plus {
                        *flag = plus;
                        applied.push(plus, mode, None);
                    }
                }
                'k' | 'l' | 'b' => {
                    let arg = if plus || mode != 'l' {
                        args.next()
                    } else {
                        None
                    };
                    let Some(channel) = state.channels.get_mut(&key) else {
                        break;
                    };
                    let setter = self.target().to_owned();
                    let change = ParamMode {
                        plus,
                        mode,
                        arg: arg.copied(),
                        setter,
                    };
                    apply_param_mode(channel, change, &mut applied);
                }
                'o' | 'v' => {
                    let Some(nick) = args.next() else {
                        self.numeric(replies::ERR_NEEDMOREPARAMS, &["MODE"])?;
                        continue;
                    };
                    let Some(target) = state.find(nick) else {
                        self.numeric(replies::ERR_NOSUCHNICK, &[&shown(nick)])?;
                        continue;
                    };
                    let nick = state.users[&target].nick.clone();
                    let Some(channel) = state.channels.get_mut(&key) else {
                        break;
                    };
                    let Some(member) = channel.members.get_mut(&target) else {
                        self.numeric(replies::ERR_USERNOTINCHANNEL, &[&nick, &name])?;
                        continue;
                    };
                    let flag = if mode == 'o' {
                        &mut member.op
                    } else {
                        &mut member.voice
                    };
                    if *flag != plus {
                        *flag = plus;
                        applied.push(plus, mode, Some(nick));
                    }
                }
                other => {
                    let text = format!("is unknown mode char to me for {name}");
                    self.reply(
                        replies::ERR_UNKNOWNMODE.code,
                        &[&other.to_string()],
                        &text,
                    )?;
                }
            }
        }
        if applied.modes.is_empty() {
            return Ok(());
        }
        let Some(channel) = state.channels.get(&key) else {
            return Ok(());
        };
        let members: Vec<u64> = channel.members.keys().copied().collect();
        let mut middle: Vec<&str> = vec![&name, &applied.modes];
        middle.extend(applied.args.iter().map(String::as_str));
        let line = message::build(&mask, "MODE", &middle, None);
        state.deliver(&members, &line);
        Ok(())
    }
}

/// Les changements effectivement faits, à relayer aux membres : `+o-v` et
/// `alice bob`.
#[derive(Default)]
struct AppliedModes {
    modes: String,
    sign: Option<bool>,
    args: Vec<String>,
}

impl AppliedModes {
    fn push(&mut self, plus: bool, mode: char, arg: Option<String>) {
        if self.sign != Some(plus) {
            self.modes.push(if plus { '+' } else { '-' });
            self.sign = Some(plus);
        }
        self.modes.push(mode);
        self.args.extend(arg);
    }
}

/// Un mode à paramètre demandé : `+k clé`, `-k`, `+l 10`, `-l`, `+b masque`…
struct ParamMode<'a> {
    plus: bool,
    mode: char,
    arg: Option<&'a str>,
    /// Qui le demande (retenu pour `+b`).
    setter: String,
}

/// Applique un mode à paramètre. Un paramètre absent ou invalide (une clé avec une
/// espace ne pourrait pas être tapée dans `JOIN`) : le mode est ignoré, comme le
/// font les serveurs.
fn apply_param_mode(
    channel: &mut Channel,
    change: ParamMode<'_>,
    applied: &mut AppliedModes,
) {
    let valid = |arg: &&str| {
        !arg.is_empty()
            && arg.len() <= 50
            && !arg.starts_with(':')
            && !arg.chars().any(|c| c.is_control() || c == ',' || c == ' ')
    };
    let ParamMode {
        plus,
        mode,
        arg,
        setter,
    } = change;
    let arg = arg.filter(valid);
    let known = |bans: &[Ban], mask: &str| {
        bans.iter().any(|ban| casefold(&ban.mask) == casefold(mask))
    };
    match (mode, plus, arg) {
        ('k', true, Some(key)) => {
            channel.modes.key = Some(key.to_owned());
            applied.push(true, 'k', Some(key.to_owned()));
        }
        ('k', false, _) if channel.modes.key.is_some() => {
            channel.modes.key = None;
            applied.push(false, 'k', Some("*".to_owned()));
        }
        ('l', true, Some(limit)) => {
            if let Ok(limit @ 1..=100_000) = limit.parse::<usize>() {
                channel.modes.limit = Some(limit);
                applied.push(true, 'l', Some(limit.to_string()));
            }
        }
        ('l', false, _) if channel.modes.limit.is_some() => {
            channel.modes.limit = None;
            applied.push(false, 'l', None);
        }
        ('b', true, Some(mask))
            if channel.bans.len() < MAX_BANS && !known(&channel.bans, mask) =>
        {
            let ban = Ban {
                mask: mask.to_owned(),
                who: setter,
                time: unix_time(),
            };
            channel.bans.push(ban);
            applied.push(true, 'b', Some(mask.to_owned()));
        }
        ('b', false, Some(mask)) if known(&channel.bans, mask) => {
            channel
                .bans
                .retain(|ban| casefold(&ban.mask) != casefold(mask));
            applied.push(false, 'b', Some(mask.to_owned()));
        }
        _ => {}
    }
}
// ANCHOR_END: channel_mode
