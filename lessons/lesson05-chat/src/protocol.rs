//! Le protocole du salon, sans aucune socket : découper le flux en lignes,
//! reconnaître les commandes, valider les pseudos, neutraliser les caractères
//! dangereux, mettre en forme les lignes envoyées et rédiger chaque phrase du
//! serveur. Ce sont des fonctions pures, testées une par une en bas du fichier : tout
//! ce que le serveur écrit sur le réseau passe par ici, si bien que ce fichier EST la
//! documentation exacte du protocole.

use lesson03_threads::display::{REPLACEMENT, is_forbidden};
use std::borrow::Cow;
use std::fmt;
use std::io;

use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Longueur maximale d'un pseudo, en caractères (ASCII, donc aussi en octets).
pub const MAX_NICK_LEN: usize = 16;

/// Largeur maximale, en colonnes, de chaque ligne envoyée (voir [`rows`]).
pub const MAX_COLUMNS: usize = 80;

/// Lignes envoyées dès la connexion, avant de demander le pseudo.
pub const GREETING: &str =
    "*** Salon « Réseau en Rust ». Une fois inscrit, tapez /help pour l'aide.\n";

/// La question posée à la connexion, puis après chaque pseudo refusé.
pub const NICK_PROMPT: &str = "*** Votre pseudo ? (1 à 16 caractères : lettres sans accent, chiffres, _ ou -)\n";

/// Préfixe de toutes les notices du serveur. Un pseudo ne peut pas contenir `*` :
/// aucune ligne d'utilisateur (toujours préfixée par `pseudo: `) ne peut donc
/// commencer ainsi.
pub const NOTICE_PREFIX: &str = "***";

// ANCHOR: line_codec
/// Ce que le découpeur de lignes extrait du flux d'octets.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Une ligne complète, sans son `\n` ni son éventuel `\r` final. Ce sont des
    /// octets bruts : la validité UTF-8 est vérifiée ensuite, pour pouvoir
    /// répondre par une erreur au lieu de couper la connexion.
    Bytes(BytesMut),
    /// Une ligne plus longue que la limite : elle est jetée, octet par octet s'il le
    /// faut.
    TooLong,
}

/// Découpe un flux TCP en lignes, avec une longueur maximale.
///
/// TCP transporte des octets, pas des messages : une ligne peut arriver en dix
/// morceaux et dix lignes dans un seul morceau. Les serveurs des documents traitent
/// chaque `recv(1024)` comme UN message : ils coupent les longues lignes et collent
/// les rafales. Le découpeur garde les octets reçus dans un tampon et ne rend
/// une ligne que lorsque son `\n` est arrivé. Sans limite, un client qui n'envoie
/// jamais de `\n` ferait grossir ce tampon sans fin : au-delà de `max_len` octets, on
/// signale [`Line::TooLong`] une fois et on jette tout jusqu'au prochain `\n`.
///
/// On pourrait utiliser `LinesCodec::new_with_max_length` de tokio-util, mais il rend
/// des `String` : de l'UTF-8 invalide y devient une erreur qui termine le flux, donc
/// la connexion.
#[derive(Debug)]
pub struct LineCodec {
    max_len: usize,
    /// Où reprendre la recherche du `\n` : les octets d'avant ont déjà été examinés.
    /// Sans cela, un client qui envoie un octet à la fois ferait relire tout le
    /// tampon à chaque octet.
    searched: usize,
    /// Vrai quand on jette la fin d'une ligne trop longue.
    discarding: bool,
}

impl LineCodec {
    /// Un découpeur qui refuse les lignes de plus de `max_len` octets (sans compter
    /// `\r\n`).
    pub fn new(max_len: usize) -> Self {
        LineCodec {
            max_len,
            searched: 0,
            discarding: false,
        }
    }
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = io::Error;

