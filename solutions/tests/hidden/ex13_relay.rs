//! Tests cachés de l'exercice 13.

tests![];
