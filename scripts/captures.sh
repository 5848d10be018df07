#!/usr/bin/env bash
# Enregistre sur la boucle locale, avec tcpdump et ss, chaque étape de la vie d'une connexion
# TCP provoquée par les leçons : poignée de main, fermetures (qui ferme le premier, TIME_WAIT,
# « adresse déjà utilisée »), RST, demi-fermeture, file d'attente pleine, double pile IPv4/IPv6,
# keepalive, Nagle et accusé retardé, réveils par front et par niveau.
#
# Usage : scripts/captures.sh [DOSSIER]
#   DOSSIER : où écrire les captures (défaut : target/captures). Le livre inclut celles de
#   book/src/captures, régénérées par : scripts/captures.sh book/src/captures
#   CAPTURES_COURTES=1 saute la capture du keepalive (elle attend plus d'une minute).
#
# Linux seulement, en root ou avec la capacité de capture (CAP_NET_RAW et CAP_NET_ADMIN pour
# tcpdump). Ailleurs, le script le dit et s'arrête sans erreur : sous macOS ou Windows, le
# chapitre « Découpage, délais, fermeture » explique comment voir la même chose avec Wireshark.
# Il installe lui-même tcpdump et nc (netcat-openbsd) avec apt-get s'ils manquent.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/captures}"

skip() {
    echo "captures sautées : $1"
    exit 0
}

[ "$(uname -s)" = Linux ] || skip "ce script utilise tcpdump et ss, propres à Linux."
if [ "$(id -u)" != 0 ] && ! command -v capsh >/dev/null; then
    skip "il faut être root (ou donner à tcpdump la capacité cap_net_raw)."
fi
needed="tcpdump nc ss lsof"
for tool in $needed; do
    if ! command -v "$tool" >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get install -y -qq tcpdump netcat-openbsd iproute2 lsof >/dev/null
            break
        fi
        skip "$needed sont nécessaires (apt-get install tcpdump netcat-openbsd iproute2 lsof)."
    fi
done
# Une capture d'essai : dans un conteneur sans la capacité, tcpdump échoue tout de suite.
if ! timeout 2 tcpdump -i lo -c 1 -nn 'tcp port 9' >/dev/null 2>/tmp/captures-essai.txt; then
    if grep -qiE 'permission|not permitted|socket' /tmp/captures-essai.txt; then
        skip "tcpdump n'a pas le droit de capturer ici ($(head -1 /tmp/captures-essai.txt))."
    fi
fi

echo "== compilation des leçons et des exemples"
cargo build -q -p lesson01-echo -p lesson03-threads -p lesson04-select -p lesson05-chat
for example in nagle tampons reutiliser resolution pair_parti; do
    cargo build -q -p lesson01-echo --example "$example"
done
cargo build -q -p lesson04-select --examples
cargo build -q -p lesson05-chat --examples
bin=target/debug
mkdir -p "$out"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Attend (au plus 10 s) qu'un serveur écoute sur le port $1.
wait_listening() {
    for _ in $(seq 100); do
        if ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.1
    done
    echo "personne n'écoute sur le port $1" >&2
    return 1
}

# Premier port à partir de $1 qu'aucune socket n'utilise, même en TIME_WAIT : relancer le
# script dans la minute ne doit pas tomber sur les connexions de l'essai précédent.
free_port() {
    local port=$1
    while ss -Htan "( sport = :$port or dport = :$port )" | grep -q .; do
        port=$((port + 1))
    done
    echo "$port"
}

