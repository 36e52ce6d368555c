//! `tix report …`.

use clap::Subcommand;
use comfy_table::{Cell, CellAlignment};

use super::Ctx;
use super::render::{Render, Style, emit, fit_table, list_table};
use tix::ops::reports::{self, SalesReport};

/// `tix report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Sales of an event per tier and per payment state (its promoter or an admin)
    #[command(after_help = "Example:\n  tix report sales 1\n  tix report sales 1 --json")]
    Sales {
        /// The event's id
        event_id: i64,
    },
}

/// Runs a `tix report` subcommand.
pub fn run(ctx: &Ctx, cmd: ReportCmd) -> anyhow::Result<()> {
    let (store, actor) = ctx.session()?;
    match cmd {
        ReportCmd::Sales { event_id } => emit(ctx, &reports::sales(&store, &actor, event_id)?),
    }
}

fn num(n: impl ToString) -> Cell {
    Cell::new(n.to_string()).set_alignment(CellAlignment::Right)
}

impl Render for SalesReport {
    fn human(&self, style: &Style) -> String {
        let tiers = fit_table(
            style,
            &[
                "Tier",
                "Price",
                "Sold",
                "Left",
                "Paid",
                "Comp",
                "Pending",
                "Refunded",
                "Cancelled",
                "Revenue",
                "Returned",
            ],
            self.tiers
                .iter()
                .map(|t| {
                    vec![
                        Cell::new(format!("{} {}", t.tier_id, t.tier_name)),
                        num(&t.price),
                        num(t.sold),
                        num(t.available),
                        num(t.paid_tickets),
                        num(t.comp_tickets),
                        num(t.pending_tickets),
                        num(t.refunded_tickets),
                        num(t.cancelled_tickets),
                        num(&t.revenue),
                        num(&t.refunded),
                    ]
                })
                .collect(),
            &["Cancelled", "Returned", "Pending", "Comp", "Left", "Price"],
            &["Tier"],
        );
        let states = list_table(
            style,
            &["Payment state", "Orders", "Tickets", "Amount", "With ref"],
            self.states.iter().map(|s| {
                vec![
                    Cell::new(s.state.replace('_', " ")),
                    num(s.orders),
                    num(s.tickets),
                    num(&s.amount),
                    num(s.with_payment_ref),
                ]
            }),
        );
        let tiers = if self.tiers.is_empty() {
            "No tiers.".to_string()
        } else {
            tiers
        };
        format!(
            "Sales of event {} \"{}\" ({})\n\n{tiers}\n\n{states}\n\nRevenue {} {}, returned {} {}; {} tickets issued.",
            self.event_id,
            self.event_title,
            self.currency,
            self.revenue,
            self.currency,
            self.refunded,
            self.currency,
            self.tickets_issued
        )
    }

    fn quiet(&self) -> String {
        self.revenue.clone()
    }
}
