//! `tix validate`, `tix checkin …` and `tix scanner …`: the gate, online and offline.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde::Deserialize;
use serde_json::Value;

use crate::common::*;
use crate::order::{OrderJson, TicketJson, buy, on_sale, on_sale_with, order};

/// The contract's `validate` JSON fields, exactly.
const VERDICT_KEYS: &[&str] = &[
    "valid",
    "reason",
    "message",
    "ticket_id",
    "ticket_uuid",
    "attendee_name",
    "tier_name",
    "event_title",
    "checked_in_at",
];

/// The contract's `validate` JSON; unknown fields fail the parse.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct Verdict {
    pub valid: bool,
    pub reason: String,
    pub message: String,
    pub ticket_id: Option<i64>,
    pub ticket_uuid: Option<String>,
    pub attendee_name: Option<String>,
    pub tier_name: Option<String>,
    pub event_title: Option<String>,
    pub checked_in_at: Option<String>,
}

/// Parses one verdict object, checking it has exactly the contract's keys.
#[track_caller]
pub(crate) fn verdict_of(v: &Value) -> Verdict {
    assert_keys(v, VERDICT_KEYS);
    let verdict: Verdict = serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("bad verdict JSON ({e}): {v:#}"));
    assert_eq!(
        verdict.valid,
        verdict.reason == "ok",
        "valid goes with reason ok: {v:#}"
    );
    if let Some(at) = &verdict.checked_in_at {
        assert_utc(&Value::from(at.clone()));
    }
    verdict
}

#[track_caller]
pub(crate) fn verdict(out: &Out) -> Verdict {
    verdict_of(&out.json())
}

/// `tix --as WHO validate --json ARGS`, at the gate of event 1 (the fixtures' event)
/// unless ARGS name another: on the main database a gate always names its event.
pub(crate) fn validate(t: &Tix, who: &str, args: &[&str]) -> Out {
    let mut a = vec!["validate", "--json"];
    a.extend_from_slice(args);
    if !args.contains(&"--event") {
        a.extend_from_slice(&["--event", "1"]);
    }
    t.as_(who, &a)
}

/// Validates as `who`, expecting acceptance.
#[track_caller]
pub(crate) fn admit(t: &Tix, who: &str, args: &[&str]) -> Verdict {
    let v = verdict(&validate(t, who, args).code(0));
    assert!(v.valid, "{v:?}");
    assert_eq!(v.reason, "ok");
    assert!(v.checked_in_at.is_some(), "{v:?}");
    v
}

/// Validates as the promoter, expecting exit 6 with `reason`.
#[track_caller]
pub(crate) fn refused(t: &Tix, args: &[&str], reason: &str) -> Verdict {
    let v = verdict(&validate(t, PROMOTER, args).code(6));
    assert!(!v.valid, "{v:?}");
    assert_eq!(v.reason, reason, "{v:?}");
    v
}

/// `ticket show` as the admin.
pub(crate) fn show(t: &Tix, ticket: &str) -> TicketJson {
    let out = t.admin(&["ticket", "show", ticket, "--json"]).ok();
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("bad ticket JSON ({e}): {}", out.stdout))
}

pub(crate) fn status(t: &Tix, ticket: &TicketJson) -> String {
    show(t, &ticket.uuid).status
}

/// A published event with a tier "GA" of 10 seats, up to 10 per order.
pub(crate) fn big_sale() -> (Tix, i64, i64) {
    on_sale_with(&["--max-purchase", "10"])
}

pub(crate) fn buy_tickets(t: &Tix, tier: i64, n: i64) -> OrderJson {
    order(&buy(t, BUYER, tier, n).ok())
}

/// A second published event of PROMOTER with one tier; returns (event, tier).
pub(crate) fn second_event(t: &Tix, title: &str) -> (i64, i64) {
    let event = t.event(PROMOTER, title);
    let tier = t.tier_id(event, "Floor", &[]);
    t.publish(event);
    (event, tier)
}

pub(crate) fn add_user(t: &Tix, email: &str, role: &str) {
    t.admin(&["user", "add", email, "--name", "Someone", "--role", role])
        .ok();
}

