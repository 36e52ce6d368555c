//! The database as a whole: copying it into another — SQLite into PostgreSQL when a
//! promoter grows past one laptop, or back into a file for a backup or an offline
//! laptop — with every table checked afterwards.

use std::path::Path;

use serde::Serialize;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Result, Rule};
use crate::files;
use crate::ops::audit::{self, Subject};
use crate::store::copy::{self, TableSum};
use crate::store::{OpenMode, Store};
use crate::time;

/// One table of a copy.
#[derive(Debug, Clone, Serialize)]
pub struct TableCopied {
    /// The table.
    pub table: String,
    /// Rows copied.
    pub rows: i64,
    /// SHA-256 of its rows, the same in the original and the copy.
    pub checksum: String,
}

/// What `db copy` did.
#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    /// The database copied.
    pub from: String,
    /// The new copy.
    pub to: String,
    /// Every table, checked.
    pub tables: Vec<TableCopied>,
}

/// Copies the whole database (an admin only: it holds every event's signing key) into
/// `to`, a new SQLite file or an empty PostgreSQL database, in one transaction of the
/// target from one snapshot of the source, and checks every table's rows and checksum
/// before committing. Ticket codes signed before the copy validate after it. A new
/// file the copy made is removed again if it fails.
pub fn copy(store: &mut Store, actor: &Actor, to: &Path) -> Result<CopyReport> {
    authorize(actor, Action::CopyDatabase)?;
    let shown = Store::shown(to);
    // Not the database itself, nor (on SQLite) one of its journals under any name.
    let onto_itself = store.path() == Path::new(&shown)
        || (!store.is_postgres()
            && store
                .protected_paths()
                .iter()
                .any(|p| p == to || files::same_file(p, to)));
    if onto_itself {
        return Err(Rule::CopyOntoItself { target: shown }.into());
    }
    let mut target = Store::open_waiting(to, OpenMode::CreateIfMissing, store.busy_timeout())?;
    let created = target.was_created() && !target.is_postgres();
    let outcome = store.read(|source| {
        let want = copy::sums(source)?;
        target.write(|t| {
            if !copy::is_empty(t)? {
                return Err(Rule::CopyTargetNotEmpty {
                    target: shown.clone(),
                }
                .into());
            }
            copy::copy_all(source, t)?;
            let got = copy::sums(t)?;
            check(&want, &got)?;
            Ok(got)
        })
    });
    let sums = match outcome {
        Ok(sums) => sums,
        Err(e) => {
            let leftovers = target.protected_paths();
            drop(target);
            if created {
                for p in leftovers {
                    let _ = std::fs::remove_file(p);
                }
            }
            return Err(e);
        }
    };
    drop(target);
    let report = CopyReport {
        from: store.path().display().to_string(),
        to: shown,
        tables: sums
            .into_iter()
            .map(|s| TableCopied {
                table: s.table.to_string(),
                rows: s.rows,
                checksum: s.checksum,
            })
            .collect(),
    };
    // The copy is made and checked; the source records it where it can be written (a
    // read-only file or a read-only PostgreSQL role can still be copied from).
    let _ = store.write(|tx| {
        audit::record(
            tx,
            actor,
            "db.copy",
            Subject {
                object_type: "database",
                object_id: &report.to,
                event_id: None,
                ticket_id: None,
            },
            serde_json::json!({ "to": report.to, "at": time::now(), "tables": report.tables.len() }),
        )
    });
    Ok(report)
}

/// The copy must be the original, table by table.
fn check(want: &[TableSum], got: &[TableSum]) -> Result<()> {
    for (w, g) in want.iter().zip(got) {
        if w != g {
            return Err(Error::Corrupt(format!(
                "the copy of table {} differs from the original ({} rows, checksum {} against {} rows, {}); nothing was copied",
                w.table, g.rows, g.checksum, w.rows, w.checksum
            )));
        }
    }
    Ok(())
}
