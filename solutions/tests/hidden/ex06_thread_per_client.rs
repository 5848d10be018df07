//! Tests cachés de l'exercice 06.

tests![];