/// The same code with one character of its signature changed.
pub(crate) fn altered(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let i = chars.len() - 10;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn epoch(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

// ---------------------------------------------------------------------------------------
// validate: the answer
// ---------------------------------------------------------------------------------------

#[test]
fn an_accepted_ticket_is_used_from_then_on() {
    let (t, _, tier) = on_sale();
    let o = buy_tickets(&t, tier, 2);
    let tk = &o.tickets[0];
    t.as_(
        BUYER,
        &["ticket", "attendee", &tk.uuid, "--name", "Ann Attendee"],
    )
    .ok();
    let before = chrono::Utc::now().timestamp();
    let out = validate(&t, PROMOTER, &[&tk.qr_payload, "--gate", "north"]).ok();
    let after = chrono::Utc::now().timestamp();
    let v = verdict(&out);
    assert!(v.valid);
    assert_eq!(v.reason, "ok");
    assert!(!v.message.is_empty());
    assert_eq!(v.ticket_id, Some(tk.id));
    assert_eq!(v.ticket_uuid.as_deref(), Some(tk.uuid.as_str()));
    assert_eq!(v.attendee_name.as_deref(), Some("Ann Attendee"));
    assert_eq!(v.tier_name.as_deref(), Some("GA"));
    assert_eq!(v.event_title.as_deref(), Some("Summer Festival"));
    let at = v
        .checked_in_at
        .clone()
        .expect("checked_in_at when accepted");
    assert!(
        (before..=after).contains(&epoch(&at)),
        "{at} not between {before} and {after}"
    );
    let shown = show(&t, &tk.uuid);
    assert_eq!(shown.status, "used");
    assert_eq!(shown.checked_in_at.as_deref(), Some(at.as_str()));
    // The other ticket of the order is untouched.
    let other = show(&t, &o.tickets[1].uuid);
    assert_eq!(other.status, "valid");
    assert_eq!(other.checked_in_at, None);
    // Human output says so in words.
    t.as_(
        PROMOTER,
        &["validate", &o.tickets[1].qr_payload, "--event", "1"],
    )
    .ok()
    .out_has("ACCEPTED");
    t.as_(
        PROMOTER,
        &["validate", &o.tickets[1].qr_payload, "--event", "1"],
    )
    .code(6)
    .out_has("REJECTED");
}

#[test]
fn unknown_and_forged_codes_are_refused() {
    let (t, event, tier) = on_sale();
    let o = buy_tickets(&t, tier, 1);
    let tk = &o.tickets[0];
    let v = refused(&t, &["garbage"], "unknown_ticket");
    assert_eq!(v.ticket_id, None);
    assert_eq!(v.ticket_uuid, None);
    assert_eq!(v.checked_in_at, None);
    refused(
        &t,
        &["garbage", "--event", &event.to_string()],
        "unknown_ticket",
    );
    let random = uuid::Uuid::new_v4().hyphenated().to_string();
    refused(&t, &[&random], "unknown_ticket");
    // One character changed.
    let forged = altered(&tk.qr_payload);
    assert_ne!(forged, tk.qr_payload);
    let v = refused(&t, &[&forged], "invalid_signature");
    assert_eq!(v.ticket_id, None, "a forged code names no ticket: {v:?}");
    // A real code of another database whose event and ticket have the same ids.
    let (other, other_event, other_tier) = on_sale();
    assert_eq!(other_event, event, "the event ids must collide");
    let foreign = buy_tickets(&other, other_tier, 1);
    assert_eq!(foreign.tickets[0].id, tk.id, "the ticket ids collide too");
    refused(&t, &[&foreign.tickets[0].qr_payload], "invalid_signature");
    refused(
        &t,
        &[
            &foreign.tickets[0].qr_payload,
            "--event",
            &event.to_string(),
        ],
        "invalid_signature",
    );
    // None of that admitted the real ticket.
    assert_eq!(status(&t, tk), "valid");
    admit(&t, PROMOTER, &[&tk.qr_payload]);
}

#[test]
fn a_ticket_for_another_event_is_refused_at_this_gate() {
    let (t, event, tier) = on_sale();
    let (winter, _) = second_event(&t, "Winter Gala");
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let v = refused(
        &t,
        &[&tk.qr_payload, "--event", &winter.to_string()],
        "wrong_event",
    );
    assert!(v.message.contains("Summer Festival"), "{}", v.message);
    assert_eq!(v.ticket_id, Some(tk.id));
    // Typed UUIDs too.
    refused(
        &t,
        &[&tk.uuid, "--event", &winter.to_string()],
        "wrong_event",
    );
    assert_eq!(status(&t, &tk), "valid");
    admit(
        &t,
        PROMOTER,
        &[&tk.qr_payload, "--event", &event.to_string()],
    );
    // An unknown gate event is not found.
    validate(&t, PROMOTER, &[&tk.qr_payload, "--event", "999"]).code(3);
}

#[test]
fn a_second_scan_says_when_and_where_it_was_first_admitted() {
    let (t, _, tier) = on_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let first = admit(&t, PROMOTER, &[&tk.qr_payload, "--gate", "North-3"]);
    let at = first.checked_in_at.unwrap();
    for gate in ["North-3", "South-1"] {
        let v = refused(&t, &[&tk.qr_payload, "--gate", gate], "already_checked_in");
        // In the event's own time zone, as the person at the gate reads clocks.
        let local = tix::Zone::parse("Europe/Berlin")
            .unwrap()
            .human_seconds(epoch(&at));
        assert!(v.message.contains(&local), "{} lacks {local}", v.message);
        assert!(v.message.contains("North-3"), "{}", v.message);
        assert_eq!(v.checked_in_at.as_deref(), Some(at.as_str()));
        assert_eq!(v.ticket_id, Some(tk.id));
    }
    // The second scan changed nothing.
    assert_eq!(
        show(&t, &tk.uuid).checked_in_at.as_deref(),
        Some(at.as_str())
    );
}

#[test]
fn cancelled_refunded_and_unapproved_tickets_are_refused() {
    let (t, event, tier) = on_sale();
    let cancelled = buy_tickets(&t, tier, 1);
    let refunded = buy_tickets(&t, tier, 1);
    t.as_(
        PROMOTER,
        &["order", "cancel", &cancelled.id.to_string(), "--yes"],
    )
    .ok();
    t.as_(
        PROMOTER,
        &["order", "refund", &refunded.id.to_string(), "--yes"],
    )
    .ok();
    refused(&t, &[&cancelled.tickets[0].qr_payload], "cancelled");
    refused(&t, &[&cancelled.tickets[0].uuid], "cancelled");
    refused(&t, &[&refunded.tickets[0].qr_payload], "refunded");
    refused(&t, &[&refunded.tickets[0].uuid], "refunded");
    assert_eq!(status(&t, &cancelled.tickets[0]), "cancelled");
    assert_eq!(status(&t, &refunded.tickets[0]), "refunded");

    let vip = t.tier_id(event, "VIP", &["--requires-approval"]);
    let pending = buy_tickets(&t, vip, 1);
    assert_eq!(pending.status, "pending_approval");
    refused(&t, &[&pending.tickets[0].qr_payload], "not_approved");
    refused(&t, &[&pending.tickets[0].uuid], "not_approved");
    t.as_(PROMOTER, &["order", "approve", &pending.id.to_string()])
        .ok();
    admit(&t, PROMOTER, &[&pending.tickets[0].qr_payload]);
}

#[test]
fn a_transfer_revokes_the_old_code_and_the_new_one_works() {
    let (t, _, tier) = on_sale();
    add_user(&t, "rita@example.com", "user");
    let before = buy_tickets(&t, tier, 1).tickets[0].clone();
    let out = t
        .as_(
            BUYER,
            &[
                "ticket",
                "transfer",
                &before.uuid,
                "--to",
                "rita@example.com",
                "--json",
            ],
        )
        .ok();
    let after: TicketJson = serde_json::from_str(&out.stdout).unwrap();
    assert_ne!(after.qr_payload, before.qr_payload);
    let v = refused(&t, &[&before.qr_payload], "revoked");
    assert_eq!(v.ticket_id, Some(before.id));
    assert_eq!(status(&t, &before), "valid");
    admit(&t, PROMOTER, &[&after.qr_payload]);
    // Once in, the old code is still dead, not "already checked in".
    refused(&t, &[&before.qr_payload], "revoked");
    refused(&t, &[&after.qr_payload], "already_checked_in");
}

#[test]
fn nobody_gets_in_once_the_event_is_cancelled() {
    let (t, _, tier) = on_sale();
    let o = buy_tickets(&t, tier, 2);
    admit(&t, PROMOTER, &[&o.tickets[0].qr_payload]);
    t.cancel(1);
    let v = refused(&t, &[&o.tickets[1].qr_payload], "event_not_open");
    assert!(v.message.contains("cancelled"), "{}", v.message);
    refused(&t, &[&o.tickets[1].uuid], "event_not_open");
    refused(&t, &[&o.tickets[0].qr_payload], "event_not_open");
}

#[test]
fn a_typed_uuid_works_like_the_code() {
    let (t, _, tier) = on_sale();
    let o = buy_tickets(&t, tier, 3);
    let v = admit(&t, PROMOTER, &[&o.tickets[0].uuid, "--gate", "box"]);
    assert_eq!(v.ticket_id, Some(o.tickets[0].id));
    assert_eq!(v.tier_name.as_deref(), Some("GA"));
    assert_eq!(status(&t, &o.tickets[0]), "used");
    // The code of a ticket admitted by UUID is spent, and the other way round.
    refused(&t, &[&o.tickets[0].qr_payload], "already_checked_in");
    admit(&t, PROMOTER, &[&o.tickets[1].qr_payload]);
    refused(&t, &[&o.tickets[1].uuid], "already_checked_in");
    // Staff type it in capitals, with stray blanks.
    let shouted = format!(" {} ", o.tickets[2].uuid.to_uppercase());
    let v = admit(&t, PROMOTER, &[&shouted]);
    assert_eq!(v.ticket_uuid.as_deref(), Some(o.tickets[2].uuid.as_str()));
}

// ---------------------------------------------------------------------------------------
// validate: who, dry runs, images, concurrency, the scan log
// ---------------------------------------------------------------------------------------

#[test]
fn who_may_validate() {
    let (t, event, tier) = on_sale();
    let ev = event.to_string();
    let (winter, _) = second_event(&t, "Winter Gala");
    t.add_staff_user();
    add_user(&t, "sid@example.com", "staff");
    t.as_(
        PROMOTER,
        &[
            "event",
            "staff",
            "add",
            &winter.to_string(),
            "sid@example.com",
        ],
    )
    .ok();
    let o = buy_tickets(&t, tier, 3);
    let code = &o.tickets[0].qr_payload;
    validate(&t, BUYER, &[code]).code(4);
    t.run(&["validate", code]).code(4).err_has("--as");
    t.run(&["validate", "garbage"]).code(4);
    validate(&t, OTHER_PROMOTER, &[code]).code(4);
    validate(&t, OTHER_PROMOTER, &[code, "--event", &ev]).code(4);
    validate(&t, STAFF, &[code]).code(4);
    // Staff of another event may not work this one.
    validate(&t, "sid@example.com", &[code]).code(4);
    validate(&t, "sid@example.com", &[code, "--event", &ev]).code(4);
    assert_eq!(status(&t, &o.tickets[0]), "valid", "no refusal admitted it");
    // Assigned staff may.
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    admit(&t, STAFF, &[code, "--event", &ev]);
    admit(&t, STAFF, &[&o.tickets[1].uuid]);
    admit(&t, ADMIN, &[&o.tickets[2].qr_payload]);
    // Removing the assignment takes the right away again.
    let more = buy_tickets(&t, tier, 1);
    t.as_(PROMOTER, &["event", "staff", "remove", &ev, STAFF])
        .ok();
    validate(&t, STAFF, &[&more.tickets[0].qr_payload]).code(4);
    assert_eq!(status(&t, &more.tickets[0]), "valid");
}

#[test]
fn dry_run_admits_nobody() {
    let (t, _, tier) = on_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    for _ in 0..2 {
        let v = verdict(&validate(&t, PROMOTER, &[&tk.qr_payload, "--dry-run"]).code(0));
        assert_eq!(v.reason, "ok");
        assert!(v.valid);
        assert_eq!(v.checked_in_at, None, "a dry run admits nobody: {v:?}");
    }
    let shown = show(&t, &tk.uuid);
    assert_eq!(shown.status, "valid");
    assert_eq!(shown.checked_in_at, None);
    admit(&t, PROMOTER, &[&tk.qr_payload]);
    // A dry run on a used ticket says so.
    let v = verdict(&validate(&t, PROMOTER, &[&tk.qr_payload, "--dry-run"]).code(6));
    assert_eq!(v.reason, "already_checked_in");
}

#[test]
fn codes_are_read_from_png_and_jpeg_images() {
    let (t, _, tier) = on_sale();
    let o = buy_tickets(&t, tier, 2);
    let png = t.dir().join("ticket.png");
    t.as_(
        BUYER,
        &[
            "ticket",
            "show",
            &o.tickets[0].uuid,
            "--qr",
            png.to_str().unwrap(),
        ],
    )
    .ok();
    let v = admit(&t, PROMOTER, &["--image", png.to_str().unwrap()]);
    assert_eq!(v.ticket_id, Some(o.tickets[0].id));
    refused(
        &t,
        &["--image", png.to_str().unwrap()],
        "already_checked_in",
    );

    // A JPEG of the second ticket's code.
    let png2 = t.dir().join("second.png");
    t.as_(
        BUYER,
        &[
            "ticket",
            "show",
            &o.tickets[1].uuid,
            "--qr",
            png2.to_str().unwrap(),
        ],
    )
    .ok();
    let jpg = t.dir().join("second.jpg");
    let rgb = image::open(&png2).unwrap().to_rgb8();
    image::DynamicImage::ImageRgb8(rgb)
        .save_with_format(&jpg, image::ImageFormat::Jpeg)
        .unwrap();
    assert_eq!(&std::fs::read(&jpg).unwrap()[..2], &[0xFF, 0xD8], "a JPEG");
    let v = admit(&t, PROMOTER, &["--image", jpg.to_str().unwrap()]);
    assert_eq!(v.ticket_id, Some(o.tickets[1].id));

    // No QR code in the picture: a usage error, nothing logged as admitted.
    let blank = t.dir().join("blank.png");
    image::GrayImage::from_pixel(300, 300, image::Luma([255u8]))
        .save_with_format(&blank, image::ImageFormat::Png)
        .unwrap();
    t.as_(PROMOTER, &["validate", "--image", blank.to_str().unwrap()])
        .code(2)
        .err_has("no QR code");
    // Neither a code nor an image.
    t.as_(PROMOTER, &["validate"]).code(2);
}

#[test]
fn concurrent_scans_admit_a_ticket_exactly_once() {
    let (t, _, tier) = on_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let mut children = Vec::new();
    for i in 0..8 {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
        c.env_remove("TIX_USER").env_remove("TIX_DB");
        c.env("TIX_DEVICE", format!("scanner-{i}"));
        c.arg("--db").arg(t.db());
        c.args([
            "--as",
            PROMOTER,
            "validate",
            &tk.qr_payload,
            "--gate",
            &format!("g{i}"),
            "--event",
            "1",
            "--json",
        ]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        children.push(c.spawn().unwrap());
    }
    let mut accepted = Vec::new();
    let mut refusals = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("locked"), "{stderr}");
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
        let v = verdict_of(&v);
        match out.status.code() {
            Some(0) => accepted.push(v),
            Some(6) => {
                assert_eq!(v.reason, "already_checked_in", "{stdout}");
                refusals += 1;
            }
            other => panic!("unclean answer {other:?}: {stdout}\n{stderr}"),
        }
    }
    assert_eq!(accepted.len(), 1, "exactly one admission");
    assert_eq!(refusals, 7);
    let shown = show(&t, &tk.uuid);
    assert_eq!(shown.status, "used");
    assert_eq!(shown.checked_in_at, accepted[0].checked_in_at);
    let all = t.sql_i64(&format!(
        "SELECT count(*) FROM scans WHERE ticket_id = {}",
        tk.id
    ));
    let ok = t.sql_i64(&format!(
        "SELECT count(*) FROM scans WHERE ticket_id = {} AND result = 'accepted'",
        tk.id
    ));
    assert_eq!((all, ok), (8, 1));
}

/// Four gates scan the same crowd of 300 from piped input, each in its own order: every
/// gate decides the codes waiting on its input together (one transaction each, where the
/// database allows), and still every ticket is admitted exactly once, every other scan is
/// `already_checked_in`, and no gate fails (PostgreSQL aborts overlapping batches, which
/// are then decided one scan at a time).
#[test]
fn gates_scanning_one_crowd_in_batches_admit_each_ticket_once() {
    let (t, _, tier) = on_sale_with(&["--quantity", "400"]);
    let order = order(
        &t.as_(
            PROMOTER,
            &[
                "order",
                "create",
                "--tier",
                &tier.to_string(),
                "--quantity",
                "300",
                "--comp",
                "--json",
            ],
        )
        .ok(),
    );
    let codes: Vec<String> = order.tickets.iter().map(|k| k.qr_payload.clone()).collect();
    let mut children = Vec::new();
    for gate in 0..4usize {
        // Each gate its own order: rotated, and every other gate reversed.
        let mut mine = codes.clone();
        mine.rotate_left(gate * 75);
        if gate % 2 == 1 {
            mine.reverse();
        }
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
        c.env_remove("TIX_USER").env_remove("TIX_DB");
        c.arg("--db").arg(t.db());
        c.args([
            "--as", PROMOTER, "--json", "checkin", "scan", "--event", "1",
        ]);
        c.args(["--gate", &format!("g{gate}")]);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        let text = mine.join("\n") + "\n";
        std::thread::spawn(move || {
            use std::io::Write;
            input.write_all(text.as_bytes()).unwrap();
        });
        children.push(child);
    }
    let (mut admitted, mut already) = (0, 0);
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
        let verdicts = v.as_array().unwrap();
        assert_eq!(verdicts.len(), 300, "one verdict per scan: {stderr}");
        for v in verdicts {
            assert!(v.get("error").is_none(), "{v}");
            match (v["valid"].as_bool(), v["reason"].as_str()) {
                (Some(true), _) => admitted += 1,
                (Some(false), Some("already_checked_in")) => already += 1,
                other => panic!("unexpected verdict {other:?}: {v}"),
            }
        }
        assert!(matches!(out.status.code(), Some(0 | 6)), "{stderr}");
    }
    assert_eq!((admitted, already), (300, 900));
    let used = t.sql_i64(&format!(
        "SELECT count(*) FROM tickets WHERE order_id = {} AND status = 'used'",
        order.id
    ));
    let logged = t.sql_i64("SELECT count(*) FROM scans WHERE result = 'accepted'");
    assert_eq!((used, logged), (300, 300));
}

