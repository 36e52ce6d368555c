//! tix: event ticketing from a terminal, on one local SQLite file.
//!
//! The library holds every rule and query; the `tix` binary is a thin shell over it.
//! Operations take an [`Actor`] and plain typed arguments, check permissions through
//! [`access`], do their work inside one transaction of the [`Store`], and return typed
//! values that the command line renders as a table or JSON. The command line itself (clap,
//! prompts, renderers) lives on the binary's side; nothing in this library prints, reads
//! the environment or exits.

pub mod access;
pub mod audit;
pub mod checkin;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod files;
pub mod gate;
pub mod import;
pub mod offline;
pub mod orders;
pub mod qr;
pub mod store;
pub mod tickets;
pub mod tiers;
pub mod users;

pub use domain::{codes, money, time};

pub use access::{Actor, Role};
pub use error::{Error, ErrorKind, Result};
pub use events::{Event, EventStatus, NewEvent};
pub use money::Currency;
pub use orders::{NewOrder, Order, OrderStatus};
pub use store::{OpenMode, Store};
pub use tickets::{Ticket, TicketStatus};
pub use tiers::{Availability, Tier, TierFields};
pub use time::Zone;
pub use users::User;
