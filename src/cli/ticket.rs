//! `tix ticket …`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};
use comfy_table::{Cell, Color};
use serde::Serialize;

use super::Ctx;
use super::render::{JsonArray, ListRow, Render, Style, emit, fields, note, printable};
use tix::domain::mail::Template;
use tix::ops::tickets::{self, AttendeeChange, Ticket, TicketFilter, TicketStatus};
use tix::ops::{delivery, printing};
use tix::text::count;
use tix::{files, qr};

/// `tix ticket` subcommands.
#[derive(Debug, Subcommand)]
pub enum TicketCmd {
    /// List tickets, newest first: your own, or by --owner / --event
    List {
        /// Only this owner's tickets (admin, the owner, or a promoter for their events)
        #[arg(long, value_name = "EMAIL")]
        owner: Option<String>,
        /// Only this event's tickets (its promoter or an admin)
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        /// Also used, cancelled and refunded tickets
        #[arg(long)]
        include_used: bool,
    },
    /// Show a ticket (by id or UUID), optionally with its QR code
    Show {
        /// The ticket's id or UUID
        ticket: String,
        /// Also write the QR code to this PNG file
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
        /// Also draw the QR code in the terminal
        #[arg(long)]
        qr_terminal: bool,
        /// Replace an existing --qr file
        #[arg(long)]
        force: bool,
    },
    /// Write QR codes as PNG: one ticket (--out), or every valid ticket of an event (--event, --out-dir)
    #[command(group(ArgGroup::new("target").args(["ticket", "event"]).required(true)))]
    Qr {
        /// The ticket's id or UUID
        #[arg(requires = "out")]
        ticket: Option<String>,
        /// The PNG file for one ticket
        #[arg(long, value_name = "FILE.png", conflicts_with = "event")]
        out: Option<PathBuf>,
        /// Every valid ticket of this event (its promoter or an admin)
        #[arg(long, value_name = "ID", requires = "out_dir")]
        event: Option<i64>,
        /// The directory for --event: one UUID.png per ticket
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Replace existing files
        #[arg(long)]
        force: bool,
    },
    /// Printable tickets as PDF: one ticket (--out), or every valid ticket of an event, one file per order (--event, --out-dir)
    #[command(
        group(ArgGroup::new("target").args(["ticket", "event"]).required(true)),
        after_help = "Examples:\n  tix ticket pdf 12 --out ticket.pdf\n  tix ticket pdf --event 1 --out-dir tickets/"
    )]
    Pdf {
        /// The ticket's id or UUID
        #[arg(requires = "out")]
        ticket: Option<String>,
        /// The PDF file for one ticket
        #[arg(long, value_name = "FILE.pdf", conflicts_with = "event")]
        out: Option<PathBuf>,
        /// Every valid ticket of this event (its promoter or an admin)
        #[arg(long, value_name = "ID", requires = "out_dir")]
        event: Option<i64>,
        /// The directory for --event: one order-ID.pdf per order
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Replace existing files
        #[arg(long)]
        force: bool,
    },
    /// Prepare e-mails with the tickets as PDF, one per order and holder, in an outbox for any mail tool (the event's promoter or an admin)
    #[command(
        after_help = "Each run writes only what changed since the last: new orders, new codes after a \
transfer (to the new holder) and a notice to whoever holds codes that no longer get in. \
The subject and text come from DIR/template.txt (written on the first run; edit it) or --template.\n\n\
Examples:\n  tix ticket send --event 1 --outbox outbox/\n  for f in outbox/*.eml; do sendmail -t < \"$f\" && mv \"$f\" sent/; done"
    )]
    Send {
        /// The event whose tickets to send
        #[arg(long, value_name = "ID")]
        event: i64,
        /// The directory to write the .eml files into (created if missing)
        #[arg(long, value_name = "DIR")]
        outbox: PathBuf,
        /// The message template [default: DIR/template.txt]: 'Subject: …', a blank line, then the text
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
    },
    /// Name a ticket's attendee (its owner); "" clears a field
    Attendee {
        /// The ticket's id or UUID
        ticket: String,
        /// The attendee's name
        #[arg(long)]
        name: Option<String>,
        /// Their email
        #[arg(long)]
        email: Option<String>,
        /// Their phone number
        #[arg(long)]
        phone: Option<String>,
    },
    /// Give a ticket to another registered user; its old QR code stops working
    Transfer {
        /// The ticket's id or UUID
        ticket: String,
        /// The recipient's email (they need an account)
        #[arg(long, value_name = "EMAIL")]
        to: String,
    },
}

