//! `tix order …`.

use clap::Subcommand;
use comfy_table::{Cell, Color};

use super::{Ctx, ask};
use std::io::Write;
use tix::ops::{events, tiers};

use super::render::{JsonArray, ListRow, Render, Style, emit, fields, yes_no};
use std::path::PathBuf;
use tix::files;
use tix::ops::orders::{self, Ending, NewOrder, Order, OrderStatus};
use tix::ops::printing;
use tix::ops::tickets;

/// `tix order` subcommands.
#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// Buy tickets (for yourself), sell at the box office (--buyer) or issue comps (--comp)
    Create {
        /// The tier to buy from (required; chosen from the tiers on sale on a terminal)
        #[arg(long, value_name = "TIER_ID")]
        tier: Option<i64>,
        /// How many tickets (required; asked for on a terminal)
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        quantity: Option<i64>,
        /// Who gets the tickets [default: you]; someone else needs the event's promoter or an admin
        #[arg(long, value_name = "EMAIL")]
        buyer: Option<String>,
        /// Complimentary tickets at price 0 (the event's promoter or an admin)
        #[arg(long)]
        comp: bool,
        /// The outside payment that paid it: a card terminal's receipt, a bank transfer, a payment provider's id
        #[arg(long, value_name = "REF", conflicts_with = "comp")]
        payment_ref: Option<String>,
    },
    /// List the orders you can see
    List {
        /// Only this event's orders
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
    },
    /// Show an order with its tickets
    Show {
        /// The order's id
        id: i64,
    },
    /// Print an order's valid tickets to one PDF, a page per ticket (its buyer, the event's promoter or an admin)
    #[command(after_help = "Example:\n  tix order pdf 7 --out order-7.pdf")]
    Pdf {
        /// The order's id
        id: i64,
        /// The PDF file to write
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
        /// Replace the file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Approve an order awaiting approval (the event's promoter or an admin)
    Approve {
        /// The order's id
        id: i64,
    },
    /// Cancel an order: its tickets become cancelled and the seats free; asks first
    Cancel {
        /// The order's id
        id: i64,
    },
    /// Refund an order: its tickets become refunded and the seats free; asks first
    Refund {
        /// The order's id
        id: i64,
        /// The outside refund that returned the money (a receipt, a transfer, a provider's id)
        #[arg(long, value_name = "REF")]
        payment_ref: Option<String>,
    },
}

/// The usage shown when a required value is missing and cannot be asked for.
const ORDER_CREATE_USAGE: &str = "tix order create --tier <TIER_ID> --quantity <N> [--buyer <EMAIL>] [--comp] [--payment-ref <REF>]";

/// Runs a `tix order` subcommand.
pub fn run(ctx: &Ctx, cmd: OrderCmd) -> anyhow::Result<()> {
    if let OrderCmd::Create { tier, quantity, .. } = &cmd {
        ask::require(
            ctx,
            &[
                ("--tier <TIER_ID>", tier.is_some()),
                ("--quantity <N>", quantity.is_some()),
            ],
            ORDER_CREATE_USAGE,
        )?;
    }
    let (mut store, actor) = ctx.session()?;
    match cmd {
        OrderCmd::Create {
            tier,
            quantity,
            buyer,
            comp,
            payment_ref,
        } => {
            let choices = if tier.is_none() {
                on_sale_choices(&store, &actor)?
            } else {
                Vec::new()
            };
            let tier = ask::choose(tier, "Tier", &choices)?;
            let quantity: i64 = ask::checked(
                quantity,
                "How many tickets",
                Some("1"),
                &super::tier::at_least_one,
            )?;
            let new = NewOrder {
                tier_id: tier,
                quantity,
                buyer,
                comp,
                payment_ref,
            };
            create(ctx, &mut store, &actor, &new)
        }
        OrderCmd::List { event } => emit(ctx, &orders::list(&store, &actor, event)?),
        OrderCmd::Show { id } => emit(ctx, &orders::show(&mut store, &actor, id)?),
        OrderCmd::Pdf { id, out, force } => {
            files::check_output(&out, &store.protected_paths(), force)?;
            let (bytes, pages) = printing::order_pdf(&store, &actor, id)?;
            files::write_atomic(&out, &bytes)?;
            emit(
                ctx,
                &super::ticket::PdfFiles {
                    tickets: pages,
                    files: vec![out],
                },
            )
        }
        OrderCmd::Approve { id } => emit(ctx, &orders::approve(&mut store, &actor, id)?),
        OrderCmd::Cancel { id } => end(ctx, &mut store, &actor, id, Ending::Cancel, None),
        OrderCmd::Refund { id, payment_ref } => end(
            ctx,
            &mut store,
            &actor,
            id,
            Ending::Refund,
            payment_ref.as_deref(),
        ),
    }
}

