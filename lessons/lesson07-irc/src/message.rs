//! La grammaire d'IRC, sans aucune socket : découper le flux en lignes de 512 octets
//! au plus, lire un message (`[:préfixe] COMMANDE paramètres… [:dernier]`), en écrire
//! un, comparer des pseudos sans tenir compte de la casse, neutraliser le texte
//! relayé. Des fonctions pures, testées en bas du fichier.
//!
//! La référence : RFC 1459 (1993) § 2.3, RFC 2812 § 2.3, et les documents « Modern
//! IRC » (<https://modern.ircdocs.horse>), qui décrivent ce que font vraiment les
//! serveurs et les clients d'aujourd'hui.

use std::borrow::Cow;
use std::sync::Arc;

use lesson03_threads::display::{REPLACEMENT, is_forbidden};
use lesson05_chat::protocol::LineCodec;

// ANCHOR: limits
/// Longueur maximale d'un message IRC, `\r\n` compris (RFC 1459 § 2.3) : 510 octets
/// de texte, puis la fin de ligne.
pub const MAX_MESSAGE: usize = 512;

/// Au plus 15 paramètres par message (RFC 2812 § 2.3.1) : au-delà, la fin de la
/// ligne est le dernier paramètre, espaces comprises.
pub const MAX_PARAMS: usize = 15;

/// Longueur maximale d'un pseudo (annoncée par `NICKLEN` dans `ISUPPORT`).
pub const NICKLEN: usize = 30;

/// Longueur maximale d'un nom de salon (`CHANNELLEN`), `#` compris.
pub const CHANNELLEN: usize = 50;

/// Longueur maximale d'un sujet de salon (`TOPICLEN`).
pub const TOPICLEN: usize = 390;
// ANCHOR_END: limits

// ANCHOR: codec
/// Ce que le découpeur extrait du flux : une ligne sans sa fin (`\r\n`, ou `\n`
/// seul, pour `nc` sans `-C`), ou [`Line::TooLong`].
pub use lesson05_chat::protocol::Line;

/// Le découpeur des messages : celui de la leçon 05 (`LineCodec`), qui garde les
/// octets jusqu'au `\n` mais jamais plus que la limite, avec la limite d'IRC, 510
/// octets de texte. Au-delà, il signale une fois [`Line::TooLong`] (le client
/// reçoit `417`) et jette tout jusqu'au prochain `\n`.
///
/// Il rend des octets et non des `String`, comme il le faut ici : IRC transporte des
/// octets, et de vieux clients envoient du Latin-1.
pub fn codec() -> LineCodec {
    LineCodec::new(MAX_MESSAGE - 2)
}
// ANCHOR_END: codec

// ANCHOR: message
/// Un message reçu : `[:préfixe] COMMANDE paramètre… [:dernier paramètre]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Le préfixe (`:alice!a@hôte`) : un client n'en envoie pas, ou ignoré.
    pub prefix: Option<String>,
    /// La commande, en majuscules (`privmsg` vaut `PRIVMSG`), ou trois chiffres.
    pub command: String,
    /// Les paramètres ; le dernier peut contenir des espaces s'il commençait par
    /// `:`.
    pub params: Vec<String>,
}

/// Lit un message. `None` pour une ligne vide (que les serveurs ignorent).
///
/// Les mots sont séparés par des espaces ; un mot qui commence par `:` est le
/// DERNIER paramètre, qui va jusqu'au bout de la ligne, espaces comprises : c'est
/// ainsi que le texte d'un message (`PRIVMSG #cours :bonjour à tous`) voyage.
pub fn parse(line: &str) -> Option<Message> {
    let mut rest = line.trim_start_matches(' ');
    // Les « tags » d'IRCv3 (`@clé=valeur …`) ne sont pas gérés ici : on les saute.
    if rest.starts_with('@') {
        rest = rest.split_once(' ').map_or("", |(_, after)| after);
        rest = rest.trim_start_matches(' ');
    }
    let mut prefix = None;
    if let Some(after) = rest.strip_prefix(':') {
        let (word, after) = after.split_once(' ').unwrap_or((after, ""));
        prefix = Some(word.to_owned());
        rest = after.trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_owned());
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            params.push(rest.to_owned());
            break;
        }
        let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(word.to_owned());
        rest = after;
    }
    Some(Message {
        prefix,
        command: command.to_ascii_uppercase(),
        params,
    })
}
// ANCHOR_END: message