/// Runs a `tix ticket` subcommand.
pub fn run(ctx: &Ctx, cmd: TicketCmd) -> anyhow::Result<()> {
    let (mut store, actor) = ctx.session()?;
    match cmd {
        TicketCmd::List {
            owner,
            event,
            include_used,
        } => {
            let filter = TicketFilter {
                owner,
                event_id: event,
                include_used,
            };
            if ctx.json || ctx.quiet {
                stream_list(ctx, &mut store, &actor, &filter)
            } else {
                emit(ctx, &tickets::list(&mut store, &actor, &filter)?)
            }
        }
        TicketCmd::Show {
            ticket,
            qr,
            qr_terminal,
            force,
        } => {
            if let Some(path) = &qr {
                files::check_output(path, &store.protected_paths(), force)?;
            }
            let t = tickets::show(&store, &actor, &ticket)?;
            if let Some(path) = &qr {
                qr::write_png(&t.qr_payload, path)?;
                note(
                    ctx,
                    &format!(
                        "QR code written to {}",
                        printable(&path.display().to_string())
                    ),
                );
            }
            if qr_terminal {
                let drawing = qr::terminal(&t.qr_payload)?;
                if ctx.json || ctx.quiet {
                    eprint_drawing(&drawing);
                } else {
                    println_drawing(&drawing)?;
                }
            }
            emit(ctx, &t)
        }
        TicketCmd::Qr {
            ticket: Some(ticket),
            out: Some(out),
            force,
            ..
        } => {
            files::check_output(&out, &store.protected_paths(), force)?;
            let t = tickets::show(&store, &actor, &ticket)?;
            qr::write_png(&t.qr_payload, &out)?;
            emit(
                ctx,
                &QrFiles {
                    count: 1,
                    files: vec![out],
                },
            )
        }
        TicketCmd::Qr {
            event: Some(event),
            out_dir: Some(dir),
            force,
            ..
        } => {
            let list = tickets::admissible(&mut store, &actor, event)?;
            let items: Vec<(String, String)> = list
                .iter()
                .map(|t| (t.uuid.clone(), t.qr_payload.clone()))
                .collect();
            let paths: Vec<_> = items
                .iter()
                .map(|(stem, _)| dir.join(format!("{stem}.png")))
                .collect();
            files::check_outputs_in(&dir, &paths, &store.protected_paths(), force)?;
            let bar = progress(ctx, items.len() as u64, "QR codes");
            let files = qr::write_many(&items, &dir, &|n| {
                if let Some(b) = &bar {
                    b.set_position(n as u64);
                }
            })?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            emit(
                ctx,
                &QrFiles {
                    count: files.len(),
                    files,
                },
            )
        }
        TicketCmd::Pdf {
            ticket: Some(ticket),
            out: Some(out),
            force,
            ..
        } => {
            files::check_output(&out, &store.protected_paths(), force)?;
            let bytes = printing::ticket_pdf(&store, &actor, &ticket)?;
            files::write_atomic(&out, &bytes)?;
            emit(
                ctx,
                &PdfFiles {
                    tickets: 1,
                    files: vec![out],
                },
            )
        }
        TicketCmd::Pdf {
            event: Some(event),
            out_dir: Some(dir),
            force,
            ..
        } => {
            let protected = store.protected_paths();
            let bar = std::cell::RefCell::new(None);
            let mut written = Vec::new();
            let path = |p: &printing::Part| {
                if p.parts == 1 {
                    dir.join(format!("order-{}.pdf", p.order_id))
                } else {
                    dir.join(format!(
                        "order-{}-part{}of{}.pdf",
                        p.order_id, p.part, p.parts
                    ))
                }
            };
            let tickets = printing::event_pdfs(
                &mut store,
                &actor,
                event,
                |parts, total| {
                    let paths: Vec<_> = parts.iter().map(&path).collect();
                    files::check_outputs_in(&dir, &paths, &protected, force)?;
                    std::fs::create_dir_all(&dir).map_err(|source| tix::Error::Io {
                        action: "create directory",
                        path: dir.clone(),
                        source,
                    })?;
                    files::remove_stale_temps(&dir);
                    *bar.borrow_mut() = progress(ctx, total as u64, "tickets");
                    Ok(())
                },
                |part, n, bytes| {
                    let out = path(&part);
                    files::write_atomic(&out, &bytes)?;
                    written.push(out);
                    if let Some(b) = bar.borrow().as_ref() {
                        b.inc(n as u64);
                    }
                    Ok(())
                },
            )?;
            if let Some(b) = bar.into_inner() {
                b.finish_and_clear();
            }
            emit(
                ctx,
                &PdfFiles {
                    tickets,
                    files: written,
                },
            )
        }
        TicketCmd::Send {
            event,
            outbox,
            template,
        } => send(ctx, &mut store, &actor, event, &outbox, template.as_deref()),
        TicketCmd::Pdf { .. } => Err(tix::Error::Usage(
            "give a TICKET with --out FILE.pdf, or --event ID with --out-dir DIR".into(),
        )
        .into()),
        TicketCmd::Qr { .. } => Err(tix::Error::Usage(
            "give a TICKET with --out FILE.png, or --event ID with --out-dir DIR".into(),
        )
        .into()),
        TicketCmd::Attendee {
            ticket,
            name,
            email,
            phone,
        } => {
            let change = AttendeeChange { name, email, phone };
            emit(
                ctx,
                &tickets::set_attendee(&mut store, &actor, &ticket, &change)?,
            )
        }
        TicketCmd::Transfer { ticket, to } => {
            emit(ctx, &tickets::transfer(&mut store, &actor, &ticket, &to)?)
        }
    }
}

