//! Tests cachés de l'exercice 07.

tests![];