/// One row of the scan log, as the tests compare it.
type ScanRow = (
    Option<i64>,    // event_id
    Option<i64>,    // ticket_id
    Option<String>, // gate
    String,         // device
    String,         // result
    String,         // reason
    i64,            // offline
    i64,            // dry_run
    Option<String>, // actor_email
);

/// The main database's scan log.
fn scan_rows(t: &Tix) -> Vec<ScanRow> {
    t.sql_rows(
        "SELECT event_id, ticket_id, gate, device, result, reason, CAST(offline AS INTEGER),
                CAST(dry_run AS INTEGER), actor_email
         FROM scans ORDER BY id",
    )
    .into_iter()
    .map(|r| {
        let int = |i: usize| r[i].as_ref().map(|v| v.parse::<i64>().unwrap());
        let text = |i: usize| r[i].clone();
        (
            int(0),
            int(1),
            text(2),
            text(3).unwrap(),
            text(4).unwrap(),
            text(5).unwrap(),
            int(6).unwrap(),
            int(7).unwrap(),
            text(8),
        )
    })
    .collect()
}

/// Scans in the main database.
fn main_scan_count(t: &Tix) -> i64 {
    t.sql_i64("SELECT count(*) FROM scans")
}

fn scan_count(db: &Path) -> i64 {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.query_row("SELECT count(*) FROM scans", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_scan_is_logged_with_gate_device_and_reason() {
    let (t, event, tier) = on_sale();
    let ev = event.to_string();
    let o = buy_tickets(&t, tier, 3);
    let run = |args: &[&str]| {
        let mut c = t.cmd();
        c.env("TIX_DEVICE", "gate-laptop-1")
            .args(["--as", PROMOTER, "validate"])
            .args(args);
        if !args.contains(&"--event") {
            c.args(["--event", &ev]);
        }
        finish(c)
    };
    let (a, b, c3) = (&o.tickets[0], &o.tickets[1], &o.tickets[2]);
    run(&[&a.qr_payload, "--gate", "North"]).ok();
    run(&[&a.qr_payload, "--gate", "South"]).code(6);
    run(&["garbage", "--gate", "North", "--event", &ev]).code(6);
    run(&["garbage"]).code(6);
    run(&[&b.uuid, "--gate", "South", "--dry-run"]).ok();
    run(&[&altered(&b.qr_payload), "--gate", "South"]).code(6);
    let mut scan = t.cmd();
    scan.env("TIX_DEVICE", "gate-laptop-1")
        .args([
            "--as", PROMOTER, "checkin", "scan", "--event", &ev, "--gate", "East",
        ])
        .write_stdin(format!("{}\n", c3.qr_payload));
    finish(scan).ok();
    // A refused permission is no scan.
    validate(&t, BUYER, &[&b.qr_payload]).code(4);

    let p = Some(PROMOTER.to_string());
    let dev = "gate-laptop-1".to_string();
    let s = |x: &str| Some(x.to_string());
    let row = |event: Option<i64>,
               ticket: Option<i64>,
               gate: Option<String>,
               result: &str,
               reason: &str,
               dry: i64|
     -> ScanRow {
        (
            event,
            ticket,
            gate,
            dev.clone(),
            result.to_string(),
            reason.to_string(),
            0,
            dry,
            p.clone(),
        )
    };
    assert_eq!(
        scan_rows(&t),
        vec![
            row(Some(event), Some(a.id), s("North"), "accepted", "ok", 0),
            row(
                Some(event),
                Some(a.id),
                s("South"),
                "rejected",
                "already_checked_in",
                0
            ),
            row(
                Some(event),
                None,
                s("North"),
                "rejected",
                "unknown_ticket",
                0
            ),
            // Every scan belongs to the event its gate admits to, even one of garbage.
            row(Some(event), None, None, "rejected", "unknown_ticket", 0),
            row(Some(event), Some(b.id), s("South"), "accepted", "ok", 1),
            row(
                Some(event),
                None,
                s("South"),
                "rejected",
                "invalid_signature",
                0
            ),
            row(Some(event), Some(c3.id), s("East"), "accepted", "ok", 0),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// checkin scan: the scanner loop
// ---------------------------------------------------------------------------------------

pub(crate) fn scan_loop(t: &Tix, who: Option<&str>, extra: &[&str], input: &str) -> Out {
    let mut c = t.cmd();
    if let Some(who) = who {
        c.arg("--as").arg(who);
    }
    c.args(["checkin", "scan"]).args(extra);
    if !extra.contains(&"--event") {
        c.args(["--event", "1"]);
    }
    c.write_stdin(input.to_string());
    finish(c)
}

/// Good code, blank line, the same code, garbage, a typed UUID, a code ending in CRLF:
/// five scans, the second and third refused.
fn mixed_input(o: &OrderJson) -> String {
    format!(
        "{}\n\n{}\ngarbage\n{}\n{}\r\n",
        o.tickets[0].qr_payload,
        o.tickets[0].qr_payload,
        o.tickets[1].uuid,
        o.tickets[2].qr_payload
    )
}

#[test]
fn the_scanner_loop_answers_every_line() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    let o = buy_tickets(&t, tier, 3);
    let out = scan_loop(
        &t,
        Some(PROMOTER),
        &["--event", &ev, "--gate", "G"],
        &mixed_input(&o),
    )
    .code(6);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        5,
        "one verdict per scanned line:\n{}",
        out.stdout
    );
    let heads: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        heads,
        ["ACCEPTED", "REJECTED", "REJECTED", "ACCEPTED", "ACCEPTED"],
        "{}",
        out.stdout
    );
    assert!(lines[1].contains("Already checked in"), "{}", lines[1]);
    assert!(!out.stdout.contains('\x1b'), "no colour when piped");
    assert!(out.stderr.contains("3 admitted"), "{}", out.stderr);
    assert!(out.stderr.contains("2 rejected"), "{}", out.stderr);
    for tk in &o.tickets {
        assert_eq!(status(&t, tk), "used");
    }
}

#[test]
fn the_scanner_loop_in_json_is_one_array() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    let o = buy_tickets(&t, tier, 3);
    let out = scan_loop(
        &t,
        Some(PROMOTER),
        &["--event", &ev, "--gate", "G", "--json"],
        &mixed_input(&o),
    )
    .code(6);
    let all = out.json();
    let all = all.as_array().expect("one JSON array");
    let verdicts: Vec<Verdict> = all.iter().map(verdict_of).collect();
    let reasons: Vec<&str> = verdicts.iter().map(|v| v.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["ok", "already_checked_in", "unknown_ticket", "ok", "ok"]
    );
    let ids: Vec<Option<i64>> = verdicts.iter().map(|v| v.ticket_id).collect();
    assert_eq!(
        ids,
        [
            Some(o.tickets[0].id),
            Some(o.tickets[0].id),
            None,
            Some(o.tickets[1].id),
            Some(o.tickets[2].id)
        ]
    );
    // Nothing but a clean input: exit 0, and an empty input is an empty array.
    let more = buy_tickets(&t, tier, 2);
    let input = format!(
        "{}\n{}\n",
        more.tickets[0].qr_payload, more.tickets[1].qr_payload
    );
    let out = scan_loop(&t, Some(PROMOTER), &["--event", &ev, "--json"], &input).ok();
    assert_eq!(out.json().as_array().unwrap().len(), 2);
    let out = scan_loop(&t, Some(PROMOTER), &["--event", &ev, "--json"], "").ok();
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn a_clean_scanner_session_exits_0() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    t.add_staff_user();
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    let o = buy_tickets(&t, tier, 2);
    let input = format!("{}\n{}\n", o.tickets[0].qr_payload, o.tickets[1].uuid);
    let out = scan_loop(&t, Some(STAFF), &["--event", &ev, "--gate", "G"], &input).ok();
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(out.stderr.contains("2 admitted"), "{}", out.stderr);
    assert!(out.stderr.contains("0 rejected"), "{}", out.stderr);
}

/// Runs `checkin scan` with a stdin that stays open, and waits for it to end by itself.
fn scan_refused_at_once(t: &Tix, who: Option<&str>, extra: &[&str]) -> (i32, String) {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
    c.env_remove("TIX_USER").env_remove("TIX_DB");
    c.arg("--db").arg(t.db());
    if let Some(who) = who {
        c.arg("--as").arg(who);
    }
    c.args(["checkin", "scan"]).args(extra);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let _stdin = child.stdin.take(); // kept open: no EOF
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("checkin scan kept waiting for input instead of refusing at once");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_scanner_loop_refuses_the_wrong_people_at_once() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    t.add_staff_user();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    for (who, extra) in [
        (Some(BUYER), vec![]),
        (Some(BUYER), vec!["--event", &ev]),
        (None, vec!["--event", &ev]),
        (Some(OTHER_PROMOTER), vec!["--event", &ev]),
        (Some(STAFF), vec!["--event", &ev]),
    ] {
        let (code, stderr) = scan_refused_at_once(&t, who, &extra);
        assert_eq!(code, 4, "{who:?} {extra:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "{stderr}");
    }
    // With input too, nothing is admitted.
    scan_loop(&t, Some(BUYER), &[], &format!("{}\n", tk.qr_payload))
        .code(4)
        .err_has("permission");
    assert_eq!(status(&t, &tk), "valid");
}

// ---------------------------------------------------------------------------------------
// checkin stats
// ---------------------------------------------------------------------------------------

#[test]
fn stats_count_check_ins_per_tier() {
    let (t, event, ga) = big_sale();
    let ev = event.to_string();
    let vip = t.tier_id(event, "VIP", &["--max-purchase", "5"]);
    let g = buy_tickets(&t, ga, 3);
    let v = buy_tickets(&t, vip, 2);
    let gone = buy_tickets(&t, ga, 1);
    t.as_(
        PROMOTER,
        &["order", "cancel", &gone.id.to_string(), "--yes"],
    )
    .ok();
    admit(&t, PROMOTER, &[&g.tickets[0].qr_payload]);
    admit(&t, PROMOTER, &[&g.tickets[1].uuid]);
    admit(&t, PROMOTER, &[&v.tickets[0].qr_payload]);
    refused(&t, &[&g.tickets[0].qr_payload], "already_checked_in");
    refused(&t, &["garbage", "--event", &ev], "unknown_ticket");
    validate(&t, PROMOTER, &[&v.tickets[1].qr_payload, "--dry-run"]).ok();

    let s = t
        .as_(PROMOTER, &["checkin", "stats", &ev, "--json"])
        .ok()
        .json();
    assert_eq!(s["event_id"], event);
    assert_eq!(s["sold"], 5, "{s:#}");
    assert_eq!(s["checked_in"], 3, "{s:#}");
    let tiers = s["tiers"].as_array().unwrap();
    let per: Vec<(&str, i64, i64)> = tiers
        .iter()
        .map(|x| {
            (
                x["tier_name"].as_str().unwrap(),
                x["sold"].as_i64().unwrap(),
                x["checked_in"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(per, [("GA", 3, 2), ("VIP", 2, 1)]);
    let arrivals: i64 = s["arrivals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["arrivals"].as_i64().unwrap())
        .sum();
    assert_eq!(arrivals, 3, "{s:#}");
    assert_eq!(s["rejected_scans"], 2, "dry runs are not refusals: {s:#}");

    // Human output, and who may see it.
    t.as_(PROMOTER, &["checkin", "stats", &ev])
        .ok()
        .out_has("3 of 5");
    t.admin(&["checkin", "stats", &ev]).ok();
    t.add_staff_user();
    t.as_(STAFF, &["checkin", "stats", &ev]).code(4);
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    t.as_(STAFF, &["checkin", "stats", &ev]).ok();
    t.as_(BUYER, &["checkin", "stats", &ev]).code(4);
    t.run(&["checkin", "stats", &ev]).code(4);
    t.as_(OTHER_PROMOTER, &["checkin", "stats", &ev]).code(4);
    t.as_(PROMOTER, &["checkin", "stats", "999"]).code(3);
}

// ---------------------------------------------------------------------------------------
// Offline gate files
// ---------------------------------------------------------------------------------------

pub(crate) fn export(t: &Tix, event: i64, name: &str) -> PathBuf {
    let path = t.dir().join(name);
    t.as_(
        PROMOTER,
        &[
            "scanner",
            "export",
            &event.to_string(),
            "--out",
            path.to_str().unwrap(),
            "--json",
        ],
    )
    .ok();
    path
}

/// `tix --db GATE validate --json ARGS` with no `--as`, on device `device`.
pub(crate) fn offline(t: &Tix, gate: &Path, device: &str, args: &[&str]) -> Out {
    let mut c = t.cmd_at(gate);
    c.env("TIX_DEVICE", device)
        .args(["validate", "--json"])
        .args(args);
    finish(c)
}

#[track_caller]
pub(crate) fn offline_ok(t: &Tix, gate: &Path, device: &str, args: &[&str]) -> Verdict {
    let v = verdict(&offline(t, gate, device, args).code(0));
    assert_eq!(v.reason, "ok");
    assert!(v.checked_in_at.is_some());
    v
}

#[track_caller]
pub(crate) fn offline_refused(t: &Tix, gate: &Path, args: &[&str], reason: &str) -> Verdict {
    let v = verdict(&offline(t, gate, "gate-laptop-1", args).code(6));
    assert_eq!(v.reason, reason, "{v:?}");
    v
}

/// Every value in every table of a SQLite file.
fn all_values(path: &Path) -> Vec<(String, rusqlite::types::Value)> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!tables.is_empty());
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                out.push((
                    table.clone(),
                    r.get::<_, rusqlite::types::Value>(i).unwrap(),
                ));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_gate_file_holds_no_secrets_and_admits_offline() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    let o = buy_tickets(&t, tier, 4);
    let gone = buy_tickets(&t, tier, 1);
    t.as_(
        PROMOTER,
        &["order", "cancel", &gone.id.to_string(), "--yes"],
    )
    .ok();
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &o.tickets[0].uuid,
            "--name",
            "Gina Guest",
            "--email",
            "gina@example.net",
            "--phone",
            "+49 170 5550123",
        ],
    )
    .ok();
    // Who may export.
    let nope = t.dir().join("nope.db");
    for who in [BUYER, OTHER_PROMOTER] {
        t.as_(
            who,
            &["scanner", "export", &ev, "--out", nope.to_str().unwrap()],
        )
        .code(4);
    }
    t.run(&["scanner", "export", &ev, "--out", nope.to_str().unwrap()])
        .code(4);
    assert!(!nope.exists());
    // Checked in online before the export: the gate file knows.
    let early = buy_tickets(&t, tier, 1).tickets[0].clone();
    let early_in = admit(&t, PROMOTER, &[&early.qr_payload, "--gate", "Box-Office"]);
    let gate = export(&t, event, "gate1.db");
    let v = offline_refused(&t, &gate, &[&early.uuid], "already_checked_in");
    let early_at = early_in.checked_in_at.unwrap();
    let local = tix::Zone::parse("Europe/Berlin")
        .unwrap()
        .human_seconds(epoch(&early_at));
    assert!(v.message.contains(&local), "{} lacks {local}", v.message);
    assert!(v.message.contains("Box-Office"), "{}", v.message);

    // No private key, no emails, no phone numbers; the public key is there.
    let keys = t.sql_rows(&format!(
        "SELECT {}, {} FROM events WHERE id = {event}",
        t.hex("signing_key"),
        t.hex("verify_key")
    ));
    let unhex = |h: &Option<String>| -> Vec<u8> {
        let h = h.as_deref().unwrap();
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    let (signing, verify) = (unhex(&keys[0][0]), unhex(&keys[0][1]));
    assert_eq!(signing.len(), 32);
    let bytes = std::fs::read(&gate).unwrap();
    assert!(
        !contains(&bytes, &signing),
        "the private key is in the gate file"
    );
    for secret in [BUYER, "gina@example.net", "5550123", "@example."] {
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "{secret} is in the gate file"
        );
    }
    let values = all_values(&gate);
    let mut has_public_key = false;
    for (table, value) in &values {
        match value {
            rusqlite::types::Value::Blob(b) => {
                assert!(!contains(b, &signing), "private key in table {table}");
                has_public_key |= *b == verify;
            }
            rusqlite::types::Value::Text(s) => {
                assert!(!s.contains('@'), "an email in table {table}: {s}");
                assert!(!s.contains("5550123"), "a phone in table {table}: {s}");
            }
            _ => {}
        }
    }
    assert!(has_public_key, "the gate file holds the event's public key");

    // Validating with the file alone, no --as.
    let v = offline_ok(
        &t,
        &gate,
        "gate-laptop-1",
        &[&o.tickets[0].qr_payload, "--gate", "North"],
    );
    assert_eq!(v.ticket_uuid.as_deref(), Some(o.tickets[0].uuid.as_str()));
    assert_eq!(v.attendee_name.as_deref(), Some("Gina Guest"));
    assert_eq!(v.tier_name.as_deref(), Some("GA"));
    assert_eq!(v.event_title.as_deref(), Some("Summer Festival"));
    let again = offline_refused(&t, &gate, &[&o.tickets[0].qr_payload], "already_checked_in");
    let first = v.checked_in_at.unwrap();
    let local = tix::Zone::parse("Europe/Berlin")
        .unwrap()
        .human_seconds(epoch(&first));
    assert!(
        again.message.contains(&local),
        "{} lacks {local}",
        again.message
    );
    assert!(again.message.contains("North"), "{}", again.message);
    // A typed UUID.
    offline_ok(&t, &gate, "gate-laptop-1", &[&o.tickets[1].uuid]);
    offline_refused(&t, &gate, &[&o.tickets[1].qr_payload], "already_checked_in");
    // Cancelled before the export.
    offline_refused(&t, &gate, &[&gone.tickets[0].qr_payload], "cancelled");
    // Sold after the export: signed by the event's key, so accepted, and said so.
    let late = buy_tickets(&t, tier, 1);
    let v = offline_ok(&t, &gate, "gate-laptop-1", &[&late.tickets[0].qr_payload]);
    assert!(v.message.contains("sold after"), "{}", v.message);
    offline_refused(
        &t,
        &gate,
        &[&late.tickets[0].qr_payload],
        "already_checked_in",
    );
    // Forged, foreign, unknown, other event.
    offline_refused(
        &t,
        &gate,
        &[&altered(&o.tickets[2].qr_payload)],
        "invalid_signature",
    );
    let (other, other_event, other_tier) = on_sale();
    assert_eq!(other_event, event, "the event ids must collide");
    let foreign = buy_tickets(&other, other_tier, 1);
    offline_refused(
        &t,
        &gate,
        &[&foreign.tickets[0].qr_payload],
        "invalid_signature",
    );
    offline_refused(&t, &gate, &["garbage"], "unknown_ticket");
    let random = uuid::Uuid::new_v4().to_string();
    offline_refused(&t, &gate, &[&random], "unknown_ticket");
    let (_winter, winter_tier) = second_event(&t, "Winter Gala");
    let w = buy_tickets(&t, winter_tier, 1);
    offline_refused(&t, &gate, &[&w.tickets[0].qr_payload], "wrong_event");
    // Still valid: the main database knows nothing until a merge.
    assert_eq!(status(&t, &o.tickets[0]), "valid");
    assert_eq!(status(&t, &o.tickets[2]), "valid");

    // The scanner loop on a gate file.
    let mut c = t.cmd_at(&gate);
    c.args(["checkin", "scan", "--gate", "North"])
        .write_stdin(format!(
            "{}\n{}\n",
            o.tickets[2].qr_payload, o.tickets[0].qr_payload
        ));
    let out = finish(c).code(6);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(out.stderr.contains("1 admitted"), "{}", out.stderr);

    // Nothing but check-in works on a gate file.
    let mut c = t.cmd_at(&gate);
    c.args(["event", "list"]);
    finish(c).code(1).err_has("gate file");
    let mut c = t.cmd_at(&gate);
    c.args(["--as", PROMOTER, "order", "list"]);
    finish(c).code(1).err_has("gate file");

    // An existing gate file is not replaced without --force.
    let before = std::fs::read(&gate).unwrap();
    t.as_(
        PROMOTER,
        &["scanner", "export", &ev, "--out", gate.to_str().unwrap()],
    )
    .code(5)
    .err_has("--force");
    assert_eq!(
        std::fs::read(&gate).unwrap(),
        before,
        "the file is untouched"
    );
    t.as_(
        PROMOTER,
        &[
            "scanner",
            "export",
            &ev,
            "--out",
            gate.to_str().unwrap(),
            "--force",
        ],
    )
    .ok();
    assert_eq!(scan_count(&gate), 0, "a fresh file");
}

#[test]
fn merge_brings_offline_scans_home_and_reports_every_conflict() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    add_user(&t, "rita@example.com", "user");
    let five = buy_tickets(&t, tier, 5);
    let [a, b, e, f, h] = [0, 1, 2, 3, 4].map(|i| five.tickets[i].clone());
    let oc = buy_tickets(&t, tier, 1);
    let od = buy_tickets(&t, tier, 1);
    let (c, d) = (oc.tickets[0].clone(), od.tickets[0].clone());
    let gate1 = export(&t, event, "gate1.db");
    let gate2 = export(&t, event, "gate2.db");

    // Online, after the export.
    let b_online = admit(&t, PROMOTER, &[&b.qr_payload, "--gate", "Main"]);
    t.as_(PROMOTER, &["order", "cancel", &oc.id.to_string(), "--yes"])
        .ok();
    t.as_(PROMOTER, &["order", "refund", &od.id.to_string(), "--yes"])
        .ok();
    t.as_(
        BUYER,
        &["ticket", "transfer", &e.uuid, "--to", "rita@example.com"],
    )
    .ok();
    let g = buy_tickets(&t, tier, 1).tickets[0].clone();

    // Offline on gate 1: every one of them gets in there.
    let l1 = "gate-laptop-1";
    let north = |tk: &TicketJson| offline_ok(&t, &gate1, l1, &[&tk.qr_payload, "--gate", "North"]);
    let h_off = north(&h);
    let a_first = north(&a);
    north(&b);
    north(&c);
    north(&d);
    north(&e); // the code from before the transfer
    let f_off = north(&f);
    let g_off = north(&g);
    assert!(g_off.message.contains("sold after"), "{}", g_off.message);
    offline_refused(
        &t,
        &gate1,
        &[&a.qr_payload, "--gate", "North"],
        "already_checked_in",
    );

    std::thread::sleep(Duration::from_millis(1100));
    // Later: H checked in online too (the main database cannot know), A on gate 2.
    let h_online = admit(&t, PROMOTER, &[&h.qr_payload, "--gate", "Main"]);
    let a_second = offline_ok(
        &t,
        &gate2,
        "gate-laptop-2",
        &[&a.qr_payload, "--gate", "South"],
    );
    assert!(
        epoch(a_second.checked_in_at.as_deref().unwrap())
            > epoch(a_first.checked_in_at.as_deref().unwrap())
    );
    assert!(
        epoch(h_online.checked_in_at.as_deref().unwrap())
            > epoch(h_off.checked_in_at.as_deref().unwrap())
    );

    let offline_scans = scan_count(&gate1) + scan_count(&gate2);
    assert_eq!(offline_scans, 10);
    let main_scans = main_scan_count(&t);

    // Only the event's people may merge; a file of another event spoils the whole merge.
    let (winter, _) = second_event(&t, "Winter Gala");
    let winter_gate = export(&t, winter, "winter.db");
    let (g1, g2, wg) = (
        gate1.to_str().unwrap(),
        gate2.to_str().unwrap(),
        winter_gate.to_str().unwrap(),
    );
    t.as_(BUYER, &["scanner", "merge", &ev, g1]).code(4);
    t.as_(OTHER_PROMOTER, &["scanner", "merge", &ev, g1])
        .code(4);
    t.as_(PROMOTER, &["scanner", "merge", &ev, wg])
        .code(5)
        .err_has("event");
    t.as_(PROMOTER, &["scanner", "merge", &ev, g1, wg]).code(5);
    assert_eq!(main_scan_count(&t), main_scans, "nothing merged");
    assert_eq!(status(&t, &f), "valid");

    // The merge; gate 2 (the later scans) first on the command line.
    let report = t
        .as_(PROMOTER, &["scanner", "merge", &ev, g2, g1, "--json"])
        .merged()
        .json();
    assert_eq!(report["scans_merged"], offline_scans, "{report:#}");
    assert_eq!(report["scans_already_merged"], 0);
    assert_eq!(report["admitted"], 3, "A, F and G: {report:#}");
    let mut conflicts: Vec<(String, i64)> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["kind"].as_str().unwrap().to_string(),
                x["ticket_id"].as_i64().unwrap(),
            )
        })
        .collect();
    conflicts.sort();
    let mut expected = vec![
        ("double_admission".to_string(), a.id),
        ("double_admission".to_string(), b.id),
        ("double_admission".to_string(), h.id),
        ("admitted_after_cancel".to_string(), c.id),
        ("admitted_after_refund".to_string(), d.id),
        ("admitted_after_transfer".to_string(), e.id),
    ];
    expected.sort();
    assert_eq!(conflicts, expected, "{report:#}");
    let a_conflict = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ticket_id"] == a.id)
        .unwrap();
    assert_eq!(a_conflict["device"], "gate-laptop-2", "{a_conflict:#}");
    assert_eq!(a_conflict["gate"], "South");
    assert_eq!(a_conflict["ticket_uuid"], a.uuid.as_str());
    assert_eq!(
        a_conflict["scanned_at"],
        a_second.checked_in_at.as_deref().unwrap()
    );

    // The earliest admission sets checked_in_at.
    let at = |tk: &TicketJson| show(&t, &tk.uuid).checked_in_at;
    assert_eq!(at(&a), a_first.checked_in_at, "gate 1 was first");
    assert_eq!(at(&b), b_online.checked_in_at, "online was first");
    assert_eq!(at(&h), h_off.checked_in_at, "offline was first");
    let gate_of = |id: i64| -> Option<String> {
        t.sql_text(&format!(
            "SELECT checked_in_gate FROM tickets WHERE id = {id}"
        ))
    };
    assert_eq!(gate_of(a.id).as_deref(), Some("North"));
    assert_eq!(gate_of(h.id).as_deref(), Some("North"));
    assert_eq!(gate_of(b.id).as_deref(), Some("Main"));
    // Admitted only offline: now used here too.
    for (tk, v) in [(&f, &f_off), (&g, &g_off), (&a, &a_first)] {
        let shown = show(&t, &tk.uuid);
        assert_eq!(shown.status, "used", "{}", tk.uuid);
        assert_eq!(shown.checked_in_at, v.checked_in_at);
    }
    assert_eq!(status(&t, &c), "cancelled");
    assert_eq!(status(&t, &d), "refunded");
    // Every offline scan is in the main log now, marked offline.
    let offline_rows = t.sql_i64("SELECT count(*) FROM scans WHERE offline");
    assert_eq!(offline_rows, offline_scans);
    let devices: Vec<String> = t
        .sql_rows("SELECT DISTINCT device FROM scans WHERE offline ORDER BY device")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    assert_eq!(devices, ["gate-laptop-1", "gate-laptop-2"]);
    let stats = t
        .as_(PROMOTER, &["checkin", "stats", &ev, "--json"])
        .ok()
        .json();
    assert_eq!(stats["checked_in"], 5, "A, B, F, G, H: {stats:#}");

    // Merging the same files again changes nothing.
    let after_first: Vec<_> = [&a, &b, &f, &g, &h]
        .iter()
        .map(|tk| show(&t, &tk.uuid))
        .collect();
    let total = main_scan_count(&t);
    for files in [vec![g1, g2], vec![g1]] {
        let mut args = vec!["scanner", "merge", ev.as_str()];
        args.extend(files.iter().copied());
        args.push("--json");
        let again = t.as_(PROMOTER, &args).merged().json();
        assert_eq!(again["scans_merged"], 0, "{again:#}");
        assert_eq!(again["admitted"], 0, "{again:#}");
        assert_eq!(again["conflicts"], serde_json::json!([]), "{again:#}");
        assert_eq!(main_scan_count(&t), total);
    }
    let after_second: Vec<_> = [&a, &b, &f, &g, &h]
        .iter()
        .map(|tk| show(&t, &tk.uuid))
        .collect();
    for (x, y) in after_first.iter().zip(&after_second) {
        assert_eq!((&x.status, &x.checked_in_at), (&y.status, &y.checked_in_at));
    }
}