    fn decode(&mut self, buffer: &mut BytesMut) -> io::Result<Option<Line>> {
        loop {
            let newline = buffer[self.searched..].iter().position(|&b| b == b'\n');
            let Some(offset) = newline else {
                // Pas encore de fin de ligne. On garde au plus max_len + 1 octets (la
                // ligne et un éventuel `\r`) : au-delà, la ligne est
                // trop longue de toute façon.
                if self.discarding || buffer.len() > self.max_len + 1 {
                    buffer.clear();
                    self.searched = 0;
                    if !self.discarding {
                        self.discarding = true;
                        return Ok(Some(Line::TooLong));
                    }
                    return Ok(None);
                }
                self.searched = buffer.len();
                return Ok(None);
            };
            let end = self.searched + offset;
            self.searched = 0;
            let mut line = buffer.split_to(end + 1);
            if self.discarding {
                // Fin de la ligne trop longue, déjà signalée : on reprend
                // normalement.
                self.discarding = false;
                continue;
            }
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                // `\r\n` (telnet, Windows) : on enlève aussi le `\r`.
                line.truncate(end - 1);
            }
            if line.len() > self.max_len {
                return Ok(Some(Line::TooLong));
            }
            return Ok(Some(Line::Bytes(line)));
        }
    }

    fn decode_eof(&mut self, buffer: &mut BytesMut) -> io::Result<Option<Line>> {
        if let Some(line) = self.decode(buffer)? {
            return Ok(Some(line));
        }
        // Le client a fermé sans `\n` final (Ctrl+D au milieu d'une ligne dans
        // `nc`) : la dernière ligne compte quand même.
        if buffer.is_empty() || self.discarding {
            buffer.clear();
            return Ok(None);
        }
        let line = buffer.split();
        self.searched = 0;
        Ok(Some(Line::Bytes(line)))
    }
}
// ANCHOR_END: line_codec

// ANCHOR: nick
/// Pourquoi un pseudo est refusé.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong,
    InvalidChar(char),
}

impl fmt::Display for NickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NickError::Empty => write!(f, "le pseudo est vide"),
            NickError::TooLong => {
                write!(f, "le pseudo dépasse {MAX_NICK_LEN} caractères")
            }
            NickError::InvalidChar(' ') => {
                write!(f, "un pseudo ne contient pas d'espace")
            }
            NickError::InvalidChar(c) => write!(
                f,
                "« {} » est interdit (lettres sans accent, chiffres, _ ou -)",
                c.escape_debug()
            ),
        }
    }
}

/// Vérifie un pseudo : 1 à 16 caractères parmi les lettres ASCII, les chiffres, `_`
/// et `-`.
///
/// ASCII seulement : avec Unicode, « аlice » (dont le « а » est cyrillique)
/// s'afficherait exactement comme « alice » et pourrait se faire passer pour elle.
/// L'unicité, elle, est vérifiée par le serveur sans tenir compte de la casse (voir
/// [`nick_key`]).
pub fn validate_nick(nick: &str) -> Result<(), NickError> {
    if let Some(bad) = nick
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(NickError::InvalidChar(bad));
    }
    match nick.len() {
        0 => Err(NickError::Empty),
        len if len > MAX_NICK_LEN => Err(NickError::TooLong),
        _ => Ok(()),
    }
}

/// La clé sous laquelle le serveur range un pseudo : « Alice » et « alice » sont la
/// même personne, sinon on pourrait se faire passer pour quelqu'un en changeant une
/// majuscule.
pub fn nick_key(nick: &str) -> String {
    nick.to_ascii_lowercase()
}
// ANCHOR_END: nick

