//! Tickets: who holds them, who attends, their status, their signed codes, and the
//! holder's own actions (naming the attendee, transferring).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    keep: Keep,
) -> Result<Vec<Ticket>> {
    // The event's key, expanded once, if every code is signed now.
    let keys = if keep.sign_all {
        Some(Keys::load(tx, [event.id])?)
    } else {
        None
    };
    let keep = keep.tickets;
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let count = usize::try_from(quantity).unwrap_or(0);
    let mut out = Vec::with_capacity(count.min(keep));
    let mut random = vec![0u8; 10 * count.min(UUID_BATCH)];
    let sign = |uuids: &[String]| -> Vec<Result<Option<String>>> {
        uuids
            .iter()
            .map(|uuid| match &keys {
                Some(keys) => {
                    let code = code_of(event.id, tier.id, uuid, 1)?;
                    Ok(Some(codes::signature_text(&keys.sign(&code)?)))
                }
                None => Ok(None),
            })
            .collect()
    };
    // A pipeline: while one batch is inserted, the next is signed on the other cores
    // (and on this one once the insert is done), so signing a large order's codes, which
    // is most of its work, overlaps the database's.
    let first = new_uuids(&mut random, millis, 0, count.min(UUID_BATCH))?;
    let mut current = Some(signed_batch(first, &sign, || Ok(()))?);
    let mut issued = 0usize;
    while let Some((uuids, signatures)) = current.take() {
        let start_next = issued + uuids.len();
        let next_len = (count - start_next).min(UUID_BATCH);
        let insert = || -> Result<Vec<i64>> {
            let rows: Vec<(&str, Option<&str>)> = uuids
                .iter()
                .zip(&signatures)
                .map(|(u, s)| (u.as_str(), s.as_deref()))
                .collect();
            store::tickets::insert_many(
                tx,
                &store::tickets::NewTickets {
                    order_id,
                    event_id: event.id,
                    tier_id: tier.id,
                    owner: buyer,
                    now,
                },
                &rows,
            )
        };
        let ids = if next_len > 0 {
            let next = new_uuids(&mut random, millis, start_next, next_len)?;
            let mut ids = Vec::new();
            current = Some(signed_batch(next, &sign, || {
                ids = insert()?;
                Ok(())
            })?);
            ids
        } else {
            insert()?
        };
        issued = start_next;
        for ((id, uuid), signature) in ids.into_iter().zip(uuids).zip(signatures) {
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
                signature,
                zone: event.timezone,
                created_at: now,
            });
        }
    }
    // The tickets kept: their codes, signed now if they were not above (and kept).
    let fresh = fill_codes(tx, &mut out)?;
    store::tickets::save_signatures(tx, &fresh)?;
    Ok(out)
}

/// What the caller of [`issue`] wants of a new order's tickets.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// How many of them to return, with their codes (the first ones).
    pub tickets: usize,
    /// Sign every code now (for a caller that prints them all), rather than only those
    /// returned: the rest are signed when first needed.
    pub sign_all: bool,
}

impl Keep {
    /// Every ticket, with its code.
    pub const ALL: Keep = Keep {
        tickets: usize::MAX,
        sign_all: true,
    };
}

