//! Delivery without a mail server: `ticket send` writes one RFC 5322 message per order
//! and holder into an outbox that any mail tool can send (`sendmail -t < file`), with
//! the tickets as a PDF, and remembers what it prepared for whom. Run again, it writes
//! only what changed: tickets of new orders, new codes after a transfer (the new holder
//! gets them), and a notice to whoever holds codes that no longer get in.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{Action, Actor, authorize};
use crate::domain::mail::{self, Attachment, Mailbox, Message, Template};
use crate::domain::sale::TicketRef;
use crate::error::Result;
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, Event};
use crate::ops::orders::Order;
use crate::ops::printing;
use crate::ops::tickets::{self, Ticket, TicketStatus};
use crate::ops::users;
use crate::ops::waitlist::{self, Entry};
use crate::store::{self, Store, Tx};
use crate::text::count;
use crate::time;

pub use crate::domain::mail::DEFAULT_TEMPLATE;

/// One message written to the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    /// Its file name in the outbox.
    pub file: String,
    /// Who it is for.
    pub to: String,
    /// `tickets` (codes attached), `notice` (codes sent before no longer get in), or
    /// `offer` (seats held for them from the waitlist).
    pub kind: &'static str,
    /// The order it is about (0 for a waitlist offer).
    pub order_id: i64,
    /// Tickets attached.
    pub tickets: usize,
    /// Earlier codes it says are no longer good.
    pub revoked: usize,
}

/// What a `ticket send` run did.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// The event.
    pub event_id: i64,
    /// The messages written this run.
    pub prepared: Vec<Prepared>,
    /// Recipients whose last message still holds.
    pub unchanged: usize,
}

/// One message to write: its recipient's key and what it carries.
struct Plan {
    key: String,
    order_id: i64,
    to_email: String,
    to_name: Option<String>,
    codes: String,
    version: i64,
    /// Tickets to attach (valid ones of this holder and order).
    attach: Vec<Ticket>,
    /// Codes of the last message that no longer get in, with why.
    revoked: Vec<(String, String)>,
    /// The order (for the price its tickets print).
    order: Option<Order>,
    /// The waitlist offer it announces, with the tier's price, instead of tickets.
    offer: Option<(Entry, String)>,
}

impl Plan {
    /// `offer`, `notice` (no tickets attached) or `tickets`.
    fn kind(&self) -> &'static str {
        match (&self.offer, self.attach.is_empty()) {
            (Some(_), _) => "offer",
            (None, true) => "notice",
            (None, false) => "tickets",
        }
    }
}

fn key(order_id: i64, holder_id: i64) -> String {
    format!("order:{order_id}:holder:{holder_id}")
}

fn codes_of(list: &[&Ticket]) -> String {
    let mut codes: Vec<String> = list
        .iter()
        .map(|t| format!("{}:{}", t.uuid, t.secret_version))
        .collect();
    codes.sort();
    codes.join(",")
}

/// Why a code sent before no longer gets in, as the notice says it.
fn why_revoked(conn: &Tx<'_>, code: &str, recipient: &str) -> Result<(String, String)> {
    let (uuid, version) = code.split_once(':').unwrap_or((code, "0"));
    let why = match store::tickets::find(conn, &TicketRef::Uuid(uuid.to_string()))? {
        None => "no longer exists".to_string(),
        Some(t) if t.owner_email != recipient => "was transferred to another holder".to_string(),
        Some(t) if t.secret_version.to_string() != version => {
            "was issued again with a new code".to_string()
        }
        Some(t) => match t.status {
            TicketStatus::Refunded => "was refunded".to_string(),
            TicketStatus::Cancelled => "was cancelled".to_string(),
            TicketStatus::Used => "was used".to_string(),
            TicketStatus::Valid => "no longer gets in".to_string(),
        },
    };
    Ok((uuid.to_string(), why))
}

/// Whether the actor may send an event's tickets (its promoter or an admin): asked
/// before an outbox is made.
pub fn check(store: &Store, actor: &Actor, event_id: i64) -> Result<()> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize(actor, Action::SeeEventRecords(&event))
    })
}

