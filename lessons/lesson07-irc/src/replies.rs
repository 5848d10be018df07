//! Les réponses numériques : trois chiffres, le pseudo du destinataire, puis des
//! paramètres et un texte lisible. Un client ne lit que le NUMÉRO (c'est ce qui le
//! rend indépendant de la langue du serveur) ; le texte est celui des RFC, que
//! chaque client et chaque suite de tests connaît.
//!
//! `001` à `099` : l'inscription ; `200` à `399` : les réponses aux commandes ;
//! `400` à `599` : les erreurs.

/// Une réponse numérique à texte fixe.
#[derive(Debug, Clone, Copy)]
pub struct Numeric {
    pub code: &'static str,
    pub text: &'static str,
}

macro_rules! numerics {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        $(pub const $name: Numeric = Numeric { code: $code, text: $text };)*
    };
}

// ANCHOR: errors
numerics! {
    ERR_NOSUCHNICK = "401", "No such nick/channel";
    ERR_NOSUCHCHANNEL = "403", "No such channel";
    ERR_CANNOTSENDTOCHAN = "404", "Cannot send to channel";
    ERR_TOOMANYCHANNELS = "405", "You have joined too many channels";
    ERR_TOOMANYTARGETS = "407", "Too many recipients. No message delivered";
    ERR_NOORIGIN = "409", "No origin specified";
    ERR_INVALIDCAPCMD = "410", "Invalid CAP subcommand";
    ERR_NOTEXTTOSEND = "412", "No text to send";
    ERR_INPUTTOOLONG = "417", "Input line was too long";
    ERR_UNKNOWNCOMMAND = "421", "Unknown command";
    ERR_NOMOTD = "422", "MOTD File is missing";
    ERR_NONICKNAMEGIVEN = "431", "No nickname given";
    ERR_ERRONEUSNICKNAME = "432", "Erroneous nickname";
    ERR_NICKNAMEINUSE = "433", "Nickname is already in use";
    ERR_USERNOTINCHANNEL = "441", "They aren't on that channel";
    ERR_NOTONCHANNEL = "442", "You're not on that channel";
    ERR_USERONCHANNEL = "443", "is already on channel";
    ERR_NOTREGISTERED = "451", "You have not registered";
    ERR_NEEDMOREPARAMS = "461", "Not enough parameters";
    ERR_ALREADYREGISTRED = "462", "Unauthorized command (already registered)";
    ERR_PASSWDMISMATCH = "464", "Password incorrect";
    ERR_CHANNELISFULL = "471", "Cannot join channel (+l)";
    ERR_UNKNOWNMODE = "472", "is unknown mode char to me";
    ERR_INVITEONLYCHAN = "473", "Cannot join channel (+i)";
    ERR_BANNEDFROMCHAN = "474", "Cannot join channel (+b)";
    ERR_BADCHANNELKEY = "475", "Cannot join channel (+k)";
    ERR_BADCHANMASK = "476", "Bad Channel Mask";
    ERR_NOPRIVILEGES = "481", "Permission Denied- You're not an IRC operator";
    ERR_CHANOPRIVSNEEDED = "482", "You're not channel operator";
    ERR_NOOPERHOST = "491", "No O-lines for your host";
    ERR_UMODEUNKNOWNFLAG = "501", "Unknown MODE flag";
    ERR_USERSDONTMATCH = "502", "Cannot change mode for other users";
}
// ANCHOR_END: errors

numerics! {
    RPL_UNAWAY = "305", "You are no longer marked as being away";
    RPL_NOWAWAY = "306", "You have been marked as being away";
    RPL_ENDOFWHO = "315", "End of WHO list";
    RPL_ENDOFWHOIS = "318", "End of WHOIS list";
    RPL_LISTEND = "323", "End of LIST";
    RPL_NOTOPIC = "331", "No topic is set";
    RPL_ENDOFNAMES = "366", "End of NAMES list";
    RPL_ENDOFBANLIST = "368", "End of channel ban list";
    RPL_ENDOFMOTD = "376", "End of MOTD command";
    RPL_YOUREOPER = "381", "You are now an IRC operator";
    RPL_ISOPER = "313", "is an IRC operator";
}
