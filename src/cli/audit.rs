//! `tix audit …`.

use clap::Subcommand;
use comfy_table::Cell;

use super::Ctx;
use super::render::{ListRow, Style, emit};
use tix::ops::audit::{self, Entry};
use tix::time::rfc3339;

/// `tix audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// List recorded changes, oldest first (admin, or the event's promoter)
    List {
        /// Only this event's entries
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        /// Only this ticket's entries (id or UUID)
        #[arg(long, value_name = "TICKET")]
        ticket: Option<String>,
    },
}

/// Runs a `tix audit` subcommand.
pub fn run(ctx: &Ctx, cmd: AuditCmd) -> anyhow::Result<()> {
    let (store, actor) = ctx.session()?;
    match cmd {
        AuditCmd::List { event, ticket } => {
            emit(ctx, &audit::list(&store, &actor, event, ticket.as_deref())?)
        }
    }
}

impl ListRow for Entry {
    const HEADERS: &'static [&'static str] =
        &["#", "When", "Who", "Action", "Object", "Event", "Details"];
    const EMPTY: &'static str = "No audit entries.";

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        let mut details = self.details.to_string();
        if details.chars().count() > 100 {
            details = details.chars().take(97).collect::<String>() + "...";
        }
        vec![
            Cell::new(self.id),
            Cell::new(rfc3339(self.at)),
            Cell::new(self.actor_email.as_deref().unwrap_or("tix")),
            Cell::new(&self.action),
            Cell::new(format!("{} {}", self.object_type, self.object_id)),
            Cell::new(self.event_id.map_or("-".into(), |e| e.to_string())),
            Cell::new(details),
        ]
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}
