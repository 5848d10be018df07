//! Les tests des exercices, lancés contre les solutions de référence : les tests VISIBLES
//! des élèves (inclus depuis `exercises/tests/`, jamais copiés : ils ne peuvent pas diverger)
//! et les tests CACHÉS de l'enseignant (`hidden/`).
//!
//! La commande de correction (`teacher grade`) compile ce même fichier contre le travail d'un
//! élève : le nom `exercises` désigne alors son crate au lieu des solutions.

// Ici, `exercises::...` désigne les solutions de référence.
extern crate solutions as exercises;

#[macro_use]
#[path = "../../exercises/tests/common/mod.rs"]
mod common;

#[path = "../../exercises/tests/ex01_write_all.rs"]
mod ex01_write_all;
#[path = "../../exercises/tests/ex02_read_exact.rs"]
mod ex02_read_exact;
#[path = "../../exercises/tests/ex03_line_reader.rs"]
mod ex03_line_reader;
#[path = "../../exercises/tests/ex04_length_prefix.rs"]
mod ex04_length_prefix;
#[path = "../../exercises/tests/ex05_echo_session.rs"]
mod ex05_echo_session;
#[path = "../../exercises/tests/ex06_thread_per_client.rs"]
mod ex06_thread_per_client;
#[path = "../../exercises/tests/ex07_health_check.rs"]
mod ex07_health_check;
#[path = "../../exercises/tests/ex08_graceful_close.rs"]
mod ex08_graceful_close;
#[path = "../../exercises/tests/ex09_mio_echo.rs"]
mod ex09_mio_echo;
#[path = "../../exercises/tests/ex10_chat_command.rs"]
mod ex10_chat_command;
#[path = "../../exercises/tests/ex11_chat_routing.rs"]
mod ex11_chat_routing;
#[path = "../../exercises/tests/ex12_history.rs"]
mod ex12_history;
#[path = "../../exercises/tests/ex13_relay.rs"]
mod ex13_relay;
#[path = "../../exercises/tests/ex14_file_transfer.rs"]
mod ex14_file_transfer;
#[path = "../../exercises/tests/ex15_udp_echo.rs"]
mod ex15_udp_echo;

/// Les tests cachés : des cas limites que les élèves ne voient pas.
mod hidden {
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
}

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
    let hidden = [
        hidden::ex01_write_all::TESTS,
        hidden::ex02_read_exact::TESTS,
        hidden::ex03_line_reader::TESTS,
        hidden::ex04_length_prefix::TESTS,
        hidden::ex05_echo_session::TESTS,
        hidden::ex06_thread_per_client::TESTS,
        hidden::ex07_health_check::TESTS,
        hidden::ex08_graceful_close::TESTS,
        hidden::ex09_mio_echo::TESTS,
        hidden::ex10_chat_command::TESTS,
        hidden::ex11_chat_routing::TESTS,
        hidden::ex12_history::TESTS,
        hidden::ex13_relay::TESTS,
        hidden::ex14_file_transfer::TESTS,
        hidden::ex15_udp_echo::TESTS,
    ];
    common::harness::main(visible, hidden)
}
