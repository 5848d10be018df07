//! # Exercices du cours « Réseau en Rust »
//!
//! Chaque module est un exercice : remplacez les `todo!()` par votre code, puis
//! lancez
//!
//! ```text
//! cargo test -p exercises          # tous les exercices, avec le bilan et la note
//! cargo test -p exercises ex03     # seulement l'exercice 03
//! ```
//!
//! Les tests sont dans `exercises/tests/` : lisez-les, ils disent ce qui est attendu.
//! Chaque fonction indique la leçon (`lessons/...`) et le chapitre du livre qui
//! aident. L'enseignant corrige avec les mêmes tests, plus quelques tests cachés :
//! écrivez du code juste, pas du code qui ne satisfait que les tests visibles.
//!
//! Chaque exercice est compilé À PART par `cargo test -p exercises` : une erreur dans
//! l'un ne coûte que celui-là. Un exercice ne peut donc pas utiliser le code d'un
//! autre, ni inclure un fichier hors de `src/` (`#[path]`, `include!`... sont
//! refusés), ni utiliser `unsafe`. Les déclarations ci-dessous servent à votre
//! éditeur (rust-analyzer), à `cargo clippy -p exercises` et à `cargo doc`, qui
//! voient ainsi tous les exercices ensemble.

#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex01_write_all;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex02_read_exact;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex03_line_reader;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex04_length_prefix;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex05_echo_session;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex06_thread_per_client;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex07_health_check;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex08_graceful_close;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex09_mio_echo;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex10_chat_command;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex11_chat_routing;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex12_history;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex13_relay;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex14_file_transfer;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex15_udp_echo;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex16_irc_message;
#[cfg(any(rust_analyzer, clippy, doc))]
pub mod ex17_irc_numeric;
