//! Offline check-in: a self-contained gate file for one event, validating there with
//! no network and no main database, and merging its scans back afterwards.
//!
//! A gate file is a small SQLite database (`PRAGMA application_id` = `TIXG`) holding the
//! event, its public key and, per ticket, the UUID, secret version, status, tier and
//! attendee name — never a private key, an email or a phone number. Holding the file is
//! the authority to admit with it. Design notes: `docs/offline.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use uuid::Uuid;

use crate::access::Actor;
use crate::checkin::{self, Candidate, Reason, Scan, ScanRecord, Verdict};
use crate::codes;
use crate::error::{Error, Result};
use crate::events::{self, EventStatus};
use crate::store::Store;
use crate::tickets::TicketStatus;
use crate::time::{self, Timestamp, Zone};

/// `PRAGMA application_id` of a gate file: the bytes `TIXG`.
pub const GATE_APPLICATION_ID: i64 = 0x5449_5847;
/// Schema version of gate files this build writes and reads.
pub const GATE_VERSION: i64 = 1;

const GATE_SCHEMA: &str = "
CREATE TABLE gate (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    event_id       INTEGER NOT NULL,
    event_title    TEXT    NOT NULL,
    event_status   TEXT    NOT NULL,
    timezone       TEXT    NOT NULL,
    verify_key     BLOB    NOT NULL CHECK (length(verify_key) = 32),
    exported_at    INTEGER NOT NULL,
    file_id        TEXT    NOT NULL
) STRICT;
CREATE TABLE gate_tiers (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    requires_approval  INTEGER NOT NULL
) STRICT;
CREATE TABLE gate_tickets (
    uuid               TEXT    PRIMARY KEY,
    ticket_id          INTEGER,
    tier_id            INTEGER NOT NULL,
    secret_version     INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    approved           INTEGER NOT NULL,
    attendee_name      TEXT,
    checked_in_at      INTEGER,
    checked_in_gate    TEXT,
    sold_after_export  INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE TABLE scans (
    id              INTEGER PRIMARY KEY,
    scan_uuid       TEXT    NOT NULL UNIQUE,
    event_id        INTEGER,
    ticket_id       INTEGER,
    ticket_uuid     TEXT,
    secret_version  INTEGER,
    scanned_at      INTEGER NOT NULL,
    gate            TEXT,
    device          TEXT    NOT NULL,
    actor_email     TEXT,
    result          TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    offline         INTEGER NOT NULL DEFAULT 1,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    merged_at       INTEGER
) STRICT;
";

/// Whether `path` is a gate file (read without changing it; a missing file is not).
pub fn is_gate_file(path: &Path) -> Result<bool> {
    if !path.is_file() {
        return Ok(false);
    }
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(_) => return Ok(false),
    };
    let id: std::result::Result<i64, _> =
        conn.pragma_query_value(None, "application_id", |r| r.get(0));
    Ok(matches!(id, Ok(GATE_APPLICATION_ID)))
}

/// What `scanner export` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The gate file.
    pub file: String,
    /// The event.
    pub event_id: i64,
    /// Its title.
    pub event_title: String,
    /// Tickets in the file (all statuses).
    pub tickets: i64,
    /// Of which still to be admitted.
    pub admissible: i64,
    /// When the file was made.
    #[serde(with = "time::serde_ts")]
    pub exported_at: Timestamp,
}

