//! Tests cachés de l'exercice 15.

tests![];
