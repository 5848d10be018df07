//! Tests cachés de l'exercice 03.

tests![];