/// Writes a ticket list as it is read (JSON array or one UUID a line): flat memory for
/// an event of any size. Tables need every row for their widths, so they are not streamed.
fn stream_list(
    ctx: &Ctx,
    store: &mut tix::Store,
    actor: &tix::Actor,
    filter: &TicketFilter,
) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout_error = |source| tix::Error::Io {
        action: "write",
        path: "standard output".into(),
        source,
    };
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if ctx.json {
        // The array opens with the first ticket (or at the end, empty): an error before
        // it (not allowed, not found) leaves stdout to the one JSON error object.
        let mut out = Some(out);
        let mut array = None;
        tickets::for_each(store, actor, filter, true, |t| {
            if array.is_none()
                && let Some(o) = out.take()
            {
                array = Some(JsonArray::start(o).map_err(stdout_error)?);
            }
            match &mut array {
                Some(a) => a.push(&t).map_err(stdout_error),
                None => Ok(()),
            }
        })?;
        match (array, out) {
            (Some(a), _) => a.finish()?,
            (None, Some(o)) => JsonArray::start(o)?.finish()?,
            (None, None) => {}
        }
    } else {
        let mut out = out;
        tickets::for_each(store, actor, filter, false, |t| {
            writeln!(out, "{}", t.uuid).map_err(stdout_error)
        })?;
        out.flush()?;
    }
    Ok(())
}

