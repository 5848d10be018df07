# À inclure (`. scripts/squelettes-intacts.sh`) par les scripts qui montrent les
# squelettes des exercices tels qu'ils sont distribués : un exercises/src modifié
# fausserait ce qu'ils écrivent.
if git rev-parse --git-dir >/dev/null 2>&1 \
    && [ -n "$(git status --porcelain -- exercises/src)" ]; then
    echo "exercises/src est modifié : remettez les squelettes (git stash)," \
        "puis relancez." >&2
    exit 1
fi
