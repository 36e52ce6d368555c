//! What a sale makes: orders and their tickets, and where each is in its life.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::money::Currency;
use crate::domain::time::{self, Timestamp};
use crate::error::{Error, Result};

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    /// May be used to get in (if its order is approved).
    Valid,
    /// Checked in.
    Used,
    /// Its order was cancelled.
    Cancelled,
    /// Its order was refunded.
    Refunded,
}

impl TicketStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Valid => "valid",
            TicketStatus::Used => "used",
            TicketStatus::Cancelled => "cancelled",
            TicketStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Result<TicketStatus> {
        match s {
            "valid" => Ok(TicketStatus::Valid),
            "used" => Ok(TicketStatus::Used),
            "cancelled" => Ok(TicketStatus::Cancelled),
            "refunded" => Ok(TicketStatus::Refunded),
            other => Err(Error::Corrupt(format!("unknown ticket status '{other}'"))),
        }
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ticket, as the contract shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    /// Numeric id.
    pub id: i64,
    /// The ticket's UUID.
    pub uuid: String,
    /// Its event.
    pub event_id: i64,
    /// The event's title.
    pub event_title: String,
    /// Its tier.
    pub tier_id: i64,
    /// The tier's name.
    pub tier_name: String,
    /// The order that issued it.
    pub order_id: i64,
    /// Internal id of the owner.
    #[serde(skip)]
    pub owner_id: i64,
    /// The owner's email.
    pub owner_email: String,
    /// The owner's name (for the door list; not part of the JSON).
    #[serde(skip)]
    pub owner_name: String,
    /// Who will attend.
    pub attendee_name: Option<String>,
    /// The attendee's email.
    pub attendee_email: Option<String>,
    /// The attendee's phone.
    pub attendee_phone: Option<String>,
    /// Where the ticket is in its life.
    pub status: TicketStatus,
    /// The order's status (a ticket of a `pending_approval` order cannot be used yet).
    #[serde(skip)]
    pub order_status: OrderStatus,
    /// Bumped on every re-issue; codes of older versions are dead.
    #[serde(skip)]
    pub secret_version: i64,
    /// When it was checked in.
    #[serde(with = "time::serde_ts::option")]
    pub checked_in_at: Option<Timestamp>,
    /// The gate it was first admitted at (not part of the JSON).
    #[serde(skip)]
    pub checked_in_gate: Option<String>,
    /// The signed text its QR code carries.
    pub qr_payload: String,
    /// Its code's signature as stored (base64), if it has been signed (not in the JSON).
    #[serde(skip)]
    pub signature: Option<String>,
    /// Its event's time zone, in which people read its times (not part of the JSON).
    #[serde(skip)]
    pub zone: crate::domain::time::Zone,
    /// When it was issued.
    #[serde(with = "time::serde_ts")]
    pub created_at: Timestamp,
}