// ANCHOR: build
/// Écrit un message, `\r\n` compris : `:préfixe COMMANDE milieu… :dernier`.
///
/// Les paramètres du milieu (pseudos, salons) ne contiennent jamais d'espace : le
/// serveur les a validés. Le dernier, du texte, est toujours précédé de `:`. Un
/// message plus long que 512 octets est coupé (à la frontière d'un caractère) : un
/// client a le droit de ne rien lire au-delà.
pub fn build(
    prefix: &str,
    command: &str,
    middle: &[&str],
    last: Option<&str>,
) -> Arc<str> {
    let mut line = String::with_capacity(64);
    line.push(':');
    line.push_str(prefix);
    line.push(' ');
    line.push_str(command);
    for param in middle {
        line.push(' ');
        line.push_str(param);
    }
    if let Some(last) = last {
        line.push_str(" :");
        line.push_str(last);
    }
    truncate(&mut line, MAX_MESSAGE - 2);
    line.push_str("\r\n");
    line.into()
}

/// `ERROR :raison` : la dernière ligne d'une connexion que le serveur ferme.
pub fn build_error(reason: &str) -> Arc<str> {
    let mut line = format!("ERROR :{reason}");
    truncate(&mut line, MAX_MESSAGE - 2);
    line.push_str("\r\n");
    line.into()
}

/// Coupe `text` à `max` octets au plus, sans couper un caractère en deux.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
// ANCHOR_END: build

// ANCHOR: casemapping
/// La clé d'un pseudo ou d'un salon : RFC 1459 § 2.2 dit que `{}|^` sont les
/// minuscules de `[]\~` (un héritage du clavier scandinave). `Alice[m]` et
/// `alice{m}` sont donc le même pseudo. Le serveur l'annonce par
/// `CASEMAPPING=rfc1459`, pour que les clients comparent comme lui.
pub fn casefold(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            '[' => '{',
            ']' => '}',
            '\\' => '|',
            '~' => '^',
            _ => c,
        })
        .collect()
}

/// Un pseudo valide (RFC 2812 § 2.3.1) : une lettre ou un caractère spécial
/// (`[]\`_^{|}`), puis des lettres, des chiffres, des spéciaux ou `-` ; ASCII
/// seulement, [`NICKLEN`] au plus.
pub fn is_valid_nick(nick: &str) -> bool {
    let special = |c: char| "[]\\`_^{|}".contains(c);
    let mut chars = nick.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || special(c));
    first_ok
        && nick.len() <= NICKLEN
        && chars.all(|c| c.is_ascii_alphanumeric() || special(c) || c == '-')
}

/// Un nom de salon valide : `#` puis 1 à 49 octets, sans espace, virgule, `:` ni
/// caractère de contrôle (un BEL, `^G`, ferait sonner les terminaux).
pub fn is_valid_channel(name: &str) -> bool {
    name.starts_with('#')
        && name.len() > 1
        && name.len() <= CHANNELLEN
        && !name
            .chars()
            .any(|c| c == ',' || c == ':' || c.is_whitespace() || c.is_control())
}
// ANCHOR_END: casemapping

// ANCHOR: sanitize
/// Les codes de mise en forme d'IRC (gras `^B`, couleur `^C`, fin `^O`, inversion
/// `^V`, italique `^]`, barré, souligné `^_`) et `^A`, qui encadre les actions
/// (`/me`) : des caractères de contrôle que tous les clients IRC interprètent et
/// qu'aucun terminal ne prend pour un ordre.
const IRC_FORMATTING: [char; 9] = [
    '\x01', '\x02', '\x03', '\x0f', '\x11', '\x16', '\x1d', '\x1e', '\x1f',
];

/// Neutralise le texte relayé d'un client à l'autre : la règle des chats du cours
/// (leçons 03 à 05), sauf les codes de mise en forme d'IRC.
///
/// Un client IRC affiche ce qu'il reçoit ; `nc` aussi, directement dans le
/// terminal. Un ESC (`\x1b`) y lancerait une séquence ANSI (effacer l'écran, changer
/// le titre de la fenêtre), un `\r` seul ramènerait le curseur au début de la ligne
/// pour écrire par-dessus le pseudo, et les caractères qui inversent le sens
/// d'écriture maquilleraient la fin du message. Tous deviennent `�`.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    let dangerous = |c: char| is_forbidden(c) && !IRC_FORMATTING.contains(&c);
    if !text.chars().any(dangerous) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if dangerous(c) { REPLACEMENT } else { c })
            .collect(),
    )
}
// ANCHOR_END: sanitize

