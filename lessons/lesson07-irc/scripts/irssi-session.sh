#!/usr/bin/env bash
# Une vraie session irssi contre le serveur de la leçon 07, dans tmux : alice et bob
# (deux irssi non modifiés) s'inscrivent, rejoignent #cours et échangent une ligne.
# L'écran d'alice est capturé tel quel (tmux capture-pane) : c'est la capture que
# montre le livre (book/src/irc/session-irssi.txt).
#
# Usage : lessons/lesson07-irc/scripts/irssi-session.sh [FICHIER]
#   FICHIER : où écrire l'écran d'alice (défaut : target/irc/session-irssi.txt).
#   Le livre se régénère avec :
#     lessons/lesson07-irc/scripts/irssi-session.sh book/src/irc/session-irssi.txt
# Il faut irssi et tmux (apt-get install irssi tmux) ; sans eux, le script le dit et
# sort avec le code 77 (« sauté »). Code 1 : la session n'a pas eu lieu comme prévu.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${1:-target/irc/session-irssi.txt}"

for tool in irssi tmux; do
    if ! command -v "$tool" >/dev/null; then
        echo "session irssi sautée : $tool n'est pas installé" \
            "(apt-get install irssi tmux)."
        exit 77
    fi
done
# Le test `tests/irssi.rs` donne le binaire qu'il vient de compiler.
bin="${LESSON07_IRC_BIN:-}"
if [ -z "$bin" ]; then
    cargo build -q -p lesson07-irc
    bin=target/debug/lesson07-irc
fi
work="$(mktemp -d)"
socket="$work/tmux.sock"
server_pid=""
cleanup() {
    tmux -S "$socket" kill-server 2>/dev/null || true
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Le serveur, sur un port choisi par le noyau : la bannière dit lequel.
"$bin" --addr 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

# Attend (au plus N × 0,1 s) que la commande « $2… » réussisse ; échoue sinon.
wait_for() {
    local tries="$1"
    shift
    for _ in $(seq "$tries"); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    echo "délai dépassé : $*" >&2
    echo "--- écran d'alice :" >&2
    tmux -S "$socket" capture-pane -p -t alice >&2 || true
    echo "--- journal du serveur :" >&2
    cat "$work/server.err" >&2 || true
    exit 1
}
banner() { grep -q 'en écoute sur' "$work/server.out"; }
wait_for 100 banner
port="$(sed -n 's/.*en écoute sur 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")"

# Un irssi par personne, chacun avec son propre dossier de configuration (neuf),
# dans un terminal de 80 × 20 : la taille de la capture du livre.
start_irssi() {
    local nick="$1"
    mkdir -p "$work/$nick"
    tmux -S "$socket" new-session -d -s "$nick" -x 80 -y 20 \
        "irssi --home=$work/$nick -c 127.0.0.1 -p $port -n $nick"
}
# Ce que montre l'écran de $1 contient-il « $2 » ?
shows() { tmux -S "$socket" capture-pane -p -t "$1" | grep -qF -- "$2"; }
type_in() {
    tmux -S "$socket" send-keys -t "$1" -l -- "$2"
    tmux -S "$socket" send-keys -t "$1" Enter
}

start_irssi alice
wait_for 100 shows alice "Welcome to the ReseauEnRust IRC Network"
type_in alice "/join #cours"
wait_for 100 shows alice "has joined #cours"
start_irssi bob
wait_for 100 shows bob "Welcome to the ReseauEnRust IRC Network"
type_in bob "/join #cours"
wait_for 100 shows alice "bob"
type_in bob "bonjour alice, tu me lis ?"
wait_for 100 shows alice "bonjour alice, tu me lis ?"
type_in alice "oui, par le vrai protocole IRC !"
wait_for 100 shows bob "oui, par le vrai protocole IRC !"
type_in bob "/nick bobby"
wait_for 100 shows alice "bob is now known as bobby"
type_in bob "/quit à demain"
wait_for 100 shows alice "bobby [root@127.0.0.1] has quit"

mkdir -p "$(dirname "$out")"
{
    echo "\$ irssi -c 127.0.0.1 -p $port -n alice"
    # Les lignes vides de la fin de l'écran n'apportent rien.
    tmux -S "$socket" capture-pane -p -t alice | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
} >"$out"
echo "session irssi enregistrée dans $out"
