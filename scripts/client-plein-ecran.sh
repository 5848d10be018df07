#!/usr/bin/env bash
# Essaie pour de vrai le client plein écran de la leçon 05, dans un terminal tmux de
# 100 × 30 : alice tape une ligne, bob (un client ligne à ligne) parle pendant ce temps,
# et l'écran d'alice doit montrer le message de bob SANS toucher à la ligne en cours.
# Puis Entrée envoie la ligne intacte, Ctrl+C quitte et rend le terminal (code 0).
# Chaque attente lit l'écran (tmux capture-pane) au plus 100 fois, toutes les 0,1 s.
#
# Usage : scripts/client-plein-ecran.sh [DOSSIER]
#   DOSSIER : où écrire la capture d'écran (défaut : target/captures). Le livre inclut
#   celle de book/src/captures, régénérée par :
#   scripts/client-plein-ecran.sh book/src/captures
#
# Sans tmux (apt-get install tmux), le script le dit et s'arrête sans erreur.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/captures}"

if ! command -v tmux >/dev/null; then
    echo "essai du client plein écran sauté : tmux est absent (apt-get install tmux)."
    exit 0
fi

cargo build -q -p lesson05-chat
bin="${CARGO_TARGET_DIR:-target}/debug/lesson05-chat"
work="$(mktemp -d)"
# Un serveur tmux à nous (-L) : ni la configuration ni les sessions de l'utilisateur.
tmux=(tmux -L "client-plein-ecran-$$" -f /dev/null)
pids=()
cleanup() {
    "${tmux[@]}" kill-server 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Lit l'écran d'alice dans $work/ecran.txt.
capture() {
    "${tmux[@]}" capture-pane -p -t chat >"$work/ecran.txt"
}

# wait_for DESCRIPTION COMMANDE… : relance COMMANDE au plus 100 fois (10 s), sinon
# échoue en montrant le dernier écran.
wait_for() {
    local what=$1
    shift
    for _ in $(seq 100); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    echo "ÉCHEC : $what. Dernier écran :" >&2
    cat "$work/ecran.txt" >&2 2>/dev/null || true
    exit 1
}

# L'écran montre-t-il chacun de ces textes ?
shows() {
    capture
    local text
    for text in "$@"; do
        grep -qF -- "$text" "$work/ecran.txt" || return 1
    done
}

# La ligne de saisie (l'avant-dernière de l'écran) vaut-elle $1, et l'écran
# montre-t-il aussi le reste des arguments ?
input_is() {
    local input=$1
    shift
    shows "$@" && [ "$(tail -n 2 "$work/ecran.txt" | head -n 1)" = "$input" ]
}

# Le serveur, sur le port par défaut s'il est libre (la capture montre alors la
# commande du livre telle quelle), sinon sur un port choisi par le noyau.
start_server() {
    : >"$work/serveur.txt"
    "$bin" server --addr "$1" >"$work/serveur.txt" 2>"$work/journal.txt" &
    server=$!
    pids+=("$server")
    listening() {
        grep -q "en écoute sur" "$work/serveur.txt" || ! kill -0 "$server" 2>/dev/null
    }
    wait_for "le serveur démarre" listening
    grep -q "en écoute sur" "$work/serveur.txt"
}
start_server 127.0.0.1:7777 || start_server 127.0.0.1:0
addr="$(sed -n 's/.* en écoute sur \([^ ]*\) .*/\1/p' "$work/serveur.txt" | head -n 1)"
options="--nick alice"
[ "$addr" = 127.0.0.1:7777 ] || options="$options --addr $addr"

# alice : le client plein écran, dans un terminal tmux. remain-on-exit garde l'écran
# après la fin du programme, pour vérifier que le terminal a été rendu.
# Le code de sortie est écrit par le shell du volet : celui que tmux rapporte
# (#{pane_dead_status}) manque parfois, quand tmux voit la fin du terminal avant
# celle du processus.
"${tmux[@]}" new-session -d -s chat -x 100 -y 30 \
    "$bin client $options; echo \$? >'$work/code'" \; \
    set-option -t chat remain-on-exit on
wait_for "alice est inscrite" shows "vous : alice" "Présents (1)"

# bob : le client ligne à ligne (son entrée n'est pas un terminal), lu d'un tube nommé.
mkfifo "$work/bob.in"
"$bin" client --nick bob --addr "$addr" <"$work/bob.in" >"$work/bob.txt" 2>&1 &
pids+=("$!")
exec 3>"$work/bob.in"
wait_for "alice voit arriver bob" shows "*** bob a rejoint le salon." "Présents (2)"

"${tmux[@]}" send-keys -t chat -l "salut bob !"
"${tmux[@]}" send-keys -t chat Enter
bob_got() { grep -qxF -- "$1" "$work/bob.txt"; }
wait_for "bob reçoit le message d'alice" bob_got "alice: salut bob !"

typing="> je suis en train d'écr"
"${tmux[@]}" send-keys -t chat -l "je suis en train d'écr"
wait_for "alice voit sa saisie" input_is "$typing"
echo "coucou alice" >&3
echo "/msg alice psst, tu as vu le chapitre 5 ?" >&3
wait_for "le message de bob arrive et la saisie d'alice reste intacte" \
    input_is "$typing" "bob: coucou alice" "[privé] bob: psst, tu as vu le chapitre 5 ?"
if grep -qF "écrbob" "$work/ecran.txt"; then
    echo "ÉCHEC : le message de bob s'est collé à la saisie d'alice" >&2
    exit 1
fi
echo "ok : le message de bob est affiché, la saisie d'alice est intacte (100 × 30)"

# La capture du livre : le même écran, redessiné à la largeur de la colonne du livre.
"${tmux[@]}" resize-window -t chat -x 84 -y 18
narrow() { [ "$(wc -l <"$work/ecran.txt")" -eq 18 ] && ! grep -q '.\{85\}' "$work/ecran.txt"; }
redrawn() { input_is "$typing" "bob: coucou alice" "Présents (2)" && narrow; }
wait_for "l'écran se redessine à 84 × 18" redrawn
mkdir -p "$out"
{
    echo "\$ cargo run -p lesson05-chat -- client $options"
    cat "$work/ecran.txt"
} >"$out/client-plein-ecran.txt"
echo "capture écrite : $out/client-plein-ecran.txt"

"${tmux[@]}" send-keys -t chat Enter
wait_for "bob reçoit la ligne d'alice, intacte" bob_got "alice: je suis en train d'écr"
"${tmux[@]}" send-keys -t chat C-c
dead() { [ -s "$work/code" ]; }
wait_for "Ctrl+C arrête le client" dead
status="$(cat "$work/code")"
# Tout l'écran normal, historique compris : « Au revoir ! » a pu défiler plus haut.
"${tmux[@]}" capture-pane -p -S - -t chat >"$work/ecran.txt"
if [ "$status" != 0 ] || ! grep -qF "Au revoir !" "$work/ecran.txt" \
    || grep -qF "Présents" "$work/ecran.txt"; then
    echo "ÉCHEC : code de sortie $status, ou terminal pas rendu. Écran :" >&2
    cat "$work/ecran.txt" >&2
    exit 1
fi
exec 3>&-
wait_for "bob voit partir alice" bob_got "*** alice a quitté le salon."
echo "ok : Entrée envoie la ligne intacte, Ctrl+C quitte (code 0) et rend le terminal"