// ANCHOR: command
/// Une ligne reçue d'un utilisateur inscrit, une fois interprétée.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// Un message public (une ligne ordinaire, ou `//texte` pour écrire `/texte`).
    Say(&'a str),
    /// `/nick NOUVEAU`
    Nick(&'a str),
    /// `/msg PSEUDO TEXTE`
    Msg { to: &'a str, text: &'a str },
    /// `/who`
    Who,
    /// `/history [N]`
    History(Option<usize>),
    /// `/help`
    Help,
    /// `/quit [raison]`, ou `exit` seul sur sa ligne.
    Quit(Option<&'a str>),
    /// `/oper MOT_DE_PASSE`
    Oper(&'a str),
    /// `/kill PSEUDO [raison]`
    Kill {
        target: &'a str,
        reason: Option<&'a str>,
    },
}

/// Une commande mal formée, à signaler à son seul auteur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Une commande qui n'existe pas.
    Unknown(String),
    /// Une commande connue, mal utilisée : on rappelle sa syntaxe.
    Usage(&'static str),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Unknown(name) => write!(f, "Commande inconnue : /{name}."),
            CommandError::Usage(usage) => write!(f, "Utilisation : {usage}"),
        }
    }
}

/// Interprète une ligne. `Ok(None)` pour une ligne vide (ou faite d'espaces), qu'on
/// ignore.
///
/// Les noms de commande ne tiennent pas compte de la casse : `/MSG` vaut `/msg`.
pub fn parse_line(line: &str) -> Result<Option<Command<'_>>, CommandError> {
    let line = line.trim_end();
    if line.trim_start().is_empty() {
        return Ok(None);
    }
    // `exit` seul sur sa ligne, comme dans le document 02 : c'est un `/quit`. Le
    // document compare `recv(1024).decode() == 'exit'` : avec `nc`, qui envoie
    // « exit\n », l'égalité n'est jamais vraie. On compare ici la LIGNE, sans son
    // `\n`.
    if line.trim_start() == "exit" {
        return Ok(Some(Command::Quit(None)));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Some(Command::Say(line)));
    };
    if command.starts_with('/') {
        return Ok(Some(Command::Say(command))); // `//help` envoie « /help » au salon.
    }
    let (name, args) = split_word(command);
    let command = match name.to_ascii_lowercase().as_str() {
        "nick" => match split_word(args) {
            (nick, "") if !nick.is_empty() => Command::Nick(nick),
            _ => return Err(CommandError::Usage("/nick NOUVEAU_PSEUDO")),
        },
        "msg" => match split_word(args) {
            (to, text) if !to.is_empty() && !text.is_empty() => {
                Command::Msg { to, text }
            }
            _ => return Err(CommandError::Usage("/msg PSEUDO TEXTE")),
        },
        "who" => Command::Who,
        "history" => match args {
            "" => Command::History(None),
            count => match count.parse() {
                Ok(count) => Command::History(Some(count)),
                Err(_) => {
                    return Err(CommandError::Usage(
                        "/history [N] (N entier positif)",
                    ));
                }
            },
        },
        "help" => Command::Help,
        "quit" => Command::Quit(non_empty(args)),
        "oper" => match args {
            "" => return Err(CommandError::Usage("/oper MOT_DE_PASSE")),
            password => Command::Oper(password),
        },
        "kill" => match split_word(args) {
            ("", _) => return Err(CommandError::Usage("/kill PSEUDO [raison]")),
            (target, reason) => Command::Kill {
                target,
                reason: non_empty(reason),
            },
        },
        _ => return Err(CommandError::Unknown(sanitize(name).into_owned())),
    };
    Ok(Some(command))
}

/// Sépare le premier mot du reste (sans les espaces qui les séparent).
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|text| !text.is_empty())
}

/// Le texte de `/help`, une notice par ligne.
pub const HELP: &str = "\
*** Commandes (les majuscules sont permises : /MSG vaut /msg) :
***   texte               envoie « texte » à tout le salon
***   /msg PSEUDO TEXTE   message privé à une seule personne
***   /nick NOUVEAU       change de pseudo
***   /who                liste les personnes connectées
***   /history [N]        les N derniers messages publics (tous sans N)
***   /oper MOT_DE_PASSE  devient opérateur
***   /kill PSEUDO [RAISON]  (opérateurs) déconnecte quelqu'un
***   /quit [RAISON] ou exit  quitte le salon
***   //texte             envoie « /texte » au salon
";
// ANCHOR_END: command

