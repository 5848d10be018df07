//! Le programme de test des exercices : `cargo test -p exercises` (ou `... ex03` pour un seul).
//!
//! Chaque fichier `exNN_*.rs` de ce dossier contient les tests d'un exercice et les déclare
//! avec `tests![...]` ; ce fichier les rassemble et lance le banc de correction
//! (`common/harness.rs`), qui affiche à la fin le bilan et la note.
//!
//! Les mêmes fichiers servent à vérifier les solutions de référence (`solutions/tests/grade.rs`
//! les inclut par leur chemin) : les tests ne peuvent pas diverger.

#[macro_use]
mod common;

mod ex01_write_all;
mod ex02_read_exact;
mod ex03_line_reader;
mod ex04_length_prefix;
mod ex05_echo_session;
mod ex06_thread_per_client;
mod ex07_health_check;
mod ex08_graceful_close;
mod ex09_mio_echo;
mod ex10_chat_command;
mod ex11_chat_routing;
mod ex12_history;
mod ex13_relay;
mod ex14_file_transfer;
mod ex15_udp_echo;

fn main() {
    let visible = [
        ex01_write_all::TESTS,
        ex02_read_exact::TESTS,
        ex03_line_reader::TESTS,
        ex04_length_prefix::TESTS,
        ex05_echo_session::TESTS,
        ex06_thread_per_client::TESTS,
        ex07_health_check::TESTS,
        ex08_graceful_close::TESTS,
        ex09_mio_echo::TESTS,
        ex10_chat_command::TESTS,
        ex11_chat_routing::TESTS,
        ex12_history::TESTS,
        ex13_relay::TESTS,
        ex14_file_transfer::TESTS,
        ex15_udp_echo::TESTS,
    ];
    // Les tests cachés n'existent que chez l'enseignant (`solutions/tests/hidden/`).
    common::harness::main(visible, [&[]; 15])
}
