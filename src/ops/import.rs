//! Bulk tier set-up from a JSON or CSV file: parsing with row-precise errors, then
//! creating or updating every tier in one transaction, all or nothing.
//!
//! A tier is matched by name within the event: an existing name is updated (only the
//! columns given), a new one created, so re-running a set-up script is safe.

use serde::Serialize;
use serde_json::Value;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Result, Rule};
use crate::ops::events;
use crate::ops::tiers::{self, Tier, TierFields};
use crate::store::{Store, Tx};

/// The columns (CSV) or keys (JSON) an import understands.
pub const COLUMNS: &[&str] = &[
    "name",
    "price",
    "quantity",
    "description",
    "min_purchase",
    "max_purchase",
    "sale_start",
    "sale_end",
    "requires_approval",
    "transferable",
    "is_active",
    "position",
];

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of objects (or an object with a `tiers` array).
    Json,
    /// CSV with a header row (RFC 4180).
    Csv,
}

impl Format {
    /// Picks the format from a file name's extension, else from the first character of
    /// the content (`[` or `{` means JSON).
    pub fn detect(file_name: &str, content: &[u8]) -> Format {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Format::Json;
        }
        if lower.ends_with(".csv") {
            return Format::Csv;
        }
        let first = strip_bom(content).iter().find(|b| !b.is_ascii_whitespace());
        match first {
            Some(b'[') | Some(b'{') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// One tier's worth of fields from the file, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where in the file, for messages: `row 3 (line 4)` or `item 3`.
    pub label: String,
    /// The fields given; `name` is always present.
    pub fields: TierFields,
    /// What could not be read of the row, as (field, what is wrong) for each bad field:
    /// the import reports them with every other bad row's, and writes nothing.
    pub problems: Vec<(String, String)>,
}

/// A problem of a row as it is kept: the field and what is wrong with it.
fn problem(e: Error) -> (String, String) {
    match e {
        Error::InRow { source, .. } => match *source {
            Error::Invalid { field, reason } => (field, reason),
            other => ("row".to_string(), other.to_string()),
        },
        Error::Invalid { field, reason } => (field, reason),
        other => ("row".to_string(), other.to_string()),
    }
}

fn strip_bom(content: &[u8]) -> &[u8] {
    content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content)
}

/// The most problem rows an import lists before saying how many more there are.
pub const MAX_ROW_ERRORS: usize = 20;

/// Collects the problems of rows, to report them all at once.
#[derive(Default)]
struct RowErrors {
    errors: Vec<Error>,
    more: usize,
}

impl RowErrors {
    /// Keeps a row's problem if it is one of the row's own (a bad value, a broken rule);
    /// anything else (the database failing) ends the import at once.
    fn push(&mut self, e: Error) -> Result<()> {
        let own = matches!(&e, Error::InRow { source, .. }
            if matches!(**source, Error::Invalid { .. } | Error::Rule(_) | Error::Rules(_)));
        if !own {
            return Err(e);
        }
        if self.errors.len() < MAX_ROW_ERRORS {
            self.errors.push(e);
        } else {
            self.more += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        match self.errors.len() {
            0 => Ok(()),
            1 if self.more == 0 => Err(self.errors.remove(0)),
            _ => Err(Error::InRows(self.errors, self.more)),
        }
    }
}

fn in_row(label: &str, e: Error) -> Error {
    Error::InRow {
        row: label.to_string(),
        source: Box::new(e),
    }
}

/// Maps a header cell or JSON key to its column name, tolerating case, `-` and spaces.
fn column(key: &str) -> Option<&'static str> {
    let k = key.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let k = if k == "active" {
        "is_active".to_string()
    } else {
        k
    };
    COLUMNS.iter().copied().find(|c| *c == k)
}

fn unknown_column(key: &str) -> Error {
    Error::invalid(
        "column",
        format!(
            "'{key}' is not a tier field; the fields are {}",
            COLUMNS.join(", ")
        ),
    )
}

fn parse_bool(field: &str, s: &str) -> Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(Error::invalid(
            field,
            format!("'{s}' is not true or false (also yes/no, 1/0)"),
        )),
    }
}

fn parse_int(field: &str, s: &str) -> Result<i64> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| Error::invalid(field, format!("'{s}' is not a whole number")))
}

