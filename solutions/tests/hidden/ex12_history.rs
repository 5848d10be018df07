//! Tests cachés de l'exercice 12.

tests![];
