//! `tix export …`: an event's records as CSV for spreadsheets or JSON lines for
//! programs, streamed to stdout or written atomically to a file.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::Ctx;
use tix::error::Error;
use tix::files;
use tix::money::Currency;
use tix::ops::exports::{self, Field, Kind};
use tix::time::{Zone, rfc3339};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, with a header row; times in the event's zone with their offset
    Csv,
    /// JSON lines: one object per row, times in UTC (RFC 3339), money as decimal strings
    Json,
}

/// What every export takes.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The event's id
    event_id: i64,
    /// csv or json (JSON lines) [default: from --out's extension, else json with --json, else csv]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to this file instead of standard output (atomically: all or nothing)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace --out if it exists
    #[arg(long, requires = "out")]
    force: bool,
}

/// `tix export` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// The door list: every valid or used ticket with its attendee and holder (the event's promoter, an admin, or its staff)
    #[command(
        after_help = "Example:\n  tix export attendees 1 --out door-list.csv\n  tix export attendees 1 --format json | jq -r .attendee_name"
    )]
    Attendees(ExportArgs),
    /// Every order with its buyer, money and payment references (the event's promoter or an admin)
    #[command(after_help = "Example:\n  tix export orders 1 --out orders.csv")]
    Orders(ExportArgs),
    /// Every scan, online and merged from gate files: result, reason, gate, device, manual admissions and merge conflicts
    #[command(after_help = "Example:\n  tix export checkins 1 --out scans.csv")]
    Checkins(ExportArgs),
    /// The event's audit log (the event's promoter or an admin)
    #[command(after_help = "Example:\n  tix export audit 1 --format json --out audit.jsonl")]
    Audit(ExportArgs),
}

/// Runs a `tix export` subcommand.
pub fn run(ctx: &Ctx, cmd: ExportCmd) -> anyhow::Result<()> {
    let (kind, args) = match cmd {
        ExportCmd::Attendees(a) => (Kind::Attendees, a),
        ExportCmd::Orders(a) => (Kind::Orders, a),
        ExportCmd::Checkins(a) => (Kind::Checkins, a),
        ExportCmd::Audit(a) => (Kind::Audit, a),
    };
    // --format decides; else the --out file's extension; else --json asks for JSON lines.
    let by_extension = args.out.as_deref().map(|p| {
        match p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if matches!(e.as_str(), "json" | "jsonl" | "ndjson") => Format::Json,
            _ => Format::Csv,
        }
    });
    let format =
        args.format
            .or(by_extension)
            .unwrap_or(if ctx.json { Format::Json } else { Format::Csv });
    let (store, actor) = ctx.session()?;
    let job = Job {
        store: &store,
        actor: &actor,
        kind,
        event_id: args.event_id,
        format,
    };
    let Some(out) = &args.out else {
        job.stream(std::io::stdout().lock())?;
        return Ok(());
    };
    files::check_output(out, &store.protected_paths(), args.force)?;
    let tmp = files::temp_path(out);
    let written = (|| -> anyhow::Result<u64> {
        let file = File::create(&tmp).map_err(io("create", out))?;
        let (rows, file) = job.stream(file)?;
        file.into_inner()
            .map_err(|e| io("write", out)(e.into_error()))?
            .sync_all()
            .map_err(io("write", out))?;
        files::commit_temp(&tmp, out)?;
        Ok(rows)
    })();
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    report(ctx, kind, args.event_id, format, rows, out)
}

/// One export to run: what, of which event, in which format.
struct Job<'a> {
    store: &'a tix::Store,
    actor: &'a tix::Actor,
    kind: Kind,
    event_id: i64,
    format: Format,
}

