//! # Exercices du cours « Réseau en Rust »
//!
//! Chaque module est un exercice : remplacez les `todo!()` par votre code, puis lancez
//!
//! ```text
//! cargo test -p exercises          # tous les exercices, avec le bilan et la note
//! cargo test -p exercises ex03     # seulement l'exercice 03
//! ```
//!
//! Les tests sont dans `exercises/tests/` : lisez-les, ils disent ce qui est attendu. Chaque
//! fonction indique la leçon (`lessons/...`) et le chapitre du livre qui aident.
//! L'enseignant corrige avec les mêmes tests, plus quelques tests cachés : écrivez du code
//! juste, pas du code qui ne satisfait que les tests visibles.

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
