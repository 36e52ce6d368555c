//! The library's one error type.
//!
//! Every failure a caller can see is a variant of [`Error`]. Each variant knows its
//! [`ErrorKind`], which the binary maps to the exit codes of the command-line contract,
//! and its message, written for the person at the terminal: what was wrong and, where
//! there is one, what to do instead.

use std::path::PathBuf;

/// What sort of failure an [`Error`] is; decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Internal or I/O failure (exit 1).
    Internal,
    /// Malformed input: a value that cannot be parsed or is out of range (exit 2).
    Usage,
    /// The named object does not exist (exit 3).
    NotFound,
    /// The acting user may not do this (exit 4).
    PermissionDenied,
    /// Well-formed, but breaks a business rule (exit 5).
    RuleViolation,
    /// A ticket was rejected at check-in (exit 6). The verdict itself is the output.
    Rejected,
    /// Another process held the database's write lock too long (exit 1, like other
    /// internal failures, but with its own JSON code: retrying is the answer).
    Busy,
}

impl ErrorKind {
    /// The stable machine-readable code used in `--json` error objects.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Internal => "internal",
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RuleViolation => "rule_violation",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Busy => "busy",
        }
    }

    /// The process exit code of the command-line contract.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal | ErrorKind::Busy => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::PermissionDenied => 4,
            ErrorKind::RuleViolation => 5,
            ErrorKind::Rejected => 6,
        }
    }
}

/// Everything that can go wrong in a tix operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user (flag, file cell) is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or flag the value was for, e.g. `price`.
        field: String,
        /// What is wrong with it and what is accepted instead.
        reason: String,
    },

    /// A command was invoked in a way that cannot work (nothing to update, a missing confirmation).
    #[error("{0}")]
    Usage(String),

    /// An object named by the user does not exist.
    #[error("{what} {id} not found{hint}", hint = hint_suffix(.hint))]
    NotFound {
        /// The kind of object: `event`, `tier`, `user`, …
        what: &'static str,
        /// The identifier the user gave.
        id: String,
        /// What to do instead, if anything useful can be said.
        hint: Option<String>,
    },

    /// The acting user may not perform this action.
    #[error("permission denied: {0}")]
    Denied(String),

    /// The request is well-formed but breaks a business rule.
    #[error("{0}")]
    Rule(String),

    /// No database exists at the given path and the command does not create one.
    #[error("no tix database at {}; check the path for a typo, or run `tix init` (or `tix demo`) to create one there", .0.display())]
    NoDatabase(PathBuf),

    /// The database was written by a newer tix and is left untouched.
    #[error("the database {} has schema version {found}, but this tix only knows up to version {supported}; upgrade tix to open it (the file was not changed)", .path.display())]
    NewerDatabase {
        /// The database file.
        path: PathBuf,
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this build understands.
        supported: i64,
    },

    /// The file exists but is not a SQLite database (or is corrupt).
    #[error("{} is not a tix database (or is damaged): {detail}; check the path", .path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being attempted: `read`, `write`, `create directory`, …
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// Check-in refused `count` scans; each verdict has already been shown.
    #[error("{}", rejected_message(*.count, .reason))]
    Rejected {
        /// How many scans were rejected.
        count: u64,
        /// The reason code, for a single validation.
        reason: Option<&'static str>,
    },

    /// A problem with one row of an imported file; the kind is that of the inner error.
    #[error("{row}: {source}")]
    InRow {
        /// Where in the file: `row 3 (line 4)`, `item 2`.
        row: String,
        /// What is wrong with it.
        source: Box<Error>,
    },

    /// Another process kept the database's write lock for the whole busy timeout.
    #[error("the database {} is busy: another process held its write lock for the {} this command waited; nothing was changed, so try again", .path.display(), waited(*.waited_ms))]
    Busy {
        /// The database file.
        path: PathBuf,
        /// How long this process waited, in milliseconds.
        waited_ms: u64,
    },

    /// The database can be read but not written.
    #[error("{} is read-only (file permissions, or a read-only disk): {detail}", .path.display())]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// Why a write was needed, and what to do.
        detail: String,
    },

    /// The disk holding the database is full.
    #[error("the disk holding {} is full; nothing was changed — free some space and try again", .path.display())]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },

    /// Some of the files a command writes were written, then one failed.
    #[error("{source}; only {written} of {total} files were written")]
    Incomplete {
        /// Files completely written (and synced) before the failure.
        written: usize,
        /// Files the command meant to write.
        total: usize,
        /// The failure.
        source: Box<Error>,
    },

    /// The database engine reported an error tix has no better word for. The engine's
    /// own error is inside; the store turns the ones a person can act on (busy,
    /// read-only, disk full) into their own variants.
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync + 'static>),

    /// Data in the database breaks an invariant tix relies on.
    #[error("corrupt data in the database: {0}")]
    Corrupt(String),
}

fn rejected_message(count: u64, reason: &Option<&'static str>) -> String {
    match reason {
        Some(r) => format!("ticket rejected: {r}"),
        None if count == 1 => "1 scan was rejected".to_string(),
        None => format!("{count} scans were rejected"),
    }
}

fn waited(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!("; {h}"),
        None => String::new(),
    }
}

impl Error {
    /// The kind of this error, which decides its exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. } | Error::Usage(_) => ErrorKind::Usage,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Denied(_) => ErrorKind::PermissionDenied,
            Error::Rule(_) => ErrorKind::RuleViolation,
            Error::InRow { source, .. } => source.kind(),
            Error::Rejected { .. } => ErrorKind::Rejected,
            Error::NoDatabase(_) => ErrorKind::NotFound,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::Incomplete { source, .. } => match source.kind() {
                ErrorKind::Busy => ErrorKind::Busy,
                _ => ErrorKind::Internal,
            },
            Error::NewerDatabase { .. }
            | Error::ReadOnly { .. }
            | Error::DiskFull { .. }
            | Error::NotADatabase { .. }
            | Error::Io { .. }
            | Error::Database(_)
            | Error::Corrupt(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`] without a hint.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
            hint: None,
        }
    }

    /// Shorthand for [`Error::NotFound`] with a hint saying what to do.
    pub fn not_found_hint(what: &'static str, id: impl ToString, hint: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
            hint: Some(hint.into()),
        }
    }

    /// Shorthand for [`Error::Denied`].
    pub fn denied(message: impl Into<String>) -> Self {
        Error::Denied(message.into())
    }

    /// Shorthand for [`Error::Rule`].
    pub fn rule(message: impl Into<String>) -> Self {
        Error::Rule(message.into())
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_contract_exit_codes() {
        assert_eq!(Error::invalid("price", "x").kind().exit_code(), 2);
        assert_eq!(Error::not_found("tier", 7).kind().exit_code(), 3);
        assert_eq!(Error::denied("no").kind().exit_code(), 4);
        assert_eq!(Error::rule("no").kind().exit_code(), 5);
        assert_eq!(Error::Corrupt("x".into()).kind().exit_code(), 1);
    }

    #[test]
    fn not_found_message_carries_hint() {
        let e = Error::not_found_hint("tier", 7, "run `tix tier list EVENT_ID`");
        assert_eq!(
            e.to_string(),
            "tier 7 not found; run `tix tier list EVENT_ID`"
        );
        assert_eq!(
            Error::not_found("event", 3).to_string(),
            "event 3 not found"
        );
    }
}
