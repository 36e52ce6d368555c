//! `tix event …`.

use clap::{Args, Subcommand};
use comfy_table::{Cell, Color};

use super::render::{ListRow, Render, Style, emit, fields};
use super::{Ctx, ask};
use tix::ops::cancellation::{self, Cancelled, Plan};
use tix::ops::events::{self, Event, EventChange, EventStatus, NewEvent};
use tix::ops::orders::Ending;
use tix::text::count;
use tix::time::rfc3339;

/// Arguments of `tix event create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The title buyers see (required; asked for on a terminal)
    #[arg(long)]
    pub title: Option<String>,
    /// Start: RFC 3339, or 'YYYY-MM-DD HH:MM' in the event's time zone (required; asked for on a terminal)
    #[arg(long, value_name = "TIME")]
    pub starts_at: Option<String>,
    /// End, after the start
    #[arg(long, value_name = "TIME")]
    pub ends_at: Option<String>,
    /// Where it happens
    #[arg(long)]
    pub venue: Option<String>,
    /// IANA time zone, e.g. Europe/Berlin [default: UTC]
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// ISO 4217 currency of its prices [default: EUR]
    #[arg(long, value_name = "CUR", env = "TIX_CURRENCY")]
    pub currency: Option<String>,
}

/// `tix event` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventCmd {
    /// Create a draft event that you own (promoter or admin)
    Create(CreateArgs),
    /// List the events you can see, soonest first
    List,
    /// Show one event
    Show {
        /// The event's id
        id: i64,
    },
    /// Publish a draft event, putting its tiers on sale (its promoter or an admin)
    Publish {
        /// The event's id
        id: i64,
    },
    /// Cancel an event and end its orders in one step (its promoter or an admin); asks first
    #[command(
        after_help = "An event with open orders needs --refund or --cancel: every completed order \
is then refunded (or cancelled), orders awaiting approval are cancelled, their tickets follow \
and every code of the event answers event_not_open at the gate.\n\n\
Example:\n  tix event cancel 3 --refund --yes"
    )]
    Cancel {
        /// The event's id
        id: i64,
        /// Refund every completed order (orders awaiting approval are cancelled: nothing was paid)
        #[arg(long, conflicts_with = "cancel")]
        refund: bool,
        /// Cancel every open order without a refund
        #[arg(long)]
        cancel: bool,
    },
    /// Change an event's title, venue or the note printed on its tickets (its promoter or an admin)
    Update {
        /// The event's id
        id: i64,
        /// A new title
        #[arg(long)]
        title: Option<String>,
        /// A new venue ('' clears it)
        #[arg(long)]
        venue: Option<String>,
        /// Text printed on every ticket and in every ticket e-mail ('' clears it)
        #[arg(long, value_name = "TEXT")]
        ticket_note: Option<String>,
    },
    /// Gate staff of an event
    #[command(subcommand)]
    Staff(StaffCmd),
}

/// `tix event staff` subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCmd {
    /// Assign a staff account to check tickets in at the event
    Add {
        /// The event's id
        event_id: i64,
        /// The staff member's email
        email: String,
    },
    /// Remove a staff account from the event
    Remove {
        /// The event's id
        event_id: i64,
        /// The staff member's email
        email: String,
    },
    /// List the event's staff
    List {
        /// The event's id
        event_id: i64,
    },
}

/// The usage shown when a required value is missing and cannot be asked for.
const EVENT_CREATE_USAGE: &str = "tix event create --title <TITLE> --starts-at <TIME> [--ends-at <TIME>] [--venue <VENUE>] [--timezone <TZ>] [--currency <CUR>]";

