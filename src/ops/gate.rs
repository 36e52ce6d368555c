//! The gate, as the person there works it: on the main database (with an account, for
//! one named event) or on an offline gate file (holding the file is the authority). The
//! choice between the two, and every rule that decides a scan, live here and below, so
//! `validate`, `checkin scan` and `checkin lookup` cannot disagree.

use std::path::Path;
use std::time::Duration;

use crate::access::{Action, Actor, authorize};
use crate::error::Result;
use crate::ops::checkin::{self, Decided, DoorEntry, Scan, Verdict};
use crate::ops::offline::{self, GateFile};
use crate::ops::users;
use crate::store::{OpenMode, Store};

/// Where scans are decided.
pub enum Gate {
    /// The main database: an actor, and the one event this gate admits to.
    Main {
        /// The open database.
        store: Box<Store>,
        /// Who works the gate.
        actor: Box<Actor>,
        /// The event named with `--event`.
        event_id: i64,
    },
    /// An offline gate file, which knows its own event.
    File(Box<GateFile>),
}

impl Gate {
    /// Opens the gate at `path`: a gate file if it is one (an `event_id` given must be
    /// its own), else the main database, where `event_id` is required and the actor must
    /// be allowed to work that event's gate — checked now, before the first scan.
    /// `busy` is how long to wait for another process's write lock.
    pub fn open(
        path: &Path,
        as_user: Option<&str>,
        event_id: Option<i64>,
        busy: Duration,
    ) -> Result<Gate> {
        if offline::is_gate_file(path) {
            let file = GateFile::open_waiting(path, busy)?;
            file.check_event(event_id)?;
            return Ok(Gate::File(Box::new(file)));
        }
        let store = Store::open_waiting(path, OpenMode::MustExist, busy)?;
        let actor = users::actor(&store, as_user)?;
        // Someone who may not work any gate hears that first, not which flag is missing.
        authorize(&actor, Action::WorkGate)?;
        let event_id = checkin::require_event(event_id)?;
        checkin::check_gate_access(&store, &actor, event_id)?;
        Ok(Gate::Main {
            store: Box::new(store),
            actor: Box::new(actor),
            event_id,
        })
    }

    /// Fails at once if this gate cannot record scans (a gate file on a read-only disk),
    /// rather than at the first ticket.
    pub fn check_writable(&self) -> Result<()> {
        match self {
            Gate::Main { .. } => Ok(()),
            Gate::File(file) => file.check_writable(),
        }
    }

    /// Decides on one scan (and admits, unless it is a dry run).
    pub fn validate(&mut self, scan: &Scan<'_>) -> Result<Verdict> {
        match self {
            Gate::Main {
                store,
                actor,
                event_id,
            } => {
                let scan = Scan {
                    event_id: Some(*event_id),
                    ..scan.clone()
                };
                checkin::validate(store, actor, &scan)
            }
            Gate::File(file) => file.validate(scan),
        }
    }

    /// Decides on several scans waiting at once (a scanner faster than the disk), in their
    /// order, in as few transactions as the database allows: usually one commit, and one
    /// sync of the disk, for all of them. The verdicts are of scans already committed, so
    /// a caller that shows them after this returns never shows one that was not recorded;
    /// if a scan could not be decided, the error says why and the scans after it are not
    /// decided either.
    pub fn validate_many(&mut self, scans: &[Scan<'_>]) -> Decided {
        match self {
            Gate::Main {
                store,
                actor,
                event_id,
            } => checkin::validate_many(store, actor, *event_id, scans),
            Gate::File(file) => match file.validate_many(scans) {
                Ok(verdicts) => Decided {
                    verdicts,
                    error: None,
                },
                Err(e) => Decided {
                    verdicts: Vec::new(),
                    error: Some(e),
                },
            },
        }
    }

    /// The door list: tickets of this gate's event matching a name, e-mail, id or UUID.
    pub fn lookup(&self, text: &str) -> Result<Vec<DoorEntry>> {
        match self {
            Gate::Main {
                store,
                actor,
                event_id,
            } => checkin::lookup(store, actor, *event_id, text),
            Gate::File(file) => file.lookup(text),
        }
    }
}