# Lance un serveur en arrière-plan ; $1 = port, la suite = la commande.
start_server() {
    local port=$1
    shift
    "$@" >/dev/null 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_listening "$port"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

# Démarre tcpdump sur la boucle locale pour le port $1 et attend qu'il soit prêt.
# -ttttt : temps écoulé depuis le premier paquet ; -nn : ni noms d'hôtes ni noms de ports.
capture_start() {
    tcpdump_log=$(mktemp)
    tcpdump_out=$(mktemp)
    tcpdump -i lo -nn -l -ttttt "tcp port $1" >"$tcpdump_out" 2>"$tcpdump_log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 100); do
        if grep -q "listening on" "$tcpdump_log"; then return 0; fi
        sleep 0.1
    done
    echo "tcpdump n'a pas démarré : $(cat "$tcpdump_log")" >&2
    return 1
}

# Arrête tcpdump et écrit ses lignes, raccourcies pour tenir dans la page : sans les options
# TCP (mss, sackOK, TS val…), sans « IP » ni l'adresse 127.0.0.1 répétée (il reste les ports),
# et le temps en secondes depuis le premier paquet. Drapeaux, numéros et longueurs restent.
capture_stop() {
    sleep 0.3 # les derniers paquets de la boucle locale
    kill -INT "$tcpdump_pid" 2>/dev/null || true
    wait "$tcpdump_pid" 2>/dev/null || true
    sed -E -e 's/, options \[[^]]*\]//' -e 's/ IP6? / /' -e 's/127\.0\.0\.1\.//g' "$tcpdump_out" |
        awk 'NF { split($1, t, ":"); $1 = sprintf("%.6f", t[1] * 3600 + t[2] * 60 + t[3]) } { print }'

}

# Écrit « $ commande » puis sa sortie, comme dans un terminal.
show() {
    echo "\$ $1"
}

echo "== 1. vie d'une connexion : le client ferme le premier"
port=$(free_port 7801)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port
{
    show "printf 'bonjour\\n' | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    capture_start $port
    printf 'bonjour\n' | $bin/lesson01-echo client --addr 127.0.0.1:$port
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
    capture_stop
    echo
    show "ss -tan state time-wait '( sport = :$port or dport = :$port )'"
    ss -tan state time-wait "( sport = :$port or dport = :$port )"
} >"$out/vie-connexion.txt"
stop_server

echo "== 1 bis. les états vus avec ss : un client parti, un client présent"
port=$(free_port 7812)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port
(printf 'un\n'; sleep 0.3) | $bin/lesson01-echo client --addr 127.0.0.1:$port >/dev/null
sleep 3 | nc 127.0.0.1 $port >/dev/null &
pids+=($!)
sleep 0.5
{
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port"
    show "(printf 'un\\n'; sleep 0.3) | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    show "nc 127.0.0.1 $port   (dans un autre terminal, et on le laisse ouvert)"
    show "ss -tan '( sport = :$port or dport = :$port )'"
    ss -tan "( sport = :$port or dport = :$port )"
} >"$out/etats-ss.txt"
stop_server

echo "== 2. le serveur ferme le premier : TIME_WAIT change de côté"
port=$(free_port 7802)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port --fermeture serveur
{
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --fermeture serveur"
    show "(printf 'un\\n'; sleep 0.5) | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    capture_start $port
    # Le client garde son entrée ouverte une demi-seconde : le serveur ferme donc le premier.
    (printf 'un\n'; sleep 0.5) | $bin/lesson01-echo client --addr 127.0.0.1:$port
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
    capture_stop
    echo
    show "ss -tano state time-wait '( sport = :$port or dport = :$port )'"
    ss -tano state time-wait "( sport = :$port or dport = :$port )"
    echo
    echo "(Ctrl+C sur le serveur, puis on le relance aussitôt : SO_REUSEADDR le permet)"
    stop_server
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port"
    start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port
    echo "Serveur d'écho en écoute sur 127.0.0.1:$port (Ctrl+C pour l'arrêter)."
    stop_server
} >"$out/serveur-ferme.txt"

echo "== 2 bis. écrire à un pair qui a fermé"
port=$(free_port 7812)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port --fermeture serveur
{
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --fermeture serveur"
    show "printf 'un\\ndeux\\n' | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    capture_start $port
    printf 'un\ndeux\n' | $bin/lesson01-echo client --addr 127.0.0.1:$port
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
    capture_stop
} >"$out/ecrire-apres-fermeture.txt"
stop_server
{
    show "cargo run -p lesson01-echo --example pair_parti"
    $bin/examples/pair_parti
} >"$out/pair-parti.txt"

port=$(free_port 7803)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port --fermeture serveur --sans-reuseaddr
(printf 'un\n'; sleep 0.5) | $bin/lesson01-echo client --addr 127.0.0.1:$port >/dev/null
stop_server
{
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --fermeture serveur --sans-reuseaddr"
    show "(printf 'un\\n'; sleep 0.5) | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    echo "(Ctrl+C sur le serveur, puis on le relance aussitôt)"
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --sans-reuseaddr"
    # `timeout` : si, contre toute attente, le port était libre, le serveur ne bloque pas le script.
    timeout 5 $bin/lesson01-echo server --addr 127.0.0.1:$port --sans-reuseaddr 2>&1 ||
        echo "(code de sortie : $?)"
} >"$out/adresse-utilisee.txt"

echo "== 3. coupures brutales : SO_LINGER à 0, octets non lus"
# Pour `rst`, le client n'envoie qu'une ligne et attend : le RST ne peut venir que de
# SO_LINGER à 0, pas d'octets restés non lus (c'est le cas `sans-lire`, qui envoie deux lignes).
for mode in rst sans-lire; do
    port=$(free_port 7804)
    start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port --fermeture "$mode"
    if [ "$mode" = rst ]; then
        input="(printf 'un\\n'; sleep 0.5)"
    else
        input="printf 'un\\ndeux\\n'"
    fi
    {
        show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --fermeture $mode"
        show "$input | cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
        capture_start $port
        eval "$input" | $bin/lesson01-echo client --addr 127.0.0.1:$port 2>&1 || true
        echo
        echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
        capture_stop
    } >"$out/coupure-$mode.txt"
    stop_server
done

echo "== 4. demi-fermeture : le client a fini d'envoyer, il lit encore"
port=$(free_port 7806)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port
{
    # 90 000 octets : assez pour que l'écho soit encore en route quand le FIN du client
    # part, et des numéros de séquence à 5 chiffres, pour que les lignes tiennent dans la page.
    show "head -c 90000 /dev/zero | nc -N 127.0.0.1 $port | wc -c"
    capture_start $port
    head -c 90000 /dev/zero | nc -N 127.0.0.1 $port | wc -c
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
    capture_stop
} >"$out/demi-fermeture.txt"
stop_server

echo "== 5. file d'attente pleine : backlog de 1"
port=$(free_port 7807)
start_server $port $bin/lesson01-echo server --addr 127.0.0.1:$port --backlog 1
overflows_before=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/ {print $2}')
{
    show "cargo run -p lesson01-echo -- server --addr 127.0.0.1:$port --backlog 1"
    echo "(quatre clients nc restent connectés sans rien envoyer ; le premier est servi)"
    capture_start $port
    for i in 1 2 3 4; do
        sleep 8 | nc -w 8 127.0.0.1 $port >/dev/null 2>&1 &
        pids+=($!)
        sleep 0.2
    done
    sleep 4
    show "ss -tan '( sport = :$port or dport = :$port )'"
    ss -tan "( sport = :$port or dport = :$port )"
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
    capture_stop
    overflows_after=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/ {print $2}')
    echo
    echo "--- nstat : TcpExtListenOverflows (SYN ou ACK refusés, file pleine) : +$((overflows_after - overflows_before))"
} >"$out/backlog.txt"
stop_server

echo "== 5 bis. SYN cookies : le réglage du noyau et ses compteurs"
{
    show "sysctl net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog"
    sysctl net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog
    show "nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed"
    nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed
} >"$out/syncookies.txt"

echo "== 6. double pile : [::] sert aussi IPv4"
port=$(free_port 7808)
start_server $port $bin/lesson01-echo server --addr "[::]:$port"
sleep 2 | nc 127.0.0.1 $port >/dev/null &
pids+=($!)
sleep 0.5
{
    # Entre apostrophes : sous zsh (macOS), [::] serait pris pour un motif de fichiers.
    show "cargo run -p lesson01-echo -- server --addr '[::]:$port'"
    show "nc 127.0.0.1 $port"
    show "ss -tn '( sport = :$port or dport = :$port )'"
    ss -tn "( sport = :$port or dport = :$port )"
} >"$out/double-pile.txt"
stop_server

echo "== 6 bis. les threads d'un serveur : un par client (03), un seul (04), un par cœur (05)"
for lesson in lesson03-threads lesson04-select lesson05-chat; do
    port=$(free_port 7820)
    start_server $port $bin/$lesson server --addr 127.0.0.1:$port
    for _ in 1 2 3; do
        sleep 3 | nc 127.0.0.1 $port >/dev/null &
        pids+=($!)
    done
    sleep 0.5
    {
        show "cargo run -p $lesson -- server --addr 127.0.0.1:$port"
        echo "(trois clients nc connectés)"
        show "ps -L -o tid,comm -p \$(lsof -t -iTCP:$port -sTCP:LISTEN)"
        ps -L -o tid,comm -p "$(lsof -t -iTCP:$port -sTCP:LISTEN)"
    } >"$out/threads-$lesson.txt"
    stop_server
done

echo "== 7. Nagle et accusé de réception retardé"
port=$(free_port 7809)
{
    show "cargo run -p lesson01-echo --example nagle -- 127.0.0.1:$port"
    capture_start $port
    $bin/examples/nagle 127.0.0.1:$port
    echo
    echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port' (lignes 4 à 15 : 2 requêtes)"
    capture_stop | sed -n 4,15p
} >"$out/nagle.txt"

echo "== 8. réveils : mio par front, poll(2) par niveau"
{
    show "cargo run -p lesson04-select --example front"
    $bin/examples/front
} >"$out/front.txt"

echo "== 8 quater. la même erreur en Python et en Rust"
port=$(free_port 7850) # personne n'y écoute
{
    if command -v python3 >/dev/null; then
        show "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $port))'"
        echo "(… la pile d'appels de Python, puis sa dernière ligne :)"
        python3 -c "import socket; socket.create_connection((\"127.0.0.1\", $port))" 2>&1 | tail -1 || true
    fi
    show "cargo run -p lesson01-echo -- client --addr 127.0.0.1:$port"
    $bin/lesson01-echo client --addr 127.0.0.1:$port 2>&1 || echo "(code de sortie : $?)"
} >"$out/erreur-python-rust.txt"

echo "== 8 bis. un appel bloquant dans une tâche tokio"
{
    show "cargo run -p lesson05-chat --example bloquer"
    $bin/examples/bloquer
} >"$out/bloquer.txt"

echo "== 8 ter. tampons du noyau, connexions réutilisées, résolution et connect"
{
    show "cargo run -p lesson01-echo --example tampons"
    $bin/examples/tampons
} >"$out/tampons.txt"
port=$(free_port 7840)
{
    show "cargo run -p lesson01-echo --example reutiliser -- 127.0.0.1:$port"
    $bin/examples/reutiliser 127.0.0.1:$port
    show "ss -Htan state time-wait '( dport = :$port )' | wc -l"
    ss -Htan state time-wait "( dport = :$port )" | wc -l
} >"$out/reutiliser.txt"
{
    show "cargo run -p lesson01-echo --example resolution"
    $bin/examples/resolution
    show "getent ahosts localhost"
    getent ahosts localhost
} >"$out/resolution.txt"

echo "== 8 quinquies. les étapes de la leçon 04 face à un client qui ne lit pas"
# Le client envoie 64 Mio sans rien lire avant d'avoir fini : qu'en fait chaque version ?
{
    for name in echo_etape1 echo_etape2 lesson04-select; do
        port=$(free_port 7860)
        if [ "$name" = lesson04-select ]; then
            start_server $port $bin/lesson04-select server --addr 127.0.0.1:$port
            show "cargo run -p lesson04-select -- server --addr 127.0.0.1:$port"
        else
            start_server $port $bin/examples/$name 127.0.0.1:$port
            show "cargo run -p lesson04-select --example $name -- 127.0.0.1:$port"
        fi
        show "cargo run -p lesson04-select --example sans_lecture -- 127.0.0.1:$port"
        $bin/examples/sans_lecture 127.0.0.1:$port
        echo "(mémoire maximale du serveur, VmHWM : $(awk '/VmHWM/ {print $2, $3}' /proc/$server_pid/status))"
        stop_server
        echo
    done
} >"$out/etapes-lecon04.txt"

echo "== 8 sexies. les étapes de la leçon 05 face à une inondation et un lecteur qui ne lit pas"
{
    for name in chat_etape1 chat_etape2 lesson05-chat; do
        port=$(free_port 7865)
        journal=$(mktemp)
        if [ "$name" != lesson05-chat ]; then
            $bin/examples/$name 127.0.0.1:$port >/dev/null 2>"$journal" &
            show "cargo run -p lesson05-chat --example $name -- 127.0.0.1:$port 2>journal.txt"
        else
            $bin/lesson05-chat --addr 127.0.0.1:$port --max-rate 0 >/dev/null 2>"$journal" &
            show "cargo run -p lesson05-chat -- --addr 127.0.0.1:$port --max-rate 0 2>journal.txt"
        fi
        server_pid=$!
        pids+=("$server_pid")
        wait_listening "$port"
        show "cargo run -p lesson05-chat --example inondation -- 127.0.0.1:$port"
        $bin/examples/inondation 127.0.0.1:$port
        echo "(mémoire maximale du serveur, VmHWM : $(awk '/VmHWM/ {print $2, $3}' /proc/$server_pid/status))"
        if [ -s "$journal" ]; then
            show "cat journal.txt   (le journal du serveur, sans la date)"
            sed -E 's/^[0-9T:.-]+Z +//' "$journal" | tail -4
        fi
        stop_server
        rm -f "$journal"
        echo
    done
} >"$out/etapes-lecon05.txt"

echo "== 9. le chat naïf, refusé par le compilateur"
{
    show "cd lessons/lesson03-threads/tests/ne_compile_pas"
    show "rustc --edition 2024 --crate-type lib chat_naif.rs"
    tmp=$(mktemp -d)
    (cd lessons/lesson03-threads/tests/ne_compile_pas &&
        rustc --edition 2024 --crate-type lib --out-dir "$tmp" chat_naif.rs 2>&1) || true
    rm -rf "$tmp"
} >"$out/chat-naif.txt"

if [ -z "${CAPTURES_COURTES:-}" ]; then
    echo "== 10. keepalive : une connexion silencieuse est sondée après 60 s (environ 70 s)"
    port=$(free_port 7830)
    start_server $port $bin/lesson05-chat --addr 127.0.0.1:$port
    {
        show "cargo run -p lesson05-chat -- --addr 127.0.0.1:$port"
        show "nc 127.0.0.1 $port   (on donne un pseudo, puis plus rien)"
        capture_start $port
        (printf 'alice\n'; sleep 75) | nc 127.0.0.1 $port >/dev/null &
        pids+=($!)
        sleep 1
        show "ss -tano '( sport = :$port )'"
        ss -tano "( sport = :$port )"
        sleep 72
        echo
        echo "--- tcpdump -i lo -nn -ttttt 'tcp port $port'"
        capture_stop
    } >"$out/keepalive.txt"
    stop_server
fi

# Le livre affiche 86 caractères par ligne de code : une ligne plus longue est repliée à un
# espace. Une commande continue avec « \ » (elle reste copiable dans un terminal), une sortie
# avec « ↪ » en tête de la suite. Le chemin des sources de la bibliothèque standard, dans les
# erreurs de rustc, perd son empreinte de 40 chiffres.
fit() {
    perl -CSD -Mutf8 -i -pe '
        s{/rustc/[0-9a-f]{40}/}{/rustc/…/}g;
        my ($line, $out, $command) = ($_, "", /^\$ /);
        chomp $line;
        while (length($line) > 86) {
            my $cut = rindex(substr($line, 0, 83), " ");
            last if $cut < 20;
            $out .= substr($line, 0, $cut) . ($command ? " \\" : "") . "\n";
            $line = ($command ? "    " : "  ↪ ") . substr($line, $cut + 1);
        }
        $_ = $out . $line . "\n";
    ' "$@"
}
fit "$out"/*.txt

echo "captures écrites dans $out :"
ls "$out"
