//! Tests cachés de l'exercice 02.

tests![];