/// Runs a `tix event` subcommand.
pub fn run(ctx: &Ctx, cmd: EventCmd) -> anyhow::Result<()> {
    if let EventCmd::Create(a) = &cmd {
        ask::require(
            ctx,
            &[
                ("--title <TITLE>", a.title.is_some()),
                ("--starts-at <TIME>", a.starts_at.is_some()),
            ],
            EVENT_CREATE_USAGE,
        )?;
    }
    let (mut store, actor) = ctx.session()?;
    match cmd {
        EventCmd::Create(a) => {
            let asking = ctx.can_ask() && (a.title.is_none() || a.starts_at.is_none());
            let title: String = ask::value(a.title, "Title", None)?;
            // Asked for with the zone first, as the start is read in it.
            let timezone = match (a.timezone, asking) {
                (Some(z), _) => Some(z),
                (None, true) => Some(ask::checked::<String>(
                    None,
                    "Time zone (IANA name, e.g. Europe/Berlin)",
                    Some("UTC"),
                    &|z: &String| tix::Zone::parse(z).map(|_| ()).map_err(|e| e.to_string()),
                )?),
                (None, false) => None,
            };
            let starts_at: String = ask::value(
                a.starts_at,
                "Starts at (YYYY-MM-DD HH:MM, in that zone)",
                None,
            )?;
            let zone_given = timezone.is_some();
            let new = NewEvent {
                title,
                starts_at,
                ends_at: a.ends_at,
                venue: a.venue,
                timezone,
                currency: a.currency.filter(|c| !c.trim().is_empty()),
            };
            let event = events::create(&mut store, &actor, &new)?;
            if !zone_given {
                // Said on stderr even with --json or -q: stdout keeps the result alone.
                super::render::warn(&format!(
                    "No --timezone given: event {}'s times are read and shown in UTC. For local times, give an IANA zone when creating it, e.g. --timezone Europe/Berlin.",
                    event.id
                ));
            }
            emit(ctx, &event)
        }
        EventCmd::List => emit(ctx, &events::list(&store, &actor)?),
        EventCmd::Show { id } => emit(ctx, &events::show(&store, &actor, id)?),
        EventCmd::Publish { id } => emit(ctx, &events::publish(&mut store, &actor, id)?),
        EventCmd::Cancel { id, refund, cancel } => {
            let ending = match (refund, cancel) {
                (true, _) => Some(Ending::Refund),
                (_, true) => Some(Ending::Cancel),
                _ => None,
            };
            let done = cancellation::cancel_event(&mut store, &actor, id, ending, |plan| {
                ctx.confirm(&cancel_question(plan))
            })?;
            emit(ctx, &done)
        }
        EventCmd::Update {
            id,
            title,
            venue,
            ticket_note,
        } => {
            let change = EventChange {
                title,
                venue,
                ticket_note,
            };
            emit(ctx, &events::update(&mut store, &actor, id, &change)?)
        }
        EventCmd::Staff(StaffCmd::Add { event_id, email }) => emit(
            ctx,
            &events::add_staff(&mut store, &actor, event_id, &email)?,
        ),
        EventCmd::Staff(StaffCmd::Remove { event_id, email }) => emit(
            ctx,
            &events::remove_staff(&mut store, &actor, event_id, &email)?,
        ),
        EventCmd::Staff(StaffCmd::List { event_id }) => {
            emit(ctx, &events::list_staff(&store, &actor, event_id)?)
        }
    }
}

/// The confirmation of `event cancel`: what it will do to the event's orders.
fn cancel_question(plan: &Plan) -> String {
    let e = &plan.event;
    let o = &plan.open;
    let mut q = format!("Cancel event {} \"{}\"", e.id, e.title);
    if o.completed_orders > 0 {
        let verb = match plan.ending {
            Some(Ending::Cancel) => "cancel without refund",
            _ => "refund",
        };
        q.push_str(&format!(
            ", and {verb} {} ({}, {} {})",
            count(o.completed_orders, "order", "orders"),
            count(o.completed_tickets, "ticket", "tickets"),
            e.currency.format_amount(o.completed_minor),
            e.currency
        ));
    }
    if o.comp_orders > 0 {
        q.push_str(&format!(
            ", and cancel {} ({})",
            count(o.comp_orders, "complimentary order", "complimentary orders"),
            count(o.comp_tickets, "ticket", "tickets"),
        ));
    }
    if o.pending_orders > 0 {
        q.push_str(&format!(
            ", and cancel {} awaiting approval ({})",
            count(o.pending_orders, "order", "orders"),
            count(o.pending_tickets, "ticket", "tickets"),
        ));
    }
    q.push('?');
    if o.used_orders > 0 {
        q.push_str(&format!(
            " ({} with tickets already used at the gate stay as they are.)",
            count(o.used_orders, "order", "orders")
        ));
    }
    q
}

