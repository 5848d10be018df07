#!/usr/bin/env python3
"""Serveur de chat Python avec select(), dans le style du TP 04 (section 2.1).

Lancement : python3 chat_select.py PORT   (0 : le noyau choisit un port libre)
Le comparatif (cargo run --release -p bench-suite) le démarre lui-même.

Comme dans le document, chaque message est renvoyé à tous les autres clients avec
`sendall` sur une socket BLOQUANTE : un seul client qui ne lit plus finit par bloquer
tout le serveur (le comparatif le montre). Deux ajouts : on ne relaie que des lignes
complètes (un tampon par client), sinon deux messages arrivés en morceaux peuvent se
mélanger chez les destinataires ; et chaque arrivée reçoit « *** Bienvenue », comme dans
les leçons, pour que le générateur sache que le client est inscrit.
"""
import select
import socket
import sys


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7777
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1024)
    print("PRÊT", "%s:%d" % s.getsockname(), flush=True)
    l = []
    pending = {}
    while True:
        (rl, wl, xl) = select.select(l + [s], [], [])
        for soc in rl:
            if soc == s:
                sclient, a = s.accept()
                sclient.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                l.append(sclient)
                pending[sclient] = b""
                sclient.sendall(b"*** Bienvenue\n")
                continue
            try:
                data = soc.recv(1500)
            except OSError:
                data = b""
            if data == b"":
                soc.close()
                l.remove(soc)
                del pending[soc]
                continue
            buffered = pending[soc] + data
            cut = buffered.rfind(b"\n") + 1
            pending[soc] = buffered[cut:]
            if cut == 0:
                continue
            # Envoie les lignes complètes à tout le monde sauf à l'émetteur.
            for sc in l:
                if sc != soc:
                    try:
                        sc.sendall(buffered[:cut])
                    except OSError:
                        pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
