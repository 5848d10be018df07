//! Vérifications du livre (écrites avec le livre).
