#!/usr/bin/env bash
# Régénère ce que `cargo test -p exercises exNN` affiche sur chaque squelette tel qu'il est
# distribué, dans book/src/sorties/exercice-NN.txt : chaque page d'exercice du livre inclut
# le sien. On ne recopie jamais ces sorties à la main : le correcteur change, elles suivent.
#
# Usage : scripts/sorties-exercices.sh [DOSSIER]     (défaut : book/src/sorties)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-book/src/sorties}"

# Les sorties montrent les squelettes tels qu'ils sont distribués.
. scripts/squelettes-intacts.sh

mkdir -p "$out"
cargo test -q -p exercises --no-run 2>/dev/null
for module in $(sed -n 's/^pub mod \(ex[0-9][0-9]\)_.*;$/\1/p' exercises/src/lib.rs); do
    number=${module#ex}
    {
        echo "\$ cargo test -p exercises $module"
        # Du premier message du correcteur à la note : sans les lignes de cargo et du
        # lanceur de tests, qui ne disent rien de l'exercice.
        # (Les squelettes échouent, c'est voulu : le code de sortie ne compte pas.)
        { cargo test -q -p exercises "$module" 2>&1 || true; } \
            | sed -n '/^Compilation de chaque exercice/,/^Exercices réussis/p'
    } >"$out/exercice-$number.txt"
done
echo "Sorties des exercices écrites dans $out."
