//! `tix db …`: the database as a whole.

use std::path::PathBuf;

use clap::Subcommand;
use comfy_table::Cell;

use super::Ctx;
use super::render::{ListRow, Render, Style, emit};
use tix::ops::db::{self, CopyReport, TableCopied};

/// `tix db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Copy the whole database into a new SQLite file or an empty PostgreSQL database
    /// (admin only), checking every table afterwards
    Copy {
        /// The copy: a new FILE.db, or postgres://USER@HOST/DATABASE (empty)
        #[arg(long, value_name = "TARGET")]
        to: PathBuf,
    },
}

/// Runs a `tix db` subcommand.
pub fn run(ctx: &Ctx, cmd: DbCmd) -> anyhow::Result<()> {
    let (mut store, actor) = ctx.session()?;
    match cmd {
        DbCmd::Copy { to } => emit(ctx, &db::copy(&mut store, &actor, &to)?),
    }
}

impl Render for CopyReport {
    fn human(&self, style: &Style) -> String {
        let rows: i64 = self.tables.iter().map(|t| t.rows).sum();
        // One path a line: both may be long, and a terminal may be 80 columns wide.
        format!(
            "Copied {}\n  into {}\n{rows} rows in {} tables, each checked against the original.\n\n{}",
            self.from,
            self.to,
            self.tables.len(),
            self.tables.human(style)
        )
    }

    fn quiet(&self) -> String {
        self.to.clone()
    }
}

impl ListRow for TableCopied {
    const HEADERS: &'static [&'static str] = &["Table", "Rows", "Checksum (SHA-256)"];
    const EMPTY: &'static str = "No tables.";

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(&self.table),
            Cell::new(self.rows),
            Cell::new(&self.checksum[..16.min(self.checksum.len())]),
        ]
    }

    fn key(&self) -> String {
        self.table.clone()
    }
}