/// Several gate-laptop processes share one gate file (a network drive, two terminals):
/// still one admission, even for a ticket the file first hears of.
#[test]
fn concurrent_offline_scans_admit_a_ticket_exactly_once() {
    let (t, event, tier) = big_sale();
    let known = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "gate.db");
    let late = buy_tickets(&t, tier, 1).tickets[0].clone();
    for tk in [&known, &late] {
        let mut children = Vec::new();
        for i in 0..6 {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
            c.env_remove("TIX_USER").env_remove("TIX_DB");
            c.env("TIX_DEVICE", format!("laptop-{i}"));
            c.arg("--db").arg(&gate);
            c.args(["validate", &tk.qr_payload, "--json"]);
            c.stdout(Stdio::piped()).stderr(Stdio::piped());
            children.push(c.spawn().unwrap());
        }
        let mut codes = Vec::new();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let v: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
            let v = verdict_of(&v);
            match out.status.code() {
                Some(0) => {}
                Some(6) => assert_eq!(v.reason, "already_checked_in", "{stdout}"),
                other => panic!("unclean answer {other:?}: {stdout}\n{stderr}"),
            }
            codes.push(out.status.code().unwrap());
        }
        assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "{codes:?}");
    }
    assert_eq!(scan_count(&gate), 12);
}

