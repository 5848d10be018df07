//! Solutions de référence des exercices (remplies par l'issue des exercices).
