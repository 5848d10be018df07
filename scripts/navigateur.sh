#!/usr/bin/env bash
# La leçon 08 pour le livre : la poignée de main WebSocket vue par curl (une vraie
# requête HTTP « Upgrade » vers le serveur, sa réponse 101 et les premières trames),
# puis la capture d'écran de la page dans Chromium sans écran (le test
# tests/navigateur.rs de la leçon).
#
# Usage : scripts/navigateur.sh [DOSSIER_CAPTURES] [DOSSIER_FIGURES]
#   défauts : target/captures et target/figures. Le livre se régénère par :
#   scripts/navigateur.sh book/src/captures book/src/figures
#
# Sans curl, la capture est sautée ; sans Chromium, la figure (le script le dit).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/captures}"
figures="${2:-target/figures}"
mkdir -p "$out" "$figures"
# Chemins absolus : la capture se fait depuis un dossier de travail temporaire.
out="$(cd "$out" && pwd)"
figures="$(cd "$figures" && pwd)"

cargo build -q -p lesson08-web
bin="${CARGO_TARGET_DIR:-target}/debug/lesson08-web"
work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if command -v curl >/dev/null; then
    # Ports choisis par le noyau ; le serveur les annonce sur sa première ligne.
    "$bin" --addr 127.0.0.1:0 --chat-addr 127.0.0.1:0 \
        >"$work/banniere.txt" 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do
        grep -q "en écoute sur" "$work/banniere.txt" 2>/dev/null && break
        sleep 0.1
    done
    web=$(sed -n 's/^Page du salon en écoute sur \([^ ]*\) .*/\1/p' \
        "$work/banniere.txt")
    [ -n "$web" ] || { echo "le serveur n'a pas annoncé son adresse" >&2; exit 1; }
    cd "$work"
    {
        echo "\$ curl -sv --max-time 1 http://$web/ws -o trames.bin \\"
        echo "    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \\"
        echo "    -H 'Sec-WebSocket-Version: 13' \\"
        echo "    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\"
        echo "    -H 'Origin: http://$web' 2>&1 | grep '^[<>]'"
        # curl s'arrête au bout d'une seconde (--max-time) : le WebSocket, lui,
        # resterait ouvert.
        curl -sv --max-time 1 "http://$web/ws" -o trames.bin \
            -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
            -H 'Sec-WebSocket-Version: 13' \
            -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
            -H "Origin: http://$web" 2>&1 | grep '^[<>]' || true
        echo "\$ xxd trames.bin | head -6"
        xxd trames.bin | head -6
    } >"$out/websocket-poignee.txt"
    cd - >/dev/null
    echo "capture écrite : $out/websocket-poignee.txt"
else
    echo "capture de la poignée de main sautée : curl est absent" \
        "(apt-get install curl)."
fi

if command -v "${CHROMIUM:-chromium}" >/dev/null; then
    LESSON08_NAVIGATEUR=obligatoire \
        LESSON08_CAPTURE="$figures/lecon08-navigateur.png" \
        cargo test -q -p lesson08-web --test navigateur
    echo "figure écrite : $figures/lecon08-navigateur.png"
else
    echo "capture d'écran sautée : Chromium est absent (apt-get install chromium)."
fi
