//! docs/json.md matches the output: every field a command prints is documented there,
//! and every field documented as always present is printed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::*;
use crate::order::{buy, on_sale_with};

/// The documented fields of each section: (always present, optional).
fn documented() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"),
    )
    .unwrap();
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
            out.entry(section.clone()).or_default();
        } else if let Some(rest) = line.strip_prefix("| `") {
            let name = rest.split('`').next().unwrap().to_string();
            let entry = out.entry(section.clone()).or_default();
            if line.contains("optional:") {
                entry.1.insert(name);
            } else {
                entry.0.insert(name);
            }
        }
    }
    out
}

#[track_caller]
fn check(docs: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>, section: &str, v: &Value) {
    let (always, optional) = docs
        .get(section)
        .unwrap_or_else(|| panic!("docs/json.md has no section '{section}'"));
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{section}: not an object: {v}"));
    let keys: BTreeSet<String> = obj.keys().cloned().collect();
    let undocumented: Vec<&String> = keys
        .iter()
        .filter(|k| !always.contains(*k) && !optional.contains(*k))
        .collect();
    assert!(
        undocumented.is_empty(),
        "{section}: fields not in docs/json.md: {undocumented:?}"
    );
    let missing: Vec<&String> = always.iter().filter(|k| !keys.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{section}: documented fields missing from the output: {missing:?}\n{v:#}"
    );
}

#[test]
fn docs_json_md_matches_the_output() {
    let docs = documented();
    let (t, event, tier) = on_sale_with(&["--quantity", "3", "--max-purchase", "3"]);
    let ev = event.to_string();
    let tid = tier.to_string();
    let json = |who: &str, args: &[&str]| {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        t.as_(who, &a).ok().json()
    };
    check(&docs, "User", &json(ADMIN, &["user", "show", BUYER]));
    check(&docs, "Event", &json(PROMOTER, &["event", "show", &ev]));
    check(
        &docs,
        "Event",
        &json(
            PROMOTER,
            &["event", "update", &ev, "--ticket-note", "Doors 19:00"],
        ),
    );
    check(&docs, "Tier", &json(PROMOTER, &["tier", "show", &tid]));
    check(
        &docs,
        "Availability",
        &json(PROMOTER, &["tier", "availability", &tid]),
    );
    let o = json(
        BUYER,
        &[
            "order",
            "create",
            "--tier",
            &tid,
            "--quantity",
            "2",
            "--payment-ref",
            "R1",
        ],
    );
    check(&docs, "Order", &o);
    check(&docs, "Ticket", &o["tickets"][0]);
    let other = json(
        BUYER,
        &["order", "create", "--tier", &tid, "--quantity", "1"],
    );
    let code = other["tickets"][0]["qr_payload"]
        .as_str()
        .unwrap()
        .to_string();
    check(
        &docs,
        "Validation",
        &json(PROMOTER, &["validate", &code, "--event", &ev]),
    );
    check(
        &docs,
        "Check-in stats",
        &json(PROMOTER, &["checkin", "stats", &ev]),
    );
    let gate = t.dir().join("g.tixgate");
    check(
        &docs,
        "Gate export",
        &json(
            PROMOTER,
            &["scanner", "export", &ev, "--out", gate.to_str().unwrap()],
        ),
    );
    let merged = t
        .as_(
            PROMOTER,
            &["--json", "scanner", "merge", &ev, gate.to_str().unwrap()],
        )
        .merged()
        .json();
    check(&docs, "Merge report", &merged);
    let audit = json(PROMOTER, &["audit", "list", "--event", &ev]);
    check(&docs, "Audit entry", &audit[0]);
    let csv = t.write_file("t.csv", "name,price,quantity\nExtra,5,5\n");
    check(
        &docs,
        "Import report",
        &json(PROMOTER, &["tier", "import", &ev, &csv, "--dry-run"]),
    );
    // A sold-out tier's waitlist.
    t.admin(&["user", "add", "cem@example.com", "--name", "Cem"])
        .ok();
    let place = json("cem@example.com", &["waitlist", "join", &tid]);
    check(&docs, "Waitlist place", &place);
    check(&docs, "Tier", &json(PROMOTER, &["tier", "show", &tid]));
    check(
        &docs,
        "Sales report",
        &json(PROMOTER, &["report", "sales", &ev]),
    );
    let outbox = t.dir().join("outbox");
    check(
        &docs,
        "Outbox",
        &json(
            PROMOTER,
            &[
                "ticket",
                "send",
                "--event",
                &ev,
                "--outbox",
                outbox.to_str().unwrap(),
            ],
        ),
    );
    // A refund frees a seat: the waitlist offer, then the Order with both references.
    buy(&t, BUYER, tier, 1).code(5);
    let refunded = json(
        PROMOTER,
        &[
            "-y",
            "order",
            "refund",
            o["id"].as_i64().unwrap().to_string().as_str(),
            "--payment-ref",
            "R2",
        ],
    );
    check(&docs, "Order", &refunded);
    let cancelled = json(PROMOTER, &["-y", "event", "cancel", &ev, "--refund"]);
    let mut event_part = cancelled.clone();
    event_part.as_object_mut().unwrap().remove("ended");
    check(&docs, "Event", &event_part);
    assert!(cancelled.get("ended").is_some());
    let err = t
        .as_(PROMOTER, &["--json", "event", "show", "999"])
        .code(3)
        .json();
    check(&docs, "Error", &err);
}