/// `len` UUIDs of a new order, from its `start`-th ticket on: version 7, the order's
/// millisecond, then a 26-bit counter in the bits the version and variant leave free (the
/// low nibble of byte 0, byte 1, the low six bits of byte 2, byte 3), so the order's UUIDs
/// sort in issue order; 48 random bits follow.
fn new_uuids(random: &mut [u8], millis: u64, start: usize, len: usize) -> Result<Vec<String>> {
    let random = random.get_mut(..10 * len).ok_or_else(|| {
        Error::Corrupt(format!("a batch of {len} UUIDs is larger than its buffer"))
    })?;
    getrandom::fill(random).map_err(|e| Error::Io {
        action: "read random bytes from",
        path: "the operating system".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut buf = Uuid::encode_buffer();
    Ok(random
        .chunks_exact(10)
        .enumerate()
        .map(|(i, chunk)| {
            let mut tail = [0u8; 10];
            tail.copy_from_slice(chunk);
            let n = (start + i) as u32;
            tail[0] = ((n >> 22) & 0x0F) as u8;
            tail[1] = ((n >> 14) & 0xFF) as u8;
            tail[2] = ((n >> 8) & 0x3F) as u8;
            tail[3] = (n & 0xFF) as u8;
            let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid();
            uuid.hyphenated().encode_lower(&mut buf).to_string()
        })
        .collect())
}

/// Codes signed per turn of a signing thread.
const SIGN_CHUNK: usize = 64;

/// Signs a batch of new tickets with `sign` on all cores while this thread first does
/// `meanwhile` (inserting the previous batch), then joins in. The batch, with each
/// ticket's signature (none if `sign` signs nothing).
#[allow(clippy::type_complexity)]
fn signed_batch(
    uuids: Vec<String>,
    sign: &(dyn Fn(&[String]) -> Vec<Result<Option<String>>> + Sync),
    meanwhile: impl FnOnce() -> Result<()>,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let helpers = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let from = next.fetch_add(SIGN_CHUNK, Ordering::Relaxed);
            let Some(part) = uuids.get(from..(from + SIGN_CHUNK).min(uuids.len())) else {
                return done;
            };
            if part.is_empty() {
                return done;
            }
            done.push((from, sign(part)));
        }
    };
    let (first, parts) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..helpers.min(uuids.len() / SIGN_CHUNK))
            .map(|_| s.spawn(work))
            .collect();
        let first = meanwhile();
        let mut parts = work();
        for h in handles {
            match h.join() {
                Ok(p) => parts.extend(p),
                Err(_) => {
                    return (
                        Err(Error::Corrupt("a signing thread panicked".into())),
                        parts,
                    );
                }
            }
        }
        (first, parts)
    });
    first?;
    let mut signatures = vec![None; uuids.len()];
    for (from, part) in parts {
        for (i, signature) in part.into_iter().enumerate() {
            if let Some(slot) = signatures.get_mut(from + i) {
                *slot = signature?;
            }
        }
    }
    Ok((uuids, signatures))
}

/// How many tickets make signing their codes worth spreading over all cores.
const PARALLEL_SIGNING_FROM: usize = 2_048;

/// Runs `f` on every item, on all cores when there are many (signing a 100,000-ticket
/// order); the results in the items' order.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> Result<U> + Sync) -> Result<Vec<U>> {
    let threads = if items.len() >= PARALLEL_SIGNING_FROM {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Result<Vec<U>>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(
                h.join()
                    .unwrap_or_else(|_| Err(Error::Corrupt("a signing thread panicked".into())))?,
            );
        }
        Ok(out)
    })
}

/// The signing keys of the events some tickets belong to, each loaded and expanded once.
struct Keys(HashMap<i64, EventKeys>);

impl Keys {
    fn load(conn: &Tx<'_>, events: impl IntoIterator<Item = i64>) -> Result<Keys> {
        let mut keys = HashMap::new();
        for event_id in events {
            if let std::collections::hash_map::Entry::Vacant(e) = keys.entry(event_id) {
                let secret = store::events::signing_key(conn, event_id)?;
                e.insert(EventKeys::from_secret(&secret)?);
            }
        }
        Ok(Keys(keys))
    }

    /// The signature of one code (by its event's key).
    fn sign(&self, code: &TicketCode) -> Result<[u8; codes::SIGNATURE_LEN]> {
        let key = self
            .0
            .get(&code.event_id)
            .ok_or_else(|| Error::Corrupt(format!("no signing key for event {}", code.event_id)))?;
        Ok(key.signature(code))
    }
}