impl Ticket {
    /// Whether the ticket is valid but its order still awaits approval.
    pub fn awaiting_approval(&self) -> bool {
        self.status == TicketStatus::Valid && self.order_status == OrderStatus::PendingApproval
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Seats held; tickets wait for the promoter's approval.
    PendingApproval,
    /// Done; tickets can be used.
    Completed,
    /// Called off; seats freed, tickets cancelled.
    Cancelled,
    /// Money returned; seats freed, tickets refunded.
    Refunded,
}

impl OrderStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingApproval => "pending_approval",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Result<OrderStatus> {
        match s {
            "pending_approval" => Ok(OrderStatus::PendingApproval),
            "completed" => Ok(OrderStatus::Completed),
            "cancelled" => Ok(OrderStatus::Cancelled),
            "refunded" => Ok(OrderStatus::Refunded),
            other => Err(Error::Corrupt(format!("unknown order status '{other}'"))),
        }
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order with its tickets.
#[derive(Debug, Clone)]
pub struct Order {
    /// Numeric id.
    pub id: i64,
    /// The event.
    pub event_id: i64,
    /// The tier.
    pub tier_id: i64,
    /// The tier's name (not part of the JSON).
    pub tier_name: String,
    /// Internal id of the buyer.
    pub buyer_id: i64,
    /// The buyer's email.
    pub buyer_email: String,
    /// Number of tickets.
    pub quantity: i64,
    /// Where the order is in its life.
    pub status: OrderStatus,
    /// Complimentary: issued at price 0.
    pub is_comp: bool,
    /// Total in minor units.
    pub total_minor: i64,
    /// The currency of the total.
    pub currency: Currency,
    /// When it was placed.
    pub created_at: Timestamp,
    /// Its event's time zone, in which people read its times (not part of the JSON).
    pub zone: crate::domain::time::Zone,
    /// The reference of the outside payment that paid it, if one was recorded.
    pub payment_ref: Option<String>,
    /// The reference of the refund that returned the money, if one was recorded.
    pub refund_ref: Option<String>,
    /// Its tickets.
    pub tickets: Vec<Ticket>,
}

impl Order {
    /// The total as an exact decimal string.
    pub fn total(&self) -> String {
        self.currency.format_amount(self.total_minor)
    }
}

#[derive(Serialize)]
struct OrderJson<'a> {
    id: i64,
    event_id: i64,
    tier_id: i64,
    buyer_email: &'a str,
    quantity: i64,
    status: OrderStatus,
    is_comp: bool,
    total: String,
    currency: Currency,
    #[serde(with = "time::serde_ts")]
    created_at: Timestamp,
    // Only once recorded, so an order without them shows exactly the contract's fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_payment_ref: Option<&'a str>,
    tickets: &'a [Ticket],
}

impl Serialize for Order {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        OrderJson {
            id: self.id,
            event_id: self.event_id,
            tier_id: self.tier_id,
            buyer_email: &self.buyer_email,
            quantity: self.quantity,
            status: self.status,
            is_comp: self.is_comp,
            total: self.total(),
            currency: self.currency,
            created_at: self.created_at,
            payment_ref: self.payment_ref.as_deref(),
            refund_payment_ref: self.refund_ref.as_deref(),
            tickets: &self.tickets,
        }
        .serialize(s)
    }
}

/// What to order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The tier.
    pub tier_id: i64,
    /// How many tickets.
    pub quantity: i64,
    /// Who gets them; the actor if absent. Someone else needs the event's promoter or an admin.
    pub buyer: Option<String>,
    /// Complimentary (price 0; the event's promoter or an admin; also outside the sale
    /// window, on inactive tiers and beyond the per-order limits).
    pub comp: bool,
    /// The reference of the outside payment (a receipt, a transfer, a provider's id).
    pub payment_ref: Option<String>,
}

/// The longest payment reference kept.
pub const PAYMENT_REF_MAX: usize = 200;

/// Checks a payment reference: one line of visible text, at most [`PAYMENT_REF_MAX`]
/// characters.
pub fn check_payment_ref(value: &str) -> Result<String> {
    crate::domain::text::check_line("payment reference", value, PAYMENT_REF_MAX)
}

/// How a person names a ticket: its numeric id or its UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketRef {
    /// The numeric id.
    Id(i64),
    /// The UUID, hyphenated and lower case.
    Uuid(String),
}

impl TicketRef {
    /// Reads a ticket id (digits) or UUID (any case, surrounding blanks ignored).
    pub fn parse(reference: &str) -> Result<TicketRef> {
        let r = reference.trim();
        if !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()) {
            return r.parse().map(TicketRef::Id).map_err(|_| {
                Error::invalid("ticket", format!("'{r}' is not a ticket id (too large)"))
            });
        }
        Uuid::parse_str(r)
            .map(|u| TicketRef::Uuid(u.hyphenated().to_string()))
            .map_err(|_| {
                Error::invalid(
                    "ticket",
                    format!("'{}' is neither a ticket id nor a UUID", r.escape_debug()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_references() {
        assert_eq!(TicketRef::parse(" 42 ").unwrap(), TicketRef::Id(42));
        let u = "01A2157F-B337-7000-8000-D196D637AD0F";
        assert_eq!(
            TicketRef::parse(u).unwrap(),
            TicketRef::Uuid(u.to_lowercase())
        );
        for bad in ["", "+9", "9.0", "0x9", "99999999999999999999", "abc"] {
            assert!(TicketRef::parse(bad).is_err(), "{bad}");
        }
    }
}
