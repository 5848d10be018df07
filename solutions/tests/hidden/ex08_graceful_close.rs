//! Tests cachés de l'exercice 08.

tests![];
