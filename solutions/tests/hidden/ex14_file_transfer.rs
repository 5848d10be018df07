//! Tests cachés de l'exercice 14.

tests![];
