#!/usr/bin/env python3
"""Serveur d'écho Python, un thread par client, dans le style du TP 04 (section 1.1).

Lancement : python3 echo_threads.py PORT   (0 : le noyau choisit un port libre)
Le comparatif (cargo run --release -p bench-suite) le démarre lui-même.

Différences voulues avec le document : on renvoie sur la socket DU client (le TP écrit
`sclient.send`, qui n'envoie qu'une partie des octets si le tampon est plein : ici `sendall`),
et l'on active TCP_NODELAY comme les serveurs Rust, pour comparer à armes égales.
"""
import socket
import sys
import threading


def handle(sclient):
    while True:
        data = sclient.recv(1500)
        if data == b"":
            break
        sclient.sendall(data)
    sclient.close()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7777
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1024)
    print("PRÊT", "%s:%d" % s.getsockname(), flush=True)
    while True:
        sclient, _ = s.accept()
        sclient.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(None, handle, None, (sclient,), daemon=True)
        t.start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
