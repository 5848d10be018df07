//! Tests cachés de l'exercice 09.

tests![];
