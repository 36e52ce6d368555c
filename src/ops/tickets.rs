//! Tickets: who holds them, who attends, their status, their signed codes, and the
//! holder's own actions (naming the attendee, transferring).

use std::collections::HashMap;

use crate::store::Tx;
use serde_json::json;
use uuid::Uuid;

use crate::access::{Action, Actor, authorize};
use crate::codes::{self, CodeError, EventKeys, TicketCode};
use crate::domain::sale::OrderStatus;
use crate::error::{Error, Missing, Result, Rule};
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, EventStatus};
use crate::ops::users;
use crate::store::{self, Store};
use crate::time::{self, Timestamp};

pub use crate::domain::sale::{Ticket, TicketRef, TicketStatus};

/// How many UUIDs take their random bytes from one call to the operating system.
const UUID_BATCH: usize = 4_096;

/// Issues `quantity` new tickets of an order inside the caller's transaction, owned by
/// (and naming as attendee) the buyer, and returns the first `keep` of them with their
/// signed codes: memory stays flat for an order of any size when the caller keeps few
/// (and reads the rest back with [`for_each_of_order`]).
///
/// UUIDs are version 7: a millisecond timestamp, then a counter within this order, then 46
/// random bits. New tickets therefore land at the end of the UUID index instead of at
/// random places in it, which keeps a 100,000-ticket order fast; they stay unguessable.
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue(
    tx: &Tx<'_>,
    order_id: i64,
    event: &crate::ops::events::Event,
    tier: &crate::ops::tiers::Tier,
    buyer: &crate::ops::users::User,
    quantity: i64,
    order_status: OrderStatus,
    now: Timestamp,
    keep: usize,
) -> Result<Vec<Ticket>> {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let count = usize::try_from(quantity).unwrap_or(0);
    let mut out = Vec::with_capacity(count.min(keep));
    let mut issued = 0usize;
    let mut random = vec![0u8; 10 * count.min(UUID_BATCH)];
    let mut uuid_buf = Uuid::encode_buffer();
    while issued < count {
        let batch = (count - issued).min(UUID_BATCH);
        getrandom::fill(&mut random[..10 * batch]).map_err(|e| Error::Io {
            action: "read random bytes from",
            path: "the operating system".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let mut uuids: Vec<String> = Vec::with_capacity(batch);
        for chunk in random[..10 * batch].chunks_exact(10) {
            let mut tail = [0u8; 10];
            tail.copy_from_slice(chunk);
            // A 26-bit counter in the bits the version and variant leave free (the low
            // nibble of byte 0, byte 1, the low six bits of byte 2, byte 3), so the
            // order's UUIDs sort in issue order; 48 random bits follow.
            let n = (issued + uuids.len()) as u32;
            tail[0] = ((n >> 22) & 0x0F) as u8;
            tail[1] = ((n >> 14) & 0xFF) as u8;
            tail[2] = ((n >> 8) & 0x3F) as u8;
            tail[3] = (n & 0xFF) as u8;
            let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid();
            uuids.push(uuid.hyphenated().encode_lower(&mut uuid_buf).to_string());
        }
        let texts: Vec<&str> = uuids.iter().map(String::as_str).collect();
        let ids = store::tickets::insert_many(
            tx,
            &store::tickets::NewTickets {
                order_id,
                event_id: event.id,
                tier_id: tier.id,
                owner: buyer,
                now,
            },
            &texts,
        )?;
        issued += batch;
        for (id, uuid) in ids.into_iter().zip(uuids) {
            if out.len() >= keep {
                break;
            }
            out.push(Ticket {
                id,
                uuid,
                event_id: event.id,
                event_title: event.title.clone(),
                tier_id: tier.id,
                tier_name: tier.name.clone(),
                order_id,
                owner_id: buyer.id,
                owner_email: buyer.email.clone(),
                owner_name: buyer.name.clone(),
                attendee_name: Some(buyer.name.clone()),
                attendee_email: Some(buyer.email.clone()),
                attendee_phone: None,
                status: TicketStatus::Valid,
                order_status,
                secret_version: 1,
                checked_in_at: None,
                checked_in_gate: None,
                qr_payload: String::new(),
                zone: event.timezone,
                created_at: now,
            });
        }
    }
    sign_all(tx, &mut out)?;
    Ok(out)
}

/// How many tickets make signing their codes worth spreading over all cores.
const PARALLEL_SIGNING_FROM: usize = 2_048;

/// Fills in the signed code of every ticket: each event's key is loaded and expanded
/// once, and large batches (a 100,000-ticket order) are signed on all cores.
fn sign_all(conn: &Tx<'_>, tickets: &mut [Ticket]) -> Result<()> {
    let mut keys: HashMap<i64, EventKeys> = HashMap::new();
    for t in tickets.iter() {
        if let std::collections::hash_map::Entry::Vacant(e) = keys.entry(t.event_id) {
            let secret = store::events::signing_key(conn, t.event_id)?;
            e.insert(EventKeys::from_secret(&secret)?);
        }
    }
    let sign = |chunk: &mut [Ticket]| -> Result<()> {
        for t in chunk {
            let uuid = Uuid::parse_str(&t.uuid)
                .map_err(|_| Error::Corrupt(format!("ticket UUID '{}' is malformed", t.uuid)))?;
            let key = keys.get(&t.event_id).ok_or_else(|| {
                Error::Corrupt(format!("no signing key for event {}", t.event_id))
            })?;
            t.qr_payload = key.sign(&TicketCode {
                event_id: t.event_id,
                tier_id: t.tier_id,
                uuid,
                secret_version: t.secret_version,
            });
        }
        Ok(())
    };
    let threads = if tickets.len() >= PARALLEL_SIGNING_FROM {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    if threads <= 1 {
        return sign(tickets);
    }
    let chunk = tickets.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = tickets
            .chunks_mut(chunk)
            .map(|c| s.spawn(|| sign(c)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(Error::Corrupt("a signing thread panicked".into())))
        })
    })
}