pub(super) fn progress(ctx: &Ctx, len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if ctx.json || ctx.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} ({{rate}}, {{eta}} left)"
    )) {
        // A whole number per second: "1520/s", not indicatif's "1,520.1547/s".
        let style = style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        );
        bar.set_style(style);
    }
    Some(bar)
}

#[allow(clippy::print_stderr)]
fn eprint_drawing(drawing: &str) {
    eprintln!("{drawing}");
}

fn println_drawing(drawing: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{drawing}")
}

/// The PNG files `ticket qr` wrote.
/// `ticket send`: the template read (the default written into a new outbox), then the
/// messages written atomically into the outbox.
fn send(
    ctx: &Ctx,
    store: &mut tix::Store,
    actor: &tix::Actor,
    event: i64,
    outbox: &std::path::Path,
    template: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let io = |action: &'static str, path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| tix::Error::Io {
            action,
            path,
            source,
        }
    };
    // Nothing is made for someone who may not send these tickets.
    delivery::check(store, actor, event)?;
    std::fs::create_dir_all(outbox).map_err(io("create directory", outbox))?;
    files::remove_stale_temps(outbox);
    let path = match template {
        Some(p) => p.to_path_buf(),
        None => {
            let p = outbox.join("template.txt");
            if !p.exists() {
                files::write_atomic(&p, delivery::DEFAULT_TEMPLATE.as_bytes())?;
                note(
                    ctx,
                    &format!(
                        "Wrote the default message template to {}; edit it to change the subject and text.",
                        printable(&p.display().to_string())
                    ),
                );
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path).map_err(io("read", &path))?;
    let template = Template::parse(&text)?;
    let report = delivery::send(store, actor, event, &template, |name, text| {
        files::write_atomic(&outbox.join(name), text.as_bytes())
    })?;
    emit(
        ctx,
        &Outbox {
            dir: outbox.to_path_buf(),
            report,
        },
    )
}

/// What `ticket send` prepared, and where.
#[derive(Serialize)]
struct Outbox {
    #[serde(rename = "outbox")]
    dir: PathBuf,
    #[serde(flatten)]
    report: delivery::SendReport,
}

impl Render for Outbox {
    fn human(&self, style: &Style) -> String {
        let r = &self.report;
        let dir = printable(&self.dir.display().to_string());
        let unchanged = count(r.unchanged as i64, "recipient", "recipients");
        if r.prepared.is_empty() {
            return format!("Nothing new to send: {unchanged} already have their current tickets.");
        }
        let notices = r.prepared.iter().filter(|p| p.kind == "notice").count() as i64;
        let mut text = format!(
            "Prepared {} in {dir} ({}, {}); {unchanged} unchanged.\n\n",
            count(r.prepared.len() as i64, "message", "messages"),
            count(
                r.prepared.len() as i64 - notices,
                "with tickets",
                "with tickets"
            ),
            count(notices, "notice", "notices"),
        );
        text.push_str(&super::render::list_table(
            style,
            &["File", "To", "Kind", "Tickets"],
            r.prepared.iter().map(|p| {
                vec![
                    Cell::new(&p.file),
                    Cell::new(&p.to),
                    Cell::new(p.kind),
                    Cell::new(p.tickets),
                ]
            }),
        ));
        text.push_str(&format!(
            "\n\nSend them with any mail tool, e.g.: for f in {dir}/*.eml; do sendmail -t < \"$f\"; done"
        ));
        text
    }

    fn quiet(&self) -> String {
        self.report
            .prepared
            .iter()
            .map(|p| self.dir.join(&p.file).display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The PDFs a `ticket pdf` or `order pdf` wrote.
#[derive(Serialize)]
pub(super) struct PdfFiles {
    /// Tickets printed.
    pub tickets: usize,
    /// The files, one per order (or the one asked for).
    pub files: Vec<PathBuf>,
}

impl Render for PdfFiles {
    fn human(&self, _style: &Style) -> String {
        let noun = if self.tickets == 1 {
            "ticket"
        } else {
            "tickets"
        };
        match self.files.as_slice() {
            [one] => format!(
                "{} {noun} printed to {}",
                self.tickets,
                printable(&one.display().to_string())
            ),
            [] => "No valid tickets: no PDFs written.".into(),
            [first, ..] => format!(
                "{} {noun} printed to {} PDFs ({}) in {}",
                self.tickets,
                self.files.len(),
                if self
                    .files
                    .iter()
                    .any(|f| f.to_string_lossy().contains("-part"))
                {
                    "one per order; large orders in parts"
                } else {
                    "one per order"
                },
                first
                    .parent()
                    .map_or_else(String::new, |p| printable(&p.display().to_string()))
            ),
        }
    }

    fn quiet(&self) -> String {
        self.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Serialize)]
struct QrFiles {
    count: usize,
    files: Vec<PathBuf>,
}

impl Render for QrFiles {
    fn human(&self, _style: &Style) -> String {
        match self.files.as_slice() {
            [one] => format!(
                "QR code written to {}",
                printable(&one.display().to_string())
            ),
            [] => "No valid tickets: no QR codes written.".into(),
            [first, ..] => format!(
                "{} QR codes written to {}",
                self.count,
                first
                    .parent()
                    .map_or_else(String::new, |p| printable(&p.display().to_string()))
            ),
        }
    }

    fn quiet(&self) -> String {
        self.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn status_text(t: &Ticket) -> String {
    if t.awaiting_approval() {
        "valid (awaiting approval)".into()
    } else {
        t.status.to_string()
    }
}

fn status_cell(style: &Style, t: &Ticket) -> Cell {
    let color = match t.status {
        _ if t.awaiting_approval() => Color::Yellow,
        TicketStatus::Valid => Color::Green,
        TicketStatus::Used => Color::DarkGrey,
        TicketStatus::Cancelled | TicketStatus::Refunded => Color::Red,
    };
    style.cell(status_text(t), color)
}

impl Render for Ticket {
    fn human(&self, style: &Style) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let text = fields(
            style,
            Some(format!("Ticket {} ({})", self.id, self.uuid)),
            vec![
                ("Event", format!("{} ({})", self.event_title, self.event_id)),
                ("Tier", format!("{} ({})", self.tier_name, self.tier_id)),
                ("Order", self.order_id.to_string()),
                ("Owner", self.owner_email.clone()),
                ("Attendee", opt(&self.attendee_name)),
                ("Attendee email", opt(&self.attendee_email)),
                ("Attendee phone", opt(&self.attendee_phone)),
                ("Status", status_text(self)),
                (
                    "Checked in",
                    self.checked_in_at
                        .map_or("-".into(), |t| self.zone.human_seconds(t)),
                ),
                ("Issued", self.zone.human(self.created_at)),
            ],
        );
        // The code on a line of its own, never wrapped: copied from the screen, it is
        // the code (the QR payload in JSON).
        if self.qr_payload.is_empty() {
            text
        } else {
            format!("{text}\nCode (qr_payload):\n{}", self.qr_payload)
        }
    }

    fn quiet(&self) -> String {
        self.uuid.clone()
    }
}

impl ListRow for Ticket {
    const HEADERS: &'static [&'static str] =
        &["ID", "UUID", "Event", "Tier", "Owner", "Attendee", "Status"];
    const EMPTY: &'static str = "No tickets.";
    const DROP: &'static [&'static str] = &["Event", "Attendee", "Tier"];
    const WRAP: &'static [&'static str] = &["Event", "Tier", "Attendee", "Status"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(self.id),
            Cell::new(&self.uuid),
            Cell::new(&self.event_title),
            Cell::new(&self.tier_name),
            Cell::new(&self.owner_email),
            Cell::new(self.attendee_name.as_deref().unwrap_or("-")),
            status_cell(style, self),
        ]
    }

    fn key(&self) -> String {
        self.uuid.clone()
    }
}
