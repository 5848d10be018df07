//! Écrire à un pair qui a fermé : le premier `write` réussit, un suivant échoue.
//!
//! Le serveur accepte puis ferme aussitôt. Le client lit la fin de flux (le FIN du
//! serveur), puis écrit deux fois. Le noyau du client ne sait pas que le serveur
//! n'a plus de socket : il accepte la première écriture et l'envoie ; c'est le noyau
//! du serveur qui répond par un RST. Seule une écriture SUIVANTE, une fois le RST
//! arrivé, échoue.
//!
//! `cargo run -p lesson01-echo --example pair_parti`

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> io::Result<()> {
        let (stream, _) = listener.accept()?;
        drop(stream); // fermeture complète : FIN, et plus aucune socket pour recevoir
        Ok(())
    });
    let mut client = TcpStream::connect(addr)?;
    server.join().expect("le serveur")?;

    let mut byte = [0u8; 1];
    let read = client.read(&mut byte)?;
    println!("read    -> Ok({read})   le FIN du serveur : fin de flux");
    show("write 1", client.write(b"deux\n"));
    // Le RST met un aller-retour à revenir (quelques microsecondes sur la boucle
    // locale) : on lui laisse largement le temps.
    thread::sleep(Duration::from_millis(100));
    show("write 2", client.write(b"trois\n"));
    Ok(())
}

/// Affiche le résultat d'une écriture : le nombre d'octets acceptés, ou le genre
/// d'erreur (portable : `BrokenPipe` sous Unix, `ConnectionReset` ou
/// `ConnectionAborted` sous Windows).
fn show(what: &str, result: io::Result<usize>) {
    match result {
        Ok(written) => {
            println!("{what} -> Ok({written})   accepté par le noyau, puis perdu")
        }
        Err(err) => println!("{what} -> Err({:?})   {err}", err.kind()),
    }
}