/// Writes a gate file for one event: the event's promoter, its staff or an admin. The
/// file is written next to `out` and renamed into place, so a half-written file never
/// exists; an existing file is replaced only with `overwrite` (its unmerged scans would
/// be lost).
pub fn export(
    store: &Store,
    actor: &Actor,
    event_id: i64,
    out: &Path,
    overwrite: bool,
) -> Result<ExportReport> {
    if out.exists() && !overwrite {
        return Err(Error::rule(format!(
            "{} already exists; merge its scans first (`tix scanner merge {event_id} FILE`), then pass --force to replace it",
            out.display()
        )));
    }
    let tmp = temp_path(out);
    let _ = std::fs::remove_file(&tmp);
    let io = |source: std::io::Error| Error::Io {
        action: "write",
        path: out.to_path_buf(),
        source,
    };
    let result = store.read(|main| {
        let event = events::get(main, event_id)?;
        checkin::authorize_gate(main, actor, &event)?;
        let key: Vec<u8> = main.query_row("SELECT verify_key FROM events WHERE id = ?1", [event_id], |r| r.get(0))?;
        let mut gate = Connection::open(&tmp).map_err(|e| Error::Io {
            action: "create",
            path: tmp.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        gate.pragma_update(None, "journal_mode", "DELETE")?;
        let tx = gate.transaction()?;
        tx.execute_batch(GATE_SCHEMA)?;
        tx.pragma_update(None, "application_id", GATE_APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", GATE_VERSION)?;
        let now = time::now();
        tx.execute(
            "INSERT INTO gate (id, event_id, event_title, event_status, timezone, verify_key, exported_at, file_id)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                event.id,
                event.title,
                event.status.as_str(),
                event.timezone.name(),
                key,
                now,
                Uuid::new_v4().to_string()
            ],
        )?;
        {
            let mut tiers = main.prepare("SELECT id, name, requires_approval FROM tiers WHERE event_id = ?1")?;
            let mut put = tx.prepare("INSERT INTO gate_tiers (id, name, requires_approval) VALUES (?1, ?2, ?3)")?;
            let rows = tiers.query_map([event_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
            for row in rows {
                let (id, name, approval) = row?;
                put.execute(params![id, name, approval])?;
            }
            let mut tickets = main.prepare(
                "SELECT t.uuid, t.id, t.tier_id, t.secret_version, t.status, o.status != 'pending_approval',
                        t.attendee_name, t.checked_in_at, t.checked_in_gate
                 FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.event_id = ?1",
            )?;
            let mut put = tx.prepare(
                "INSERT INTO gate_tickets (uuid, ticket_id, tier_id, secret_version, status, approved, attendee_name,
                                           checked_in_at, checked_in_gate)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut rows = tickets.query([event_id])?;
            while let Some(r) = rows.next()? {
                put.execute(params![
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ])?;
            }
        }
        let (tickets, admissible): (i64, i64) = tx.query_row(
            "SELECT count(*), count(*) FILTER (WHERE status = 'valid' AND approved) FROM gate_tickets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        tx.commit()?;
        gate.close().map_err(|(_, e)| Error::Database(e))?;
        Ok(ExportReport {
            file: out.display().to_string(),
            event_id,
            event_title: event.title,
            tickets,
            admissible,
            exported_at: now,
        })
    });
    match result {
        Ok(report) => {
            std::fs::rename(&tmp, out).map_err(io)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn temp_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// An open gate file.
pub struct GateFile {
    conn: Connection,
    /// The event it admits to.
    pub event_id: i64,
    /// The event's title.
    pub event_title: String,
    event_status: EventStatus,
    verify_key: Vec<u8>,
    exported_at: Timestamp,
    zone: Zone,
    path: PathBuf,
}

impl GateFile {
    /// Opens a gate file for validating.
    pub fn open(path: &Path) -> Result<GateFile> {
        if !is_gate_file(path)? {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
                detail: "it is not a gate file made by `tix scanner export`".into(),
            });
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > GATE_VERSION {
            return Err(Error::NewerDatabase {
                path: path.to_path_buf(),
                found: version,
                supported: GATE_VERSION,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let (event_id, event_title, status, verify_key, exported_at, tz) = conn.query_row(
            "SELECT event_id, event_title, event_status, verify_key, exported_at, timezone FROM gate WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )?;
        let zone = Zone::parse(&tz).unwrap_or(Zone::UTC);
        let event_status = match status.as_str() {
            "published" => EventStatus::Published,
            "draft" => EventStatus::Draft,
            "cancelled" => EventStatus::Cancelled,
            _ => EventStatus::Completed,
        };
        Ok(GateFile {
            conn,
            event_id,
            event_title,
            event_status,
            verify_key,
            exported_at,
            zone,
            path: path.to_path_buf(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Decides on one scan with only this file, admits if accepted (and no dry run), and
    /// logs the scan, in one transaction. A correctly signed code for a ticket sold after
    /// the export is accepted and marked so.
    pub fn validate(&mut self, scan: &Scan<'_>) -> Result<Verdict> {
        if let Some(e) = scan.event_id
            && e != self.event_id
        {
            return Err(Error::rule(format!(
                "this gate file is for event {} \"{}\", not event {e}",
                self.event_id, self.event_title
            )));
        }
        let zone = self.zone;
        let (event_id, event_title, event_status, key) = (
            self.event_id,
            self.event_title.clone(),
            self.event_status,
            self.verify_key.clone(),
        );
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = time::now();
        let load = |uuid: &str| -> Result<Option<(Candidate, i64)>> {
            Ok(tx
                .prepare_cached(
                    "SELECT g.ticket_id, g.tier_id, g.secret_version, g.status, g.approved, g.attendee_name,
                            g.checked_in_at, g.checked_in_gate, t.name
                     FROM gate_tickets g LEFT JOIN gate_tiers t ON t.id = g.tier_id WHERE g.uuid = ?1",
                )?
                .query_row([uuid], |r| {
                    let status: String = r.get(3)?;
                    Ok((
                        Candidate {
                            ticket_id: r.get(0)?,
                            uuid: uuid.to_string(),
                            event_id,
                            event_title: event_title.clone(),
                            event_status,
                            tier_name: r.get(8)?,
                            attendee_name: r.get(5)?,
                            status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Cancelled),
                            approved: r.get(4)?,
                            secret_version: r.get(2)?,
                            checked_in_at: r.get(6)?,
                            checked_in_gate: r.get(7)?,
                            zone,
                        },
                        r.get::<_, i64>(1)?,
                    ))
                })
                .optional()?)
        };
        let mut extra = "";
        let (candidate, presented, reason) = match checkin::as_typed_uuid(scan.code) {
            Some(uuid) => match load(&uuid.hyphenated().to_string())? {
                Some((c, _)) => {
                    let r = checkin::decide(&c, None, None);
                    (Some(c), None, r)
                }
                None => (None, None, Reason::UnknownTicket),
            },
            None => match codes::parse(scan.code) {
                Err(_) => (None, None, Reason::UnknownTicket),
                Ok(u) if u.code.event_id != event_id => {
                    (None, Some(u.code.secret_version), Reason::WrongEvent)
                }
                Ok(u) => match u.verify(&key) {
                    Err(_) => (None, None, Reason::InvalidSignature),
                    Ok(code) => {
                        let uuid = code.uuid.hyphenated().to_string();
                        match load(&uuid)? {
                            Some((c, _)) => {
                                let r = checkin::decide(&c, Some(code.secret_version), None);
                                (Some(c), Some(code.secret_version), r)
                            }
                            None => {
                                // Signed by this event's key but sold after the export.
                                let tier: Option<(String, bool)> = tx
                                    .query_row(
                                        "SELECT name, requires_approval FROM gate_tiers WHERE id = ?1",
                                        [code.tier_id],
                                        |r| Ok((r.get(0)?, r.get(1)?)),
                                    )
                                    .optional()?;
                                // The file cannot know whether an order of an approval tier
                                // was approved since; the contract accepts every correctly
                                // signed code, and merge reports `admitted_unapproved`.
                                let approval = tier.as_ref().is_some_and(|t| t.1);
                                // Remembered by the file (so a second scan is refused), but
                                // not on a dry run, which changes nothing.
                                if !scan.dry_run {
                                    tx.execute(
                                        "INSERT INTO gate_tickets (uuid, tier_id, secret_version, status, approved, sold_after_export)
                                         VALUES (?1, ?2, ?3, 'valid', 1, 1)",
                                        params![uuid, code.tier_id, code.secret_version],
                                    )?;
                                }
                                let c = Candidate {
                                    ticket_id: None,
                                    uuid: uuid.clone(),
                                    event_id,
                                    event_title: event_title.clone(),
                                    event_status,
                                    tier_name: tier.as_ref().map(|t| t.0.clone()),
                                    attendee_name: None,
                                    status: TicketStatus::Valid,
                                    approved: true,
                                    secret_version: code.secret_version,
                                    checked_in_at: None,
                                    checked_in_gate: None,
                                    zone,
                                };
                                let r = checkin::decide(&c, Some(code.secret_version), None);
                                let c = Some(c);
                                extra = if approval {
                                    " (sold after this file was made, on a tier that needs approval: approval not checked offline)"
                                } else {
                                    " (sold after this file was made)"
                                };
                                (c, Some(code.secret_version), r)
                            }
                        }
                    }
                },
            },
        };
        if let (Some(c), Some(v)) = (&candidate, presented)
            && v > c.secret_version
        {
            // A newer code than this file knows (transferred after the export): it is the
            // current one now, and older codes are dead on this device too.
            tx.execute(
                "UPDATE gate_tickets SET secret_version = ?2 WHERE uuid = ?1",
                params![c.uuid, v],
            )?;
        }
        if reason == Reason::Ok
            && !scan.dry_run
            && let Some(c) = &candidate
        {
            tx.execute(
                "UPDATE gate_tickets SET status = 'used', checked_in_at = ?2, checked_in_gate = ?3 WHERE uuid = ?1",
                params![c.uuid, now, scan.gate],
            )?;
        }
        checkin::log_scan(
            &tx,
            &ScanRecord {
                scan_uuid: Uuid::new_v4().hyphenated().to_string(),
                event_id: Some(event_id),
                ticket_id: candidate.as_ref().and_then(|c| c.ticket_id),
                ticket_uuid: candidate.as_ref().map(|c| c.uuid.as_str()),
                secret_version: presented,
                scanned_at: now,
                gate: scan.gate,
                device: scan.device,
                actor_email: None,
                reason,
                offline: true,
                dry_run: scan.dry_run,
                merged_at: None,
            },
        )?;
        tx.commit()?;
        let typed = checkin::as_typed_uuid(scan.code).is_some();
        let extra = checkin::suffix(reason, typed, scan.dry_run, extra);
        let mut v = checkin::verdict(reason, candidate.as_ref(), now, &extra);
        v.offline = true;
        v.dry_run = scan.dry_run;
        if scan.dry_run && reason == Reason::Ok {
            v.checked_in_at = None;
        }
        Ok(v)
    }
}

/// A problem found when bringing offline scans home.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// `double_admission`, `admitted_after_cancel`, `admitted_after_refund`,
    /// `admitted_after_transfer`, `admitted_unapproved` or `unknown_ticket`.
    pub kind: String,
    /// The ticket.
    pub ticket_id: Option<i64>,
    /// Its UUID.
    pub ticket_uuid: Option<String>,
    /// The gate file the offline admission came from.
    pub file: String,
    /// Gate of the offline admission.
    pub gate: Option<String>,
    /// Device of the offline admission.
    pub device: String,
    /// When it was admitted offline.
    #[serde(with = "time::serde_ts")]
    pub scanned_at: Timestamp,
    /// What happened, in words.
    pub detail: String,
}

/// What `scanner merge` did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeReport {
    /// The event.
    pub event_id: i64,
    /// Files merged.
    pub files: Vec<String>,
    /// Scans new to the main database.
    pub scans_merged: i64,
    /// Scans it already had (from an earlier merge): skipped.
    pub scans_already_merged: i64,
    /// Tickets newly checked in by these scans.
    pub admitted: i64,
    /// Every conflict among the new scans.
    pub conflicts: Vec<Conflict>,
}

/// A ticket's check-in state in the main database.
struct MainTicket {
    id: i64,
    status: String,
    version: i64,
    first_at: Option<Timestamp>,
    first_gate: Option<String>,
    order_status: String,
}

fn main_ticket(conn: &Connection, uuid: &str, event_id: i64) -> Result<Option<MainTicket>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, t.status, t.secret_version, t.checked_in_at, t.checked_in_gate, o.status
             FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.uuid = ?1 AND t.event_id = ?2",
        )?
        .query_row(params![uuid, event_id], |r| {
            Ok(MainTicket {
                id: r.get(0)?,
                status: r.get(1)?,
                version: r.get(2)?,
                first_at: r.get(3)?,
                first_gate: r.get(4)?,
                order_status: r.get(5)?,
            })
        })
        .optional()?)
}

struct GateScan {
    file: String,
    scan_uuid: String,
    ticket_uuid: Option<String>,
    secret_version: Option<i64>,
    scanned_at: Timestamp,
    gate: Option<String>,
    device: String,
    reason: String,
    dry_run: bool,
}

/// Brings the scans of gate files home into the main database, in one transaction:
/// every scan is added to the scan log once (merging a file twice changes nothing), each
/// offline admission checks its ticket in with the earliest admission's time, and every
/// conflict is reported. The event's promoter, its staff or an admin.
pub fn merge(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    files: &[PathBuf],
) -> Result<MergeReport> {
    let mut scans = Vec::new();
    for path in files {
        let gate = GateFile::open(path)?;
        let now = time::now();
        if gate.event_id != event_id {
            return Err(Error::rule(format!(
                "{} is a gate file for event {} \"{}\", not event {event_id}",
                path.display(),
                gate.event_id,
                gate.event_title
            )));
        }
        let file = path.display().to_string();
        let mut stmt = gate.conn.prepare(
            "SELECT scan_uuid, ticket_uuid, secret_version, scanned_at, gate, device, reason, dry_run
             FROM scans ORDER BY scanned_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(GateScan {
                file: file.clone(),
                scan_uuid: r.get(0)?,
                ticket_uuid: r.get(1)?,
                secret_version: r.get(2)?,
                // A gate laptop's clock can be wrong (or the file tampered with): keep
                // times between the export and now, so they order and count sanely.
                scanned_at: r
                    .get::<_, i64>(3)?
                    .clamp(gate.exported_at, now.max(gate.exported_at)),
                gate: r.get(4)?,
                device: r.get(5)?,
                reason: r.get(6)?,
                dry_run: r.get(7)?,
            })
        })?;
        for s in rows {
            scans.push(s?);
        }
    }
    // The earliest admission anywhere decides; later ones are the conflicts.
    scans.sort_by_key(|s| s.scanned_at);
    store.write(|tx| {
        let event = events::get(tx, event_id)?;
        checkin::authorize_gate(tx, actor, &event)?;
        let now = time::now();
        let mut report = MergeReport {
            event_id,
            files: files.iter().map(|f| f.display().to_string()).collect(),
            scans_merged: 0,
            scans_already_merged: 0,
            admitted: 0,
            conflicts: Vec::new(),
        };
        for s in &scans {
            let ticket = match &s.ticket_uuid {
                Some(u) => main_ticket(tx, u, event_id)?,
                None => None,
            };
            let reason = Reason::parse(&s.reason).unwrap_or(Reason::UnknownTicket);
            let fresh = checkin::log_scan(
                tx,
                &ScanRecord {
                    scan_uuid: s.scan_uuid.clone(),
                    event_id: Some(event_id),
                    ticket_id: ticket.as_ref().map(|t| t.id),
                    ticket_uuid: s.ticket_uuid.as_deref(),
                    secret_version: s.secret_version,
                    scanned_at: s.scanned_at,
                    gate: s.gate.as_deref(),
                    device: &s.device,
                    actor_email: None,
                    reason,
                    offline: true,
                    dry_run: s.dry_run,
                    merged_at: Some(now),
                },
            )?;
            if !fresh {
                report.scans_already_merged += 1;
                continue;
            }
            report.scans_merged += 1;
            if reason != Reason::Ok || s.dry_run {
                continue;
            }
            let conflict = |kind: &str, ticket_id: Option<i64>, detail: String| Conflict {
                kind: kind.to_string(),
                ticket_id,
                ticket_uuid: s.ticket_uuid.clone(),
                file: s.file.clone(),
                gate: s.gate.clone(),
                device: s.device.clone(),
                scanned_at: s.scanned_at,
                detail,
            };
            let at = |ts: Timestamp, gate: &Option<String>| {
                format!("{}{}", time::rfc3339(ts), gate.as_ref().map_or(String::new(), |g| format!(" at gate {g}")))
            };
            let offline_at = at(s.scanned_at, &s.gate);
            let Some(MainTicket { id, status, version, first_at, first_gate, order_status }) = ticket else {
                report.conflicts.push(conflict(
                    "unknown_ticket",
                    None,
                    format!("admitted offline {offline_at}, but the main database has no such ticket for this event"),
                ));
                continue;
            };
            match status.as_str() {
                "cancelled" | "refunded" => {
                    report.conflicts.push(conflict(
                        &format!("admitted_after_{}", if status == "cancelled" { "cancel" } else { "refund" }),
                        Some(id),
                        format!("admitted offline {offline_at}, but the ticket was {status} online"),
                    ));
                    continue;
                }
                _ => {}
            }
            if s.secret_version.is_some_and(|v| v < version) {
                report.conflicts.push(conflict(
                    "admitted_after_transfer",
                    Some(id),
                    format!("admitted offline {offline_at} with a code replaced online by a transfer"),
                ));
                continue;
            }
            if order_status == "pending_approval" {
                report.conflicts.push(conflict(
                    "admitted_unapproved",
                    Some(id),
                    format!("admitted offline {offline_at}, but its order still awaits approval online"),
                ));
                // Its seats stay held by the pending order, which the promoter can still
                // approve or cancel; marking it used would block both.
                continue;
            }
            match (status.as_str(), first_at) {
                ("used", Some(first)) => {
                    let (earliest, gate) =
                        if s.scanned_at < first { (s.scanned_at, s.gate.clone()) } else { (first, first_gate.clone()) };
                    tx.execute(
                        "UPDATE tickets SET checked_in_at = ?2, checked_in_gate = ?3 WHERE id = ?1",
                        params![id, earliest, gate],
                    )?;
                    report.conflicts.push(conflict(
                        "double_admission",
                        Some(id),
                        format!(
                            "admitted twice: {} and offline {offline_at} ({})",
                            at(first, &first_gate),
                            s.device
                        ),
                    ));
                }
                _ => {
                    tx.execute(
                        "UPDATE tickets SET status = 'used', checked_in_at = ?2, checked_in_gate = ?3, updated_at = ?4
                         WHERE id = ?1",
                        params![id, s.scanned_at, s.gate, now],
                    )?;
                    report.admitted += 1;
                }
            }
        }
        // A merge that brought nothing new changes nothing, not even the audit log.
        if report.scans_merged > 0 {
            crate::audit::record(
                tx,
                actor,
                "scanner.merge",
                crate::audit::Subject { object_type: "event", object_id: &event_id.to_string(), event_id: Some(event_id), ticket_id: None },
                serde_json::json!({
                    "files": report.files,
                    "scans_merged": report.scans_merged,
                    "admitted": report.admitted,
                    "conflicts": report.conflicts.len(),
                }),
            )?;
        }
        Ok(report)
    })
}