/// Sets one field from its text; empty text means "not given".
fn set_text(f: &mut TierFields, col: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let t = Some(text.to_string());
    match col {
        "name" => f.name = t,
        "price" => f.price = t,
        "description" => f.description = t,
        "sale_start" => f.sale_start = t,
        "sale_end" => f.sale_end = t,
        "quantity" => f.quantity = Some(parse_int(col, text)?),
        "min_purchase" => f.min_purchase = Some(parse_int(col, text)?),
        "max_purchase" => f.max_purchase = Some(parse_int(col, text)?),
        "position" => f.position = Some(parse_int(col, text)?),
        "requires_approval" => f.requires_approval = Some(parse_bool(col, text)?),
        "transferable" => f.transferable = Some(parse_bool(col, text)?),
        "is_active" => f.is_active = Some(parse_bool(col, text)?),
        _ => return Err(unknown_column(col)),
    }
    Ok(())
}

/// A parsed row with every problem found in its cells, and the missing name if it has
/// none (CSV and JSON alike).
fn finish_row(label: String, fields: TierFields, mut problems: Vec<(String, String)>) -> Row {
    if let Err(e) = require_name(&label, &fields) {
        problems.push(problem(e));
    }
    Row {
        label,
        fields,
        problems,
    }
}

fn require_name(label: &str, f: &TierFields) -> Result<()> {
    if f.name.is_none() {
        return Err(in_row(
            label,
            Error::invalid(
                "name",
                "every row needs a name: it says which tier to create or update",
            ),
        ));
    }
    Ok(())
}

/// Parses an import file into rows, failing at the first bad row with its number and field.
pub fn parse(content: &[u8], format: Format) -> Result<Vec<Row>> {
    let content = strip_bom(content);
    let rows = match format {
        Format::Csv => parse_csv(content)?,
        Format::Json => parse_json(content)?,
    };
    if rows.is_empty() {
        return Err(Error::invalid("file", "the file holds no tiers"));
    }
    Ok(rows)
}

fn parse_csv(content: &[u8]) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(content);
    let csv_err = |e: csv::Error| {
        let at = e
            .position()
            .map(|p| format!(" at line {}", p.line()))
            .unwrap_or_default();
        Error::invalid("file", format!("the CSV cannot be read{at}: {e}"))
    };
    let headers = reader.headers().map_err(csv_err)?.clone();
    let mut cols = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        let c = column(h).ok_or_else(|| in_row("header (line 1)", unknown_column(h)))?;
        if cols.contains(&c) {
            return Err(in_row(
                "header (line 1)",
                Error::invalid("column", format!("'{c}' appears twice")),
            ));
        }
        cols.push(c);
    }
    if !cols.contains(&"name") {
        return Err(in_row(
            "header (line 1)",
            Error::invalid("column", "the header needs a name column"),
        ));
    }
    let mut rows = Vec::new();
    // csv counts lines without the newlines inside quoted cells; count them ourselves so
    // a message points at the line an editor shows.
    let (mut seen_byte, mut seen_lines) = (0usize, 1usize);
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(csv_err)?;
        // The position may point at the line break before the record (CRLF files).
        let mut byte = record
            .position()
            .map_or(seen_byte, |p| p.byte() as usize)
            .min(content.len());
        while byte < content.len() && matches!(content[byte], b'\r' | b'\n') {
            byte += 1;
        }
        seen_lines += content[seen_byte.min(byte)..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        seen_byte = byte;
        let line = seen_lines;
        let label = format!("row {} (line {line})", i + 1);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut fields = TierFields::default();
        let mut problems = Vec::new();
        for (col, cell) in cols.iter().zip(record.iter()) {
            if let Err(e) = set_text(&mut fields, col, cell) {
                problems.push(problem(e));
            }
        }
        rows.push(finish_row(label, fields, problems));
    }
    Ok(rows)
}

fn parse_json(content: &[u8]) -> Result<Vec<Row>> {
    let doc: Value = serde_json::from_slice(content).map_err(|e| {
        Error::invalid(
            "file",
            format!(
                "the JSON cannot be read at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let items = match doc {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("tiers") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(Error::invalid(
                    "file",
                    "the JSON must be an array of tiers, or an object with a \"tiers\" array",
                ));
            }
        },
        _ => {
            return Err(Error::invalid(
                "file",
                "the JSON must be an array of tier objects",
            ));
        }
    };
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let label = format!("item {}", i + 1);
        let Value::Object(obj) = item else {
            return Err(in_row(
                &label,
                Error::invalid("file", "each item must be a JSON object"),
            ));
        };
        let mut fields = TierFields::default();
        let mut problems = Vec::new();
        for (key, value) in obj {
            let col = column(&key).ok_or_else(|| in_row(&label, unknown_column(&key)))?;
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                Value::Number(n) => {
                    let hint = if col == "price" {
                        format!("write it as a string, \"{n}\", so it stays exact")
                    } else {
                        "give a whole number".to_string()
                    };
                    problems.push((
                        col.to_string(),
                        format!("{n} is a fractional JSON number; {hint}"),
                    ));
                    continue;
                }
                Value::Array(_) | Value::Object(_) => {
                    problems.push((
                        col.to_string(),
                        "must be a string, number or boolean".to_string(),
                    ));
                    continue;
                }
            };
            if let Err(e) = set_text(&mut fields, col, &text) {
                problems.push(problem(e));
            }
        }
        rows.push(finish_row(label, fields, problems));
    }
    Ok(rows)
}

