//! Tests cachés de l'exercice 04.

tests![];
