//! End-to-end tests of the `tix` binary: each runs real commands against a fresh
//! temporary database and checks exit code, stdout and stderr together.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod checkin;
#[allow(dead_code)] // not every helper is used by every test file
mod common;
mod crash;
mod db;
mod delivery;
mod examples;
mod export;
mod import;
mod inputs;
mod json_doc;
mod matrix;
mod order;
mod people;
mod print;
mod promoter;
mod setup;
mod terminal;
mod ticket;
mod tier;
mod trust;
mod waitlist;
