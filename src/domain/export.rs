//! Exports: an event's records as rows of typed fields, and the rule that keeps a
//! spreadsheet from running a cell as a formula.

use std::borrow::Cow;

use crate::domain::money::Currency;
use crate::domain::time::{Timestamp, Zone};

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The door list: every ticket of a completed order still to be used or already used.
    Attendees,
    /// Every order, whatever its status.
    Orders,
    /// Every scan, online and merged from gate files.
    Checkins,
    /// The event's audit log.
    Audit,
}

impl Kind {
    /// The name used on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Attendees => "attendees",
            Kind::Orders => "orders",
            Kind::Checkins => "checkins",
            Kind::Audit => "audit",
        }
    }

    /// The columns, in order: the CSV header and the JSON keys.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Kind::Attendees => &[
                "ticket_id",
                "ticket_uuid",
                "status",
                "order_status",
                "tier_id",
                "tier_name",
                "attendee_name",
                "attendee_email",
                "attendee_phone",
                "holder_email",
                "holder_name",
                "order_id",
                "checked_in_at",
                "checked_in_gate",
            ],
            Kind::Orders => &[
                "order_id",
                "created_at",
                "status",
                "tier_id",
                "tier_name",
                "buyer_email",
                "buyer_name",
                "quantity",
                "unit_price",
                "total",
                "currency",
                "is_comp",
                "payment_ref",
                "refund_payment_ref",
                "updated_at",
            ],
            Kind::Checkins => &[
                "scan_id",
                "scanned_at",
                "result",
                "reason",
                "method",
                "ticket_id",
                "ticket_uuid",
                "attendee_name",
                "tier_name",
                "gate",
                "device",
                "staff_email",
                "offline",
                "merged_at",
                "conflict",
                "dry_run",
            ],
            Kind::Audit => &[
                "entry_id",
                "at",
                "actor_email",
                "action",
                "object_type",
                "object_id",
                "ticket_id",
                "details",
            ],
        }
    }
}

/// One value of an exported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Nothing (an empty cell, JSON `null`).
    Null,
    /// Text as stored.
    Text(String),
    /// A whole number.
    Int(i64),
    /// Yes or no.
    Bool(bool),
    /// A moment: in the event's zone with its offset in CSV, RFC 3339 UTC in JSON.
    Time(Timestamp),
    /// Money in minor units of the event's currency: an exact decimal in both.
    Money(i64),
}

impl Field {
    /// Text, or `Null` for none.
    pub fn text(v: Option<String>) -> Field {
        v.map_or(Field::Null, Field::Text)
    }

    /// A number, or `Null` for none.
    pub fn int(v: Option<i64>) -> Field {
        v.map_or(Field::Null, Field::Int)
    }

    /// A time, or `Null` for none.
    pub fn time(v: Option<Timestamp>) -> Field {
        v.map_or(Field::Null, Field::Time)
    }

    /// The CSV cell: times in `zone` with their offset, money as a decimal in `currency`,
    /// and text that a spreadsheet would run as a formula made inert.
    pub fn csv_cell(&self, zone: Zone, currency: Currency) -> Cow<'_, str> {
        match self {
            Field::Null => Cow::Borrowed(""),
            Field::Text(t) => spreadsheet_safe(t),
            Field::Int(n) => Cow::Owned(n.to_string()),
            Field::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Field::Time(ts) => Cow::Owned(zone.rfc3339_local(*ts)),
            Field::Money(m) => Cow::Owned(currency.format_amount(*m)),
        }
    }
}

/// Text as a spreadsheet cell that cannot run: a value starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return (which Excel, LibreOffice and Google Sheets read as a
/// formula, or strip to reach one) gets a leading apostrophe, which spreadsheets show as
/// text and do not evaluate. Anything else is kept as it is.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_inert_and_nothing_else_changes() {
        for f in [
            "=1+1",
            "+49 30 1234",
            "-2",
            "@SUM(A1)",
            "\t=cmd",
            "\r=cmd",
            "=HYPERLINK(\"http://x\")",
        ] {
            let safe = spreadsheet_safe(f);
            assert!(safe.starts_with('\''), "{f:?} -> {safe:?}");
            assert_eq!(&safe[1..], f);
        }
        for f in ["Anna", "", " =not first", "Zoë", "'quoted", "1+1"] {
            assert_eq!(spreadsheet_safe(f), f);
        }
    }

    #[test]
    fn csv_cells_format_times_in_the_zone_and_money_exactly() {
        let zone = Zone::parse("Europe/Berlin").unwrap();
        let cur = Currency::parse("EUR").unwrap();
        // 2027-07-15T18:00:00Z is 20:00 in Berlin (summer time).
        assert_eq!(
            Field::Time(1_815_674_400).csv_cell(zone, cur),
            "2027-07-15T20:00:00+02:00"
        );
        assert_eq!(Field::Money(8950).csv_cell(zone, cur), "89.50");
        assert_eq!(Field::Bool(true).csv_cell(zone, cur), "true");
        assert_eq!(Field::Null.csv_cell(zone, cur), "");
        assert_eq!(Field::Text("=x".into()).csv_cell(zone, cur), "'=x");
    }
}
