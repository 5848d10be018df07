#!/usr/bin/env bash
# Passe la suite de conformité irctest sur la leçon 07, puis sur ngIRCd (le paquet
# Debian `ngircd`), avec la même sélection de tests : celle qu'irctest utilise pour
# ngIRCd (ni IRCv3, ni services, ni comportement propre à un serveur, ni obsolète,
# ni « strict »). Documenté dans le chapitre « Leçon 07 » du livre ; pas lancé par
# l'intégration continue (il faut le réseau pour installer irctest).
#
# Usage : lessons/lesson07-irc/irctest/run.sh [DOSSIER_IRCTEST]
#   DOSSIER_IRCTEST : une copie de https://github.com/progval/irctest (défaut :
#   target/irctest, cloné s'il manque). Un environnement Python (venv) est créé
#   dans target/irctest-venv. Les rapports vont dans target/irctest-*.txt.
set -euo pipefail
cd "$(dirname "$0")/../../.."
repo="$PWD"
irctest="${1:-target/irctest}"
venv=target/irctest-venv
if [ ! -d "$irctest" ]; then
    git clone --depth 1 https://github.com/progval/irctest "$irctest"
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$irctest/requirements.txt" pytest-xdist
fi
cargo build -q -p lesson07-irc
# IRCTEST_MARKERS remplace la sélection (par exemple celle du Makefile d'irctest pour
# ngIRCd, qui garde les tests IRCv3 : "not services and not implementation-specific
# and not deprecated and not strict").
markers="${IRCTEST_MARKERS:-not IRCv3 and not services and not implementation-specific \
and not deprecated and not strict}"
suffix="${IRCTEST_SUFFIX:-}"
run() {
    local name="$1" controller="$2"
    (cd "$irctest" && PYTHONPATH="$repo/lessons/lesson07-irc/irctest" \
        LESSON07_IRC_BIN="$repo/target/debug/lesson07-irc" \
        "$repo/$venv/bin/python" -m pytest -q -p no:cacheprovider \
        --controller "$controller" -m "$markers" -n 4 irctest/server_tests \
        >"$repo/target/irctest-$name$suffix.txt" 2>&1) || true
    echo "$name : $(tail -1 "target/irctest-$name$suffix.txt")"
}
run lesson07 reseau_irc
if command -v ngircd >/dev/null; then
    run ngircd irctest.controllers.ngircd
else
    echo "ngircd : sauté (apt-get install ngircd)"
fi
