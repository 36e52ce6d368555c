//! A whole database copied into another, table by table, ids and all — from SQLite to
//! PostgreSQL or back — and a checksum per table that says the copy is the original.

use sha2::{Digest, Sha256};

use super::Tx;
use super::sql::{Raw, Value};
use crate::error::{Error, Result};

/// Every table of a tix database in the order their references allow, with its columns
/// and the key that orders its rows.
const TABLES: &[(&str, &str, &str)] = &[
    ("users", "id, email, name, role, verified, created_at", "id"),
    (
        "events",
        "id, title, status, starts_at, ends_at, venue, timezone, currency, owner_id, signing_key, verify_key, created_at, updated_at, ticket_note",
        "id",
    ),
    (
        "event_staff",
        "event_id, user_id, created_at",
        "event_id, user_id",
    ),
    (
        "tiers",
        "id, event_id, name, description, price_minor, quantity, sold, min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable, is_active, position, created_at, updated_at, name_key, held, waitlist_hold",
        "id",
    ),
    (
        "orders",
        "id, event_id, tier_id, buyer_id, quantity, status, is_comp, unit_minor, total_minor, currency, created_by, created_at, updated_at, payment_ref, refund_ref",
        "id",
    ),
    (
        "waitlist",
        "id, event_id, tier_id, user_id, quantity, status, joined_at, offered_at, expires_at, ended_at, order_id",
        "id",
    ),
    (
        "tickets",
        "id, uuid, order_id, event_id, tier_id, owner_id, attendee_name, attendee_email, attendee_phone, status, secret_version, checked_in_at, created_at, updated_at, checked_in_gate, signature",
        "id",
    ),
    (
        "audit_log",
        "id, at, actor_email, action, object_type, object_id, event_id, ticket_id, details",
        "id",
    ),
    (
        "scans",
        "id, scan_uuid, event_id, ticket_id, ticket_uuid, secret_version, scanned_at, gate, device, actor_email, result, reason, offline, dry_run, merged_at, method, code, conflict",
        "id",
    ),
    (
        "deliveries",
        "key, event_id, recipient, codes, version, file, prepared_at",
        "key",
    ),
    (
        "gate_exports",
        "file_id, event_id, exported_at, exported_by, salt, audit_mark",
        "file_id",
    ),
];

/// One table as a copy found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    /// The table.
    pub table: &'static str,
    /// Its rows.
    pub rows: i64,
    /// SHA-256 over its rows in key order, every value in one canonical form.
    pub checksum: String,
}

/// Whether a database holds anything at all (a copy goes only into an empty one).
pub fn is_empty(tx: &Tx<'_>) -> Result<bool> {
    for (table, _, _) in TABLES {
        let n: i64 = tx.value(&format!("SELECT count(*) FROM {table}"), &[])?;
        if n > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Copies every row of every table from `from` into `to` (which must be empty), then
/// sets `to`'s id sequences past the copied ids.
pub fn copy_all(from: &Tx<'_>, to: &Tx<'_>) -> Result<()> {
    // A deleted tier's id is never given again: the copy keeps the high-water mark.
    let tiers_high = from.tier_id_high_water()?;
    for (table, columns, key) in TABLES {
        let n = columns.split(',').count();
        let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({columns}) VALUES ({})",
            marks.join(", ")
        );
        from.each(
            &format!("SELECT {columns} FROM {table} ORDER BY {key}"),
            &[],
            |row| {
                let values: Vec<Raw> = (0..n).map(|i| row.raw(i)).collect();
                if let Some(i) = values.iter().position(|v| *v == Raw::Other) {
                    return Err(Error::Corrupt(format!(
                        "{table}: a value of a type tix does not store, in column {i}"
                    )));
                }
                let bound: Vec<Value<'_>> = values.iter().map(super::sql::Bind::bind).collect();
                to.exec(&insert, &bound)?;
                Ok(())
            },
        )?;
    }
    to.after_copy(tiers_high)
}

/// Each table's row count and checksum.
pub fn sums(tx: &Tx<'_>) -> Result<Vec<TableSum>> {
    let mut out = Vec::new();
    for (table, columns, key) in TABLES {
        let n = columns.split(',').count();
        let mut hash = Sha256::new();
        let mut rows = 0;
        tx.each(
            &format!("SELECT {columns} FROM {table} ORDER BY {key}"),
            &[],
            |row| {
                rows += 1;
                for i in 0..n {
                    // Tagged and length-prefixed: no two different rows hash alike.
                    match row.raw(i) {
                        Raw::Null => hash.update(b"N"),
                        Raw::Int(v) => hash.update(format!("I{v};")),
                        Raw::Text(t) => hash.update(format!("T{}:{t}", t.len())),
                        Raw::Blob(b) => {
                            hash.update(format!("B{}:", b.len()));
                            hash.update(&b);
                        }
                        Raw::Other => hash.update(b"?"),
                    }
                }
                hash.update(b"\n");
                Ok(())
            },
        )?;
        out.push(TableSum {
            table,
            rows,
            checksum: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        });
    }
    Ok(out)
}
