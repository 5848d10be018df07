#!/usr/bin/env bash
# Régénère les sorties de l'entraîneur (`cargo run -p exercises`) que montre le
# livre, dans book/src/sorties/ : l'écran d'ouverture, un indice et la liste, sur
# les squelettes tels qu'ils sont distribués. Le chapitre « L'entraîneur » les
# inclut : on ne les recopie jamais à la main.
#
# Usage : scripts/sorties-entraineur.sh [DOSSIER]     (défaut : book/src/sorties)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-book/src/sorties}"

# Les sorties montrent les squelettes tels qu'ils sont distribués.
. scripts/squelettes-intacts.sh

cargo build -q -p exercises
mkdir -p "$out"
# Chaque fichier commence par la commande qui l'a produit. L'écran d'ouverture
# vient d'un lancement sans terminal (entrée standard fermée) : le même écran,
# affiché une fois.
{
    echo '$ cargo run -p exercises'
    cargo run -q -p exercises </dev/null
} >"$out/entraineur-ouverture.txt"
{
    echo '$ cargo run -p exercises -- indice 01'
    cargo run -q -p exercises -- indice 01
} >"$out/entraineur-indice.txt"
{
    echo '$ cargo run -p exercises -- liste'
    cargo run -q -p exercises -- liste
} >"$out/entraineur-liste.txt"
echo "Sorties de l'entraîneur écrites dans $out."