/// `--json` promises one JSON document on stdout; gate staff scanning a ticket of an event
/// they are not assigned to get a `wrong_event` refusal in the array, like any other
/// refusal, and the loop goes on.
#[test]
fn the_scanner_loop_in_json_stays_one_document_when_a_scan_fails() {
    let (t, event, tier) = big_sale();
    let (winter, winter_tier) = second_event(&t, "Winter Gala");
    t.add_staff_user();
    t.as_(
        PROMOTER,
        &["event", "staff", "add", &winter.to_string(), STAFF],
    )
    .ok();
    let theirs = buy_tickets(&t, tier, 1).tickets[0].clone();
    let mine = buy_tickets(&t, winter_tier, 1).tickets[0].clone();
    let _ = event;
    let input = format!("{}\n{}\n", mine.qr_payload, theirs.qr_payload);
    let w = winter.to_string();
    let out = scan_loop(
        &t,
        Some(STAFF),
        &["--gate", "W", "--json", "--event", &w],
        &input,
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        )
    });
    let reasons: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["ok", "wrong_event"]);
    assert_eq!(status(&t, &mine), "used");
    assert_eq!(status(&t, &theirs), "valid");
}

/// The contract: "A correctly signed code for a ticket sold after the export is accepted
/// there." A tier created after the export needs no approval, yet the gate file treats
/// an unknown tier as one that does.
#[test]
fn a_ticket_of_a_tier_created_after_the_export_is_accepted_offline() {
    let (t, event, _) = big_sale();
    let gate = export(&t, event, "gate.db");
    let late_tier = t.tier_id(event, "Late Night", &[]);
    let tk = buy_tickets(&t, late_tier, 1).tickets[0].clone();
    let v = offline_ok(&t, &gate, "gate-laptop-1", &[&tk.qr_payload]);
    assert!(v.message.contains("sold after"), "{}", v.message);
}

