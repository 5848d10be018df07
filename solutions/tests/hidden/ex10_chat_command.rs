//! Tests cachés de l'exercice 10.

tests![];
