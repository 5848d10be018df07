//! Tests cachés de l'exercice 01.

tests![];