// ANCHOR: sanitize
/// Neutralise ce qui pourrait piloter le terminal des autres au lieu de s'y afficher.
///
/// Un terminal interprète certains caractères : ESC (`\x1b`) ouvre une séquence qui
/// change les couleurs, efface l'écran, renomme la fenêtre ou fait répondre le
/// terminal ; un `\r` seul ramène au début de la ligne, si bien que « salut\rbob: je
/// mens » s'afficherait « bob: je mens » ; NUL, BEL (la cloche)… Les caractères
/// Unicode qui changent le sens d'écriture (U+202A–U+202E, U+2066–U+2069, U+200E,
/// U+200F, U+061C) retournent l'affichage de la suite de la ligne, et U+2028/U+2029
/// sont des fins de ligne pour certains programmes. Tous sont remplacés par `�`
/// (U+FFFD), sauf la tabulation. Le message passe, inoffensif.
///
/// C'est LA règle du cours, écrite une fois à la leçon 03 (`is_forbidden`) : les
/// leçons 03, 04, 05 et 07 et l'exercice 11 l'appliquent à l'identique, et les
/// clients des leçons aussi, à ce qu'ils affichent. La leçon 05 y ajoute seulement
/// de ne rien copier quand il n'y a rien à remplacer (`Cow`).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_forbidden) {
        return Cow::Borrowed(text); // le cas courant : aucune copie
    }
    Cow::Owned(
        text.chars()
            .map(|c| if is_forbidden(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// Le texte d'un message tel que le salon le diffuse : neutralisé, chaque suite de
/// blancs (espaces, tabulations…) réduite à une espace, sans blanc au début ni à la
/// fin.
///
/// Pourquoi réduire les blancs : une tabulation occupe de 1 à 8 colonnes selon
/// l'endroit où elle tombe ; sans cela, on ne pourrait pas savoir où le terminal du
/// lecteur va à la ligne (voir [`rows`]).
pub fn clean(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for word in sanitize(text).split_whitespace() {
        if !cleaned.is_empty() {
            cleaned.push(' ');
        }
        cleaned.push_str(word);
    }
    cleaned
}
// ANCHOR_END: sanitize

// ANCHOR: rows
/// Met `text` en lignes d'au plus [`MAX_COLUMNS`] colonnes, CHACUNE précédée de
/// `prefix`.
///
/// Un terminal de 80 colonnes replie une ligne plus longue : la suite s'affiche au
/// début de la ligne suivante, comme si c'était une nouvelle ligne. Sans cette coupe,
/// il suffirait de remplir un message d'espaces (ou de « xxxx ») jusqu'au bord pour
/// que la fin s'affiche « *** bob a quitté le salon. » ou « bob: je mens » chez tout
/// le monde. Ici, chaque ligne affichée commence par le vrai préfixe de son auteur.
///
/// Les colonnes se comptent avec `unicode-width` : un idéogramme en occupe deux, un
/// accent combinant aucune. On coupe après le dernier mot qui tient, ou au milieu
/// d'un mot trop long.
pub fn rows(prefix: &str, text: &str) -> String {
    // Au moins 10 colonnes pour le texte, pour avancer même derrière un très long
    // préfixe.
    let room = MAX_COLUMNS.saturating_sub(prefix.width()).max(10);
    let mut out = String::with_capacity(text.len() + prefix.len() + 1);
    let mut rest = text;
    loop {
        let (row, next) = split_row(rest, room);
        out.push_str(prefix);
        out.push_str(row);
        out.push('\n');
        if next.is_empty() {
            return out;
        }
        rest = next;
    }
}

/// Le début de `text` qui tient en `room` colonnes, et la suite (sans l'espace de la
/// coupe).
fn split_row(text: &str, room: usize) -> (&str, &str) {
    let mut used = 0;
    let mut last_space = None;
    for (index, c) in text.char_indices() {
        let width = c.width().unwrap_or(0);
        if used + width > room {
            return match last_space {
                Some(space) => (&text[..space], &text[space + 1..]),
                None => (&text[..index], &text[index..]),
            };
        }
        if c == ' ' {
            last_space = Some(index);
        }
        used += width;
    }
    (text, "")
}

/// Raccourcit `text` à `columns` colonnes au plus, avec « … » s'il a fallu couper.
pub fn clip(text: &str, columns: usize) -> Cow<'_, str> {
    if text.width() <= columns {
        return Cow::Borrowed(text);
    }
    let (start, _) = split_row(text, columns.saturating_sub(1));
    Cow::Owned(format!("{}…", start.trim_end()))
}
// ANCHOR_END: rows

// ANCHOR: format
// Les lignes que le serveur envoie. Chaque ligne d'un utilisateur commence par le
// pseudo que le SERVEUR connaît, suivi de « : » ; un pseudo ne contient ni espace, ni
// `:`, ni `*`, ni `[` : aucun texte tapé ne peut donc imiter la ligne d'un autre ou
// une notice. Un long message devient plusieurs lignes, chacune avec ce préfixe (voir
// [`rows`]).

/// `alice: texte` : un message public, tel que les autres le reçoivent.
pub fn public_line(from: &str, text: &str) -> String {
    rows(&format!("{from}: "), text)
}

/// `[privé] alice: texte` : un message privé, tel que son destinataire le reçoit.
pub fn private_line(from: &str, text: &str) -> String {
    rows(&format!("[privé] {from}: "), text)
}

/// `*** texte` : une notice du serveur, dont le texte vient du serveur seul (s'il est
/// long, chaque ligne commence par `***`).
pub fn notice(text: &str) -> String {
    rows(&format!("{NOTICE_PREFIX} "), text)
}

/// Une notice qui cite un texte de l'utilisateur (`before` + `quoted` + `after`) :
/// elle tient TOUJOURS sur une ligne de 80 colonnes, la citation étant raccourcie
/// s'il le faut. Coupée en deux, sa deuxième ligne commencerait par `***` suivi d'un
/// texte choisi par l'utilisateur : une fausse notice.
pub fn notice_quoting(before: &str, quoted: &str, after: &str) -> String {
    let fixed = NOTICE_PREFIX.len() + 1 + before.width() + after.width();
    let quoted = clip(quoted, MAX_COLUMNS.saturating_sub(fixed));
    format!("{NOTICE_PREFIX} {before}{quoted}{after}\n")
}

/// `[il y a 5 min] alice: texte` : un message rejoué depuis l'historique.
pub fn history_line(age_secs: u64, from: &str, text: &str) -> String {
    rows(&format!("[il y a {}] {from}: ", format_age(age_secs)), text)
}

/// Une durée lisible : « 12 s », « 5 min », « 3 h », « 2 j ». On affiche une durée
/// plutôt qu'une heure : le serveur ne connaît pas le fuseau horaire de chaque
/// client.
pub fn format_age(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86400 => format!("{} h", secs / 3600),
        _ => format!("{} j", secs / 86400),
    }
}
// ANCHOR_END: format

// ANCHOR: wording
// Chaque phrase que le serveur écrit, au même endroit : on les relit d'un coup d'œil,
// et les tests vérifient ces fonctions plutôt que des chaînes recopiées.

/// Un nouveau venu est inscrit ; c'est la PREMIÈRE ligne qu'il reçoit après son
/// pseudo.
pub fn welcome(nick: &str, count: usize) -> String {
    notice(&format!(
        "Bienvenue, {nick} ! {} dans le salon (/who, /help).",
        people(count)
    ))
}

/// « 1 personne », « 3 personnes ».
fn people(count: usize) -> String {
    match count {
        1 => "1 personne".to_owned(),
        _ => format!("{count} personnes"),
    }
}

/// Pourquoi un inscrit quitte le salon, tel que les autres l'apprennent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// `/quit [raison]` ou `exit`.
    Quit(Option<String>),
    /// Connexion fermée ou coupée.
    Disconnected,
    /// Plus rien reçu de lui depuis le délai d'inactivité.
    Idle,
    /// Sa socket est restée engorgée (voir `connection.rs`).
    TooSlow,
    /// `/kill` d'un opérateur.
    Killed { by: String, reason: String },
}

