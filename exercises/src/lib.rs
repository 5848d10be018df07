//! Exercices du cours « Réseau en Rust » (remplis par l'issue des exercices).
