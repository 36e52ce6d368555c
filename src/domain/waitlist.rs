//! A place in a sold-out tier's waitlist, and the offer it becomes when seats come back.

use serde::Serialize;

use crate::domain::time::{self, Timestamp};
use crate::error::{Error, Result};

/// Where a place in line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In line.
    Waiting,
    /// Seats are held for them until the offer expires.
    Offered,
    /// They bought the held seats.
    Claimed,
    /// They said no to the offer.
    Declined,
    /// The offer ran out.
    Expired,
    /// They left the line.
    Left,
    /// The promoter took them off the line.
    Removed,
    /// The event was cancelled.
    Cleared,
}

impl Status {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Offered => "offered",
            Status::Claimed => "claimed",
            Status::Declined => "declined",
            Status::Expired => "expired",
            Status::Left => "left",
            Status::Removed => "removed",
            Status::Cleared => "cleared",
        }
    }

    pub fn parse(s: &str) -> Result<Status> {
        Ok(match s {
            "waiting" => Status::Waiting,
            "offered" => Status::Offered,
            "claimed" => Status::Claimed,
            "declined" => Status::Declined,
            "expired" => Status::Expired,
            "left" => Status::Left,
            "removed" => Status::Removed,
            "cleared" => Status::Cleared,
            other => return Err(Error::Corrupt(format!("unknown waitlist status '{other}'"))),
        })
    }

    /// Still in line or holding an offer.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Waiting | Status::Offered)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place in a tier's line (its id is also the offer's, once offered).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The place's id; `waitlist claim` takes it as the offer's.
    pub id: i64,
    /// The event.
    pub event_id: i64,
    /// The tier.
    pub tier_id: i64,
    /// The tier's name.
    pub tier_name: String,
    /// Who is waiting (internal id).
    #[serde(skip)]
    pub user_id: i64,
    /// Their e-mail.
    pub email: String,
    /// Their name.
    #[serde(skip)]
    pub name: String,
    /// Seats wanted.
    pub quantity: i64,
    /// Where it is.
    pub status: Status,
    /// Place in line among those waiting (1 is next), while waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// When they joined.
    #[serde(with = "time::serde_ts")]
    pub joined_at: Timestamp,
    /// When seats were offered.
    #[serde(with = "time::serde_ts::option")]
    pub offered_at: Option<Timestamp>,
    /// When the offer runs out.
    #[serde(with = "time::serde_ts::option")]
    pub expires_at: Option<Timestamp>,
    /// The order a claimed offer made.
    pub order_id: Option<i64>,
    /// The event's time zone, in which people read its times (not part of the JSON).
    #[serde(skip)]
    pub zone: crate::domain::time::Zone,
}