impl Render for Cancelled {
    fn human(&self, style: &Style) -> String {
        let mut text = self.event.human(style);
        let Some(d) = &self.ended else {
            return text;
        };
        let verb = if d.action == "refund" {
            "Refunded"
        } else {
            "Cancelled"
        };
        if d.orders > 0 {
            text.push_str(&format!(
                "\n\n{verb} {} ({}, {} {}).",
                count(d.orders, "order", "orders"),
                count(d.tickets, "ticket", "tickets"),
                d.total,
                d.currency
            ));
        }
        if d.comp_orders > 0 {
            text.push_str(&format!(
                "\nCancelled {} ({}).",
                count(d.comp_orders, "complimentary order", "complimentary orders"),
                count(d.comp_tickets, "ticket", "tickets"),
            ));
        }
        if d.unapproved_orders > 0 {
            text.push_str(&format!(
                "\nCancelled {} awaiting approval ({}; nothing was paid).",
                count(d.unapproved_orders, "order", "orders"),
                count(d.unapproved_tickets, "ticket", "tickets"),
            ));
        }
        if d.orders_left > 0 {
            text.push_str(&format!(
                "\n{} with tickets already used at the gate left completed.",
                count(d.orders_left, "order", "orders"),
            ));
        }
        text
    }

    fn quiet(&self) -> String {
        self.event.id.to_string()
    }
}

fn status_cell(style: &Style, status: EventStatus) -> Cell {
    let color = match status {
        EventStatus::Draft => Color::Yellow,
        EventStatus::Published => Color::Green,
        EventStatus::Cancelled => Color::Red,
        EventStatus::Completed => Color::DarkGrey,
    };
    style.cell(status, color)
}

impl Render for Event {
    fn human(&self, style: &Style) -> String {
        let z = self.timezone;
        fields(
            style,
            Some(format!("Event {}: {}", self.id, self.title)),
            vec![
                ("Status", self.status.to_string()),
                (
                    "Starts",
                    format!("{}  ({})", z.human(self.starts_at), rfc3339(self.starts_at)),
                ),
                (
                    "Ends",
                    self.ends_at
                        .map_or("-".into(), |t| format!("{}  ({})", z.human(t), rfc3339(t))),
                ),
                ("Venue", self.venue.clone().unwrap_or_else(|| "-".into())),
                ("Time zone", z.name().to_string()),
                ("Currency", self.currency.to_string()),
                ("Owner", self.owner_email.clone()),
                ("Created", z.human(self.created_at)),
            ]
            .into_iter()
            .chain(self.ticket_note.clone().map(|n| ("Ticket note", n)))
            .collect(),
        )
    }

    fn quiet(&self) -> String {
        self.id.to_string()
    }
}

impl ListRow for Event {
    const HEADERS: &'static [&'static str] = &[
        "ID", "Title", "Status", "Starts", "Venue", "Currency", "Owner",
    ];
    const EMPTY: &'static str = "No events.";
    const DROP: &'static [&'static str] = &["Currency", "Owner", "Venue"];
    const WRAP: &'static [&'static str] = &["Title", "Venue"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(self.id),
            Cell::new(&self.title),
            status_cell(style, self.status),
            Cell::new(self.timezone.human(self.starts_at)),
            Cell::new(self.venue.as_deref().unwrap_or("-")),
            Cell::new(self.currency),
            Cell::new(&self.owner_email),
        ]
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}
