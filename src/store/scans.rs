//! The scan log (the main database's and a gate file's: one table shape) and the
//! check-in figures read from it and from the tickets.

use super::Tx;
use super::sql::args;
use crate::domain::gate::{Method, Reason};
use crate::domain::time::Timestamp;
use crate::error::Result;

/// A row of the scan log.
pub struct ScanRecord<'a> {
    pub scan_uuid: String,
    pub event_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_uuid: Option<&'a str>,
    pub secret_version: Option<i64>,
    pub scanned_at: Timestamp,
    pub gate: Option<&'a str>,
    pub device: &'a str,
    pub actor_email: Option<&'a str>,
    pub reason: Reason,
    pub offline: bool,
    pub dry_run: bool,
    pub merged_at: Option<Timestamp>,
    pub method: Method,
    pub code: Option<&'a str>,
    pub conflict: Option<&'a str>,
}

/// Appends to a scan log (the main database's or a gate file's: same table shape).
/// Returns false if a scan with this id is already there.
pub fn log_scan(conn: &Tx<'_>, r: &ScanRecord<'_>) -> Result<bool> {
    let n = conn.exec(
            "INSERT INTO scans (scan_uuid, event_id, ticket_id, ticket_uuid, secret_version, scanned_at,
                 gate, device, actor_email, result, reason, offline, dry_run, merged_at, method, code, conflict)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT DO NOTHING",
        args![
            r.scan_uuid,
            r.event_id,
            r.ticket_id,
            r.ticket_uuid,
            r.secret_version,
            r.scanned_at,
            r.gate,
            r.device,
            r.actor_email,
            if r.reason == Reason::Ok { "accepted" } else { "rejected" },
            r.reason,
            r.offline,
            r.dry_run,
            r.merged_at,
            r.method,
            r.code,
            r.conflict,
        ])?;
    Ok(n > 0)
}

/// Per tier of an event, by position: id, name, tickets sold (valid or used), used.
pub fn tier_counts(conn: &Tx<'_>, event_id: i64) -> Result<Vec<(i64, String, i64, i64)>> {
    conn.all(
        "SELECT ti.id, ti.name,
                (SELECT count(*) FROM tickets t WHERE t.tier_id = ti.id AND t.status IN ('valid', 'used')),
                (SELECT count(*) FROM tickets t WHERE t.tier_id = ti.id AND t.status = 'used')
         FROM tiers ti WHERE ti.event_id = ?1 ORDER BY ti.position, ti.id",
        args![event_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
}

/// First admissions per slot of `slot_seconds`: (slot start, count), in time order.
pub fn arrivals(conn: &Tx<'_>, event_id: i64, slot_seconds: i64) -> Result<Vec<(i64, i64)>> {
    conn.all(
        "SELECT (checked_in_at / ?2) * ?2 AS slot, count(*) FROM tickets
         WHERE event_id = ?1 AND checked_in_at IS NOT NULL GROUP BY slot ORDER BY slot",
        args![event_id, slot_seconds],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// How many scans of an event were refused (dry runs not counted).
pub fn rejected_count(conn: &Tx<'_>, event_id: i64) -> Result<i64> {
    conn.one(
        "SELECT count(*) FROM scans WHERE event_id = ?1 AND result = 'rejected' AND NOT dry_run",
        args![event_id],
        |r| r.get(0),
    )
}