/// Signs the codes of tickets read without them.
fn signed(conn: &Tx<'_>, mut tickets: Vec<Ticket>) -> Result<Vec<Ticket>> {
    sign_all(conn, &mut tickets)?;
    Ok(tickets)
}

/// Finds a ticket by numeric id or UUID.
pub fn find_ref(conn: &Tx<'_>, reference: &str) -> Result<Ticket> {
    let found = store::tickets::find(conn, &TicketRef::parse(reference)?)?;
    let found = signed(conn, found.into_iter().collect())?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(Missing::Ticket, reference.trim()))
}

/// An order's tickets in issue order, with their codes.
pub(crate) fn of_order(conn: &Tx<'_>, order_id: i64) -> Result<Vec<Ticket>> {
    signed(conn, store::tickets::of_order(conn, order_id)?)
}

/// One ticket: its owner, the event's promoter or an admin.
pub fn show(store: &Store, actor: &Actor, reference: &str) -> Result<Ticket> {
    store.read(|c| {
        let ticket = find_ref(c, reference)?;
        let event = events::get(c, ticket.event_id)?;
        authorize(
            actor,
            Action::SeeTicket {
                event: &event,
                owner_id: ticket.owner_id,
            },
        )?;
        Ok(ticket)
    })
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Only tickets of this owner (admin, the owner, or a promoter for their events).
    pub owner: Option<String>,
    /// Only tickets of this event (its promoter or an admin).
    pub event_id: Option<i64>,
    /// Also used, cancelled and refunded tickets.
    pub include_used: bool,
}

/// Tickets, newest first. With no owner or event: the actor's own tickets.
pub fn list(store: &Store, actor: &Actor, filter: &TicketFilter) -> Result<Vec<Ticket>> {
    let mut out = Vec::new();
    for_each(store, actor, filter, true, |t| {
        out.push(t);
        Ok(())
    })?;
    Ok(out)
}

