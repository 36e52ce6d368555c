//! `tix waitlist …`.

use clap::Subcommand;
use comfy_table::{Cell, Color};

use super::Ctx;
use super::render::{ListRow, Render, Style, emit, fields};
use tix::ops::orders;
use tix::ops::waitlist::{self, Entry, Status};

/// `tix waitlist` subcommands.
#[derive(Debug, Subcommand)]
pub enum WaitlistCmd {
    /// Join a sold-out tier's waitlist (a registered user, once per tier)
    #[command(
        after_help = "When seats come back, the first in line gets an offer: the seats are held \
for them (the tier's --waitlist-hold, 24h unless set) and `tix waitlist claim OFFER` buys them.\n\n\
Example:\n  tix waitlist join 3 --quantity 2"
    )]
    Join {
        /// The tier's id
        tier_id: i64,
        /// How many seats you want
        #[arg(
            long,
            value_name = "N",
            default_value_t = 1,
            allow_hyphen_values = true
        )]
        quantity: i64,
    },
    /// Leave a tier's waitlist (an offer you hold goes to the next in line)
    Leave {
        /// The tier's id
        tier_id: i64,
    },
    /// A tier's line (the event's promoter or an admin; others see their own place), or without TIER your own places and offers
    List {
        /// The tier's id
        tier_id: Option<i64>,
        /// Also those no longer in line (claimed, declined, expired, left, removed)
        #[arg(long)]
        all: bool,
    },
    /// Take someone off a tier's line (the event's promoter or an admin)
    Remove {
        /// The place's id (from `waitlist list TIER`)
        entry_id: i64,
    },
    /// Buy the seats an offer holds for you, at the tier's price
    Claim {
        /// The offer's id (from `waitlist list` or the offer's message)
        offer_id: i64,
        /// The outside payment that paid it
        #[arg(long, value_name = "REF")]
        payment_ref: Option<String>,
    },
    /// Say no to an offer: its seats go to the next in line
    Decline {
        /// The offer's id
        offer_id: i64,
    },
}

/// Runs a `tix waitlist` subcommand.
pub fn run(ctx: &Ctx, cmd: WaitlistCmd) -> anyhow::Result<()> {
    let (mut store, actor) = ctx.session()?;
    match cmd {
        WaitlistCmd::Join { tier_id, quantity } => {
            emit(ctx, &waitlist::join(&mut store, &actor, tier_id, quantity)?)
        }
        WaitlistCmd::Leave { tier_id } => emit(ctx, &waitlist::leave(&mut store, &actor, tier_id)?),
        WaitlistCmd::List {
            tier_id: Some(t),
            all,
        } => emit(ctx, &waitlist::list(&mut store, &actor, t, all)?),
        WaitlistCmd::List { tier_id: None, .. } => emit(ctx, &waitlist::mine(&mut store, &actor)?),
        WaitlistCmd::Remove { entry_id } => {
            emit(ctx, &waitlist::remove(&mut store, &actor, entry_id)?)
        }
        WaitlistCmd::Claim {
            offer_id,
            payment_ref,
        } => emit(
            ctx,
            &orders::claim_offer(&mut store, &actor, offer_id, payment_ref)?,
        ),
        WaitlistCmd::Decline { offer_id } => {
            emit(ctx, &waitlist::decline(&mut store, &actor, offer_id)?)
        }
    }
}

fn status_cell(style: &Style, status: Status) -> Cell {
    let color = match status {
        Status::Waiting => Color::Yellow,
        Status::Offered | Status::Claimed => Color::Green,
        _ => Color::DarkGrey,
    };
    style.cell(status, color)
}

impl Render for Entry {
    fn human(&self, style: &Style) -> String {
        let mut rows = vec![
            ("Status", self.status.to_string()),
            ("Tier", format!("{} ({})", self.tier_id, self.tier_name)),
            ("Who", self.email.clone()),
            ("Seats", self.quantity.to_string()),
            ("Joined", self.zone.human(self.joined_at)),
        ];
        if let Some(p) = self.position {
            rows.push(("Place", format!("{p} in line")));
        }
        if let Some(t) = self.expires_at
            && self.status == Status::Offered
        {
            rows.push(("Held until", self.zone.human(t)));
        }
        if let Some(o) = self.order_id {
            rows.push(("Order", o.to_string()));
        }
        let title = match self.status {
            Status::Offered => format!(
                "Offer {}: {} held for {} (claim it with `tix waitlist claim {}`)",
                self.id,
                seats(self.quantity),
                self.email,
                self.id
            ),
            _ => format!("Waitlist place {}: {}", self.id, self.status),
        };
        fields(style, Some(title), rows)
    }

    fn quiet(&self) -> String {
        self.id.to_string()
    }
}

fn seats(n: i64) -> String {
    tix::text::count(n, "seat", "seats")
}

impl ListRow for Entry {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "Place",
        "Tier",
        "Who",
        "Seats",
        "Status",
        "Joined",
        "Held until",
    ];
    const EMPTY: &'static str = "No one in line.";
    const DROP: &'static [&'static str] = &["Joined", "Place", "Tier"];
    const WRAP: &'static [&'static str] = &[];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(self.id),
            Cell::new(self.position.map_or("-".to_string(), |p| p.to_string())),
            Cell::new(format!("{} {}", self.tier_id, self.tier_name)),
            Cell::new(&self.email),
            Cell::new(self.quantity),
            status_cell(style, self.status),
            Cell::new(self.zone.human(self.joined_at)),
            Cell::new(
                self.expires_at
                    .filter(|_| self.status == Status::Offered)
                    .map_or("-".to_string(), |t| self.zone.human(t)),
            ),
        ]
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}
