//! tix: event ticketing from a terminal, on one local SQLite file.
//!
//! The library holds every rule and query; the `tix` binary is a thin shell over it.
//! Operations take an [`Actor`] and plain typed arguments, check permissions through
//! [`access`], do their work inside one transaction of the [`Store`], and return typed
//! values that the command line renders as a table or JSON. The command line itself (clap,
//! prompts, renderers) lives on the binary's side; nothing in this library prints, reads
//! the environment or exits.

pub mod access;
pub mod domain;
pub mod error;
pub mod files;
pub mod ops;
pub mod pdf;
pub mod qr;
pub mod store;

pub use domain::{codes, money, text, time};

pub use access::{Actor, Role};
pub use error::{Error, ErrorKind, Result};
pub use money::Currency;
pub use ops::events::{Event, EventStatus, NewEvent};
pub use ops::orders::{NewOrder, Order, OrderStatus};
pub use ops::tickets::{Ticket, TicketStatus};
pub use ops::tiers::{Availability, Tier, TierFields};
pub use ops::users::User;
pub use store::{OpenMode, Store};
pub use time::Zone;
