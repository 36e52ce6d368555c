//! Offline check-in: a self-contained gate file for one event, validating there with
//! no network and no main database, and merging its scans back afterwards.
//!
//! A gate file is a small SQLite database (`PRAGMA application_id` = `TIXG`) holding the
//! event, its public key and, per ticket, the UUID, secret version, status, tier,
//! attendee and holder names and salted hashes of their e-mail addresses — never a
//! private key, an e-mail address or a phone number. Holding the file is the authority
//! to admit with it; but at merge the file is evidence, not authority: every admission
//! is checked again against the main database. Design notes: `docs/offline.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::Actor;
use crate::codes;
use crate::error::{Error, Missing, NotDb, Result, Rule};
use crate::files;
use crate::ops::checkin::{self, Candidate, DoorEntry, Method, Reason, Scan, ScanRecord, Verdict};
use crate::ops::events::{self, EventStatus};
use crate::ops::tickets::TicketStatus;
use crate::store::gate::GateDb;
use crate::store::{self, GATE_APPLICATION_ID, Store, Tx};
use crate::time::{self, Timestamp, Zone};

/// Whether `path` is a gate file. Reads the file's header as bytes, so a gate file left
/// with a hot journal by a crash is still recognised (and recovered when opened).
pub fn is_gate_file(path: &Path) -> bool {
    path.is_file() && store::application_id(path) == Some(GATE_APPLICATION_ID)
}

/// A salted SHA-256 of a lower-cased, trimmed e-mail address: a gate file can tell
/// whether an address the person at the door gives is the ticket's, without holding a
/// list of addresses.
fn email_hash(salt: &[u8], email: &str) -> Vec<u8> {
    Sha256::new()
        .chain_update(salt)
        .chain_update(email.trim().to_lowercase().as_bytes())
        .finalize()
        .to_vec()
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
    /// The file's id, which the main database records (`gate_exports`).
    pub file_id: String,
    /// The last audit entry the export's snapshot saw.
    #[serde(skip)]
    pub audit_mark: i64,
}

