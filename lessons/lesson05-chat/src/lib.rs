//! # Leçon 05 — le salon de discussion, sur tokio
//!
//! La destination du cours : un vrai salon à plusieurs, avec des pseudos, un
//! historique et les commandes du document 04 (§ 2.3). Une classe entière peut y
//! discuter sur le réseau local avec `nc`, `telnet` ou le client Rust, et un étudiant
//! facétieux ne peut pas le faire tomber.
//!
//! Le serveur tourne sur **tokio** : chaque connexion est une *tâche* (quelques
//! centaines d'octets) et non un thread (plusieurs Kio de pile, leçon 03) ; la boucle
//! d'événements de la leçon 04 est cachée dans le runtime, et le code se lit de haut
//! en bas comme du code bloquant.
//!
//! - Lancer le serveur : `cargo run -p lesson05-chat`
//! - Le rejoindre : `cargo run -p lesson05-chat -- client --nick alice`, ou
//!   `nc 127.0.0.1 7777` (sans `--nick`, le client laisse répondre à la question du
//!   serveur)
//! - L'ouvrir au réseau local : `cargo run -p lesson05-chat -- --addr 0.0.0.0:7777`
//!
//! À observer : ouvrez trois terminaux, discutez, tapez `/help`, `/who`, `/msg`. Le
//! terminal du serveur journalise les arrivées, les départs et les changements de
//! pseudo (`-v` montre aussi les messages). Essayez de le casser : une ligne énorme,
//! des octets invalides, un client qui ne lit plus (`nc` suspendu par Ctrl+Z), mille
//! connexions…
//!
//! ## Le protocole
//!
//! Des lignes de texte UTF-8, terminées par `\n` ou `\r\n`, de `--max-line` octets au
//! plus ([`server::DEFAULT_MAX_LINE`] par défaut). Les lignes vides sont ignorées.
//!
//! **Connexion.** Le serveur salue et demande un pseudo :
//!
//! ```text
//! *** Salon « Réseau en Rust ». Une fois inscrit, tapez /help pour l'aide.
//! *** Votre pseudo ? (1 à 16 caractères : lettres sans accent, chiffres, _ ou -)
//! ```
//!
//! La première ligne du client est son pseudo : 1 à 16 caractères parmi les lettres
//! ASCII, les chiffres, `_` et `-`, unique sans tenir compte de la casse. Sinon une
//! erreur (`*** Pseudo refusé : …` ou `*** Le pseudo bob est déjà pris : …`) et la
//! question à nouveau. Sans pseudo au bout de `--register-timeout` secondes
//! ([`server::DEFAULT_REGISTER_TIMEOUT`]), la connexion est fermée.
//!
//! **Inscription.** La PREMIÈRE ligne reçue après un pseudo accepté commence par
//! `*** Bienvenue` ; suivent les derniers messages publics, puis la discussion :
//!
//! ```text
//! *** Bienvenue, alice ! 2 personnes dans le salon (/who, /help).
//! *** Derniers messages publics (1) :
//! [il y a 5 min] bob: quelqu'un ?
//! ```
//!
//! Les autres reçoivent `*** alice a rejoint le salon.`
//!
//! **Lignes reçues.** Trois formes seulement, que rien de ce qu'un client écrit ne
//! peut imiter (le serveur écrit lui-même le pseudo, qui ne contient ni espace, ni
//! `:`, ni `*`, ni `[`) :
//!
//! - `alice: texte` : un message public d'alice (l'expéditeur ne le reçoit pas en
//!   retour) ;
//! - `[privé] alice: texte` : un message privé d'alice ;
//! - `*** texte` : une notice du serveur (arrivées, départs, erreurs, réponses aux
//!   commandes).
//!
//! Les caractères de contrôle (ESC des séquences ANSI, NUL, `\r` seul…) et ceux qui
//! changent le sens d'écriture sont remplacés par `�` ; les blancs répétés deviennent
//! une espace. Aucune ligne ne dépasse 80 colonnes : un long message arrive en
//! plusieurs lignes, chacune précédée du pseudo de son auteur (sinon, rembourré
//! jusqu'au bord du terminal, il pourrait afficher une fausse notice en début de
//! ligne).
//!
//! **Commandes** (la casse ne compte pas : `/MSG` vaut `/msg`) :
//!
//! | Commande | Effet |
//! |---|---|
//! | `texte` | message public à tous les autres |
//! | `/msg PSEUDO TEXTE` | message privé (jamais dans l'historique) |
//! | `/nick NOUVEAU` | change de pseudo ; tous reçoivent `*** alice s'appelle désormais alicia.` |
//! | `/who` | `*** Connectés (2) : alice, bob` (ordre alphabétique) |
//! | `/history [N]` | les N derniers messages publics gardés (tous sans N) |
//! | `/help` | la liste des commandes |
//! | `/quit [raison]` ou `exit` | `*** Au revoir, alice !`, puis fermeture ; les autres reçoivent `*** alice a quitté le salon (raison).` |
//! | `/oper MOT_DE_PASSE` | devient opérateur (mot de passe : `--oper-password` ou `CHAT_OPER_PASSWORD`) |
//! | `/kill PSEUDO [raison]` | (opérateurs) la cible reçoit `*** Vous avez été expulsé(e) par …` et est déconnectée |
//! | `//texte` | envoie `/texte` au salon |
//!
//! Toute autre ligne commençant par `/` reçoit `*** Commande inconnue : /…`, à son
//! auteur seul.
//!
//! **Départs.** Les autres reçoivent une notice, une seule fois, quelle que soit la
//! façon de partir : `a quitté le salon`, `s'est déconnecté(e)`,
//! `a été expulsé(e) par …`, `ne lisait plus ses messages : déconnecté(e).` À l'arrêt
//! du serveur (Ctrl+C), chacun reçoit `*** Le serveur s'arrête. Au revoir !`.
//!
//! **Limites.** `--max-clients` connexions (au-delà : `*** Serveur complet …` et
//! fermeture), `--max-per-address` depuis une même adresse, `--max-rate` lignes par
//! seconde et par client (au-delà, le client est RALENTI : on cesse de le lire, TCP
//! le fait attendre, rien n'est perdu), et une file d'envoi comptée en octets : un
//! client dont la socket reste engorgée est déconnecté, sans ralentir les autres. Le
//! détail : le chapitre « Le protocole du chat » du livre, et [`Config`].
//!
//! ## Organisation
//!
//! Un sujet par fichier, chacun se lit de haut en bas :
//!
//! - [`protocol`] : le protocole sans réseau (découpage en lignes, commandes,
//!   pseudos, neutralisation, lignes de 80 colonnes, et chaque phrase du serveur) ;
//! - [`server`] : les réglages, la socket d'écoute, la boucle d'acceptation
//!   (`accept_until`), l'accueil, l'arrêt ;
//! - [`admission`] : le portier (les places, au total et par adresse, et ce que le
//!   serveur retient de chaque adresse), les tâches des connexions et leur arrêt ;
//! - `state.rs` : l'état partagé (inscrits, diffusion) ;
//! - [`connection`] : la vie d'une connexion, sa file d'envoi et son budget en
//!   octets, le rythme de lecture (`Pacer`) et le trait `Conversation` qui sépare
//!   la boucle du protocole ;
//! - `session.rs` : la session de ce salon (le rythme, l'inscription, le départ) ;
//! - `commands.rs` : une fonction par commande ;
//! - [`rate_limit`] : le seau à jetons, les essais de `/oper`, le journal limité ;
//! - [`history`] : l'historique en mémoire et son fichier, écrit par un thread à
//!   lui ;
//! - [`client`] : le client, clavier et réseau en même temps ;
//! - `tui` : le même client en plein écran (ratatui), la saisie à l'abri des
//!   messages qui arrivent (la fonction `tui`, active par défaut).
//!
//! Ce qui ne sait rien du salon est public, et les leçons suivantes l'empruntent
//! sans rien recopier : `server::{listen, accept_until, tune}`, `admission`,
//! `connection`, `protocol::LineCodec` et `rate_limit` (la leçon 07, pour IRC),
//! `ChatServer::admit` (la leçon 08, pour chaque navigateur).

pub mod admission;
pub mod client;
mod commands;
pub mod connection;
pub mod history;
pub mod protocol;
pub mod rate_limit;
pub mod server;
mod session;
mod state;
#[cfg(feature = "tui")]
pub mod tui;

pub use client::{ClientEnd, run_client};
pub use server::{ChatServer, Config, listen, serve};
#[cfg(feature = "tui")]
pub use tui::run_tui;

/// Adresse d'écoute par défaut : la boucle locale, joignable seulement depuis cette
/// machine.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7777";