/// The most tickets one message carries; more go out as numbered parts, so that no
/// message grows past what mail servers accept.
pub const TICKETS_PER_MESSAGE: usize = 50;

/// Prepares the messages of an event's tickets (its promoter or an admin): `write` gets
/// each file name and its text, in order; what was written is then recorded, with an
/// audit entry per message. A failed write stops the run and records nothing of it, so
/// the next run prepares it again.
pub fn send(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    template: &Template,
    mut write: impl FnMut(&str, &str) -> Result<()>,
) -> Result<SendReport> {
    // What to send is decided on one snapshot; the files are written outside any
    // transaction (rendering many PDFs must not hold the database), and what they carry
    // is recorded afterwards: a change in between is caught by the next run.
    check(store, actor, event_id)?;
    // Offers that ran out are ended (and their seats offered on) before anything is sent.
    store.write(|tx| waitlist::refresh_event(tx, actor, event_id))?;
    let (event, from_name, plans, unchanged) = store.read(|c| plan(c, actor, event_id))?;
    let now = time::now();
    let mut prepared = Vec::with_capacity(plans.len());
    let mut first_files = Vec::with_capacity(plans.len());
    for p in &plans {
        let kind = p.kind();
        // Named by the recipient's key (order and holder id, or offer), never by the
        // address: two holders can never share a file, and any address fits a name.
        let base = format!(
            "{}-v{}{}",
            p.key.replace(':', "-"),
            p.version,
            if kind == "notice" { "-notice" } else { "" }
        );
        let parts = compose(&event, from_name.as_deref(), template, p, now)?;
        let n = parts.len();
        for (i, (text, tickets)) in parts.into_iter().enumerate() {
            let file = if n == 1 {
                format!("{base}.eml")
            } else {
                format!("{base}-part{}of{n}.eml", i + 1)
            };
            write(&file, &text)?;
            if i == 0 {
                first_files.push(file.clone());
            }
            prepared.push(Prepared {
                file,
                to: p.to_email.clone(),
                kind,
                order_id: p.order_id,
                tickets,
                revoked: if i == 0 { p.revoked.len() } else { 0 },
            });
        }
    }
    store.write(|tx| {
        for (p, file) in plans.iter().zip(&first_files) {
            let kind = p.kind();
            store::deliveries::record(
                tx,
                &p.key,
                event.id,
                &p.to_email,
                &p.codes,
                p.version,
                file,
                now,
            )?;
            let (object_type, object_id) = match &p.offer {
                Some((e, _)) => ("waitlist", e.id),
                None => ("order", p.order_id),
            };
            audit::record(
                tx,
                actor,
                "ticket.send",
                Subject {
                    object_type,
                    object_id: &object_id.to_string(),
                    event_id: Some(event.id),
                    ticket_id: None,
                },
                json!({
                    "to": p.to_email,
                    "kind": kind,
                    "tickets": p.attach.len(),
                    "revoked": p.revoked.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
                    "file": file,
                }),
            )?;
        }
        Ok(())
    })?;
    Ok(SendReport {
        event_id: event.id,
        prepared,
        unchanged,
    })
}

type Planned = (Event, Option<String>, Vec<Plan>, usize);