/// What a ticket's code says: its event, tier, UUID and secret version.
fn code_of(event_id: i64, tier_id: i64, uuid: &str, secret_version: i64) -> Result<TicketCode> {
    let uuid = Uuid::parse_str(uuid)
        .map_err(|_| Error::Corrupt(format!("ticket UUID '{uuid}' is malformed")))?;
    Ok(TicketCode {
        event_id,
        tier_id,
        uuid,
        secret_version,
    })
}

/// Fills in the code of every ticket: from its stored signature, or signed now (all
/// cores for a large batch). Returns what was signed now — ticket id, secret version,
/// signature as stored — for a caller in a write transaction to keep.
fn fill_codes(conn: &Tx<'_>, tickets: &mut [Ticket]) -> Result<Vec<(i64, i64, String)>> {
    let mut missing = Vec::new();
    for (i, t) in tickets.iter_mut().enumerate() {
        let code = code_of(t.event_id, t.tier_id, &t.uuid, t.secret_version)?;
        match t.signature.as_deref().and_then(codes::signature_from_text) {
            Some(signature) => t.qr_payload = codes::payload(&code, &signature),
            None => missing.push((i, code)),
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let keys = Keys::load(conn, missing.iter().map(|(_, c)| c.event_id))?;
    let signatures = par_map(&missing, |(_, code)| keys.sign(code))?;
    let mut fresh = Vec::with_capacity(missing.len());
    for ((i, code), signature) in missing.iter().zip(signatures) {
        let t = &mut tickets[*i];
        t.qr_payload = codes::payload(code, &signature);
        let text = codes::signature_text(&signature);
        t.signature = Some(text.clone());
        fresh.push((t.id, t.secret_version, text));
    }
    Ok(fresh)
}

/// Signs the codes of tickets issued without them and stores the signatures.
fn sign_and_store(tx: &Tx<'_>, unsigned: &[store::tickets::Unsigned]) -> Result<()> {
    let keys = Keys::load(tx, unsigned.iter().map(|u| u.event_id))?;
    let signed = par_map(unsigned, |u| {
        let code = code_of(u.event_id, u.tier_id, &u.uuid, u.secret_version)?;
        Ok((
            u.id,
            u.secret_version,
            codes::signature_text(&keys.sign(&code)?),
        ))
    })?;
    store::tickets::save_signatures(tx, &signed)
}

/// Tickets signed and stored per transaction by [`sign_missing`]: a gate waiting for the
/// write lock waits for one batch, not for a whole event.
const SIGN_BATCH: usize = 4_096;

/// Signs and stores the codes of an event's (or one order's) tickets that were issued
/// without them (`order create -q`, or before codes were stored), so that what reads them
/// next signs nothing. A file tix may not write is left as it is: its readers sign as
/// they read.
pub(crate) fn sign_missing(store: &mut Store, event_id: i64, order_id: Option<i64>) -> Result<()> {
    if store.is_read_only() {
        return Ok(());
    }
    let any =
        store.read(|c| Ok(!store::tickets::unsigned(c, event_id, order_id, 1)?.is_empty()))?;
    if !any {
        return Ok(());
    }
    loop {
        let done = store.write(|tx| {
            let batch = store::tickets::unsigned(tx, event_id, order_id, SIGN_BATCH)?;
            sign_and_store(tx, &batch)?;
            Ok(batch.len())
        });
        match done {
            Ok(n) if n < SIGN_BATCH => return Ok(()),
            Ok(_) => {}
            // Another process held the database past the busy timeout: what was not
            // stored is signed as it is read, as on a read-only file.
            Err(Error::Busy { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Fills in the codes of tickets read with or without them.
fn signed(conn: &Tx<'_>, mut tickets: Vec<Ticket>) -> Result<Vec<Ticket>> {
    fill_codes(conn, &mut tickets)?;
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
pub fn list(store: &mut Store, actor: &Actor, filter: &TicketFilter) -> Result<Vec<Ticket>> {
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
    store: &mut Store,
    actor: &Actor,
    order_id: i64,
    mut f: impl FnMut(Ticket) -> Result<()>,
) -> Result<()> {
    let event_id = store.read(|c| may_see_order(c, actor, order_id))?;
    sign_missing(store, event_id, Some(order_id))?;
    store.read(|c| {
        may_see_order(c, actor, order_id)?;
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

/// Checks that the actor may see an order (its buyer, the event's promoter, an admin)
/// without reading its tickets; the order's event.
pub(crate) fn may_see_order(c: &Tx<'_>, actor: &Actor, order_id: i64) -> Result<i64> {
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
    Ok(event_id)
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
            fill_codes(conn, batch)?;
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
    store: &mut Store,
    actor: &Actor,
    filter: &TicketFilter,
    codes: bool,
    mut f: impl FnMut(Ticket) -> Result<()>,
) -> Result<()> {
    if codes && let Some(event_id) = filter.event_id {
        // Only someone who may see the event's records gets its codes signed.
        store.read(|c| authorize(actor, Action::SeeEventRecords(&events::get(c, event_id)?)))?;
        sign_missing(store, event_id, None)?;
    }
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
        // The new code is signed once, now; the old one is dead.
        sign_and_store(
            tx,
            &[store::tickets::Unsigned {
                id: old.id,
                event_id: old.event_id,
                tier_id: old.tier_id,
                uuid: old.uuid.clone(),
                secret_version: old.secret_version + 1,
            }],
        )?;
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

/// Is `code` byte for byte the current code of the ticket with this event, tier, secret
/// version and stored signature, as tix signed it? Then it needs no signature check.
pub(crate) fn is_stored_code(
    code: &codes::Unverified,
    event_id: i64,
    tier_id: i64,
    secret_version: i64,
    signature: Option<&str>,
) -> bool {
    let claimed = code.code;
    (claimed.event_id, claimed.tier_id, claimed.secret_version)
        == (event_id, tier_id, secret_version)
        && signature
            .and_then(codes::signature_from_text)
            .is_some_and(|stored| code.is_stored(&stored))
}

/// Checks a scanned code against the event keys and tickets of this database. The
/// tickets it returns carry no `qr_payload` (the gate only reads codes).
pub fn check_code(conn: &Tx<'_>, text: &str) -> Result<CodeCheck> {
    let unverified = match codes::parse(text) {
        Ok(u) => u,
        Err(_) => return Ok(CodeCheck::Malformed),
    };
    let claimed = unverified.code;
    let found = store::tickets::find(
        conn,
        &TicketRef::Uuid(claimed.uuid.hyphenated().to_string()),
    )?;
    // The ticket's current code, byte for byte as tix signed and stored it: nothing to
    // check but equality. Anything else (an older version, a forgery, a ticket whose code
    // is not stored yet) has its signature checked.
    let current = found.as_ref().is_some_and(|t| {
        is_stored_code(
            &unverified,
            t.event_id,
            t.tier_id,
            t.secret_version,
            t.signature.as_deref(),
        )
    });
    if current && let Some(t) = found {
        return Ok(CodeCheck::Current(Box::new(t)));
    }
    let key = crate::store::events::verify_key(conn, unverified.code.event_id)?;
    let Some(key) = key else {
        return Ok(CodeCheck::BadSignature);
    };
    let code = match unverified.verify(&key) {
        Ok(code) => code,
        Err(CodeError::BadSignature | CodeError::Malformed) => return Ok(CodeCheck::BadSignature),
    };
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
pub fn admissible(store: &mut Store, actor: &Actor, event_id: i64) -> Result<Vec<Ticket>> {
    store.read(|c| authorize(actor, Action::SeeEventRecords(&events::get(c, event_id)?)))?;
    sign_missing(store, event_id, None)?;
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize(actor, Action::SeeEventRecords(&event))?;
        signed(c, store::tickets::admissible_of_event(c, event_id)?)
    })
}
