//! Printable tickets: a PDF page per ticket with everything the gate and the holder
//! need, its QR code large enough to scan from paper.

use std::collections::HashMap;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Missing, Result, Rule};
use crate::ops::events::{self, Event};
use crate::ops::orders::{self, Order, OrderStatus};
use crate::ops::tickets::{self, Ticket, TicketStatus};
use crate::pdf::{self, TicketPage};
use crate::store::{self, Store, Tx};

/// Whether a ticket is printed: valid, and its order completed (a ticket awaiting
/// approval, used, cancelled or refunded does not get anyone in).
fn printable(t: &Ticket) -> bool {
    t.status == TicketStatus::Valid && t.order_status == OrderStatus::Completed
}

/// What a ticket's page says about its price.
fn price_text(order: &Order) -> String {
    if order.is_comp {
        return "complimentary".to_string();
    }
    let unit = if order.quantity > 0 {
        order.total_minor / order.quantity
    } else {
        order.total_minor
    };
    format!("{} {}", order.currency.format_amount(unit), order.currency)
}

/// Renders tickets of one event (their orders looked up in `orders`) into one PDF.
pub(crate) fn render(
    event: &Event,
    orders: &HashMap<i64, Order>,
    list: &[Ticket],
) -> Result<Vec<u8>> {
    let when = event.when_text();
    let venue = event.venue.clone().unwrap_or_default();
    let note = event.ticket_note.clone().unwrap_or_default();
    let texts: Vec<(String, String, String)> = list
        .iter()
        .map(|t| {
            let price = orders.get(&t.order_id).map(price_text).unwrap_or_default();
            let holder = if t.owner_name.is_empty() {
                t.owner_email.clone()
            } else {
                format!("{} <{}>", t.owner_name, t.owner_email)
            };
            (price, holder, format!("Order {}", t.order_id))
        })
        .collect();
    let pages: Vec<TicketPage<'_>> = list
        .iter()
        .zip(&texts)
        .map(|(t, (price, holder, order))| TicketPage {
            event_title: &event.title,
            when: &when,
            venue: &venue,
            tier: &t.tier_name,
            price,
            attendee: t.attendee_name.as_deref().unwrap_or(""),
            holder,
            order,
            code: &t.qr_payload,
            uuid: &t.uuid,
            note: &note,
        })
        .collect();
    pdf::render(&pages).map_err(|e| Error::Pdf(e.to_string()))
}

fn order_map(conn: &Tx<'_>, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, Order>> {
    let mut map = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(e) = map.entry(id) {
            let order = store::orders::by_id(conn, id)?
                .ok_or_else(|| Error::not_found(Missing::Order, id))?;
            e.insert(order);
        }
    }
    Ok(map)
}

/// The PDF of one ticket: its holder, the event's promoter or an admin; only a ticket
/// that gets its holder in is printed.
pub fn ticket_pdf(store: &Store, actor: &Actor, reference: &str) -> Result<Vec<u8>> {
    store.read(|c| {
        let ticket = tickets::find_ref(c, reference)?;
        let event = events::get(c, ticket.event_id)?;
        authorize(
            actor,
            Action::SeeTicket {
                event: &event,
                owner_id: ticket.owner_id,
            },
        )?;
        if !printable(&ticket) {
            return Err(Rule::NotPrintable {
                ticket: ticket.id,
                status: if ticket.awaiting_approval() {
                    "awaiting approval".to_string()
                } else {
                    ticket.status.to_string()
                },
            }
            .into());
        }
        render(&event, &order_map(c, [ticket.order_id])?, &[ticket])
    })
}

/// The PDF of an order's tickets that get their holders in: the event's promoter or an
/// admin get all of them, its buyer those they still hold (a ticket given away has a new
/// code that is its new holder's alone). Returns the PDF and how many tickets it holds.
pub fn order_pdf(store: &Store, actor: &Actor, order_id: i64) -> Result<(Vec<u8>, usize)> {
    store.read(|c| {
        let (order, event) = orders::get_seen(c, actor, order_id)?;
        let list: Vec<Ticket> = order
            .tickets
            .iter()
            .filter(|t| printable(t))
            .filter(|t| {
                authorize(
                    actor,
                    Action::SeeTicket {
                        event: &event,
                        owner_id: t.owner_id,
                    },
                )
                .is_ok()
            })
            .cloned()
            .collect();
        if list.is_empty() {
            return Err(Rule::NothingToPrint { order: order_id }.into());
        }
        if list.len() > PAGES_PER_PDF {
            return Err(Rule::TooManyPages {
                order: order_id,
                event: order.event_id,
                tickets: list.len(),
                max: PAGES_PER_PDF,
            }
            .into());
        }
        let mut map = HashMap::new();
        map.insert(order.id, order);
        Ok((render(&event, &map, &list)?, list.len()))
    })
}

/// The most pages one PDF holds: a larger order is printed in parts, so that memory and
/// file sizes stay bounded.
pub const PAGES_PER_PDF: usize = 500;

/// One PDF of an event's printing: an order, or a part of a large one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// The order.
    pub order_id: i64,
    /// Which part (1-based) of how many.
    pub part: usize,
    /// How many parts the order's PDFs are.
    pub parts: usize,
}

/// One PDF per order of an event (in parts of [`PAGES_PER_PDF`] for large orders), of its
/// tickets that get their holders in (the event's promoter or an admin): `prepare` gets
/// every part and how many tickets in all before anything is rendered (to check the
/// files they go to), then `each` each part, its ticket count and its PDF, in order.
/// Returns how many tickets were printed.
pub fn event_pdfs(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    prepare: impl FnOnce(&[Part], usize) -> Result<()>,
    mut each: impl FnMut(Part, usize, Vec<u8>) -> Result<()>,
) -> Result<usize> {
    let list = tickets::admissible(store, actor, event_id)?;
    let total = list.len();
    let mut by_order: std::collections::BTreeMap<i64, Vec<Ticket>> = Default::default();
    for t in list {
        by_order.entry(t.order_id).or_default().push(t);
    }
    let parts: Vec<Part> = by_order
        .iter()
        .flat_map(|(order_id, list)| {
            let parts = list.len().div_ceil(PAGES_PER_PDF);
            (1..=parts).map(move |part| Part {
                order_id: *order_id,
                part,
                parts,
            })
        })
        .collect();
    prepare(&parts, total)?;
    store.read(|c| {
        let event = events::get(c, event_id)?;
        let orders = order_map(c, by_order.keys().copied())?;
        let mut printed = 0;
        for (order_id, list) in &by_order {
            let parts = list.len().div_ceil(PAGES_PER_PDF);
            for (i, chunk) in list.chunks(PAGES_PER_PDF).enumerate() {
                let part = Part {
                    order_id: *order_id,
                    part: i + 1,
                    parts,
                };
                each(part, chunk.len(), render(&event, &orders, chunk)?)?;
                printed += chunk.len();
            }
        }
        Ok(printed)
    })
}