// ---------------------------------------------------------------------------------------
// Found in review: each pins a hole that was open
// ---------------------------------------------------------------------------------------

#[test]
fn a_typed_uuid_no_longer_gets_in_after_a_transfer() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    add_user(&t, "rita@example.com", "user");
    t.as_(
        BUYER,
        &["ticket", "transfer", &tk.uuid, "--to", "rita@example.com"],
    )
    .ok();
    // The old holder still knows the UUID; it is refused online, with a hint.
    let v = refused(&t, &["--event", &event.to_string(), &tk.uuid], "revoked");
    assert!(v.message.contains("current QR code"), "{}", v.message);
    // A gate file made after the transfer refuses the UUID too. (One made before it
    // cannot know; merging reports such an admission as admitted_after_transfer.)
    let after = export(&t, event, "after.db");
    offline_refused(&t, &after, &[&tk.uuid], "revoked");
    // The new holder's QR code is the way in.
    let current = show(&t, &tk.uuid).qr_payload;
    admit(&t, PROMOTER, &["--event", &event.to_string(), &current]);
}

#[test]
fn the_original_buyer_does_not_see_the_code_of_a_ticket_given_away() {
    let (t, _, tier) = big_sale();
    let o = buy_tickets(&t, tier, 2);
    add_user(&t, "rita@example.com", "user");
    t.as_(
        BUYER,
        &[
            "ticket",
            "transfer",
            &o.tickets[0].uuid,
            "--to",
            "rita@example.com",
        ],
    )
    .ok();
    let j = t
        .as_(BUYER, &["order", "show", &o.id.to_string(), "--json"])
        .ok()
        .json();
    let tickets = j["tickets"].as_array().unwrap();
    assert_eq!(tickets[0]["qr_payload"], "", "given away: no code");
    assert_eq!(tickets[0]["attendee_name"], Value::Null);
    assert_ne!(tickets[1]["qr_payload"], "", "still theirs: code shown");
    let list = t.as_(BUYER, &["order", "list", "--json"]).ok().json();
    assert_eq!(list[0]["tickets"][0]["qr_payload"], "");
    // The promoter sees everything.
    let j = t
        .as_(PROMOTER, &["order", "show", &o.id.to_string(), "--json"])
        .ok()
        .json();
    assert_ne!(j["tickets"][0]["qr_payload"], "");
}