/// La notice que reçoivent les autres quand `nick` part.
pub fn departure(nick: &str, why: &Departure) -> String {
    match why {
        Departure::Quit(None) => notice(&format!("{nick} a quitté le salon.")),
        Departure::Quit(Some(reason)) => {
            notice_quoting(&format!("{nick} a quitté le salon ("), reason, ").")
        }
        Departure::Disconnected => notice(&format!("{nick} s'est déconnecté(e).")),
        Departure::Idle => {
            notice(&format!("{nick} est parti(e) : inactif trop longtemps."))
        }
        Departure::TooSlow => notice(&slow_reader(nick)),
        Departure::Killed { by, reason } => notice_quoting(
            &format!("{nick} a été expulsé(e) par {by} ("),
            reason,
            ").",
        ),
    }
}

/// Le texte de la notice d'un lecteur trop lent, le même dans les leçons 03, 04 et
/// 05.
pub fn slow_reader(who: &str) -> String {
    format!("{who} ne lisait plus ses messages : déconnecté(e).")
}

pub fn joined(nick: &str) -> String {
    notice(&format!("{nick} a rejoint le salon."))
}

pub fn renamed(old: &str, new: &str) -> String {
    notice(&format!("{old} s'appelle désormais {new}."))
}

pub fn nick_refused(err: &NickError) -> String {
    notice(&format!("Pseudo refusé : {err}."))
}