/// Writes a gate file for one event: the event's promoter, its staff or an admin. The
/// file is written beside `out`, synced and renamed into place, so a half-written file
/// never exists; an existing file is replaced only with `overwrite` (its unmerged scans
/// would be lost), and the open database itself never.
pub fn export(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    out: &Path,
    overwrite: bool,
) -> Result<ExportReport> {
    files::check_output(out, &store.protected_paths(), true)?;
    if out.exists() && !overwrite {
        return Err(Rule::GateFileExists {
            path: out.display().to_string(),
            event: event_id,
        }
        .into());
    }
    let tmp = files::temp_path(out);
    let _ = std::fs::remove_file(&tmp);
    if let Some(dir) = out.parent() {
        files::remove_stale_temps(dir);
    }
    let file_id = Uuid::new_v4().to_string();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Io {
        action: "read random bytes from",
        path: "the operating system".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let result = store.read(|main| {
        let event = events::get(main, event_id)?;
        checkin::authorize_gate(main, actor, &event)?;
        let key = store::events::verify_key(main, event_id)?
            .ok_or_else(|| Error::not_found(Missing::Event, event_id))?;
        // What this snapshot has seen of the audit log: a transfer after it is one the
        // file cannot know of.
        let audit_mark = store::audit::last_transfer_id(main)?;
        // What goes wrong from here on is said of the gate file being written (a full
        // disk is the gate file's disk), not of the main database.
        let write_gate = || -> Result<ExportReport> {
            let mut gate = GateDb::create(&tmp).map_err(|e| Error::Io {
                action: "create",
                path: out.to_path_buf(),
                // The engine's own words, not wrapped in "database error".
                source: std::io::Error::other(match &e {
                    Error::Database(inner) => inner.to_string(),
                    other => other.to_string(),
                }),
            })?;
            let now = time::now();
            let (tickets, admissible) = gate.write(|tx| {
                store::gate::migrate(tx, out)?;

                store::gate::write_header(
                    tx,
                    &store::gate::Header {
                        event_id: event.id,
                        event_title: &event.title,
                        event_status: event.status,
                        zone: event.timezone,
                        verify_key: &key,
                        exported_at: now,
                        file_id: &file_id,
                        email_salt: &salt,
                    },
                )?;
                store::gate::copy_tiers(main, tx, event_id)?;
                store::gate::copy_tickets(main, tx, event_id, &|email| email_hash(&salt, email))?;
                store::gate::counts(tx)
            })?;
            gate.close()?;
            Ok(ExportReport {
                file: out.display().to_string(),
                event_id,
                event_title: event.title.clone(),
                tickets,
                admissible,
                exported_at: now,
                file_id: file_id.clone(),
                audit_mark,
            })
        };
        write_gate().map_err(|e| match e {
            Error::Database(_) => store::refine(e, out, store::BUSY_TIMEOUT),
            e => e,
        })
    });
    // The main database remembers the export (merge checks admissions by ticket id
    // against it, not against times written in the file) before the file is in place.
    let recorded = result.and_then(|report| {
        store.write(|tx| {
            store::gate::record_export(
                tx,
                &report.file_id,
                event_id,
                report.exported_at,
                actor.as_user().map(|u| u.email.as_str()),
                &salt,
                report.audit_mark,
            )?;
            crate::ops::audit::record(
                tx,
                actor,
                "scanner.export",
                crate::ops::audit::Subject { object_type: "event", object_id: &event_id.to_string(), event_id: Some(event_id), ticket_id: None },
                serde_json::json!({ "file": report.file, "file_id": report.file_id, "tickets": report.tickets }),
            )?;
            Ok(())
        })?;
        Ok(report)
    });
    match recorded {
        Ok(report) => {
            files::commit_temp(&tmp, out)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// An open gate file.
pub struct GateFile {
    db: GateDb,
    /// The event it admits to.
    pub event_id: i64,
    /// The event's title.
    pub event_title: String,
    event_status: EventStatus,
    verify_key: Vec<u8>,
    exported_at: Timestamp,
    email_salt: Vec<u8>,
    file_id: String,
    zone: Zone,
    path: PathBuf,
    read_only: bool,
    busy: Duration,
}

/// A gate file that could not be read: busy (another process holds its lock) if that
/// is why, else damaged — what was wrong, and what to do.
fn damaged(path: &Path, busy: Duration, e: Error) -> Error {
    let e = store::refine(e, path, busy);
    if matches!(
        e,
        Error::Busy { .. } | Error::ReadOnly { .. } | Error::DiskFull { .. }
    ) {
        return e;
    }
    damaged_file(path, e)
}

fn damaged_file(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::NotADatabase {
        path: path.to_path_buf(),
        why: NotDb::DamagedGateFile {
            what: what.to_string(),
        },
    }
}

impl GateFile {
    /// Opens a gate file for validating or merging. A file left with a hot journal by a
    /// crash is rolled back to its last committed scan first (SQLite does this on a
    /// read-write open); a file of an older tix is brought up to date.
    pub fn open(path: &Path) -> Result<GateFile> {
        GateFile::open_waiting(path, store::BUSY_TIMEOUT)
    }

    /// Like [`GateFile::open`], waiting at most `busy` for another process's lock on it.
    pub fn open_waiting(path: &Path, busy: Duration) -> Result<GateFile> {
        if !path.exists() {
            return Err(Error::not_found(Missing::GateFile, path.display()));
        }
        if !is_gate_file(path) {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
                why: NotDb::NotAGateFile,
            });
        }
        // A gate file on a read-only medium (a write-protected USB stick) can still be
        // read and merged, if it needs no upgrade; scanning on it says it is read-only.
        let db = GateDb::open(path, busy).map_err(|e| match e {
            e @ Error::NewerDatabase { .. } => e,
            e => damaged(path, busy, e),
        })?;
        GateFile::load(db, path, busy)
    }

    /// Reads the gate row of an opened, current gate file.
    fn load(db: GateDb, path: &Path, busy: Duration) -> Result<GateFile> {
        let row = db
            .read(store::gate::read_header)
            .map_err(|e| damaged(path, busy, e))?;
        let (event_id, event_title, status, verify_key, exported_at, tz, salt, file_id) = row;
        let zone = Zone::parse(&tz).unwrap_or(Zone::UTC);
        let event_status = EventStatus::parse(&status).unwrap_or(EventStatus::Completed);
        Ok(GateFile {
            read_only: db.is_read_only(),
            db,
            event_id,
            event_title,
            event_status,
            verify_key,
            exported_at,
            email_salt: salt.unwrap_or_default(),
            file_id,
            zone,
            path: path.to_path_buf(),
            busy,
        })
    }

    /// Fails if scans cannot be recorded in this file (it is on a read-only disk): a gate
    /// must not admit anyone it cannot remember admitting.
    pub fn check_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                detail: "scans could not be recorded in this gate file, so nobody can be admitted with it; copy it somewhere writable first (merging it works as it is)".into(),
            });
        }
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that `event_id` (if given) is this file's event.
    pub fn check_event(&self, event_id: Option<i64>) -> Result<()> {
        match event_id {
            Some(e) if e != self.event_id => Err(Rule::WrongGateFile {
                path: None,
                event: self.event_id,
                title: self.event_title.clone(),
                asked: e,
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// Decides on one scan with only this file, admits if accepted (and no dry run), and
    /// logs the scan with its evidence (method, the code presented, the version the file
    /// knew), in one transaction. A correctly signed code for a ticket sold after the
    /// export is accepted and marked so.
    pub fn validate(&mut self, scan: &Scan<'_>) -> Result<Verdict> {
        self.validate_many(std::slice::from_ref(scan))?
            .pop()
            .ok_or_else(|| Error::Corrupt("a scan went without a verdict".into()))
    }

    /// Decides on several scans in one transaction of the file (one sync for all of them,
    /// as [`Gate::validate_many`](crate::ops::gate::Gate::validate_many) explains), in
    /// their order: a ticket scanned twice among them is admitted once.
    pub fn validate_many(&mut self, scans: &[Scan<'_>]) -> Result<Vec<Verdict>> {
        let (path, busy) = (self.path.clone(), self.busy);
        self.validate_in(scans)
            .map_err(|e| store::refine(e, &path, busy))
    }

    fn validate_in(&mut self, scans: &[Scan<'_>]) -> Result<Vec<Verdict>> {
        for scan in scans {
            self.check_event(scan.event_id)?;
        }
        self.check_writable()?;
        let file = FileEvent {
            event_id: self.event_id,
            event_title: self.event_title.clone(),
            event_status: self.event_status,
            key: self.verify_key.clone(),
            zone: self.zone,
        };
        let decided = self.db.write(|tx| {
            scans
                .iter()
                .map(|scan| decide_offline(&file, tx, scan))
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(decided
            .into_iter()
            .zip(scans)
            .map(|(d, scan)| {
                let extra = checkin::suffix(d.reason, scan.method(), scan.dry_run, d.extra);
                let mut v = checkin::verdict(d.reason, d.candidate.as_ref(), d.at, &extra);
                v.offline = true;
                v.dry_run = scan.dry_run;
                if scan.dry_run && d.reason == Reason::Ok {
                    v.checked_in_at = None;
                }
                v
            })
            .collect())
    }

    /// The door list on the gate file: tickets by attendee or holder name, by an e-mail
    /// address given in full (the file holds only salted hashes), by ticket id or UUID.
    pub fn lookup(&self, text: &str) -> Result<Vec<DoorEntry>> {
        let search = checkin::Search::parse(text)?;
        let hash = email_hash(&self.email_salt, &search.text);
        let found = self.db.read(|g| {
            store::gate::door_list(
                g,
                search.id,
                &search.pattern,
                &hash,
                &search.uuid_part,
                checkin::LOOKUP_LIMIT,
            )
        })?;
        let mut out = Vec::new();
        for g in found {
            let holder = g.holder_name.clone();
            let c = candidate(
                g,
                self.event_id,
                &self.event_title,
                self.event_status,
                self.zone,
            );
            out.push(DoorEntry {
                ticket_id: c.ticket_id,
                ticket_uuid: c.uuid.clone(),
                tier_name: c.tier_name.clone(),
                attendee_name: c.attendee_name.clone(),
                holder_name: holder,
                holder_email: None,
                status: c.status,
                checked_in_at: c.checked_in_at,
                admit: checkin::decide(&c, Some(c.secret_version), None),
            });
        }
        Ok(out)
    }
}

/// What the gate decides on, from a gate file's ticket.
fn candidate(
    g: store::gate::GateTicket,
    event_id: i64,
    event_title: &str,
    event_status: EventStatus,
    zone: Zone,
) -> Candidate {
    Candidate {
        ticket_id: g.ticket_id,
        uuid: g.uuid,
        event_id,
        event_title: event_title.to_string(),
        event_status,
        tier_name: g.tier_name,
        attendee_name: g.attendee_name,
        status: g.status,
        approved: g.approved,
        secret_version: g.secret_version,
        checked_in_at: g.checked_in_at,
        checked_in_gate: g.checked_in_gate,
        zone,
    }
}

/// A problem found when bringing offline scans home.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// One of [`CONFLICT_KINDS`].
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

/// Every kind of conflict merge reports.
pub const CONFLICT_KINDS: &[&str] = &[
    "double_admission",
    "admitted_after_cancel",
    "admitted_after_refund",
    "admitted_after_transfer",
    "admitted_unapproved",
    "unknown_ticket",
    "forged_code",
    "unverifiable_scan",
    "manual_admission",
];

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

use crate::store::gate::{MainTicket, main_ticket};

/// One scan read from a gate file. Every column is read leniently: a row a hostile or
/// broken file mangled becomes an unverifiable scan, never a failed merge.
struct GateScan {
    file: String,
    scan_uuid: String,
    ticket_uuid: Option<String>,
    secret_version: Option<i64>,
    scanned_at: Timestamp,
    gate: Option<String>,
    device: String,
    reason: Option<Reason>,
    dry_run: bool,
    method: Option<Method>,
    code: Option<String>,
    /// The audit mark of this scan's file's export, if the main database recorded it.
    audit_mark: Option<i64>,
}

/// A text column of a gate file's scan, if it is short and has no control characters.
fn text(v: Option<String>, max: usize) -> Option<String> {
    v.filter(|s| s.chars().count() <= max && !s.chars().any(char::is_control))
}

/// Reads the scans of one gate file, times clamped into `[lo, hi]` (a gate laptop's
/// clock can be wrong, or the file edited): admissions then order and count sanely.
fn read_scans(
    gate: &GateFile,
    lo: Timestamp,
    hi: Timestamp,
    audit_mark: Option<i64>,
) -> Result<Vec<GateScan>> {
    let file = gate.path.display().to_string();
    let rows = gate
        .db
        .read(store::gate::raw_scans)
        .map_err(|e| damaged(&gate.path, gate.busy, e))?;
    let mut out = Vec::new();
    for row in rows {
        let Some(scan_uuid) = text(row.scan_uuid, 64) else {
            // Without an id the scan cannot be merged idempotently; one is derived from
            // the row so a second merge still recognises it.
            let id = format!("unnamed-{}-{}", gate.exported_at, out.len());
            out.push(GateScan {
                file: file.clone(),
                scan_uuid: id,
                ticket_uuid: None,
                secret_version: None,
                scanned_at: lo,
                gate: None,
                device: "unknown".into(),
                reason: Some(Reason::Ok),
                dry_run: false,
                method: None,
                code: None,
                audit_mark,
            });
            continue;
        };
        out.push(GateScan {
            file: file.clone(),
            scan_uuid,
            ticket_uuid: text(row.ticket_uuid, 64),
            secret_version: row.secret_version,
            scanned_at: row.scanned_at.unwrap_or(lo).clamp(lo, hi),
            gate: text(row.gate, crate::ops::checkin::MAX_GATE_NAME),
            device: text(row.device, crate::ops::checkin::MAX_GATE_NAME)
                .unwrap_or_else(|| "unknown".into()),
            reason: text(row.reason, 40).and_then(|s| Reason::parse(&s)),
            dry_run: row.dry_run == Some(1),
            method: text(row.method, 10).and_then(|s| Method::parse(&s)),
            // Blanks around a code are not part of it, as at the gate.
            code: text(row.code.map(|c| c.trim().to_string()), codes::MAX_CODE_LEN),
            audit_mark,
        });
    }
    Ok(out)
}

/// What a merge decides for one offline admission.
enum Outcome {
    /// Check the ticket in (or keep the earliest time, reporting a double admission).
    Admit {
        /// The ticket in the main database.
        ticket: MainTicket,
        /// By ticket id (typed UUID or door list), recorded on the staff's word.
        manual: bool,
    },
    /// Do not touch the ticket; report this conflict.
    Conflict {
        kind: &'static str,
        ticket_id: Option<i64>,
        detail: String,
    },
}

/// Options of a merge.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeOptions {
    /// Also record admissions by ticket id (typed UUIDs, door-list admissions) that the
    /// main database agrees with: the promoter takes the gate staff's word for them.
    pub accept_manual: bool,
}

/// Checks one offline admission against the main database: the file is evidence, not
/// authority. A scanned code must carry the event's own signature and the ticket's
/// current version; an admission by ticket id cannot be proven from the file and is only
/// recorded when the promoter accepts manual admissions.
fn judge(
    tx: &Tx<'_>,
    s: &GateScan,
    event: &crate::ops::events::Event,
    key: &[u8],
    opts: MergeOptions,
) -> Result<Outcome> {
    let event_id = event.id;
    let conflict = |kind: &'static str, ticket_id: Option<i64>, detail: String| Outcome::Conflict {
        kind,
        ticket_id,
        detail,
    };
    // The main database's ticket, when the code's check already read it.
    let mut known = None;
    let (uuid, version, method) = match s.method {
        None => {
            return Ok(conflict(
                "unverifiable_scan",
                None,
                "the file records an admission without saying how the ticket was presented; not recorded".into(),
            ));
        }
        Some(Method::Code) => {
            let Some(code) = &s.code else {
                return Ok(conflict(
                    "unverifiable_scan",
                    None,
                    "the file records an admission without the code that was scanned; not recorded"
                        .into(),
                ));
            };
            let Ok(unverified) = codes::parse(code) else {
                return Ok(conflict(
                    "unverifiable_scan",
                    None,
                    "the code the file records is not a ticket code; not recorded".into(),
                ));
            };
            // The ticket's current code as the main database stored it needs no signature
            // check (most of a large merge's time); any other is checked against the key.
            let stored = if unverified.code.event_id == event_id {
                main_ticket(tx, &unverified.code.uuid.hyphenated().to_string(), event_id)?
            } else {
                None
            };
            let verified = if stored.as_ref().is_some_and(|t| {
                crate::ops::tickets::is_stored_code(
                    &unverified,
                    event_id,
                    t.tier_id,
                    t.version,
                    t.signature.as_deref(),
                )
            }) {
                known = stored;
                Some(unverified.code)
            } else {
                (unverified.code.event_id == event_id)
                    .then(|| unverified.verify(key).ok())
                    .flatten()
            };
            let Some(code) = verified else {
                return Ok(conflict(
                    "forged_code",
                    None,
                    "the code was not signed with this event's key: forged, or the gate file's key was replaced; not recorded".into(),
                ));
            };
            let uuid = code.uuid.hyphenated().to_string();
            if s.ticket_uuid.as_deref().is_some_and(|u| u != uuid) {
                return Ok(conflict(
                    "unverifiable_scan",
                    None,
                    "the file names another ticket than the code it records; not recorded".into(),
                ));
            }
            (uuid, Some(code.secret_version), Method::Code)
        }
        Some(m) => {
            let Some(uuid) = s
                .ticket_uuid
                .as_deref()
                .and_then(|u| Uuid::parse_str(u).ok())
            else {
                return Ok(conflict(
                    "unverifiable_scan",
                    None,
                    "the file records an admission by ticket id without a ticket; not recorded"
                        .into(),
                ));
            };
            // The version column of such a row is the file's word, which an editor can
            // change: transfers are judged by the main database's record below.
            (uuid.hyphenated().to_string(), None, m)
        }
    };
    let t = match known {
        Some(t) => Some(t),
        None => main_ticket(tx, &uuid, event_id)?,
    };
    let Some(t) = t else {
        return Ok(conflict(
            "unknown_ticket",
            None,
            "the main database has no such ticket for this event; not recorded".into(),
        ));
    };
    let id = Some(t.id);
    if event.status == EventStatus::Cancelled {
        return Ok(conflict(
            "admitted_after_cancel",
            id,
            "the event was cancelled online; not recorded".into(),
        ));
    }
    match t.status.as_str() {
        "cancelled" => {
            return Ok(conflict(
                "admitted_after_cancel",
                id,
                "the ticket was cancelled online".into(),
            ));
        }
        "refunded" => {
            return Ok(conflict(
                "admitted_after_refund",
                id,
                "the ticket was refunded online".into(),
            ));
        }
        _ => {}
    }
    match version {
        Some(v) if v < t.version => {
            return Ok(conflict(
                "admitted_after_transfer",
                id,
                match method {
                    Method::Code => format!(
                        "admitted with a code replaced online by a transfer; {}",
                        new_holder(&t)
                    ),
                    _ => format!(
                        "admitted by ticket id, but the ticket was transferred online; {}",
                        new_holder(&t)
                    ),
                },
            ));
        }
        Some(v) if v > t.version => {
            return Ok(conflict(
                if method == Method::Code {
                    "forged_code"
                } else {
                    "unverifiable_scan"
                },
                id,
                format!(
                    "the file claims version {v} of the ticket's code, but only {} was issued; not recorded",
                    t.version
                ),
            ));
        }
        _ => {}
    }
    if method != Method::Code {
        // A typed UUID or a door-list admission says nothing of which holder came: it is
        // the old holder's if the ticket changed hands after the file was made, by the
        // main database's own record of the export and of the transfer.
        let Some(mark) = s.audit_mark else {
            return Ok(conflict(
                "unverifiable_scan",
                id,
                "admitted by ticket id, but the main database has no record of exporting this gate file, so it cannot tell whether the ticket changed hands since; not recorded".into(),
            ));
        };
        let transfers = store::audit::transfers_after(tx, t.id, mark)?;
        if transfers > 0 {
            return Ok(conflict(
                "admitted_after_transfer",
                id,
                format!(
                    "admitted by ticket id, but the ticket was transferred online after this gate file was made; {}",
                    new_holder(&t)
                ),
            ));
        }
    }
    if t.order_status == "pending_approval" {
        // Its seats stay held by the pending order, which the promoter can still approve
        // or cancel; marking it used would block both.
        return Ok(conflict(
            "admitted_unapproved",
            id,
            "its order still awaits approval online; not recorded".into(),
        ));
    }
    if method != Method::Code && !opts.accept_manual {
        return Ok(conflict(
            "manual_admission",
            id,
            format!(
                "admitted by {} at the gate, which a gate file cannot prove; not recorded",
                if method == Method::Typed {
                    "a typed UUID"
                } else {
                    "staff from the door list"
                }
            ),
        ));
    }
    Ok(Outcome::Admit {
        ticket: t,
        manual: method != Method::Code,
    })
}

/// What became of a transferred ticket's new holder, for a conflict's words.
fn new_holder(t: &MainTicket) -> &'static str {
    if t.status == "used" {
        "the new holder is already in"
    } else {
        "the new holder can still get in"
    }
}

/// Brings the scans of gate files home into the main database, in one transaction:
/// every scan is added to the scan log once (merging a file twice changes nothing), each
/// offline admission is checked again against the main database and checks its ticket
/// in with the earliest admission's time, and every conflict is reported. The event's
/// promoter, its staff or an admin.
pub fn merge(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    files: &[PathBuf],
    opts: MergeOptions,
) -> Result<MergeReport> {
    // Who may merge, and the event's own key and age, before any file is read.
    let (event, key) = store.read(|c| {
        let event = events::get(c, event_id)?;
        checkin::authorize_gate(c, actor, &event)?;
        if opts.accept_manual {
            // Taking the gate staff's word is the promoter's call, not the staff's own.
            crate::access::authorize(actor, crate::access::Action::AcceptManualAdmissions(&event))?;
        }
        let key = store::events::verify_key(c, event_id)?
            .ok_or_else(|| Error::not_found(Missing::Event, event_id))?;
        Ok((event, key))
    })?;
    let now = time::now();
    let mut scans = Vec::new();
    for path in files {
        let gate = GateFile::open_waiting(path, store.busy_timeout())?;
        if gate.event_id != event_id {
            return Err(Rule::WrongGateFile {
                path: Some(path.display().to_string()),
                event: gate.event_id,
                title: gate.event_title.clone(),
                asked: event_id,
            }
            .into());
        }
        // The main database's record of the export, if it has one (files made by an older
        // tix have none): its time, not the file's, bounds the file's scans.
        // The record counts only if the file is that export in every part the main
        // database keeps: its id, its time and its random salt (an edited file cannot
        // pass for a later export by copying its id).
        let export = store.read(|c| {
            store::gate::export_record(
                c,
                &gate.file_id,
                event_id,
                gate.exported_at,
                &gate.email_salt,
            )
        })?;
        let exported = export.map(|(at, _)| at);
        // Scan times fall between the export and now; an export time only the file knows
        // is believed between the event's creation and now.
        let lo = exported.unwrap_or_else(|| gate.exported_at.clamp(event.created_at.min(now), now));
        scans.extend(read_scans(
            &gate,
            lo.min(now),
            now,
            export.map(|(_, mark)| mark),
        )?);
    }
    // The earliest admission anywhere decides; later ones are the conflicts.
    scans.sort_by_key(|s| s.scanned_at);
    store.write(|tx| {
        let mut report = MergeReport {
            event_id,
            files: files.iter().map(|f| f.display().to_string()).collect(),
            scans_merged: 0,
            scans_already_merged: 0,
            admitted: 0,
            conflicts: Vec::new(),
        };
        // Manual admissions an earlier merge only reported, recorded by this one.
        let mut reopened = 0;
        for s in &scans {
            let admission = s.reason == Some(Reason::Ok) && !s.dry_run;
            let outcome = if admission { Some(judge(tx, s, &event, &key, opts)?) } else { None };
            let ticket = match (&outcome, &s.ticket_uuid) {
                (Some(Outcome::Admit { ticket, .. }), _) => Some(ticket.id),
                (_, Some(u)) => main_ticket(tx, u, event_id)?.map(|t| t.id),
                _ => None,
            };
            let conflict_kind = match &outcome {
                Some(Outcome::Conflict { kind, .. }) => Some(*kind),
                Some(Outcome::Admit { ticket, .. }) if ticket.status == "used" => Some("double_admission"),
                _ => None,
            };
            let fresh = checkin::log_scan(
                tx,
                &ScanRecord {
                    scan_uuid: s.scan_uuid.clone(),
                    event_id: Some(event_id),
                    ticket_id: ticket,
                    ticket_uuid: s.ticket_uuid.as_deref(),
                    secret_version: s.secret_version,
                    scanned_at: s.scanned_at,
                    gate: s.gate.as_deref(),
                    device: &s.device,
                    actor_email: None,
                    reason: s.reason.unwrap_or(Reason::UnknownTicket),
                    offline: true,
                    dry_run: s.dry_run,
                    merged_at: Some(now),
                    method: s.method.unwrap_or(Method::Code),
                    code: s.code.as_deref(),
                    conflict: conflict_kind,
                },
            )?;
            if fresh {
                report.scans_merged += 1;
            } else {
                report.scans_already_merged += 1;
                // A manual admission an earlier merge only reported is recorded now, if
                // the promoter accepts manual admissions this time, and if the scan logged
                // then is this very scan (same event, ticket and method: an edited file
                // cannot borrow another scan's id to reopen it).
                let manual = matches!(outcome, Some(Outcome::Admit { manual: true, .. }));
                if !manual {
                    continue;
                }
                let logged = store::gate::logged_scan(tx, &s.scan_uuid)?;
                let same = logged.as_ref().is_some_and(|l| {
                    l.event_id == Some(event_id)
                        && l.ticket_uuid == s.ticket_uuid
                        && Some(l.method.as_str()) == s.method.map(Method::as_str)
                });
                if !same || logged.and_then(|l| l.conflict).as_deref() != Some("manual_admission") {
                    continue;
                }
                store::gate::set_conflict(tx, &s.scan_uuid, conflict_kind)?;
                reopened += 1;
            }
            let at = |ts: Timestamp, gate: &Option<String>| {
                format!("{}{}", time::rfc3339(ts), gate.as_ref().map_or(String::new(), |g| format!(" at gate {g}")))
            };
            let offline_at = at(s.scanned_at, &s.gate);
            let mut push = |kind: &str, ticket_id: Option<i64>, detail: String| {
                report.conflicts.push(Conflict {
                    kind: kind.to_string(),
                    ticket_id,
                    ticket_uuid: s.ticket_uuid.clone(),
                    file: s.file.clone(),
                    gate: s.gate.clone(),
                    device: s.device.clone(),
                    scanned_at: s.scanned_at,
                    detail: format!("admitted offline {offline_at}: {detail}"),
                })
            };
            match outcome {
                None => {}
                Some(Outcome::Conflict { kind, ticket_id, detail }) => push(kind, ticket_id, detail),
                Some(Outcome::Admit { ticket: t, manual }) => match (t.status.as_str(), t.first_at) {
                    ("used", Some(first)) => {
                        let (earliest, gate) = if s.scanned_at < first {
                            (s.scanned_at, s.gate.clone())
                        } else {
                            (first, t.first_gate.clone())
                        };
                        store::gate::set_first_admission(tx, t.id, earliest, gate.as_deref())?;
                        push(
                            "double_admission",
                            Some(t.id),
                            format!(
                                "also admitted {}; this admission was on device {}",
                                at(first, &t.first_gate),
                                s.device
                            ),
                        );
                    }
                    _ => {
                        store::gate::admit_merged(tx, t.id, s.scanned_at, s.gate.as_deref(), now)?;
                        report.admitted += 1;
                        if manual {
                            push(
                                "manual_admission",
                                Some(t.id),
                                "admitted by ticket id at the gate; recorded on the gate staff's word".into(),
                            );
                        }
                    }
                },
            }
        }
        // A merge that brought nothing new changes nothing, not even the audit log.
        if report.scans_merged > 0 || report.admitted > 0 || reopened > 0 {
            crate::ops::audit::record(
                tx,
                actor,
                "scanner.merge",
                crate::ops::audit::Subject { object_type: "event", object_id: &event_id.to_string(), event_id: Some(event_id), ticket_id: None },
                serde_json::json!({
                    "files": report.files,
                    "scans_merged": report.scans_merged,
                    "admitted": report.admitted,
                    "conflicts": report.conflicts.len(),
                    "accept_manual": opts.accept_manual,
                    "manual_admissions_recorded_from_earlier_merges": reopened,
                }),
            )?;
        }
        Ok(report)
    })
}

/// What deciding a scan on a gate file needs of its event.
struct FileEvent {
    event_id: i64,
    event_title: String,
    event_status: crate::ops::events::EventStatus,
    key: Vec<u8>,
    zone: crate::time::Zone,
}

/// One scan's decision on a gate file, before it becomes a verdict.
struct Decided {
    candidate: Option<Candidate>,
    reason: Reason,
    extra: &'static str,
    at: crate::time::Timestamp,
}

/// Decides on one scan inside the file's transaction, admits the ticket if it is let in
/// (unless a dry run), and logs the scan.
fn decide_offline(file: &FileEvent, tx: &Tx<'_>, scan: &Scan<'_>) -> Result<Decided> {
    let FileEvent {
        event_id,
        event_title,
        event_status,
        key,
        zone,
    } = file;
    let (event_id, event_status, zone) = (*event_id, *event_status, *zone);
    let method = scan.method();
    let now = time::now();
    let load = |key: store::gate::Key<'_>| -> Result<Option<Candidate>> {
        Ok(store::gate::ticket(tx, key)?
            .map(|g| candidate(g, event_id, event_title, event_status, zone)))
    };
    let mut extra = "";
    let (candidate, presented, reason) = match method {
        Method::Manual => {
            let found = match crate::ops::tickets::TicketRef::parse(scan.code)? {
                crate::ops::tickets::TicketRef::Id(id) => load(store::gate::Key::TicketId(id))?,
                crate::ops::tickets::TicketRef::Uuid(uuid) => load(store::gate::Key::Uuid(&uuid))?,
            };
            match found {
                Some(c) => {
                    let v = c.secret_version;
                    let r = checkin::decide(&c, Some(v), None);
                    (Some(c), Some(v), r)
                }
                None => (None, None, Reason::UnknownTicket),
            }
        }
        Method::Typed => {
            let uuid = checkin::as_typed_uuid(scan.code).map(|u| u.hyphenated().to_string());
            match uuid
                .map(|u| load(store::gate::Key::Uuid(&u)))
                .transpose()?
                .flatten()
            {
                Some(c) => {
                    let r = checkin::decide(&c, None, None);
                    // The version this file knew: merge compares it with the main
                    // database's to find a transfer the file did not know of.
                    let v = c.secret_version;
                    (Some(c), Some(v), r)
                }
                None => (None, None, Reason::UnknownTicket),
            }
        }
        Method::Code => match codes::parse(scan.code) {
            Err(_) => (None, None, Reason::UnknownTicket),
            Ok(u) if u.code.event_id != event_id => {
                (None, Some(u.code.secret_version), Reason::WrongEvent)
            }
            Ok(u) => match u.verify(key) {
                Err(_) => (None, None, Reason::InvalidSignature),
                Ok(code) => {
                    let uuid = code.uuid.hyphenated().to_string();
                    match load(store::gate::Key::Uuid(&uuid))? {
                        Some(mut c) => {
                            if code.secret_version > c.secret_version
                                && c.status == TicketStatus::Used
                            {
                                // A newer code than any this file knew: whoever got in
                                // before came with an older code, revoked since by a
                                // transfer. The new holder gets in; merge reports the
                                // earlier admission as `admitted_after_transfer`.
                                c.status = TicketStatus::Valid;
                                c.checked_in_at = None;
                                c.checked_in_gate = None;
                            }
                            let r = checkin::decide(&c, Some(code.secret_version), None);
                            (Some(c), Some(code.secret_version), r)
                        }
                        None => {
                            // Signed by this event's key but sold after the export.
                            let tier = store::gate::tier(tx, code.tier_id)?;
                            // The file cannot know whether an order of an approval tier
                            // was approved since; the contract accepts every correctly
                            // signed code, and merge reports `admitted_unapproved`.
                            let approval = tier.as_ref().is_some_and(|t| t.1);
                            // Remembered by the file (so a second scan is refused), but
                            // not on a dry run, which changes nothing.
                            if !scan.dry_run {
                                store::gate::remember_sold_after_export(
                                    tx,
                                    &uuid,
                                    code.tier_id,
                                    code.secret_version,
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
                            extra = if approval {
                                " (sold after this file was made, on a tier that needs approval: approval not checked offline)"
                            } else {
                                " (sold after this file was made)"
                            };
                            (Some(c), Some(code.secret_version), r)
                        }
                    }
                }
            },
        },
    };
    if method == Method::Code
        && !scan.dry_run
        && let (Some(c), Some(v)) = (&candidate, presented)
        && v > c.secret_version
    {
        // A newer code than this file knows (transferred after the export): it is the
        // current one now, and older codes are dead on this device too. Not on a dry
        // run, which changes nothing in the file.
        store::gate::set_version(tx, &c.uuid, v)?;
    }
    if reason == Reason::Ok
        && !scan.dry_run
        && let Some(c) = &candidate
    {
        store::gate::admit(tx, &c.uuid, now, scan.gate)?;
    }
    let code_text = scan.code.trim();
    checkin::log_scan(
        tx,
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
            method,
            // The evidence merge checks again; bounded, since a scanner can type anything.
            code: (method == Method::Code && code_text.len() <= codes::MAX_CODE_LEN)
                .then_some(code_text),
            conflict: None,
        },
    )?;
    Ok(Decided {
        candidate,
        reason,
        extra,
        at: now,
    })
}