/// Hands each ticket of one order to `f`, in issue order and with its signed code, a
/// batch at a time (flat memory for an order of any size): whoever may see the order.
pub fn for_each_of_order(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    mut f: impl FnMut(Ticket) -> Result<()>,
) -> Result<()> {
    store.read(|c| {
        let (event_id, buyer_id) = store::orders::event_and_buyer(c, order_id)?
            .ok_or_else(|| Error::not_found(Missing::Order, order_id))?;
        let event = events::get(c, event_id)?;
        authorize(
            actor,
            Action::SeeOrder {
                event: &event,
                buyer_id,
            },
        )?;
        stream(
            c,
            &store::tickets::Selection {
                order_id: Some(order_id),
                include_used: true,
                ..Default::default()
            },
            true,
            &mut f,
        )
    })
}

/// How many tickets are read and signed at a time when streaming a list.
const STREAM_BATCH: usize = 4_096;

/// Hands the selected tickets to `f` a batch at a time, signing their codes if `codes`.
fn stream(
    conn: &Tx<'_>,
    selection: &store::tickets::Selection,
    codes: bool,
    f: &mut impl FnMut(Ticket) -> Result<()>,
) -> Result<()> {
    let mut batch = Vec::with_capacity(STREAM_BATCH);
    let mut flush = |batch: &mut Vec<Ticket>| -> Result<()> {
        if codes {
            sign_all(conn, batch)?;
        }
        batch.drain(..).try_for_each(&mut *f)
    };
    store::tickets::each(conn, selection, |t| {
        batch.push(t);
        if batch.len() == STREAM_BATCH {
            flush(&mut batch)?;
        }
        Ok(())
    })?;
    flush(&mut batch)
}

/// Hands each ticket of [`list`] to `f` as it is read, a batch at a time, so a list of
/// any length is written out with flat memory. With `codes` false, `qr_payload` is left
/// empty and no signature is computed (a list of UUIDs needs none).
pub fn for_each(
    store: &Store,
    actor: &Actor,
    filter: &TicketFilter,
    codes: bool,
    mut f: impl FnMut(Ticket) -> Result<()>,
) -> Result<()> {
    store.read(|c| {
        // Naming someone else is refused to plain users before the name is looked up.
        let other = filter.owner.as_deref().filter(|e| {
            actor
                .as_user()
                .is_none_or(|me| e.trim().to_lowercase() != me.email)
        });
        let scope = crate::access::scope(
            actor,
            crate::access::Listing::Tickets { other_owner: other },
        )?;
        let owner = match (&filter.owner, scope) {
            (Some(email), _) => Some(users::get(c, email)?.id),
            (None, crate::access::Scope::Own(me)) if filter.event_id.is_none() => Some(me),
            (None, crate::access::Scope::OwnEvents(me)) if filter.event_id.is_none() => Some(me),
            (None, crate::access::Scope::All) if filter.event_id.is_none() => {
                actor.as_user().map(|u| u.id)
            }
            (None, _) => None,
        };
        // Events whose tickets the actor may see beyond their own.
        let mut only_events_of: Option<i64> = None;
        if let Some(event_id) = filter.event_id {
            let event = events::get(c, event_id)?;
            authorize(actor, Action::SeeEventRecords(&event))?;
        } else if other.is_some()
            && let crate::access::Scope::OwnEvents(me) = scope
        {
            only_events_of = Some(me);
        }
        stream(
            c,
            &store::tickets::Selection {
                owner_id: owner,
                event_id: filter.event_id,
                events_of_owner: only_events_of,
                include_used: filter.include_used,
                newest_first: true,
                ..Default::default()
            },
            codes,
            &mut f,
        )
    })
}

