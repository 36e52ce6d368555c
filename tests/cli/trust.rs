//! Issue 11: trust at the gate. One regression test per defect the hostile trial found,
//! named after it, plus the tamper test: a gate file is evidence, not authority.

use std::path::Path;

use rusqlite::{Connection, params};
use serde_json::Value;

use crate::checkin::{
    add_user, admit, big_sale, buy_tickets, export, offline, offline_ok, scan_loop, second_event,
    status, validate, verdict,
};
use crate::common::*;

/// `scanner merge EVENT FILES… --json` as the promoter.
fn merge(t: &Tix, event: i64, files: &[&Path], extra: &[&str]) -> Value {
    let ev = event.to_string();
    let mut args = vec!["scanner", "merge", ev.as_str(), "--json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    args.extend_from_slice(extra);
    t.as_(PROMOTER, &args).ok().json()
}

/// The kinds of the conflicts a merge reported.
fn kinds(report: &Value) -> Vec<String> {
    report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

fn gate_db(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

// ---------------------------------------------------------------------------------------
// 1. Scanning without --event admitted any event's ticket.
// ---------------------------------------------------------------------------------------

#[test]
fn scanning_without_event_admits_nothing_and_another_events_code_is_wrong_event() {
    let (t, event, _tier) = big_sale();
    let (friday, friday_tier) = second_event(&t, "Friday Night");
    let theirs = buy_tickets(&t, friday_tier, 1).tickets[0].clone();
    // The trial's command: no --event on the main database.
    let mut c = t.cmd();
    c.args(["--as", PROMOTER, "checkin", "scan", "--gate", "FridayGate"])
        .write_stdin(format!("{}\n", theirs.qr_payload));
    finish(c).code(2).err_has("--event");
    let mut c = t.cmd();
    c.args(["--as", PROMOTER, "validate", &theirs.qr_payload]);
    finish(c).code(2).err_has("--event");
    assert_eq!(status(&t, &theirs), "valid");
    // At event 1's gate, event 2's ticket is wrong_event, exit 6, in both commands.
    let v = verdict(&validate(&t, PROMOTER, &[&theirs.qr_payload]).code(6));
    assert_eq!(v.reason, "wrong_event");
    let out = scan_loop(
        &t,
        Some(PROMOTER),
        &["--json"],
        &format!("{}\n", theirs.qr_payload),
    );
    assert_eq!(out.code, 6);
    assert_eq!(out.json()[0]["reason"], "wrong_event");
    assert_eq!(status(&t, &theirs), "valid");
    // Staff of event 1 get the same answer from both commands (not exit 4 from one).
    t.add_staff_user();
    t.as_(
        PROMOTER,
        &["event", "staff", "add", &event.to_string(), STAFF],
    )
    .ok();
    let v = verdict(&validate(&t, STAFF, &[&theirs.qr_payload]).code(6));
    assert_eq!(v.reason, "wrong_event");
    assert_eq!(
        v.ticket_id, None,
        "staff of another event learn nothing of it"
    );
    let out = scan_loop(
        &t,
        Some(STAFF),
        &["--json"],
        &format!("{}\n", theirs.qr_payload),
    );
    assert_eq!(out.code, 6);
    assert_eq!(out.json()[0]["reason"], "wrong_event");
    // And the ticket still gets in at its own gate.
    admit(
        &t,
        PROMOTER,
        &[&theirs.qr_payload, "--event", &friday.to_string()],
    );
}

// ---------------------------------------------------------------------------------------
// 2. A typed UUID scanned offline after a transfer used up the new holder's ticket.
// ---------------------------------------------------------------------------------------

#[test]
fn a_typed_uuid_offline_after_a_transfer_does_not_use_up_the_new_holders_ticket() {
    let (t, event, tier) = big_sale();
    add_user(&t, "cem@example.com", "user");
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "north.tixgate");
    t.as_(
        BUYER,
        &["ticket", "transfer", &tk.uuid, "--to", "cem@example.com"],
    )
    .ok();
    // The gate file does not know of the transfer: the typed UUID gets in there.
    offline_ok(&t, &gate, "laptop", &[&tk.uuid, "--gate", "North"]);
    let rows: Vec<String> = gate_db(&gate)
        .prepare("SELECT method FROM scans")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, ["typed"], "typed-UUID scans are recorded as such");
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(kinds(&report), ["admitted_after_transfer"], "{report:#}");
    assert_eq!(report["admitted"], 0);
    assert_eq!(status(&t, &tk), "valid");
    // Even with --accept-manual: the transfer decides.
    let report = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(report["admitted"], 0);
    assert_eq!(status(&t, &tk), "valid");
    // The new holder's code still gets in.
    let new_code = t
        .as_("cem@example.com", &["ticket", "show", &tk.uuid, "--json"])
        .ok()
        .json()["qr_payload"]
        .as_str()
        .unwrap()
        .to_string();
    admit(&t, PROMOTER, &[&new_code]);
}

// ---------------------------------------------------------------------------------------
// 3. Merge believed whatever a gate file held: the tamper test.
// ---------------------------------------------------------------------------------------

/// A scans row as an editor of the file would add it.
fn insert_scan(gate: &Path, uuid: &str, extra_cols: &str, extra_vals: &str) {
    let sql = format!(
        "INSERT INTO scans (scan_uuid, event_id, ticket_uuid, secret_version, scanned_at, device, result, reason{extra_cols})
         VALUES (?1, 1, ?2, 1, strftime('%s','now'), 'evil', 'accepted', 'ok'{extra_vals})"
    );
    gate_db(gate)
        .execute(&sql, params![uuid::Uuid::new_v4().to_string(), uuid])
        .unwrap();
}

#[test]
fn merge_admits_nothing_a_gate_file_cannot_prove() {
    let (t, event, tier) = big_sale();
    add_user(&t, "cem@example.com", "user");
    let o = buy_tickets(&t, tier, 6);
    let tk: Vec<_> = o.tickets.clone();
    let gate = export(&t, event, "gate.tixgate");

    // (a) A row with reason 'ok' for a ticket never presented: no code, no evidence.
    insert_scan(&gate, &tk[0].uuid, "", "");
    // (b) A row claiming the manual method, and one the typed method.
    insert_scan(&gate, &tk[1].uuid, ", method", ", 'manual'");
    insert_scan(&gate, &tk[2].uuid, ", method", ", 'typed'");
    // (c) A row that says it scanned a code, but the code is garbage.
    insert_scan(&gate, &tk[3].uuid, ", method, code", ", 'code', 'NOTACODE'");
    // (d) The old code of a transferred ticket, scanned for real, then its row's version
    //     edited to 99: the version the code carries decides.
    t.as_(
        BUYER,
        &["ticket", "transfer", &tk[4].uuid, "--to", "cem@example.com"],
    )
    .ok();
    offline_ok(&t, &gate, "laptop", &[&tk[4].qr_payload]);
    gate_db(&gate)
        .execute(
            "UPDATE scans SET secret_version = 99 WHERE ticket_uuid = ?1",
            [&tk[4].uuid],
        )
        .unwrap();
    // (e) The file's key replaced by the editor's, and a code for a real ticket signed
    //     with it: the gate accepts it (it trusts its file), merge does not.
    let keys = tix::codes::EventKeys::generate().unwrap();
    gate_db(&gate)
        .execute(
            "UPDATE gate SET verify_key = ?1",
            [keys.public_bytes().to_vec()],
        )
        .unwrap();
    let forged = keys.sign(&tix::codes::TicketCode {
        event_id: event,
        tier_id: tier,
        uuid: uuid::Uuid::parse_str(&tk[5].uuid).unwrap(),
        secret_version: 1,
    });
    offline_ok(&t, &gate, "laptop", &[&forged]);
    // (f) Rows whose columns hold the wrong types, in a table rebuilt without STRICT.
    gate_db(&gate)
        .execute_batch(
            "CREATE TABLE loose AS SELECT * FROM scans; DROP TABLE scans; ALTER TABLE loose RENAME TO scans;
             INSERT INTO scans (scan_uuid, scanned_at, device, result, reason, secret_version, method, code)
             VALUES ('x-1', 'yesterday', 'evil', 'accepted', 'ok', 'high', 'code', x'00ff'),
                    (NULL, 9223372036854775807, NULL, 'accepted', 'ok', NULL, 'manual', NULL);",
        )
        .unwrap();
    let report = merge(&t, event, &[&gate], &[]);
    let mut got = kinds(&report);
    got.sort();
    let mut want = vec![
        "unverifiable_scan",       // (a)
        "manual_admission",        // (b)
        "manual_admission",        // (b) typed
        "unverifiable_scan",       // (c)
        "admitted_after_transfer", // (d)
        "forged_code",             // (e)
        "unverifiable_scan",       // (f)
        "unverifiable_scan",       // (f)
    ];
    want.sort();
    assert_eq!(got, want, "{report:#}");
    assert_eq!(report["admitted"], 0, "{report:#}");
    for ticket in &tk {
        assert_eq!(
            status(&t, ticket),
            "valid",
            "{} was marked used",
            ticket.uuid
        );
    }
    // Merging again changes nothing; with --accept-manual the two manual rows are the
    // promoter's call and are recorded, nothing else.
    let again = merge(&t, event, &[&gate], &[]);
    assert_eq!(again["scans_merged"], 0);
    let accepted = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(accepted["admitted"], 2, "{accepted:#}");
    assert_eq!(status(&t, &tk[1]), "used");
    assert_eq!(status(&t, &tk[2]), "used");
    for i in [0, 3, 4, 5] {
        assert_eq!(status(&t, &tk[i]), "valid");
    }
}

// ---------------------------------------------------------------------------------------
// 4. Staff could not admit the rightful holder when the code would not scan.
// ---------------------------------------------------------------------------------------

#[test]
fn staff_find_the_rightful_holder_on_the_door_list_and_admit_them_by_hand() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    t.admin(&["user", "add", "cem@example.com", "--name", "Cem Çelik"])
        .ok();
    t.add_staff_user();
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    let tk = buy_tickets(&t, tier, 2).tickets[0].clone();
    let gate = export(&t, event, "gate.tixgate");
    t.as_(
        BUYER,
        &["ticket", "transfer", &tk.uuid, "--to", "cem@example.com"],
    )
    .ok();
    // The typed UUID is refused (the old holder could type it too) …
    let v = verdict(&validate(&t, STAFF, &[&tk.uuid]).code(6));
    assert_eq!(v.reason, "revoked");
    assert!(v.message.contains("look the holder up"), "{}", v.message);
    // … so staff look the person up, by holder name, e-mail or ticket id.
    for q in [
        "çelik",
        "ÇELIK",
        "cem@example",
        &tk.id.to_string(),
        &tk.uuid[24..],
    ] {
        let found = t
            .as_(STAFF, &["checkin", "lookup", "--event", &ev, q, "--json"])
            .ok()
            .json();
        let found = found.as_array().unwrap();
        assert_eq!(found.len(), 1, "{q}: {found:?}");
        assert_eq!(found[0]["ticket_id"], tk.id);
        assert_eq!(found[0]["holder_email"], "cem@example.com");
        assert_eq!(found[0]["admit"], "ok");
    }
    // Nobody else may read the door list.
    t.as_(BUYER, &["checkin", "lookup", "--event", &ev, "Cem"])
        .code(4);
    t.run(&["checkin", "lookup", "--event", &ev, "Cem"]).code(4);
    // The manual admission: accepted, logged as manual.
    let v = verdict(&validate(&t, STAFF, &["--ticket", &tk.id.to_string(), "--manual"]).code(0));
    assert!(v.message.contains("manual"), "{}", v.message);
    let method: String = Connection::open(t.db())
        .unwrap()
        .query_row(
            "SELECT method FROM scans WHERE ticket_id = ?1 AND reason = 'ok'",
            [tk.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(method, "manual");
    assert_eq!(status(&t, &tk), "used");
    // A second manual admission is refused like any second scan.
    let v = verdict(&validate(&t, STAFF, &["--ticket", &tk.id.to_string(), "--manual"]).code(6));
    assert_eq!(v.reason, "already_checked_in");
    // --ticket without --manual is a usage error.
    validate(&t, STAFF, &["--ticket", &tk.id.to_string()]).code(2);

    // On the gate file: the door list by name and by the e-mail in full (the file holds
    // only hashes of addresses), and a manual admission that merge reports.
    let other = buy_tickets(&t, tier, 1).tickets[0].clone();
    let _ = other;
    let mut c = t.cmd_at(&gate);
    c.args(["checkin", "lookup", "bea@example.com", "--json"]);
    let found = finish(c).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 2, "{found:#}");
    assert_eq!(
        found[0]["holder_email"],
        Value::Null,
        "no addresses in a gate file"
    );
    let second = found[1]["ticket_id"].as_i64().unwrap();
    let mut c = t.cmd_at(&gate);
    c.args(["checkin", "lookup", "bea@exam", "--json"]);
    assert_eq!(finish(c).ok().json(), serde_json::json!([]));
    let v = verdict(
        &offline(
            &t,
            &gate,
            "laptop",
            &["--ticket", &second.to_string(), "--manual"],
        )
        .code(0),
    );
    assert!(v.message.contains("manual"), "{}", v.message);
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(kinds(&report), ["manual_admission"], "{report:#}");
    assert!(
        report["conflicts"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not recorded")
    );
    let report = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(report["admitted"], 1, "{report:#}");
    assert_eq!(kinds(&report), ["manual_admission"]);
}
