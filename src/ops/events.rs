//! Events: creation with their own signing keys, listing, publishing, cancelling, and
//! the gate staff assigned to them.

use crate::store::Tx;

use crate::access::{Action, Actor, authorize};
use crate::codes;
use crate::error::{Denial, Error, Missing, Result, Rule};
use crate::money::Currency;
use crate::ops::audit::{self, Subject};
use crate::ops::users::{self, User};
use crate::store::{self, Store};
use crate::time::{self, Timestamp, Zone};

pub use crate::domain::event::{Event, EventStatus};

pub use crate::store::events::get;

/// What is needed to create an event; times are read in `timezone`.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Start time as typed by the user.
    pub starts_at: String,
    /// End time as typed by the user.
    pub ends_at: Option<String>,
    /// Venue.
    pub venue: Option<String>,
    /// IANA zone name; UTC if absent.
    pub timezone: Option<String>,
    /// ISO 4217 code; EUR if absent.
    pub currency: Option<String>,
}

pub use crate::domain::text::{check_line, check_text, is_unsafe_char};

/// Creates a draft event owned by the actor (a promoter or an admin), with a fresh
/// Ed25519 key pair for its ticket codes.
pub fn create(store: &mut Store, actor: &Actor, new: &NewEvent) -> Result<Event> {
    authorize(actor, Action::CreateEvent)?;
    let owner = actor.as_user().cloned();
    let title = check_line("title", &new.title, 200)?;
    let venue = new
        .venue
        .as_deref()
        .map(|v| check_line("venue", v, 200))
        .transpose()?;
    let zone = match &new.timezone {
        Some(tz) => Zone::parse(tz)?,
        None => Zone::UTC,
    };
    let currency = match &new.currency {
        Some(c) => Currency::parse(c)?,
        None => Currency::EUR,
    };
    let starts_at = zone.parse_moment("starts_at", &new.starts_at)?;
    let ends_at = new
        .ends_at
        .as_deref()
        .map(|t| zone.parse_moment("ends_at", t))
        .transpose()?;
    // Every rule the times break, at once.
    let mut broken = Vec::new();
    if let Some(end) = ends_at
        && end <= starts_at
    {
        broken.push(Rule::EventEndsBeforeStart {
            starts: zone.human(starts_at),
            ends: zone.human(end),
        });
    }
    let now = time::now();
    if starts_at < now {
        broken.push(Rule::EventInPast {
            starts: zone.human(starts_at),
            now: zone.human(now),
        });
    }
    Error::rules(broken)?;
    let keys = codes::EventKeys::generate()?;
    store.write(|tx| {
        let owner = match &owner {
            Some(o) => o.clone(),
            None => {
                return Err(Denial::NeedsUser {
                    doing: "creating an event",
                }
                .into());
            }
        };
        let event = insert(
            tx,
            &owner,
            &title,
            starts_at,
            ends_at,
            venue.as_deref(),
            zone,
            currency,
            &keys,
        )?;
        record(
            tx,
            actor,
            "event.create",
            event.id,
            serde_json::json!({ "new": event }),
        )?;
        Ok(event)
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    conn: &Tx<'_>,
    owner: &User,
    title: &str,
    starts_at: Timestamp,
    ends_at: Option<Timestamp>,
    venue: Option<&str>,
    zone: Zone,
    currency: Currency,
    keys: &codes::EventKeys,
) -> Result<Event> {
    let id = store::events::insert(
        conn,
        &store::events::NewRow {
            title,
            starts_at,
            ends_at,
            venue,
            zone,
            currency,
            owner_id: owner.id,
            signing_key: &keys.secret_bytes(),
            verify_key: &keys.public_bytes(),
            now: time::now(),
        },
    )?;
    get(conn, id)
}

/// The events the actor may see, soonest first: everyone sees published, cancelled and
/// completed events; promoters also their own drafts; admins everything.
pub fn list(store: &Store, actor: &Actor) -> Result<Vec<Event>> {
    store.read(|c| {
        Ok(store::events::all(c)?
            .into_iter()
            .filter(|event| authorize(actor, Action::SeeEvent(event)).is_ok())
            .collect())
    })
}

/// The events whose tiers the actor may set up (draft or published, theirs or — for an
/// admin — anyone's), soonest first: what a question on a terminal offers.
pub fn manageable(store: &Store, actor: &Actor) -> Result<Vec<Event>> {
    store.read(|c| {
        Ok(store::events::all(c)?
            .into_iter()
            .filter(|e| matches!(e.status, EventStatus::Draft | EventStatus::Published))
            .filter(|e| authorize(actor, Action::ManageTiers(e)).is_ok())
            .collect())
    })
}

/// One event: published, cancelled and completed ones for anyone; a draft only for its
/// promoter and admins.
pub fn show(store: &Store, actor: &Actor, id: i64) -> Result<Event> {
    store.read(|c| {
        let event = get(c, id)?;
        authorize(actor, Action::SeeEvent(&event))?;
        Ok(event)
    })
}

fn record(
    conn: &Tx<'_>,
    actor: &Actor,
    action: &str,
    event_id: i64,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        action,
        Subject {
            object_type: "event",
            object_id: &event_id.to_string(),
            event_id: Some(event_id),
            ticket_id: None,
        },
        details,
    )
}

fn set_status(conn: &Tx<'_>, actor: &Actor, event: &mut Event, status: EventStatus) -> Result<()> {
    store::events::set_status(conn, event.id, status, time::now())?;
    let action = if status == EventStatus::Published {
        "event.publish"
    } else {
        "event.cancel"
    };
    record(
        conn,
        actor,
        action,
        event.id,
        serde_json::json!({ "old_status": event.status, "new_status": status }),
    )?;
    event.status = status;
    Ok(())
}

/// Publishes a draft event, putting its active tiers on sale within their windows.
/// Publishing a published event changes nothing.
pub fn publish(store: &mut Store, actor: &Actor, id: i64) -> Result<Event> {
    store.write(|tx| {
        let mut event = get(tx, id)?;
        authorize(actor, Action::ManageEvent(&event))?;
        match event.status {
            EventStatus::Draft => set_status(tx, actor, &mut event, EventStatus::Published)?,
            EventStatus::Published => {}
            EventStatus::Cancelled | EventStatus::Completed => {
                return Err(Rule::NotDraft {
                    event: id,
                    status: event.status.to_string(),
                }
                .into());
            }
        }
        Ok(event)
    })
}

/// What `event update` changes; `None` keeps a field, and an empty venue or note clears it.
#[derive(Debug, Clone, Default)]
pub struct EventChange {
    /// A new title.
    pub title: Option<String>,
    /// A new venue.
    pub venue: Option<String>,
    /// The text printed on every ticket of the event and in its ticket e-mails.
    pub ticket_note: Option<String>,
}

/// The longest ticket note kept, in characters.
pub const TICKET_NOTE_MAX: usize = 2000;

/// Changes an event's title, venue or ticket note (its promoter or an admin).
pub fn update(store: &mut Store, actor: &Actor, id: i64, change: &EventChange) -> Result<Event> {
    let title = change
        .title
        .as_deref()
        .map(|t| check_line("title", t, 200))
        .transpose()?;
    let cleared = |v: &Option<String>| v.as_deref().map(|v| v.trim().is_empty());
    let venue = match (&change.venue, cleared(&change.venue)) {
        (Some(v), Some(false)) => Some(Some(check_line("venue", v, 200)?)),
        (_, Some(true)) => Some(None),
        _ => None,
    };
    let note = match (&change.ticket_note, cleared(&change.ticket_note)) {
        (Some(v), Some(false)) => Some(Some(crate::domain::text::check_text(
            "ticket note",
            v,
            TICKET_NOTE_MAX,
        )?)),
        (_, Some(true)) => Some(None),
        _ => None,
    };
    if title.is_none() && venue.is_none() && note.is_none() {
        return Err(Error::NothingToChange { what: "event" });
    }
    store.write(|tx| {
        let old = get(tx, id)?;
        authorize(actor, Action::ManageEvent(&old))?;
        store::events::update_details(
            tx,
            id,
            title.as_deref(),
            venue.as_ref().map(|v| v.as_deref()),
            note.as_ref().map(|v| v.as_deref()),
            time::now(),
        )?;
        let new = get(tx, id)?;
        record(
            tx,
            actor,
            "event.update",
            id,
            serde_json::json!({ "old": old, "new": new }),
        )?;
        Ok(new)
    })
}

/// Marks an event cancelled, with its audit entry (the cancellation of its orders is
/// [`crate::ops::cancellation`]'s).
pub(crate) fn mark_cancelled(conn: &Tx<'_>, actor: &Actor, event: &mut Event) -> Result<()> {
    set_status(conn, actor, event, EventStatus::Cancelled)
}

/// Assigns a staff account to check tickets in at an event (its promoter or an admin).
pub fn add_staff(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    email: &str,
) -> Result<Vec<User>> {
    store.write(|tx| {
        let event = get(tx, event_id)?;
        authorize(actor, Action::ManageStaff(&event))?;
        let user = users::get(tx, email)?;
        user.check_assignable_to_gates()?;
        if store::events::add_staff(tx, event.id, user.id, time::now())? {
            record(
                tx,
                actor,
                "event.staff_add",
                event.id,
                serde_json::json!({ "staff": user.email }),
            )?;
        }
        staff_of(tx, event.id)
    })
}

/// Removes a staff account from an event (its promoter or an admin).
pub fn remove_staff(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    email: &str,
) -> Result<Vec<User>> {
    store.write(|tx| {
        let event = get(tx, event_id)?;
        authorize(actor, Action::ManageStaff(&event))?;
        let user = users::get(tx, email)?;
        let removed = store::events::remove_staff(tx, event.id, user.id)?;
        if removed {
            record(
                tx,
                actor,
                "event.staff_remove",
                event.id,
                serde_json::json!({ "staff": user.email }),
            )?;
        }
        if !removed {
            return Err(Error::not_found(
                Missing::StaffAssignment { event: event.id },
                format!("of {} to event {}", user.email, event.id),
            ));
        }
        staff_of(tx, event.id)
    })
}

/// The staff assigned to an event (its promoter or an admin).
pub fn list_staff(store: &Store, actor: &Actor, event_id: i64) -> Result<Vec<User>> {
    store.read(|c| {
        let event = get(c, event_id)?;
        authorize(actor, Action::ManageStaff(&event))?;
        staff_of(c, event.id)
    })
}

fn staff_of(conn: &Tx<'_>, event_id: i64) -> Result<Vec<User>> {
    store::events::staff_emails(conn, event_id)?
        .iter()
        .map(|e| users::get(conn, e))
        .collect()
}