/// What an import did (or, in a dry run, would do) to one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportAction {
    /// A new tier.
    Create,
    /// An existing tier of that name, changed.
    Update,
    /// An existing tier of that name that already matched.
    Unchanged,
}

/// One row's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedTier {
    /// Where in the file.
    pub row: String,
    /// What happened.
    pub action: ImportAction,
    /// The tier as it is (or would be) after the import.
    pub tier: Tier,
}

/// The outcome of a whole import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The event the tiers belong to.
    pub event_id: i64,
    /// True if nothing was written.
    pub dry_run: bool,
    /// How many tiers were created.
    pub created: usize,
    /// How many were changed.
    pub updated: usize,
    /// How many already matched.
    pub unchanged: usize,
    /// Each row's outcome, in file order.
    pub tiers: Vec<ImportedTier>,
}

/// Creates or updates an event's tiers from parsed rows, all in one transaction: if any
/// row fails, nothing is kept. With `dry_run`, every check runs and nothing is kept either.
pub fn import(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    rows: &[Row],
    dry_run: bool,
) -> Result<ImportReport> {
    let work = |tx: &Tx<'_>| -> Result<ImportReport> {
        let event = events::get(tx, event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        let existing = tiers::by_name(tx, event.id)?;
        let mut next_position = existing.values().map(|t| t.position).max().unwrap_or(0) + 1;
        // Folded name → the row that used it first: one lookup per row, so a file of any
        // size imports in linear time.
        let mut seen: std::collections::HashMap<String, &str> =
            std::collections::HashMap::with_capacity(rows.len());
        let mut report = ImportReport {
            event_id,
            dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            tiers: Vec::with_capacity(rows.len()),
        };
        let mut bad = RowErrors::default();
        for row in rows {
            if !row.problems.is_empty() {
                for (field, reason) in &row.problems {
                    bad.push(in_row(
                        &row.label,
                        Error::invalid(field.clone(), reason.clone()),
                    ))?;
                }
                continue;
            }
            let name = row.fields.name.as_deref().unwrap_or_default();
            let key = crate::store::fold(name);
            if let Some(first) = seen.get(&key) {
                bad.push(in_row(
                    &row.label,
                    Rule::NameRepeatedInFile {
                        name: name.trim().to_string(),
                        first: first.to_string(),
                    }
                    .into(),
                ))?;
                continue;
            }
            let existing = existing.get(&key).cloned();
            seen.insert(key, &row.label);
            let (action, tier) = match existing {
                Some(old) => {
                    let (tier, changed) =
                        match tiers::update_in(tx, actor, &event, &old, &row.fields) {
                            Ok(done) => done,
                            Err(e) => {
                                bad.push(in_row(&row.label, e))?;
                                continue;
                            }
                        };
                    next_position = next_position.max(tier.position + 1);
                    if changed {
                        let details = Changed {
                            old: Some(&old),
                            new: &tier,
                            import: &row.label,
                        };
                        tiers::record(tx, actor, "tier.update", &tier, details)?;
                        report.updated += 1;
                        (ImportAction::Update, tier)
                    } else {
                        report.unchanged += 1;
                        (ImportAction::Unchanged, tier)
                    }
                }
                None => {
                    // Appended after every tier so far, counted here rather than asked of
                    // the database once per row.
                    let mut fields = row.fields.clone();
                    fields.position = fields
                        .position
                        .or((next_position <= tiers::MAX_POSITION).then_some(next_position));
                    let tier = match tiers::create_in(tx, &event, &fields) {
                        Ok(tier) => tier,
                        Err(e) => {
                            bad.push(in_row(&row.label, e))?;
                            continue;
                        }
                    };
                    next_position = next_position.max(tier.position + 1);
                    let details = Changed {
                        old: None,
                        new: &tier,
                        import: &row.label,
                    };
                    tiers::record(tx, actor, "tier.create", &tier, details)?;
                    report.created += 1;
                    (ImportAction::Create, tier)
                }
            };
            report.tiers.push(ImportedTier {
                row: row.label.clone(),
                action,
                tier,
            });
        }
        bad.finish()?;
        Ok(report)
    };
    if dry_run {
        store.dry_run(work)
    } else {
        store.write(work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_crlf_and_quotes() {
        let data = "\u{feff}Name,Price,Quantity,Description,Max-Purchase\r\n\"VIP, \"\"Gold\"\"\",199.99,100,\"line one\nline two\",4\r\nGA,50,1000,,\r\n";
        let rows = parse(data.as_bytes(), Format::Csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields.name.as_deref(), Some("VIP, \"Gold\""));
        assert_eq!(
            rows[0].fields.description.as_deref(),
            Some("line one\nline two")
        );
        assert_eq!(rows[0].fields.max_purchase, Some(4));
        assert_eq!(rows[1].fields.description, None);
        assert_eq!(rows[1].label, "row 2 (line 4)");
    }

    #[test]
    fn csv_errors_name_row_and_field() {
        // A bad value is kept with its row, to be reported with every other.
        let rows = parse(b"name,price,quantity\nA,1,x\n", Format::Csv).unwrap();
        assert_eq!(rows[0].label, "row 1 (line 2)");
        assert_eq!(rows[0].problems.len(), 1);
        assert_eq!(rows[0].problems[0].0, "quantity");
        let e = parse(b"name,prize\nA,1\n", Format::Csv)
            .unwrap_err()
            .to_string();
        assert!(e.contains("prize"), "{e}");
        let e = parse(b"price\n1\n", Format::Csv).unwrap_err().to_string();
        assert!(e.contains("name column"), "{e}");
        let e = parse(b"name,price\nA,1,3\n", Format::Csv)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(parse(b"name,price\n", Format::Csv).is_err());
    }

    #[test]
    fn json_refuses_float_prices_and_unknown_keys() {
        let rows = parse(
            br#"[{"name":"A","price":"19.99","quantity":10,"requires_approval":true}]"#,
            Format::Json,
        )
        .unwrap();
        assert_eq!(rows[0].fields.price.as_deref(), Some("19.99"));
        assert_eq!(rows[0].fields.requires_approval, Some(true));
        let rows = parse(br#"[{"name":"A","price":19.99}]"#, Format::Json).unwrap();
        assert_eq!(rows[0].label, "item 1");
        assert!(
            rows[0].problems[0].1.contains("\"19.99\""),
            "{:?}",
            rows[0].problems
        );
        let e = parse(br#"[{"name":"A","colour":"red"}]"#, Format::Json)
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        let rows = parse(br#"{"tiers":[{"name":"B","price":5}]}"#, Format::Json).unwrap();
        assert_eq!(rows[0].fields.price.as_deref(), Some("5"));
    }

    proptest::proptest! {
        /// Whatever bytes a file holds, parsing answers rows or an error; it never panics,
        /// and every row it returns has a name or says why not.
        #[test]
        fn parsing_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            for format in [Format::Csv, Format::Json] {
                if let Ok(rows) = parse(&bytes, format) {
                    proptest::prop_assert!(rows.iter().all(|r| r.fields.name.is_some() || !r.problems.is_empty()));
                }
            }
        }

        /// CSV-shaped text with the real header and random cells.
        #[test]
        fn csv_rows_with_random_cells_never_panic(cells in proptest::collection::vec("[A-Za-z0-9 .,\"\r\n:-]{0,12}", 0..24)) {
            let mut text = String::from("name,price,quantity,min_purchase,sale_start,requires_approval\n");
            for chunk in cells.chunks(6) {
                text.push_str(&chunk.join(","));
                text.push('\n');
            }
            let _ = parse(text.as_bytes(), Format::Csv);
        }
    }

    #[test]
    fn detects_format() {
        assert_eq!(Format::detect("x.JSON", b""), Format::Json);
        assert_eq!(Format::detect("-", b"  ["), Format::Json);
        assert_eq!(Format::detect("-", b"name,price"), Format::Csv);
    }
}

/// An imported row's audit entry: the tier before (an update) and after, and which row.
#[derive(serde::Serialize)]
struct Changed<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<&'a tiers::Tier>,
    new: &'a tiers::Tier,
    import: &'a str,
}
