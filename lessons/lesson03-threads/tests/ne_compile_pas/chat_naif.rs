//! Le chat du premier document, traduit mot à mot : ce fichier NE COMPILE PAS, exprès.
//! Le test `tests/ne_compile_pas.rs` vérifie que le compilateur le refuse, avec ces erreurs-là.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

// ANCHOR: naive
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let mut clients: Vec<TcpStream> = Vec::new();
    loop {
        let (stream, _) = listener.accept()?;
        clients.push(stream.try_clone()?);
        thread::spawn(|| handle_client(stream, &mut clients));
    }
}
// ANCHOR_END: naive

/// Relaie chaque morceau reçu à tous les clients, puis retire ce client de la liste.
fn handle_client(mut stream: TcpStream, clients: &mut Vec<TcpStream>) {
    let mut buffer = [0u8; 1024];
    while let Ok(received) = stream.read(&mut buffer) {
        if received == 0 {
            break;
        }
        for client in clients.iter_mut() {
            let _ = client.write_all(&buffer[..received]);
        }
    }
    clients.retain(|client| client.peer_addr().ok() != stream.peer_addr().ok());
}
