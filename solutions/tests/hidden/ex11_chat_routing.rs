//! Tests cachés de l'exercice 11.

tests![];