/// Un masque à jokers (`*` : n'importe quelle suite, `?` : un caractère), comme dans
/// `WHO a*` ou un bannissement `*!*@10.0.0.*`. Sans tenir compte de la casse.
///
/// L'algorithme glouton garde seulement la dernière étoile rencontrée : le coût
/// reste proportionnel au produit des deux longueurs, même pour un masque
/// malveillant comme `*a*a*a*a*b`.
pub fn wildcard_match(mask: &str, text: &str) -> bool {
    let mask: Vec<char> = casefold(mask).chars().collect();
    let text: Vec<char> = casefold(text).chars().collect();
    let (mut m, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if m < mask.len() && (mask[m] == '?' || mask[m] == text[t]) {
            m += 1;
            t += 1;
        } else if m < mask.len() && mask[m] == '*' {
            star = Some((m, t));
            m += 1;
        } else if let Some((star_m, star_t)) = star {
            m = star_m + 1;
            t = star_t + 1;
            star = Some((star_m, star_t + 1));
        } else {
            return false;
        }
    }
    mask[m..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use tokio_util::bytes::BytesMut;
    use tokio_util::codec::Decoder;

    use super::*;

    fn decode_all(input: &[u8]) -> Vec<Line> {
        let mut codec = codec();
        let mut buffer = BytesMut::from(input);
        let mut lines = Vec::new();
        while let Some(line) = codec.decode(&mut buffer).unwrap() {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn le_dernier_parametre_garde_ses_espaces() {
        let message = parse(":x privmsg #cours :bonjour à  tous").unwrap();
        assert_eq!(message.prefix.as_deref(), Some("x"));
        assert_eq!(message.command, "PRIVMSG");
        assert_eq!(message.params, ["#cours", "bonjour à  tous"]);
        let user = parse("USER alice 0 * :Alice Martin").unwrap();
        assert_eq!(user.params, ["alice", "0", "*", "Alice Martin"]);
        assert_eq!(parse("   "), None);
        assert_eq!(parse("PING").unwrap().params, Vec::<String>::new());
        let empty = parse("TOPIC #c :").unwrap();
        assert_eq!(empty.params, ["#c", ""], "un dernier paramètre vide compte");
    }

    #[test]
    fn au_dela_de_quinze_parametres_la_fin_est_le_dernier() {
        let words: Vec<String> = (0..20).map(|n| n.to_string()).collect();
        let message = parse(&format!("CMD {}", words.join(" "))).unwrap();
        assert_eq!(message.params.len(), MAX_PARAMS);
        assert_eq!(message.params[14], "14 15 16 17 18 19");
    }

    #[test]
    fn les_lignes_de_plus_de_512_octets_sont_refusees_une_fois() {
        let mut input = vec![b'a'; 510];
        input.extend_from_slice(b"\r\nPING x\n");
        input.extend(vec![b'b'; 2000]);
        input.extend_from_slice(b"\r\nPING y\r\n");
        let lines = decode_all(&input);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0], Line::Bytes(BytesMut::from(&[b'a'; 510][..])));
        assert_eq!(lines[1], Line::Bytes(BytesMut::from("PING x")));
        assert_eq!(lines[2], Line::TooLong);
        assert_eq!(lines[3], Line::Bytes(BytesMut::from("PING y")));
    }

    #[test]
    fn un_message_ecrit_ne_depasse_jamais_512_octets() {
        let text = "é".repeat(400);
        let line = build("alice!a@h", "PRIVMSG", &["#c"], Some(&text));
        assert!(line.len() <= MAX_MESSAGE, "{}", line.len());
        assert!(line.ends_with("\r\n"));
        let short = build("srv", "001", &["alice"], Some("Welcome"));
        assert_eq!(&*short, ":srv 001 alice :Welcome\r\n");
    }

    #[test]
    fn la_casse_suit_rfc1459() {
        assert_eq!(casefold("Alice[M]\\~"), "alice{m}|^");
        assert!(is_valid_nick("alice_[m]"));
        assert!(is_valid_nick("`x"));
        assert!(!is_valid_nick("1alice"));
        assert!(!is_valid_nick("a b"));
        assert!(!is_valid_nick(&"a".repeat(NICKLEN + 1)));
        assert!(is_valid_channel("#cours"));
        assert!(!is_valid_channel("cours"));
        assert!(!is_valid_channel("#a,b"));
        assert!(!is_valid_channel("#a\x07"));
    }

    #[test]
    fn le_texte_relaye_perd_ses_sequences_de_terminal_mais_garde_la_mise_en_forme() {
        assert_eq!(sanitize("\x1b[2Jsalut\r"), "\u{FFFD}[2Jsalut\u{FFFD}");
        assert_eq!(
            sanitize("\x02gras\x02 \x01ACTION rit\x01"),
            "\x02gras\x02 \x01ACTION rit\x01"
        );
        assert_eq!(sanitize("abc\u{202e}def"), "abc\u{FFFD}def");
    }

    #[test]
    fn les_jokers() {
        assert!(wildcard_match("*!*@127.0.0.*", "Bob!b@127.0.0.1"));
        assert!(wildcard_match("a?ice", "ALICE"));
        assert!(!wildcard_match("a*b", "abc"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match(&"*a".repeat(50), &"a".repeat(40)));
    }
}
