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

/// Audit details as people read them: `key: value` pairs separated by commas (so that a
/// narrow terminal wraps them between pairs, never inside an address).
fn human_details(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                serde_json::Value::Object(_) => format!("{k}: {{{}}}", human_details(v)),
                serde_json::Value::Array(_) => format!("{k}: [{}]", human_details(v)),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(human_details)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

impl ListRow for Entry {
    const HEADERS: &'static [&'static str] = &[
        "#",
        "When (UTC)",
        "Who",
        "Action",
        "Object",
        "Event",
        "Details",
    ];
    const EMPTY: &'static str = "No audit entries.";
    const DROP: &'static [&'static str] = &["Event", "Object", "Details"];

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        // A table shows the start of long details and says how much more there is;
        // `--json` has them whole.
        let mut details = human_details(&self.details);
        let n = details.chars().count();
        if n > 300 {
            details = format!(
                "{}… ({} more characters; --json shows them)",
                details.chars().take(240).collect::<String>(),
                n - 240
            );
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
