//! En construction.
