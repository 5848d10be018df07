"""Contrôleur irctest pour le serveur de la leçon 07 (lesson07-irc).

irctest (https://github.com/progval/irctest) lance le serveur à tester pour chaque
test, avec ce contrôleur, sur un port libre. Le mode d'emploi et la commande
exacte sont dans lessons/lesson07-irc/irctest/run.sh.

Le binaire : $LESSON07_IRC_BIN, sinon target/debug/lesson07-irc du dépôt.
"""

import atexit
import os
from pathlib import Path
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController

REPO = Path(__file__).resolve().parents[3]
BINARY = os.environ.get("LESSON07_IRC_BIN", str(REPO / "target/debug/lesson07-irc"))


class ReseauIrcController(BaseServerController, DirectoryBasedController):
    software_name = "lesson07-irc"
    supported_sasl_mechanisms: Set[str] = set()
    supports_sts = False

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")
        if run_services:
            raise NotImplementedByController("services")
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        # irctest propose « 0.0.0.0 » (toutes les interfaces) ; les tests du cours
        # n'écoutent que sur la boucle locale, et Linux y envoie aussi les
        # connexions adressées à 0.0.0.0.
        command = [
            BINARY,
            "--addr", f"127.0.0.1:{port}",
            "--name", "My.Little.Server",
            "--oper", "operuser", "operpassword",
            "--max-clients", "1000",
            "--max-per-address", "1000",
        ]
        if password:
            command += ["--password", password]
        self.proc = self.execute(command)
        # Un test sauté pendant sa préparation (setUp) n'appelle pas tearDown : sans
        # ceci, son serveur survivrait à pytest.
        proc = self.proc
        atexit.register(lambda: proc.poll() is None and proc.kill())


def get_irctest_controller_class() -> Type[ReseauIrcController]:
    return ReseauIrcController
