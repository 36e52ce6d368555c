//! The domain: tix's types and rules, with no I/O — nothing here opens a file, a
//! database or a terminal, so every rule can be tested in process on plain values.
//!
//! Everything above (operations, the store, the command line) depends on this module;
//! it depends on nothing of theirs.

pub mod audit;
pub mod codes;
pub mod event;
pub mod gate;
pub mod money;
pub mod people;
pub mod sale;
pub mod text;
pub mod tier;
pub mod time;
