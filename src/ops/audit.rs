//! The audit log: who changed what, when, with the old and new values where they matter.
//!
//! Every operation that changes data records one entry inside the same transaction as
//! the change, so the log and the data can never disagree.

use crate::store::Tx;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Missing, Result};
use crate::store::{self, Store};
use crate::time;

pub use crate::domain::audit::{Entry, Subject};

/// Records one change inside the caller's transaction.
pub(crate) fn record(
    conn: &Tx<'_>,
    actor: &Actor,
    action: &str,
    subject: Subject<'_>,
    details: impl serde::Serialize,
) -> Result<()> {
    // Written straight to text: a tier import records 100,000 of these.
    let details = serde_json::to_string(&details)
        .map_err(|e| Error::Corrupt(format!("an audit entry could not be written: {e}")))?;
    store::audit::insert(
        conn,
        time::now(),
        actor.as_user().map(|u| u.email.as_str()),
        action,
        subject,
        &details,
    )
}

/// Audit entries, oldest first: of one event (its promoter or an admin), of one ticket
/// (the same), or, with neither, all of them (admin) or those of the actor's own events.
pub fn list(
    store: &Store,
    actor: &Actor,
    event_id: Option<i64>,
    ticket: Option<&str>,
) -> Result<Vec<Entry>> {
    store.read(|c| {
        let ticket_id = match ticket {
            Some(t) => {
                let reference = crate::domain::sale::TicketRef::parse(t)?;
                let (id, event_id) = crate::store::tickets::locate(c, &reference)?
                    .ok_or_else(|| Error::not_found(Missing::Ticket, t.trim()))?;
                let event = crate::store::events::get(c, event_id)?;
                authorize(actor, Action::SeeEventRecords(&event))?;
                Some(id)
            }
            None => None,
        };
        let owner_filter = match event_id {
            Some(id) => {
                let event = crate::store::events::get(c, id)?;
                authorize(actor, Action::SeeEventRecords(&event))?;
                None
            }
            None if ticket_id.is_some() => None,
            None => match crate::access::scope(actor, crate::access::Listing::Audit)? {
                crate::access::Scope::All => None,
                crate::access::Scope::OwnEvents(id) | crate::access::Scope::Own(id) => Some(id),
            },
        };
        store::audit::entries(c, event_id, ticket_id, owner_filter)
    })
}
