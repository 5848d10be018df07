#!/bin/sh
# Preuve « à la rustlings » que chaque exercice, tel qu'il est distribué, échoue à ses tests :
# `cargo test -p exercises` doit échouer, aucun test ne doit réussir, et le bilan doit
# montrer 0 test réussi pour chacun des 17 exercices. (Un test qu'un squelette réussit ne
# vérifie rien.) Lancé depuis la racine du dépôt, par exemple dans `.ci/run`.
set -u
output=$(cargo test -p exercises 2>&1)
status=$?
fail() {
    printf '%s\n' "$output" | tail -40
    echo "ÉCHEC : $1" >&2
    exit 1
}
[ "$status" -ne 0 ] || fail "cargo test -p exercises a réussi sur les squelettes"
printf '%s\n' "$output" | grep -q "Résultat : ÉCHEC. 0 tests réussis" \
    || fail "au moins un test réussit sur les squelettes"
printf '%s\n' "$output" | grep -q "Exercices réussis : 0/17" \
    || fail "le bilan ne montre pas 0 exercice réussi sur 17"
rows=$(printf '%s\n' "$output" | grep -cE '^ex[0-9][0-9] .* 0/[0-9]+ +❌$')
[ "$rows" -eq 17 ] || fail "$rows lignes du bilan à 0 au lieu de 17"
echo "Squelettes : les 17 exercices échouent à tous leurs tests, comme attendu."
