#!/usr/bin/env bash
# Premier contact : combien de temps attend un étudiant qui vient de cloner le dépôt ?
#
# Le script clone le dépôt dans un dossier temporaire (les dépendances déjà téléchargées par
# `cargo fetch`, comme sur une machine de salle préparée), puis mesure, chaque fois avec un
# dossier `target` neuf :
#   1. la première compilation de la leçon 05 (`cargo build -p lesson05-chat`), puis la même avec
#      toutes les dépendances forcées à opt-level 0, la référence la plus rapide possible ;
#   2. la première compilation de chaque leçon, seule (`--release` pour le banc d'essai, comme
#      dans son chapitre) ;
#   3. la première commande `cargo test` à la racine ;
#   4. une recompilation de la leçon 05 après la modification d'un de ses fichiers.
#
# Usage : scripts/premier-contact.sh [révision]     (HEAD par défaut, seuls les commits comptent)
set -euo pipefail

repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
rev="$(git -C "$repo" rev-parse "${1:-HEAD}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone --quiet --no-local "$repo" "$work/clone"
git -C "$work/clone" checkout --quiet "$rev"
cd "$work/clone"
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
export CARGO_TARGET_DIR="$work/target"
export CARGO_TERM_COLOR=never
cargo fetch --quiet

# Durée d'une commande en secondes (une décimale) ; en cas d'échec, le journal et un code non nul.
timed() {
    local start end
    start=$(date +%s.%N)
    if ! "$@" >"$work/log" 2>&1; then
        echo "échec de : $*" >&2
        tail -n 30 "$work/log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }'
}

fresh_target() { rm -rf "$CARGO_TARGET_DIR"; }

echo "Révision : $(git log -1 --format='%h %s')"
echo "Machine  : $(nproc) cœurs, $(rustc --version)"
echo "Profils du Cargo.toml racine :"
profiles="$(sed -n '/^\[profile/,$p' Cargo.toml | grep -v '^#' || true)"
if [ -n "$profiles" ]; then
    echo "$profiles" | sed 's/^/    /'
else
    echo "    (aucun : ceux de Cargo, dépendances comprises à opt-level 0 en mode debug)"
fi
echo

fresh_target
first=$(timed cargo build -p lesson05-chat)
fresh_target
reference=$(timed cargo build -p lesson05-chat --config 'profile.dev.package."*".opt-level=0')
ratio=$(echo "$first $reference" | awk '{ printf "%.2f", $1 / $2 }')
echo "Première compilation de lesson05-chat           : $first s"
echo "  la même, dépendances forcées à opt-level 0    : $reference s (rapport $ratio)"

for manifest in lessons/*/Cargo.toml; do
    name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n 1)
    mode=()
    [ "$name" = lesson06-bench ] && mode=(--release)
    fresh_target
    printf '  première compilation de %-22s: %s s\n' "$name ${mode[*]:-}" "$(timed cargo build -p "$name" "${mode[@]}")"
done

fresh_target
echo "Premier « cargo test » à la racine             : $(timed cargo test) s"
touch lessons/lesson05-chat/src/main.rs
echo "Recompilation de lesson05-chat après une modif. : $(timed cargo build -p lesson05-chat) s"
