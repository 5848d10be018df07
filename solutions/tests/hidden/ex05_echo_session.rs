//! Tests cachés de l'exercice 05.

tests![];