/// Decides what to write: a message per order and holder whose codes changed since the
/// last one (or who got none yet), and a notice to each earlier recipient who now holds
/// none of that order's codes.
fn plan(c: &Tx<'_>, actor: &Actor, event_id: i64) -> Result<Planned> {
    let event = events::get(c, event_id)?;
    authorize(actor, Action::SeeEventRecords(&event))?;
    let from_name = users::find(c, &event.owner_email)?.map(|u| u.name);
    let sent = store::deliveries::of_event(c, event.id)?;
    let list = tickets::delivered_of_event(c, event.id)?;
    let mut groups: BTreeMap<(i64, i64), Vec<&Ticket>> = BTreeMap::new();
    for t in &list {
        groups.entry((t.order_id, t.owner_id)).or_default().push(t);
    }
    let revoked_since =
        |before: &str, now: &str, recipient: &str| -> Result<Vec<(String, String)>> {
            before
                .split(',')
                .filter(|code| !code.is_empty() && !now.split(',').any(|n| n == *code))
                .map(|code| why_revoked(c, code, recipient))
                .collect()
        };
    let mut plans = Vec::new();
    let mut unchanged = 0;
    let mut current = std::collections::HashSet::new();
    for ((order_id, holder_id), group) in &groups {
        let k = key(*order_id, *holder_id);
        let codes = codes_of(group);
        let before = sent.get(&k);
        current.insert(k.clone());
        if before.is_some_and(|d| d.codes == codes) {
            unchanged += 1;
            continue;
        }
        let holder = group[0];
        let attach: Vec<Ticket> = group
            .iter()
            .filter(|t| t.status == TicketStatus::Valid)
            .map(|t| (*t).clone())
            .collect();
        let revoked = match before {
            Some(d) => revoked_since(&d.codes, &codes, &holder.owner_email)?,
            None => Vec::new(),
        };
        if attach.is_empty() && revoked.is_empty() {
            // Everything this holder has was used already: nothing to tell them.
            unchanged += 1;
            continue;
        }
        plans.push(Plan {
            key: k,
            order_id: *order_id,
            to_email: holder.owner_email.clone(),
            to_name: Some(holder.owner_name.clone()).filter(|n| !n.is_empty()),
            codes,
            version: before.map_or(1, |d| d.version + 1),
            attach,
            revoked,
            order: store::orders::by_id(c, *order_id)?,
            offer: None,
        });
    }
    let mut gone: Vec<_> = sent
        .iter()
        .filter(|(k, d)| k.starts_with("order:") && !d.codes.is_empty() && !current.contains(*k))
        .collect();
    gone.sort_by(|a, b| a.0.cmp(b.0));
    for (k, d) in gone {
        let order_id = k
            .split(':')
            .nth(1)
            .and_then(|o| o.parse().ok())
            .unwrap_or_default();
        plans.push(Plan {
            key: k.clone(),
            order_id,
            to_email: d.recipient.clone(),
            to_name: users::find(c, &d.recipient)?.map(|u| u.name),
            codes: String::new(),
            version: d.version + 1,
            attach: Vec::new(),
            revoked: revoked_since(&d.codes, "", &d.recipient)?,
            order: None,
            offer: None,
        });
    }
    // Live waitlist offers: each announced once.
    for e in waitlist::offers_of_event(c, event.id)? {
        let k = format!("offer:{}", e.id);
        let codes = format!("offer:{}:{}", e.id, e.expires_at.unwrap_or_default());
        if sent.get(&k).is_some_and(|d| d.codes == codes) {
            unchanged += 1;
            continue;
        }
        let price = store::tiers::by_id(c, e.tier_id)?
            .map(|t| format!("{} {}", t.price(), t.currency))
            .unwrap_or_default();
        plans.push(Plan {
            key: k,
            order_id: 0,
            to_email: e.email.clone(),
            to_name: Some(e.name.clone()).filter(|n| !n.is_empty()),
            codes,
            version: sent
                .get(&format!("offer:{}", e.id))
                .map_or(1, |d| d.version + 1),
            attach: Vec::new(),
            revoked: Vec::new(),
            order: None,
            offer: Some((e, price)),
        });
    }
    Ok((event, from_name, plans, unchanged))
}