/// New attendee details; `None` keeps a field, an empty string clears it.
#[derive(Debug, Clone, Default)]
pub struct AttendeeChange {
    /// The attendee's name.
    pub name: Option<String>,
    /// Their email.
    pub email: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
}

fn refuse_unless_valid(ticket: &Ticket, doing: &'static str) -> Result<()> {
    if ticket.status == TicketStatus::Valid {
        return Ok(());
    }
    Err(Rule::TicketNotValid {
        ticket: ticket.id,
        doing,
        status: ticket.status.to_string(),
    }
    .into())
}

fn check_phone(phone: &str) -> Result<String> {
    let p = phone.trim();
    let digits = p.chars().filter(char::is_ascii_digit).count();
    if p.chars().count() > 32
        || digits < 3
        || !p
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        return Err(Error::invalid(
            "phone",
            format!(
                "'{phone}' is not a phone number; use digits with + - ( ) . / or spaces, e.g. +49 30 1234567"
            ),
        ));
    }
    Ok(p.to_string())
}

/// Names a ticket's attendee (its owner only; not for used, cancelled or refunded tickets).
pub fn set_attendee(
    store: &mut Store,
    actor: &Actor,
    reference: &str,
    change: &AttendeeChange,
) -> Result<Ticket> {
    if change.name.is_none() && change.email.is_none() && change.phone.is_none() {
        return Err(Error::NothingToChange { what: "attendee" });
    }
    let clear_or = |v: &Option<String>,
                    f: &dyn Fn(&str) -> Result<String>|
     -> Result<Option<Option<String>>> {
        match v {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(Some(None)),
            Some(s) => Ok(Some(Some(f(s)?))),
        }
    };
    let name = clear_or(&change.name, &|s| {
        crate::ops::events::check_line("attendee name", s, 200)
    })?;
    let email = clear_or(&change.email, &users::normalize_email)?;
    let phone = clear_or(&change.phone, &check_phone)?;
    store.write(|tx| {
        let old = find_ref(tx, reference)?;
        authorize(actor, Action::HoldTicket { owner_id: old.owner_id })?;
        refuse_unless_valid(&old, "change the attendee of")?;
        let new_name = name.clone().unwrap_or(old.attendee_name.clone());
        let new_email = email.clone().unwrap_or(old.attendee_email.clone());
        let new_phone = phone.clone().unwrap_or(old.attendee_phone.clone());
        store::tickets::set_attendee(
            tx,
            old.id,
            [new_name.as_deref(), new_email.as_deref(), new_phone.as_deref()],
            time::now(),
        )?;
        audit::record(
            tx,
            actor,
            "ticket.attendee",
            Subject { object_type: "ticket", object_id: &old.id.to_string(), event_id: Some(old.event_id), ticket_id: Some(old.id) },
            json!({
                "old": {"name": old.attendee_name, "email": old.attendee_email, "phone": old.attendee_phone},
                "new": {"name": new_name, "email": new_email, "phone": new_phone},
            }),
        )?;
        find_ref(tx, &old.id.to_string())
    })
}