impl Job<'_> {
    /// Writes the export's rows to `w`, buffered; returns the count and the writer.
    fn stream<W: Write>(&self, w: W) -> tix::Result<(u64, BufWriter<W>)> {
        let sink = RefCell::new(Sink::new(
            BufWriter::with_capacity(1 << 16, w),
            self.format,
            self.kind,
        ));
        let rows = exports::export(
            self.store,
            self.actor,
            self.kind,
            self.event_id,
            |e| sink.borrow_mut().start(e.timezone, e.currency),
            |row| sink.borrow_mut().row(row),
        )?;
        Ok((rows, sink.into_inner().finish()?))
    }
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// What an export to a file says when done.
fn report(
    ctx: &Ctx,
    kind: Kind,
    event_id: i64,
    format: Format,
    rows: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let format = match format {
        Format::Csv => "csv",
        Format::Json => "json",
    };
    if ctx.json {
        let v = serde_json::json!({
            "export": kind.as_str(),
            "event_id": event_id,
            "format": format,
            "rows": rows,
            "path": out.display().to_string(),
        });
        serde_json::to_writer_pretty(&mut stdout, &v)?;
        writeln!(stdout)?;
    } else if ctx.quiet {
        writeln!(stdout, "{}", out.display())?;
    } else {
        let noun = if rows == 1 { "row" } else { "rows" };
        writeln!(
            stdout,
            "Wrote {rows} {noun} ({} of event {event_id}) to {} as {format}.",
            kind.as_str(),
            out.display()
        )?;
    }
    Ok(())
}

/// Where rows go, in one format.
struct Sink<W: Write> {
    format: Format,
    kind: Kind,
    zone: Zone,
    currency: Currency,
    csv: Option<csv::Writer<W>>,
    json: Option<W>,
}

fn stdout_error(e: impl Into<std::io::Error>) -> tix::Error {
    Error::Io {
        action: "write",
        path: "the export".into(),
        source: e.into(),
    }
}

impl<W: Write> Sink<W> {
    fn new(w: W, format: Format, kind: Kind) -> Sink<W> {
        let (csv, json) = match format {
            Format::Csv => (
                Some(
                    csv::WriterBuilder::new()
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(w),
                ),
                None,
            ),
            Format::Json => (None, Some(w)),
        };
        Sink {
            format,
            kind,
            zone: Zone::UTC,
            currency: Currency::EUR,
            csv,
            json,
        }
    }

    fn start(&mut self, zone: Zone, currency: Currency) -> tix::Result<()> {
        self.zone = zone;
        self.currency = currency;
        if let Some(w) = &mut self.csv {
            w.write_record(self.kind.headers()).map_err(csv_error)?;
        }
        Ok(())
    }

    fn row(&mut self, fields: &[Field]) -> tix::Result<()> {
        match self.format {
            Format::Csv => {
                if let Some(w) = &mut self.csv {
                    let (zone, cur) = (self.zone, self.currency);
                    w.write_record(fields.iter().map(|f| f.csv_cell(zone, cur).into_owned()))
                        .map_err(csv_error)?;
                }
            }
            Format::Json => {
                if let Some(w) = &mut self.json {
                    json_line(w, self.kind.headers(), fields, self.currency)
                        .map_err(stdout_error)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> tix::Result<W> {
        match (self.csv, self.json) {
            (Some(w), _) => {
                let mut w = w.into_inner().map_err(|e| stdout_error(e.into_error()))?;
                w.flush().map_err(stdout_error)?;
                Ok(w)
            }
            (None, Some(mut w)) => {
                w.flush().map_err(stdout_error)?;
                Ok(w)
            }
            (None, None) => Err(Error::Usage("no export format".into())),
        }
    }
}

fn csv_error(e: csv::Error) -> tix::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => stdout_error(io),
        other => Error::Usage(format!("could not write CSV: {other:?}")),
    }
}

/// One JSON object on one line: times in UTC, money as exact decimal strings.
fn json_line(
    w: &mut impl Write,
    headers: &[&str],
    fields: &[Field],
    currency: Currency,
) -> std::io::Result<()> {
    w.write_all(b"{")?;
    for (i, (key, field)) in headers.iter().zip(fields).enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write!(w, "\"{key}\":")?;
        match field {
            Field::Null => w.write_all(b"null")?,
            Field::Text(t) => serde_json::to_writer(&mut *w, t)?,
            Field::Int(n) => write!(w, "{n}")?,
            Field::Bool(b) => write!(w, "{b}")?,
            Field::Time(ts) => write!(w, "\"{}\"", rfc3339(*ts))?,
            Field::Money(m) => write!(w, "\"{}\"", currency.format_amount(*m))?,
        }
    }
    w.write_all(b"}\n")
}
