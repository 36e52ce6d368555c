//! An event's records read row by row for an export: one query per kind, streamed (a
//! cursor on PostgreSQL), so a million rows need no more memory than ten.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::export::{Field, Kind};
use crate::error::Result;

/// Reads one row of a query into its fields.
type ReadRow = fn(&Row<'_>) -> Result<Vec<Field>>;

/// Calls `f` with each row of one kind of an event's records, in a stable order.
pub fn each(
    conn: &Tx<'_>,
    kind: Kind,
    event_id: i64,
    mut f: impl FnMut(&[Field]) -> Result<()>,
) -> Result<()> {
    let (sql, read): (&str, ReadRow) = match kind {
        Kind::Attendees => (
            "SELECT t.id, t.uuid, t.status, o.status, t.tier_id, ti.name, t.attendee_name,
                    t.attendee_email, t.attendee_phone, u.email, u.name, t.order_id,
                    t.checked_in_at, t.checked_in_gate
             FROM tickets t
             JOIN orders o ON o.id = t.order_id
             JOIN tiers ti ON ti.id = t.tier_id
             JOIN users u ON u.id = t.owner_id
             WHERE t.event_id = ?1 AND t.status IN ('valid', 'used') AND o.status = 'completed'
             ORDER BY t.id",
            |r| {
                Ok(vec![
                    Field::Int(r.get(0)?),
                    Field::Text(r.get(1)?),
                    Field::Text(r.get(2)?),
                    Field::Text(r.get(3)?),
                    Field::Int(r.get(4)?),
                    Field::Text(r.get(5)?),
                    Field::text(r.get(6)?),
                    Field::text(r.get(7)?),
                    Field::text(r.get(8)?),
                    Field::Text(r.get(9)?),
                    Field::Text(r.get(10)?),
                    Field::Int(r.get(11)?),
                    Field::time(r.get(12)?),
                    Field::text(r.get(13)?),
                ])
            },
        ),
        Kind::Orders => (
            "SELECT o.id, o.created_at, o.status, o.tier_id, ti.name, u.email, u.name, o.quantity,
                    o.unit_minor, o.total_minor, o.currency, o.is_comp, o.payment_ref, o.refund_ref,
                    o.updated_at
             FROM orders o
             JOIN tiers ti ON ti.id = o.tier_id
             JOIN users u ON u.id = o.buyer_id
             WHERE o.event_id = ?1
             ORDER BY o.id",
            |r| {
                Ok(vec![
                    Field::Int(r.get(0)?),
                    Field::Time(r.get(1)?),
                    Field::Text(r.get(2)?),
                    Field::Int(r.get(3)?),
                    Field::Text(r.get(4)?),
                    Field::Text(r.get(5)?),
                    Field::Text(r.get(6)?),
                    Field::Int(r.get(7)?),
                    Field::Money(r.get(8)?),
                    Field::Money(r.get(9)?),
                    Field::Text(r.get(10)?),
                    Field::Bool(r.get(11)?),
                    Field::text(r.get(12)?),
                    Field::text(r.get(13)?),
                    Field::Time(r.get(14)?),
                ])
            },
        ),
        Kind::Checkins => (
            "SELECT s.id, s.scanned_at, s.result, s.reason, s.method, s.ticket_id, s.ticket_uuid,
                    t.attendee_name, ti.name, s.gate, s.device, s.actor_email, s.offline,
                    s.merged_at, s.conflict, s.dry_run
             FROM scans s
             LEFT JOIN tickets t ON t.id = s.ticket_id
             LEFT JOIN tiers ti ON ti.id = t.tier_id
             WHERE s.event_id = ?1
             ORDER BY s.scanned_at, s.id",
            |r| {
                Ok(vec![
                    Field::Int(r.get(0)?),
                    Field::Time(r.get(1)?),
                    Field::Text(r.get(2)?),
                    Field::Text(r.get(3)?),
                    Field::Text(r.get(4)?),
                    Field::int(r.get(5)?),
                    Field::text(r.get(6)?),
                    Field::text(r.get(7)?),
                    Field::text(r.get(8)?),
                    Field::text(r.get(9)?),
                    Field::Text(r.get(10)?),
                    Field::text(r.get(11)?),
                    Field::Bool(r.get(12)?),
                    Field::time(r.get(13)?),
                    Field::text(r.get(14)?),
                    Field::Bool(r.get(15)?),
                ])
            },
        ),
        Kind::Audit => (
            "SELECT id, at, actor_email, action, object_type, object_id, ticket_id, details
             FROM audit_log WHERE event_id = ?1 ORDER BY id",
            |r| {
                Ok(vec![
                    Field::Int(r.get(0)?),
                    Field::Time(r.get(1)?),
                    Field::text(r.get(2)?),
                    Field::Text(r.get(3)?),
                    Field::Text(r.get(4)?),
                    Field::Text(r.get(5)?),
                    Field::int(r.get(6)?),
                    Field::Text(r.get(7)?),
                ])
            },
        ),
    };
    conn.each(sql, args![event_id], |r| f(&read(r)?))
}
