//! The operations: one public function per use case, the only layer the command line
//! (and any later interface) calls. Each one authorizes the actor through
//! [`crate::access`], runs in one transaction of the [`crate::store`], applies the rules
//! of [`crate::domain`], writes its audit row, and returns plain data for a renderer.
//!
//! One file per area. The gate's choice between the main database and a gate file is
//! made once, in [`gate`], so `validate`, `checkin scan` and `checkin lookup` cannot
//! disagree.

pub mod audit;
pub mod cancellation;
pub mod checkin;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod events;
pub mod exports;
pub mod gate;
pub mod import;
pub mod offline;
pub mod orders;
pub mod printing;
pub mod reports;
pub mod tickets;
pub mod tiers;
pub mod users;
pub mod waitlist;
