//! `tix export …`: door list, orders, scans and audit log as CSV and JSON lines.

use chrono::DateTime;
use serde_json::Value;

use crate::checkin::{admit, buy_tickets, export, offline_ok};
use crate::common::*;
use crate::order::on_sale_with;

/// A published Berlin event: BUYER holds two GA tickets (89.50 each) whose attendees are
/// a formula and a Greek name with a comma and quotes, one checked in online at gate
/// "North", then admitted again at an offline gate whose scans were merged (a conflict).
fn event_with_records() -> (Tix, i64) {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let o = buy_tickets(&t, tier, 2);
    let [a, b] = [&o.tickets[0], &o.tickets[1]];
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &a.uuid,
            "--name",
            "=1+1",
            "--phone",
            "+49 30 1234",
        ],
    )
    .ok();
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &b.uuid,
            "--name",
            "Αλέξανδρος, \"Alex\"",
        ],
    )
    .ok();
    let gate = export(&t, event, "g.tixgate");
    admit(
        &t,
        PROMOTER,
        &[
            &a.qr_payload,
            "--event",
            &event.to_string(),
            "--gate",
            "North",
        ],
    );
    offline_ok(&t, &gate, "laptop-7", &[&a.qr_payload]);
    t.as_(
        PROMOTER,
        &[
            "scanner",
            "merge",
            &event.to_string(),
            gate.to_str().unwrap(),
        ],
    )
    .merged();
    (t, event)
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (headers, rows)
}

fn col<'a>(headers: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

const ATTENDEES: &[&str] = &[
    "ticket_id",
    "ticket_uuid",
    "status",
    "order_status",
    "tier_id",
    "tier_name",
    "attendee_name",
    "attendee_email",
    "attendee_phone",
    "holder_email",
    "holder_name",
    "order_id",
    "checked_in_at",
    "checked_in_gate",
];

#[test]
fn the_door_list_opens_in_a_spreadsheet_and_no_formula_runs() {
    let (t, event) = event_with_records();
    let out = t
        .as_(PROMOTER, &["export", "attendees", &event.to_string()])
        .ok();
    assert!(out.stdout.contains("\r\n"), "RFC 4180 lines end in CRLF");
    let (headers, rows) = csv_rows(&out.stdout);
    assert_eq!(headers, ATTENDEES);
    assert_eq!(rows.len(), 2);
    let first = &rows[0];
    assert_eq!(col(&headers, first, "attendee_name"), "'=1+1");
    assert_eq!(col(&headers, first, "attendee_phone"), "'+49 30 1234");
    assert_eq!(col(&headers, first, "status"), "used");
    assert_eq!(col(&headers, first, "checked_in_gate"), "North");
    assert_eq!(col(&headers, first, "holder_email"), BUYER);
    // Times are in the event's zone (Berlin is never at UTC's offset) with the offset.
    let at = DateTime::parse_from_rfc3339(col(&headers, first, "checked_in_at")).unwrap();
    assert!(at.offset().local_minus_utc() >= 3600, "{at}");
    assert_eq!(
        col(&headers, &rows[1], "attendee_name"),
        "Αλέξανδρος, \"Alex\""
    );
    assert_eq!(col(&headers, &rows[1], "checked_in_at"), "");
    // Tickets of an order still awaiting approval are not on the door list.
    let vip = t.tier_id(event, "VIP", &["--requires-approval"]);
    crate::order::buy(&t, BUYER, vip, 1).ok();
    let again = t
        .as_(PROMOTER, &["export", "attendees", &event.to_string()])
        .ok();
    assert_eq!(csv_rows(&again.stdout).1.len(), 2);
    // No cell of any export starts a formula.
    for kind in ["attendees", "orders", "checkins", "audit"] {
        let out = t.as_(PROMOTER, &["export", kind, &event.to_string()]).ok();
        let (_, rows) = csv_rows(&out.stdout);
        assert!(!rows.is_empty(), "{kind}");
        for cell in rows.iter().flatten() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{kind}: {cell:?}"
            );
        }
    }
}

