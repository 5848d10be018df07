//! Un petit programme qui sert aux tests de `test-kit` lui-même : il fait, selon son
//! premier argument, ce que font les programmes du cours (annoncer une adresse,
//! répéter son entrée, ne jamais finir, servir l'écho en journalisant…).

use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        // Une ligne sur chaque sortie, puis le code de sortie demandé.
        ["code", code] => {
            println!("sortie standard");
            eprintln!("sortie d'erreur");
            ExitCode::from(code.parse::<u8>().unwrap_or(1))
        }
        // Répète chaque ligne de l'entrée, puis « fin ».
        ["repeat"] => {
            for line in io::stdin().lock().lines().map_while(Result::ok) {
                println!("reçu : {line}");
            }
            println!("fin");
            ExitCode::SUCCESS
        }
        // Une bannière de serveur, une ligne de journal, puis rien, pour toujours.
        ["serve"] => {
            println!("Perroquet en écoute sur 127.0.0.1:7777 (essai).");
            eprintln!("journal : prêt");
            loop {
                thread::sleep(Duration::from_secs(1));
            }
        }
        // Écrit sans fin sur ses deux sorties en ignorant les erreurs, comme un
        // serveur qui journalise.
        ["chatter"] => {
            println!("première ligne");
            let mut number = 0u64;
            loop {
                number += 1;
                let _ = writeln!(io::stdout(), "ligne {number}");
                let _ = writeln!(io::stderr(), "journal {number}");
                thread::sleep(Duration::from_millis(1));
            }
        }
        // Un serveur d'écho qui écrit une ligne de journal par client AVANT de le
        // servir : « fragile » avec `println!`, qui panique si la sortie est
        // fermée ; « robust » en ignorant l'échec, comme `course_kit::log!`.
        ["echo", kind @ ("fragile" | "robust"), "--addr", addr] => {
            let Ok(listener) = TcpListener::bind(addr) else {
                return ExitCode::from(1);
            };
            let Ok(addr) = listener.local_addr() else {
                return ExitCode::from(1);
            };
            println!("Perroquet en écoute sur {addr} (écho).");
            for stream in listener.incoming().map_while(Result::ok) {
                if kind == "fragile" {
                    println!("client connecté");
                } else {
                    let _ = writeln!(io::stdout(), "client connecté");
                }
                let _ = io::copy(&mut &stream, &mut &stream);
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage : parrot code N | repeat | serve | chatter \
                 | echo fragile|robust --addr ADRESSE"
            );
            ExitCode::from(2)
        }
    }
}
