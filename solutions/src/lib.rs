//! # Solutions de référence des exercices du cours « Réseau en Rust »
//!
//! Mêmes modules et mêmes signatures que le crate `exercises` : c'est ce que
//! l'enseignant montre après la séance. Chaque solution est commentée : POURQUOI
//! chaque étape, et où le code Python des documents du cours se trompait.
//!
//! Les tests sont ceux des élèves (`exercises/tests/`, inclus par leur chemin), plus
//! des tests cachés (`solutions/tests/hidden/`). Voir `solutions/ENSEIGNANT.md`.

pub mod ex01_write_all;
pub mod ex02_read_exact;
pub mod ex03_line_reader;
pub mod ex04_length_prefix;
pub mod ex05_echo_session;
pub mod ex06_thread_per_client;
pub mod ex07_health_check;
pub mod ex08_graceful_close;
pub mod ex09_mio_echo;
pub mod ex10_chat_command;
pub mod ex11_chat_routing;
pub mod ex12_history;
pub mod ex13_relay;
pub mod ex14_file_transfer;
pub mod ex15_udp_echo;
pub mod ex16_irc_message;
pub mod ex17_irc_numeric;
