//! # La boîte à outils commune des programmes du cours
//!
//! Chaque leçon garde tout son code réseau pour elle : on la lit de haut en bas, sans
//! aller voir ailleurs. Seule la « colle » identique d'un `main.rs` à l'autre vit
//! ici, écrite une fois (le livre la montre au chapitre de la leçon 01) :
//!
//! - [`cli`] : le gabarit d'aide en français, la lecture de la ligne de commande (une
//!   option invalide s'explique en une phrase française, un entier hors de ses bornes
//!   est refusé), la résolution de « hôte:port », la traduction des erreurs attendues
//!   (port déjà pris, connexion refusée…) en une phrase française, et la sortie du
//!   programme avec un code d'erreur ; `show!` pour ce que le programme dit à la
//!   personne qui l'a lancé ;
//! - [`journal`] : le journal d'un serveur, une ligne par événement sur la sortie
//!   d'erreur, qui ne fait jamais paniquer le serveur.
//!
//! Pourquoi un crate plutôt qu'une copie par leçon ? La même correction a dû être
//! appliquée leçon par leçon plusieurs fois ; une seule copie ne peut plus diverger.

pub mod cli;
pub mod journal;