pub fn nick_taken(nick: &str) -> String {
    notice(&format!(
        "Le pseudo {nick} est déjà pris : choisissez-en un autre."
    ))
}

pub fn unknown_nick(nick: &str) -> String {
    notice_quoting(
        "Personne ne s'appelle « ",
        nick,
        " » ici. /who donne la liste.",
    )
}

pub fn unknown_command(name: &str) -> String {
    notice_quoting(
        "Commande inconnue : /",
        name,
        ". Tapez /help pour la liste.",
    )
}

/// La réponse à une commande inconnue ou mal formée, pour son seul auteur.
pub fn command_error(err: &CommandError) -> String {
    match err {
        CommandError::Unknown(name) => unknown_command(name),
        CommandError::Usage(usage) => notice(&format!("Utilisation : {usage}")),
    }
}

pub fn too_long(max_line: usize) -> String {
    notice(&format!(
        "Ligne trop longue (plus de {max_line} octets) : ignorée."
    ))
}

pub fn not_utf8() -> String {
    notice("Ligne ignorée : pas de l'UTF-8 valide (réglez votre terminal en UTF-8).")
}

pub fn slow_down(per_second: u32) -> String {
    notice(&format!(
        "Doucement ! Au plus {per_second} lignes par seconde : la suite attend son \
         tour."
    ))
}

/// Le refus d'un client en trop, le même mot pour mot qu'aux leçons 03 et 04.
pub fn server_full(max_clients: usize) -> String {
    let plural = if max_clients > 1 { "s" } else { "" };
    notice(&format!(
        "Serveur complet ({max_clients} connexion{plural} au maximum) : réessayez \
         plus tard."
    ))
}

pub fn address_full(max_per_address: usize) -> String {
    notice(&format!(
        "Trop de connexions depuis votre adresse ({max_per_address} au plus) : \
         réessayez plus tard."
    ))
}

pub fn address_too_fast() -> String {
    notice("Connexions trop rapprochées depuis votre adresse : réessayez dans 1 min.")
}

pub fn register_timeout(delay: &str) -> String {
    notice(&format!(
        "Délai dépassé : aucun pseudo reçu en {delay}. Au revoir."
    ))
}

pub fn idle_timeout(delay: &str) -> String {
    notice(&format!(
        "Inactif depuis {delay} : déconnecté(e) pour libérer la place. À bientôt !"
    ))
}

pub fn goodbye(nick: &str) -> String {
    notice(&format!("Au revoir, {nick} !"))
}

pub const SHUTDOWN: &str = "*** Le serveur s'arrête. Au revoir !\n";

pub fn kicked(by: &str, reason: &str) -> String {
    notice_quoting(
        &format!("Vous avez été expulsé(e) par {by} : "),
        reason,
        ".",
    )
}

pub fn oper_disabled() -> String {
    notice(
        "Pas de mot de passe d'opérateur sur ce serveur : /oper et /kill désactivés.",
    )
}

pub fn oper_wrong(wait: &str) -> String {
    notice(&format!(
        "Mot de passe incorrect. Prochain essai possible dans {wait}."
    ))
}

pub fn oper_locked(wait: &str) -> String {
    notice(&format!(
        "Trop d'essais depuis votre adresse : /oper bloqué pendant {wait}."
    ))
}