/// The messages for one plan, with how many tickets each carries: the promoter's
/// template for tickets (in parts of [`TICKETS_PER_MESSAGE`]), tix's own words for a
/// notice or an offer, and what changed since the last message either way.
fn compose(
    event: &Event,
    from_name: Option<&str>,
    template: &Template,
    p: &Plan,
    now: i64,
) -> Result<Vec<(String, usize)>> {
    let when = event.when_text();
    let venue = event.venue.clone().unwrap_or_default();
    let note = event.ticket_note.clone().unwrap_or_default();
    let name = p.to_name.clone().unwrap_or_else(|| p.to_email.clone());
    let order = p.order_id.to_string();
    let tickets = count(p.attach.len() as i64, "ticket", "tickets");
    let value = |key: &str| -> Option<&str> {
        Some(match key {
            "event" => event.title.as_str(),
            "when" => when.as_str(),
            "venue" => venue.as_str(),
            "name" => name.as_str(),
            "email" => p.to_email.as_str(),
            "order" => order.as_str(),
            "count" => tickets.as_str(),
            "note" => note.as_str(),
            _ => return None,
        })
    };
    let changes = if p.revoked.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = p
            .revoked
            .iter()
            .map(|(uuid, why)| format!("  {uuid} {why}"))
            .collect();
        format!(
            "The ticket codes we sent you earlier for order {order} no longer get anyone in:\n\n{}\n\nPlease delete them.",
            lines.join("\n")
        )
    };
    let cancelled = if event.status == crate::ops::events::EventStatus::Cancelled {
        format!("{} was cancelled. ", event.title)
    } else {
        String::new()
    };
    let message = |subject: &str, body: &str, pdf: Option<(Vec<u8>, String)>| {
        let id = Uuid::new_v4().to_string();
        mail::render(&Message {
            from: Mailbox {
                name: from_name,
                email: &event.owner_email,
            },
            to: Mailbox {
                name: p.to_name.as_deref(),
                email: &p.to_email,
            },
            subject,
            body,
            date: now,
            id: &id,
            attachment: pdf.as_ref().map(|(bytes, file_name)| Attachment {
                file_name,
                content_type: "application/pdf",
                bytes,
            }),
        })
    };
    if let Some((e, price)) = &p.offer {
        let until = e
            .expires_at
            .map(|t| format!("{} ({})", event.timezone.long(t), event.timezone.name()))
            .unwrap_or_default();
        let seats = count(e.quantity, "seat", "seats");
        let subject = format!("Seats for {} are held for you", event.title);
        let body = format!(
            "Hello {name},\n\n{seats} of '{}' for {} came free, and we are holding them for you from the waitlist until {until}.\n\nTo buy them at {price} each, claim offer {} before then; after that they go to the next person in line. If you no longer want them, decline the offer so that they do.\n\nWhen:  {when}\nWhere: {venue}\n",
            e.tier_name, event.title, e.id
        );
        return Ok(vec![(message(&subject, &body, None), 0)]);
    }
    if p.attach.is_empty() {
        let subject = format!("Your tickets for {} have changed", event.title);
        let body = format!(
            "Hello {name},\n\n{cancelled}{changes}\n\nThis message carries no new tickets.\n"
        );
        return Ok(vec![(message(&subject, &body, None), 0)]);
    }
    let (subject, body) = template.fill(&value)?;
    let body = if changes.is_empty() {
        body
    } else {
        format!(
            "{body}\n\n{cancelled}{changes} The attached PDF holds your tickets as they are now.\n"
        )
    };
    let mut orders = HashMap::new();
    if let Some(o) = &p.order {
        orders.insert(p.order_id, o.clone());
    }
    let chunks: Vec<&[Ticket]> = p.attach.chunks(TICKETS_PER_MESSAGE).collect();
    let n = chunks.len();
    let mut out = Vec::with_capacity(n);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let pdf = printing::render(event, &orders, chunk)?;
        let (subject, body, file_name) = if n == 1 {
            (
                subject.clone(),
                body.clone(),
                format!("tickets-order-{}.pdf", p.order_id),
            )
        } else {
            (
                format!("{subject} (part {} of {n})", i + 1),
                format!(
                    "{body}\n\nThis is part {} of {n}: {} of your {}.\n",
                    i + 1,
                    count(chunk.len() as i64, "ticket", "tickets"),
                    tickets
                ),
                format!("tickets-order-{}-part{}of{n}.pdf", p.order_id, i + 1),
            )
        };
        out.push((
            message(&subject, &body, Some((pdf, file_name))),
            chunk.len(),
        ));
    }
    Ok(out)
}