#[test]
fn wrong_event_tells_nothing_about_a_ticket_one_may_not_see() {
    let (t, _, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let theirs = t.event(OTHER_PROMOTER, "Olga's Night");
    t.as_(
        OTHER_PROMOTER,
        &[
            "tier",
            "create",
            &theirs.to_string(),
            "--name",
            "Door",
            "--price",
            "5",
            "--quantity",
            "9",
        ],
    )
    .ok();
    t.as_(OTHER_PROMOTER, &["event", "publish", &theirs.to_string()])
        .ok();
    let out = validate(
        &t,
        OTHER_PROMOTER,
        &["--event", &theirs.to_string(), &tk.qr_payload],
    )
    .code(6);
    let v = verdict(&out);
    assert_eq!(v.reason, "wrong_event");
    assert_eq!(
        (
            v.ticket_id,
            v.attendee_name.as_deref(),
            v.event_title.as_deref()
        ),
        (None, None, None)
    );
    assert!(!out.stdout.contains("Summer Festival"), "{}", out.stdout);
}

#[test]
fn an_offline_dry_run_changes_nothing_in_the_gate_file() {
    let (t, event, tier) = big_sale();
    let gate = export(&t, event, "gate.db");
    let late = buy_tickets(&t, tier, 1).tickets[0].clone();
    let v = verdict(&offline(&t, &gate, "g", &["--dry-run", &late.qr_payload]).code(0));
    assert!(
        v.message.contains("sold after") && v.message.contains("dry run"),
        "{}",
        v.message
    );
    let c = rusqlite::Connection::open(&gate).unwrap();
    let known: i64 = c
        .query_row(
            "SELECT count(*) FROM gate_tickets WHERE uuid = ?1",
            [&late.uuid],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(known, 0, "a dry run must not remember the ticket");
    drop(c);
    let v = offline_ok(&t, &gate, "g", &[&late.qr_payload]);
    assert!(v.message.contains("sold after"), "{}", v.message);
}

#[test]
fn merging_twice_adds_no_audit_entry_and_bad_clocks_are_clamped() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "gate.db");
    offline_ok(&t, &gate, "g", &[&tk.qr_payload]);
    // A laptop whose clock is centuries ahead.
    rusqlite::Connection::open(&gate)
        .unwrap()
        .execute("UPDATE scans SET scanned_at = 9223372036854775000", [])
        .unwrap();
    let ev = event.to_string();
    let g = gate.to_str().unwrap();
    t.as_(PROMOTER, &["scanner", "merge", &ev, g]).merged();
    let audits = |t: &Tix| {
        t.as_(PROMOTER, &["audit", "list", "--event", &ev, "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    let n = audits(&t);
    t.as_(PROMOTER, &["scanner", "merge", &ev, g]).merged();
    assert_eq!(audits(&t), n, "a no-op merge changes nothing");
    let at = epoch(show(&t, &tk.uuid).checked_in_at.as_deref().unwrap());
    assert!(
        at <= chrono::Utc::now().timestamp(),
        "clamped to now, got {at}"
    );
    let stats = t
        .as_(PROMOTER, &["checkin", "stats", &ev, "--json"])
        .ok()
        .json();
    assert_eq!(stats["checked_in"], 1);
}

#[test]
fn an_unapproved_offline_admission_is_reported_and_the_order_can_still_be_cancelled() {
    let (t, event, _) = big_sale();
    let vip = t.tier_id(event, "VIP", &["--requires-approval"]);
    let gate = export(&t, event, "gate.db");
    let o = buy_tickets(&t, vip, 1);
    let v = offline_ok(&t, &gate, "g", &[&o.tickets[0].qr_payload]);
    assert!(v.message.contains("approval"), "{}", v.message);
    let ev = event.to_string();
    let report = t
        .as_(
            PROMOTER,
            &["scanner", "merge", &ev, gate.to_str().unwrap(), "--json"],
        )
        .merged()
        .json();
    assert_eq!(report["conflicts"][0]["kind"], "admitted_unapproved");
    t.as_(PROMOTER, &["-y", "order", "cancel", &o.id.to_string()])
        .ok();
}