pub fn oper_granted() -> String {
    notice("Vous êtes maintenant opérateur : /kill est à votre disposition.")
}

pub fn kill_refused() -> String {
    notice("Permission refusée : /kill est réservé aux opérateurs (voir /oper).")
}

pub fn already_named(nick: &str) -> String {
    notice(&format!("Vous vous appelez déjà {nick}."))
}

pub fn who_list(nicks: &[&str]) -> String {
    notice(&format!(
        "Connectés ({}) : {}",
        nicks.len(),
        nicks.join(", ")
    ))
}

pub fn history_header(count: usize) -> String {
    notice(&format!("Derniers messages publics ({count}) :"))
}

pub fn history_empty() -> String {
    notice("L'historique est vide.")
}

/// Un délai tel qu'un client le lit : « 30 s », « 10 min ». Quatre phrases du serveur
/// en ont besoin (le délai d'inscription, le départ d'un inactif, la pénalité et le
/// blocage de `/oper`), d'où une fonction. Un délai qui n'est pas un nombre entier de
/// secondes s'écrit en millisecondes (« 200 ms ») : la ligne de commande n'en donne
/// pas, mais `Config` l'accepte et les tests s'en servent pour ne pas attendre 30 s.
pub fn french_duration(delay: std::time::Duration) -> String {
    let secs = delay.as_secs();
    match delay.subsec_millis() {
        0 if secs >= 120 && secs % 60 == 0 => format!("{} min", secs / 60),
        0 => format!("{secs} s"),
        _ => format!("{} ms", delay.as_millis()),
    }
}
// ANCHOR_END: wording

#[cfg(test)]
mod tests {
    use super::*;