/// `order create`: the order as it is issued, with flat memory whatever its size. JSON
/// streams the tickets after the order's own fields; a table shows the first few;
/// `--quiet` needs none of them.
fn create(
    ctx: &Ctx,
    store: &mut tix::Store,
    actor: &tix::Actor,
    new: &NewOrder,
) -> anyhow::Result<()> {
    if !ctx.json {
        // A table shows the first few codes; --quiet none, so the rest are signed when
        // first needed.
        let keep = tickets::Keep {
            tickets: if ctx.quiet { 0 } else { TICKETS_SHOWN },
            sign_all: false,
        };
        return emit(ctx, &orders::create_keeping(store, actor, new, keep)?);
    }
    // Every code is printed: each is signed as its ticket is issued, and stored.
    let keep = tickets::Keep {
        tickets: 0,
        sign_all: true,
    };
    let order = orders::create_keeping(store, actor, new, keep)?;
    let head = serde_json::to_string_pretty(&order)?;
    // The tickets are the order's last field: write everything before them, stream them,
    // close the object.
    let head = head
        .strip_suffix("[]\n}")
        .ok_or_else(|| anyhow::anyhow!("unexpected order JSON layout"))?;
    let stdout_error = |source| tix::Error::Io {
        action: "write",
        path: "standard output".into(),
        source,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    out.write_all(head.as_bytes())?;
    let mut array = JsonArray::start(&mut out)?;
    tickets::for_each_of_order(store, actor, order.id, |t| {
        array.push(&t).map_err(stdout_error)
    })?;
    array.finish()?;
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}

/// The tiers a buyer can buy from now, as choices: `3  VIP (Summer Nights) 199.99 EUR`.
fn on_sale_choices(store: &tix::Store, actor: &tix::Actor) -> tix::Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for e in events::list(store, actor)?
        .into_iter()
        .filter(|e| e.status == tix::EventStatus::Published)
    {
        for t in tiers::list(store, actor, e.id, false)? {
            let a = tiers::availability(store, actor, t.id)?;
            if a.can_purchase {
                out.push((
                    format!(
                        "{}  {} ({}) {} {}: {}",
                        t.id,
                        t.name,
                        e.title,
                        t.price(),
                        t.currency,
                        a.message
                    ),
                    t.id,
                ));
            }
        }
    }
    Ok(out)
}

fn end(
    ctx: &Ctx,
    store: &mut tix::Store,
    actor: &tix::Actor,
    id: i64,
    ending: Ending,
    refund_ref: Option<&str>,
) -> anyhow::Result<()> {
    let verb = match ending {
        Ending::Cancel => "Cancel",
        Ending::Refund => "Refund",
    };
    let order = orders::end(store, actor, id, ending, refund_ref, |o| {
        ctx.confirm(&format!(
            "{verb} order {} ({} x {}, {} {}, buyer {})?",
            o.id,
            o.quantity,
            o.tier_name,
            o.total(),
            o.currency,
            o.buyer_email
        ))
    })?;
    emit(ctx, &order)
}

fn status_cell(style: &Style, status: OrderStatus) -> Cell {
    let color = match status {
        OrderStatus::PendingApproval => Color::Yellow,
        OrderStatus::Completed => Color::Green,
        OrderStatus::Cancelled | OrderStatus::Refunded => Color::Red,
    };
    style.cell(status, color)
}

/// How many tickets an order shows in its human output before summing up the rest.
const TICKETS_SHOWN: usize = 20;

impl Render for Order {
    fn human(&self, style: &Style) -> String {
        let mut text = fields(
            style,
            Some(format!(
                "Order {}: {} x {} for {}",
                self.id, self.quantity, self.tier_name, self.buyer_email
            )),
            vec![
                ("Status", self.status.to_string()),
                ("Event", self.event_id.to_string()),
                ("Tier", format!("{} ({})", self.tier_id, self.tier_name)),
                ("Total", format!("{} {}", self.total(), self.currency)),
                ("Comp", yes_no(self.is_comp)),
                ("Created", self.zone.human(self.created_at)),
            ]
            .into_iter()
            .chain(self.payment_ref.clone().map(|r| ("Payment ref", r)))
            .chain(self.refund_ref.clone().map(|r| ("Refund ref", r)))
            .collect(),
        );
        let shown: Vec<_> = self.tickets.iter().take(TICKETS_SHOWN).cloned().collect();
        if !shown.is_empty() {
            text.push_str("\n\n");
            text.push_str(&shown.human(style));
        }
        // An order just issued holds only the tickets shown; its quantity counts them all.
        let issued = self
            .tickets
            .len()
            .max(usize::try_from(self.quantity).unwrap_or(0));
        if issued > TICKETS_SHOWN {
            text.push_str(&format!(
                "\n... and {} more (`tix ticket list --event {}` or --json shows all)",
                issued - TICKETS_SHOWN,
                self.event_id
            ));
        }
        text
    }

    fn quiet(&self) -> String {
        self.id.to_string()
    }
}

impl ListRow for Order {
    const HEADERS: &'static [&'static str] = &[
        "ID", "Event", "Tier", "Buyer", "Qty", "Status", "Total", "Created",
    ];
    const EMPTY: &'static str = "No orders.";
    const DROP: &'static [&'static str] = &["Created", "Event", "Tier"];
    const WRAP: &'static [&'static str] = &["Tier"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        let total = if self.is_comp {
            "comp".to_string()
        } else {
            format!("{} {}", self.total(), self.currency)
        };
        vec![
            Cell::new(self.id),
            Cell::new(self.event_id),
            Cell::new(&self.tier_name),
            Cell::new(&self.buyer_email),
            Cell::new(self.quantity),
            status_cell(style, self.status),
            Cell::new(total),
            Cell::new(self.zone.human(self.created_at)),
        ]
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}
