//! An event and where it is in its life.

use serde::Serialize;

use crate::domain::money::Currency;
use crate::domain::time::{self, Timestamp, Zone};
use crate::error::{Error, Result};

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Being set up; visible to its promoter and admins only; nothing on sale.
    Draft,
    /// Public; tiers may be on sale.
    Published,
    /// Called off.
    Cancelled,
    /// Over.
    Completed,
}

impl EventStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Draft => "draft",
            EventStatus::Published => "published",
            EventStatus::Cancelled => "cancelled",
            EventStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Result<EventStatus> {
        match s {
            "draft" => Ok(EventStatus::Draft),
            "published" => Ok(EventStatus::Published),
            "cancelled" => Ok(EventStatus::Cancelled),
            "completed" => Ok(EventStatus::Completed),
            other => Err(Error::Corrupt(format!("unknown event status '{other}'"))),
        }
    }
}

impl Event {
    /// When the event takes place, in its own zone, as a ticket prints it:
    /// `Thursday 15 July 2027, 20:00 – 23:00 (Europe/Berlin, UTC+02:00)`.
    pub fn when_text(&self) -> String {
        let z = self.timezone;
        let start = z.long(self.starts_at);
        let span = match self.ends_at {
            Some(end) if z.day(end) == z.day(self.starts_at) => {
                let long = z.long(end);
                let time = long.rsplit(", ").next().unwrap_or(&long).to_string();
                format!("{start} – {time}")
            }
            Some(end) => format!("{start} – {}", z.long(end)),
            None => start,
        };
        format!("{span} ({}, {})", z.name(), z.utc_offset(self.starts_at))
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event, as the contract shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Numeric id.
    pub id: i64,
    /// Title shown to buyers.
    pub title: String,
    /// Where the event is in its life.
    pub status: EventStatus,
    /// When it starts.
    #[serde(with = "time::serde_ts")]
    pub starts_at: Timestamp,
    /// When it ends, if known.
    #[serde(with = "time::serde_ts::option")]
    pub ends_at: Option<Timestamp>,
    /// Where it happens.
    pub venue: Option<String>,
    /// The IANA zone local times of this event are read and shown in.
    pub timezone: Zone,
    /// The currency of all its prices.
    pub currency: Currency,
    /// The owning promoter's user id.
    #[serde(skip)]
    pub owner_id: i64,
    /// The owning promoter's email.
    pub owner_email: String,
    /// When it was created.
    #[serde(with = "time::serde_ts")]
    pub created_at: Timestamp,
    /// The promoter's text printed on every ticket and in every ticket e-mail (in the
    /// JSON only once set, so an event without one shows exactly the contract's fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_note: Option<String>,
}