/// Transfers a valid ticket of a transferable tier to another registered user. The ticket
/// gets a new code; the old one is dead from then on.
pub fn transfer(store: &mut Store, actor: &Actor, reference: &str, to: &str) -> Result<Ticket> {
    let to = users::normalize_email(to)?;
    store.write(|tx| {
        let old = find_ref(tx, reference)?;
        authorize(
            actor,
            Action::HoldTicket {
                owner_id: old.owner_id,
            },
        )?;
        refuse_unless_valid(&old, "transfer")?;
        if old.awaiting_approval() {
            return Err(Rule::TransferUnapproved {
                ticket: old.id,
                order: old.order_id,
            }
            .into());
        }
        let event = events::get(tx, old.event_id)?;
        if matches!(
            event.status,
            EventStatus::Cancelled | EventStatus::Completed
        ) {
            return Err(Rule::TransferEventClosed {
                ticket: old.id,
                event: event.id,
                status: event.status.to_string(),
            }
            .into());
        }
        let tier = crate::ops::tiers::get(tx, old.tier_id)?;
        if !tier.transferable {
            return Err(Rule::NotTransferable {
                ticket: old.id,
                tier_name: tier.name,
            }
            .into());
        }
        let recipient =
            users::find(tx, &to)?.ok_or_else(|| Rule::RecipientUnknown { email: to.clone() })?;
        if recipient.id == old.owner_id {
            return Err(Rule::AlreadyOwner {
                email: recipient.email,
                ticket: old.id,
            }
            .into());
        }
        recipient.check_may_hold_tickets()?;
        store::tickets::transfer(tx, old.id, &recipient, time::now())?;
        // Transfers take their audit ids in commit order: a gate export's mark of the
        // last transfer it saw must not lie above one it did not.
        store::audit::order_transfers(tx)?;
        audit::record(
            tx,
            actor,
            "ticket.transfer",
            Subject {
                object_type: "ticket",
                object_id: &old.id.to_string(),
                event_id: Some(old.event_id),
                ticket_id: Some(old.id),
            },
            json!({
                "from": old.owner_email,
                "to": recipient.email,
                "old_secret_version": old.secret_version,
                "new_secret_version": old.secret_version + 1,
            }),
        )?;
        find_ref(tx, &old.id.to_string())
    })
}

/// What a scanned code turns out to be, before any check-in rule is applied.
#[derive(Debug, Clone)]
pub enum CodeCheck {
    /// Correctly signed and the ticket's current code.
    Current(Box<Ticket>),
    /// Correctly signed, but replaced by a newer code (the ticket was transferred); with
    /// the secret version the presented code carried.
    Revoked(Box<Ticket>, i64),
    /// Correctly signed by its event, but no such ticket exists.
    UnknownTicket,
    /// Looks like a tix code but the signature does not match the event's key (or the
    /// event does not exist).
    BadSignature,
    /// Not a tix code at all.
    Malformed,
}

/// Checks a scanned code against the event keys and tickets of this database. The
/// tickets it returns carry no `qr_payload` (the gate only reads codes).
pub fn check_code(conn: &Tx<'_>, text: &str) -> Result<CodeCheck> {
    let unverified = match codes::parse(text) {
        Ok(u) => u,
        Err(_) => return Ok(CodeCheck::Malformed),
    };
    let key = crate::store::events::verify_key(conn, unverified.code.event_id)?;
    let Some(key) = key else {
        return Ok(CodeCheck::BadSignature);
    };
    let code = match unverified.verify(&key) {
        Ok(code) => code,
        Err(CodeError::BadSignature | CodeError::Malformed) => return Ok(CodeCheck::BadSignature),
    };
    let found = store::tickets::find(conn, &TicketRef::Uuid(code.uuid.hyphenated().to_string()))?;
    Ok(match found {
        None => CodeCheck::UnknownTicket,
        Some(t) if t.event_id != code.event_id || t.tier_id != code.tier_id => {
            CodeCheck::BadSignature
        }
        Some(t) if t.secret_version == code.secret_version => CodeCheck::Current(Box::new(t)),
        Some(t) => CodeCheck::Revoked(Box::new(t), code.secret_version),
    })
}

/// An event's tickets of completed orders, valid or used, with their codes (the caller
/// has authorized the actor): what `ticket send` sends.
pub(crate) fn delivered_of_event(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Ticket>> {
    signed(conn, store::tickets::delivered_of_event(conn, event_id)?)
}

/// The tickets of an event that can be admitted (valid, order completed), for printing
/// codes in bulk: the event's promoter or an admin.
pub fn admissible(store: &Store, actor: &Actor, event_id: i64) -> Result<Vec<Ticket>> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize(actor, Action::SeeEventRecords(&event))?;
        signed(c, store::tickets::admissible_of_event(c, event_id)?)
    })
}