#[test]
fn orders_checkins_and_audit_carry_money_gates_devices_and_conflicts() {
    let (t, event) = event_with_records();
    let ev = event.to_string();
    let (h, rows) = csv_rows(&t.as_(PROMOTER, &["export", "orders", &ev]).ok().stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(col(&h, &rows[0], "total"), "179.00");
    assert_eq!(col(&h, &rows[0], "unit_price"), "89.50");
    assert_eq!(col(&h, &rows[0], "currency"), "EUR");
    assert_eq!(col(&h, &rows[0], "is_comp"), "false");

    let (h, rows) = csv_rows(&t.as_(PROMOTER, &["export", "checkins", &ev]).ok().stdout);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let online = rows
        .iter()
        .find(|r| col(&h, r, "offline") == "false")
        .unwrap();
    assert_eq!(col(&h, online, "gate"), "North");
    assert_eq!(col(&h, online, "result"), "accepted");
    assert_eq!(col(&h, online, "method"), "code");
    assert_eq!(col(&h, online, "staff_email"), PROMOTER);
    let merged = rows
        .iter()
        .find(|r| col(&h, r, "offline") == "true")
        .unwrap();
    assert_eq!(col(&h, merged, "device"), "laptop-7");
    assert_ne!(col(&h, merged, "merged_at"), "");
    assert_ne!(col(&h, merged, "conflict"), "", "{merged:?}");
    assert_eq!(col(&h, merged, "attendee_name"), "'=1+1");

    let (h, rows) = csv_rows(&t.as_(PROMOTER, &["export", "audit", &ev]).ok().stdout);
    assert!(rows.iter().any(|r| col(&h, r, "action") == "order.create"));
    let details = rows
        .iter()
        .map(|r| col(&h, r, "details"))
        .collect::<Vec<_>>();
    assert!(
        details
            .iter()
            .all(|d| serde_json::from_str::<Value>(d).is_ok())
    );
}

#[test]
fn json_lines_have_one_object_per_row_with_utc_times_and_exact_money() {
    let (t, event) = event_with_records();
    let ev = event.to_string();
    for (args, kind) in [
        (
            vec!["export", "attendees", &ev, "--format", "json"],
            "attendees",
        ),
        (vec!["--json", "export", "orders", &ev], "orders"),
    ] {
        let out = t.as_(PROMOTER, &args).ok();
        let lines: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{kind}: {e}: {l}")))
            .collect();
        assert!(!lines.is_empty());
        if kind == "attendees" {
            assert_eq!(lines.len(), 2);
            let keys: Vec<&str> = lines[0]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut want = ATTENDEES.to_vec();
            want.sort();
            let mut got = keys.clone();
            got.sort();
            assert_eq!(got, want);
            assert_eq!(
                lines[0]["attendee_name"], "=1+1",
                "JSON keeps the text as it is"
            );
            assert_utc(&lines[0]["checked_in_at"]);
            assert!(lines[1]["checked_in_at"].is_null());
            assert!(lines[0]["ticket_id"].as_i64().is_some());
        } else {
            assert_eq!(lines[0]["total"], "179.00");
            assert_eq!(lines[0]["is_comp"], false);
            assert!(lines[0]["payment_ref"].is_null());
        }
    }
}

#[test]
fn exports_to_a_file_are_whole_and_never_replace_without_force() {
    let (t, event) = event_with_records();
    let ev = event.to_string();
    let path = t.dir().join("door.csv");
    let p = path.to_str().unwrap();
    t.as_(PROMOTER, &["export", "attendees", &ev, "--out", p])
        .ok()
        .out_has("Wrote 2 rows (attendees of event")
        .out_has("as csv");
    let first = std::fs::read_to_string(&path).unwrap();
    assert!(first.starts_with("ticket_id,ticket_uuid,"));
    t.as_(PROMOTER, &["export", "attendees", &ev, "--out", p])
        .code(5)
        .err_has("--force");
    // A refused export leaves the file as it was, and no temporary file behind.
    t.as_(
        OTHER_PROMOTER,
        &["export", "orders", &ev, "--out", p, "--force"],
    )
    .code(4);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    let leftovers = std::fs::read_dir(t.dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(leftovers, 0);
    // The extension picks the format; --json describes what was written.
    let jl = t.dir().join("orders.jsonl");
    let v = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "export",
                "orders",
                &ev,
                "--out",
                jl.to_str().unwrap(),
            ],
        )
        .ok()
        .json();
    assert_eq!(
        (v["format"].as_str(), v["rows"].as_i64()),
        (Some("json"), Some(1))
    );
    let line = std::fs::read_to_string(&jl).unwrap();
    assert!(serde_json::from_str::<Value>(line.trim()).is_ok());
    t.as_(PROMOTER, &["export", "orders", &ev, "--out", p, "--force"])
        .ok();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("order_id,")
    );
    // Never over the database itself.
    if !t.pg() {
        t.as_(
            PROMOTER,
            &[
                "export",
                "orders",
                &ev,
                "--out",
                t.db().to_str().unwrap(),
                "--force",
            ],
        )
        .code(5);
    }
    t.as_(PROMOTER, &["export", "orders", &ev, "--format", "xml"])
        .code(2);
}

#[test]
fn who_may_export_what() {
    let (t, event) = event_with_records();
    let ev = event.to_string();
    t.add_staff_user();
    // Staff not yet assigned to the event get nothing.
    t.as_(STAFF, &["export", "attendees", &ev]).code(4);
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    t.as_(STAFF, &["export", "attendees", &ev]).ok();
    for kind in ["orders", "checkins", "audit"] {
        t.as_(STAFF, &["export", kind, &ev]).code(4);
    }
    for kind in ["attendees", "orders", "checkins", "audit"] {
        t.as_(PROMOTER, &["export", kind, &ev]).ok();
        t.admin(&["export", kind, &ev]).ok();
        t.as_(OTHER_PROMOTER, &["export", kind, &ev]).code(4);
        t.as_(BUYER, &["export", kind, &ev]).code(4);
        t.run(&["export", kind, &ev]).code(4);
        t.admin(&["export", kind, "999"]).code(3);
    }
}

#[test]
fn a_large_door_list_streams_every_row() {
    let (t, event, tier) = on_sale_with(&["--quantity", "20000"]);
    t.admin(&[
        "-q",
        "order",
        "create",
        "--tier",
        &tier.to_string(),
        "--quantity",
        "20000",
        "--buyer",
        ADMIN,
        "--comp",
    ])
    .ok();
    let path = t.dir().join("big.csv");
    t.as_(
        PROMOTER,
        &[
            "export",
            "attendees",
            &event.to_string(),
            "--out",
            path.to_str().unwrap(),
        ],
    )
    .ok()
    .out_has("Wrote 20000 rows");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 20001);
}
