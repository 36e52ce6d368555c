//! The audit log's entries: who changed what, when.

use serde::Serialize;
use serde_json::Value;

use crate::domain::time::{self, Timestamp};

/// One recorded change.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Sequence number.
    pub id: i64,
    /// When it happened.
    #[serde(with = "time::serde_ts")]
    pub at: Timestamp,
    /// Who did it (`null` for tix itself, e.g. `demo`).
    pub actor_email: Option<String>,
    /// What was done, e.g. `order.create`, `ticket.transfer`, `tier.update`.
    pub action: String,
    /// The kind of object changed: `order`, `ticket`, `tier`, `event`, `user`.
    pub object_type: String,
    /// Its id (or email, for users).
    pub object_id: String,
    /// The event it belongs to, if any.
    pub event_id: Option<i64>,
    /// The ticket it concerns, if any.
    pub ticket_id: Option<i64>,
    /// Old and new values and other particulars.
    pub details: Value,
}

/// What an audit entry is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `order`, `ticket`, `tier`, `event`, `user`.
    pub object_type: &'a str,
    /// Its id.
    pub object_id: &'a str,
    /// Its event.
    pub event_id: Option<i64>,
    /// The ticket concerned.
    pub ticket_id: Option<i64>,
}