    /// Passe `chunks` au découpeur comme s'ils arrivaient en plusieurs lectures.
    fn decode_all(max_len: usize, chunks: &[&[u8]]) -> Vec<Line> {
        let mut codec = LineCodec::new(max_len);
        let mut buffer = BytesMut::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            buffer.extend_from_slice(chunk);
            while let Some(line) = codec.decode(&mut buffer).unwrap() {
                lines.push(line);
            }
        }
        while let Some(line) = codec.decode_eof(&mut buffer).unwrap() {
            lines.push(line);
        }
        lines
    }

    fn text(line: &str) -> Line {
        Line::Bytes(BytesMut::from(line))
    }

    #[test]
    fn plusieurs_lignes_dans_un_paquet_et_crlf() {
        let lines = decode_all(100, &[b"un\r\ndeux\n\ntrois\n"]);
        assert_eq!(lines, [text("un"), text("deux"), text(""), text("trois")]);
    }

    #[test]
    fn une_ligne_en_morceaux_octet_par_octet() {
        let bytes = b"bonjour\n";
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(decode_all(100, &chunks), [text("bonjour")]);
    }

    #[test]
    fn la_derniere_ligne_sans_retour_compte() {
        assert_eq!(decode_all(100, &[b"a\nfin"]), [text("a"), text("fin")]);
    }

    #[test]
    fn une_ligne_trop_longue_est_signalee_une_fois_puis_jetee() {
        let lines = decode_all(4, &[b"abcdefgh", b"ijkl", b"mn\nok\n"]);
        assert_eq!(
            lines,
            [Line::TooLong, text("ok")],
            "signalée une seule fois"
        );
        let lines = decode_all(4, &[b"abcdefgh\nok\n"]);
        assert_eq!(lines, [Line::TooLong, text("ok")], "en un seul paquet");
        let lines = decode_all(4, &[b"abcd\r\n"]);
        assert_eq!(
            lines,
            [text("abcd")],
            "le \\r\\n ne compte pas dans la limite"
        );
    }

    #[test]
    fn le_tampon_reste_borne_sans_retour_a_la_ligne() {
        let mut codec = LineCodec::new(10);
        let mut buffer = BytesMut::new();
        for _ in 0..1000 {
            buffer.extend_from_slice(b"xxxxxxx");
            while codec.decode(&mut buffer).unwrap().is_some() {}
            assert!(buffer.len() <= 11, "le tampon grossit : {}", buffer.len());
        }
    }

    #[test]
    fn les_pseudos_valides_et_invalides() {
        for nick in ["alice", "Bob_2", "a", "x-y", "abcdefghijklmnop"] {
            assert_eq!(validate_nick(nick), Ok(()), "{nick} devrait être accepté");
        }
        assert_eq!(validate_nick(""), Err(NickError::Empty));
        assert_eq!(validate_nick("abcdefghijklmnopq"), Err(NickError::TooLong));
        assert_eq!(validate_nick("élodie"), Err(NickError::InvalidChar('é')));
        assert_eq!(validate_nick("аlice"), Err(NickError::InvalidChar('а')));
        assert_eq!(validate_nick("a b"), Err(NickError::InvalidChar(' ')));
        assert_eq!(validate_nick("***"), Err(NickError::InvalidChar('*')));
        assert_eq!(nick_key("AlIcE"), "alice");
    }

    #[test]
    fn les_commandes_sont_reconnues() {
        let parse = |line| parse_line(line).unwrap().unwrap();
        assert_eq!(parse("bonjour à tous"), Command::Say("bonjour à tous"));
        assert_eq!(parse("//help"), Command::Say("/help"));
        assert_eq!(parse("/NICK bob"), Command::Nick("bob"));
        assert_eq!(
            parse("/msg  bob  salut toi "),
            Command::Msg {
                to: "bob",
                text: "salut toi"
            }
        );
        assert_eq!(parse("/who"), Command::Who);
        assert_eq!(parse("/history"), Command::History(None));
        assert_eq!(parse("/history 3"), Command::History(Some(3)));
        assert_eq!(parse("/help"), Command::Help);
        assert_eq!(parse("/quit"), Command::Quit(None));
        assert_eq!(parse("/Quit à demain"), Command::Quit(Some("à demain")));
        assert_eq!(parse("exit"), Command::Quit(None));
        assert_eq!(parse("exit maintenant"), Command::Say("exit maintenant"));
        assert_eq!(parse("/oper secret"), Command::Oper("secret"));
        assert_eq!(
            parse("/kill bob trop bavard"),
            Command::Kill {
                target: "bob",
                reason: Some("trop bavard")
            }
        );
        assert_eq!(parse_line("   "), Ok(None), "une ligne vide est ignorée");
    }

    #[test]
    fn les_commandes_mal_formees_sont_expliquees() {
        assert_eq!(
            parse_line("/danse"),
            Err(CommandError::Unknown("danse".into()))
        );
        for bad in [
            "/msg bob",
            "/msg",
            "/nick",
            "/nick a b",
            "/history x",
            "/oper",
            "/kill",
        ] {
            assert!(
                matches!(parse_line(bad), Err(CommandError::Usage(_))),
                "{bad} devrait rappeler la syntaxe"
            );
        }
        let message = CommandError::Unknown("danse".into()).to_string();
        assert!(message.contains("Commande inconnue"), "{message}");
    }

    #[test]
    fn les_caracteres_de_controle_sont_neutralises() {
        assert_eq!(sanitize("bonjour\tà tous"), "bonjour\tà tous");
        assert_eq!(sanitize("\x1b[2Jvide"), "\u{FFFD}[2Jvide");
        assert_eq!(sanitize("a\0b\rc\x07"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
        assert_eq!(
            sanitize("\u{9b}31m"),
            "\u{FFFD}31m",
            "CSI sur un octet (C1)"
        );
        assert_eq!(sanitize("abc\u{202E}cba"), "abc\u{FFFD}cba");
        assert!(matches!(sanitize("rien à changer"), Cow::Borrowed(_)));
    }

    #[test]
    fn les_lignes_envoyees_ont_le_format_documente() {
        assert_eq!(public_line("alice", "salut"), "alice: salut\n");
        assert_eq!(private_line("alice", "psst"), "[privé] alice: psst\n");
        assert_eq!(notice("coucou"), "*** coucou\n");
        assert_eq!(history_line(300, "bob", "hé"), "[il y a 5 min] bob: hé\n");
        assert_eq!(format_age(59), "59 s");
        assert_eq!(format_age(7200), "2 h");
        assert_eq!(format_age(200_000), "2 j");
    }
}
