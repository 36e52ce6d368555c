//! Issue 11: trust at the gate. One regression test per defect the hostile trial found,
//! named after it, plus the tamper test: a gate file is evidence, not authority.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde_json::Value;

use crate::checkin::{
    add_user, admit, big_sale, buy_tickets, export, offline, offline_ok, scan_loop, second_event,
    status, validate, verdict,
};
use crate::common::*;
use crate::order::{TicketJson, on_sale_with};

/// `scanner merge EVENT FILES… --json` as the promoter.
fn merge(t: &Tix, event: i64, files: &[&Path], extra: &[&str]) -> Value {
    let ev = event.to_string();
    let mut args = vec!["scanner", "merge", ev.as_str(), "--json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    args.extend_from_slice(extra);
    t.as_(PROMOTER, &args).merged().json()
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

/// A published event with one ticket of BUYER's, a gate file exported (as `gate_name`)
/// and then the ticket transferred to a new user `to`: the file knows the old holder.
fn transferred_after_export(to: &str, gate_name: &str) -> (Tix, i64, TicketJson, PathBuf) {
    let (t, event, tier) = big_sale();
    add_user(&t, to, "user");
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, gate_name);
    transfer(&t, &tk.uuid, to);
    (t, event, tk, gate)
}

/// A ticket's current code, as its holder sees it.
fn current_code(t: &Tix, holder: &str, uuid: &str) -> String {
    t.as_(holder, &["ticket", "show", uuid, "--json"])
        .ok()
        .json()["qr_payload"]
        .as_str()
        .unwrap()
        .to_string()
}

/// BUYER gives a ticket to `to`.
fn transfer(t: &Tix, uuid: &str, to: &str) {
    t.as_(BUYER, &["ticket", "transfer", uuid, "--to", to]).ok();
}

/// Runs `script` — a `sh` script that sets up mounts and then runs `"$@"`, which is
/// `tix [--db DB] ARGS` — in a user and mount namespace of the test's own, so mounts
/// (a tiny tmpfs, a read-only bind) need no privileges and vanish with it. The script
/// exits 99 if it could not mount.
fn in_namespace(script: &str, db: Option<&Path>, args: &[&str]) -> Out {
    let mut c = std::process::Command::new("unshare");
    c.args(["-rm", "sh", "-c", script, "sh"])
        .arg(assert_cmd::cargo::cargo_bin("tix"));
    if let Some(db) = db {
        c.arg("--db").arg(db);
    }
    c.args(args).env_remove("TIX_USER").env_remove("TIX_DB");
    let out = finish_std(c);
    assert_ne!(out.code, 99, "could not set up the mount: {}", out.stderr);
    out
}

fn finish_std(mut c: std::process::Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The start of a namespace script that mounts `dir` read-only over itself.
fn read_only(dir: &Path) -> String {
    let d = dir.display();
    format!("mount --bind '{d}' '{d}' && mount -o remount,bind,ro '{d}' || exit 99;")
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
    // At event 1's gate, event 2's ticket is wrong_event, exit 6, in both commands, for
    // its promoter and for staff of event 1 alike (staff got exit 4 from one of them).
    t.add_staff_user();
    t.as_(
        PROMOTER,
        &["event", "staff", "add", &event.to_string(), STAFF],
    )
    .ok();
    for who in [PROMOTER, STAFF] {
        let v = verdict(&validate(&t, who, &[&theirs.qr_payload]).code(6));
        assert_eq!(v.reason, "wrong_event", "{who}");
        if who == STAFF {
            assert_eq!(
                v.ticket_id, None,
                "staff of another event learn nothing of it"
            );
        }
        let out = scan_loop(
            &t,
            Some(who),
            &["--json"],
            &format!("{}\n", theirs.qr_payload),
        );
        assert_eq!(out.code, 6, "{who}");
        assert_eq!(out.json()[0]["reason"], "wrong_event", "{who}");
        assert_eq!(status(&t, &theirs), "valid");
    }
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
    let (t, event, tk, gate) = transferred_after_export("cem@example.com", "north.tixgate");
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
    let new_code = current_code(&t, "cem@example.com", &tk.uuid);
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
    transfer(&t, &tk[4].uuid, "cem@example.com");
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
    transfer(&t, &tk.uuid, "cem@example.com");
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
    let method = t
        .sql_text(&format!(
            "SELECT method FROM scans WHERE ticket_id = {} AND reason = 'ok'",
            tk.id
        ))
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

// ---------------------------------------------------------------------------------------
// 5-9. Data lost or overwritten
// ---------------------------------------------------------------------------------------

/// Whether the database still opens and holds its tickets.
fn db_intact(t: &Tix) {
    t.admin(&["ticket", "list", "--event", "1", "--json"]).ok();
}

#[test]
fn qr_output_and_gate_files_never_overwrite_the_live_database() {
    if sqlite_only("outputs over the database file") {
        return;
    }
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let db = t.db().display().to_string();
    let wal = format!("{db}-wal");
    let same_db_other_spelling = t.dir().join(".").join("tix.db").display().to_string();
    for out in [&db, &wal, &same_db_other_spelling] {
        t.as_(
            PROMOTER,
            &["ticket", "qr", &tk.uuid, "--out", out, "--force"],
        )
        .code(5)
        .err_has("database");
        t.as_(
            PROMOTER,
            &["ticket", "show", &tk.uuid, "--qr", out, "--force"],
        )
        .code(5)
        .err_has("database");
        t.as_(
            PROMOTER,
            &[
                "scanner",
                "export",
                &event.to_string(),
                "--out",
                out,
                "--force",
            ],
        )
        .code(5)
        .err_has("database");
        db_intact(&t);
    }
    // Any other existing file is replaced only with --force.
    let png = t.write_file("code.png", b"precious");
    t.as_(PROMOTER, &["ticket", "qr", &tk.uuid, "--out", &png])
        .code(5)
        .err_has("--force");
    assert_eq!(std::fs::read(&png).unwrap(), b"precious");
    t.as_(
        PROMOTER,
        &["ticket", "qr", &tk.uuid, "--out", &png, "--force"],
    )
    .ok();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    t.as_(PROMOTER, &["ticket", "show", &tk.uuid, "--qr", &png])
        .code(5);
    // A directory is not a file name.
    let dir = t.dir().display().to_string();
    t.as_(
        PROMOTER,
        &["scanner", "export", &event.to_string(), "--out", &dir],
    )
    .code(2)
    .err_has("directory");
    // Bulk output into a directory that already holds the codes needs --force too.
    let codes = t.dir().join("codes").display().to_string();
    let ev = event.to_string();
    t.as_(
        PROMOTER,
        &["ticket", "qr", "--event", &ev, "--out-dir", &codes],
    )
    .ok();
    t.as_(
        PROMOTER,
        &["ticket", "qr", "--event", &ev, "--out-dir", &codes],
    )
    .code(5)
    .err_has("--force");
    t.as_(
        PROMOTER,
        &[
            "ticket",
            "qr",
            "--event",
            &ev,
            "--out-dir",
            &codes,
            "--force",
        ],
    )
    .ok();
}

/// Runs `tix ARGS` (as PROMOTER, on `t`'s database) with a tiny tmpfs of `kib` KiB
/// mounted at `dir`, in a user and mount namespace of its own: a real full disk (`kib`
/// 0: full from the start). Prints what is left in `dir` after tix exits, one
/// `SIZE NAME` a line, after a `--` line.
fn on_a_full_disk(t: &Tix, dir: &Path, kib: u32, args: &[&str]) -> Out {
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        "mount -t tmpfs -o size={size}k tmpfs '{d}' || exit 99; \
         if [ {kib} = 0 ]; then cat /dev/zero > '{d}/.filler' 2>/dev/null; fi; \
         \"$@\"; rc=$?; echo --; \
         find '{d}' -type f ! -name .filler -printf '%s %f\\n'; exit $rc",
        size = kib.max(4),
        d = dir.display()
    );
    let mut all = vec!["--as", PROMOTER];
    all.extend_from_slice(args);
    in_namespace(&script, Some(t.db()), &all)
}

#[test]
fn a_full_disk_is_an_error_and_leaves_no_empty_png() {
    let (t, event, tier) = on_sale_with(&["--quantity", "100", "--max-purchase", "10"]);
    for _ in 0..3 {
        buy_tickets(&t, tier, 10);
    }
    let dir = t.dir().join("full");
    let out = on_a_full_disk(
        &t,
        &dir,
        24,
        &[
            "ticket",
            "qr",
            "--event",
            &event.to_string(),
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("of 30 files were written"),
        "{}",
        out.stderr
    );
    let left: Vec<&str> = out.stdout.split("--\n").nth(1).unwrap().lines().collect();
    assert!(left.len() < 30, "{left:?}");
    for line in &left {
        let (size, name) = line.split_once(' ').unwrap();
        assert_ne!(size, "0", "an empty file under a final name: {line}");
        assert!(
            name.ends_with(".png") && !name.starts_with('.'),
            "a temporary file was left: {line}"
        );
    }
    let written: usize = out
        .stderr
        .split("only ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(
        written,
        left.len(),
        "the count says how many files are really there"
    );
    // One file on a full disk: an error, and no file.
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let one = dir.join("one.png");
    let out = on_a_full_disk(
        &t,
        &dir,
        0,
        &["ticket", "qr", &tk.uuid, "--out", one.to_str().unwrap()],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout.split("--\n").nth(1).unwrap().trim(),
        "",
        "{out:?}"
    );
}

#[test]
fn a_gate_file_left_with_a_hot_journal_by_a_crash_is_recovered_and_merges() {
    let (t, event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 10);
    let gate = export(&t, event, "gate.tixgate");
    offline_ok(&t, &gate, "laptop", &[&o.tickets[0].qr_payload]);
    // A write in progress on the gate file, its pages already spilled to disk beside a
    // journal, and then the machine stops: copying both files mid-transaction is exactly
    // what a crash leaves.
    let crashed = t.dir().join("crashed.tixgate");
    {
        let c = Connection::open(&gate).unwrap();
        c.execute_batch(
            "PRAGMA cache_size = 1; BEGIN IMMEDIATE;
             UPDATE gate_tickets SET attendee_name = hex(randomblob(3000));
             INSERT INTO scans (scan_uuid, scanned_at, device, result, reason) VALUES ('torn', 0, 'x', 'accepted', 'ok');",
        )
        .unwrap();
        let journal = format!("{}-journal", gate.display());
        assert!(
            std::fs::metadata(&journal).unwrap().len() > 0,
            "no hot journal to copy"
        );
        std::fs::copy(&gate, &crashed).unwrap();
        std::fs::copy(&journal, format!("{}-journal", crashed.display())).unwrap();
        c.execute_batch("ROLLBACK").unwrap();
    }
    // The next scan on it works (and rolls the torn write back) …
    offline_ok(&t, &crashed, "laptop", &[&o.tickets[1].qr_payload]);
    // … and merge takes both committed admissions and nothing of the torn write.
    let report = merge(&t, event, &[&crashed], &[]);
    assert_eq!(report["admitted"], 2, "{report:#}");
    assert_eq!(report["conflicts"], serde_json::json!([]));
    // A crashed file merges without a scan first, too.
    let crashed2 = t.dir().join("crashed2.tixgate");
    {
        let c = Connection::open(&gate).unwrap();
        c.execute_batch(
            "PRAGMA cache_size = 1; BEGIN IMMEDIATE; UPDATE gate_tickets SET attendee_name = hex(randomblob(3000));",
        )
        .unwrap();
        std::fs::copy(&gate, &crashed2).unwrap();
        std::fs::copy(
            format!("{}-journal", gate.display()),
            format!("{}-journal", crashed2.display()),
        )
        .unwrap();
    }
    let report = merge(&t, event, &[&crashed2], &[]);
    assert_eq!(
        report["scans_merged"], 0,
        "its one scan was merged with the other copy: {report:#}"
    );
}

#[test]
fn many_processes_creating_one_new_database_all_succeed() {
    let t = Tix::empty();
    for round in 0..4 {
        let db = t.dir().join(format!("fresh-{round}.db"));
        let children: Vec<_> = (0..10)
            .map(|i| {
                let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
                c.env_remove("TIX_USER")
                    .env_remove("TIX_DB")
                    .arg("--db")
                    .arg(&db);
                if i % 2 == 0 {
                    c.args(["init", "--admin", ADMIN]);
                } else {
                    c.args(["init"]);
                }
                c.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let o = child.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let mut c = t.cmd_at(&db);
        c.args(["--as", ADMIN, "user", "list", "--json"]);
        let users = finish(c).ok().json();
        assert_eq!(users.as_array().unwrap().len(), 1, "one admin: {users}");
    }
}

// ---------------------------------------------------------------------------------------
// 10-14. Hostile or broken input
// ---------------------------------------------------------------------------------------

#[test]
fn a_tampered_time_in_a_gate_file_cannot_stop_checkin_stats() {
    let (t, event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 2);
    let gate = export(&t, event, "gate.tixgate");
    offline_ok(&t, &gate, "laptop", &[&o.tickets[0].qr_payload]);
    gate_db(&gate)
        .execute_batch(
            "UPDATE gate SET exported_at = 9223372036854775807;
             UPDATE scans SET scanned_at = 9223372036854775807;",
        )
        .unwrap();
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(report["admitted"], 1);
    // The merged time is a sane one: not after now.
    let at = t
        .admin(&["ticket", "show", &o.tickets[0].uuid, "--json"])
        .ok()
        .json()["checked_in_at"]
        .as_str()
        .unwrap()
        .to_string();
    let at = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    assert!(at <= chrono::Utc::now(), "{at}");
    // Even a database that already holds such a time (from an older tix) reports at once.
    t.sql(&format!(
        "UPDATE tickets SET status = 'used', checked_in_at = 9223372036854775807 WHERE id = {}",
        o.tickets[1].id
    ));
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
    c.arg("--db").arg(t.db()).args([
        "--as",
        PROMOTER,
        "checkin",
        "stats",
        &event.to_string(),
        "--json",
    ]);
    c.env_remove("TIX_USER").env_remove("TIX_DB");
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("checkin stats did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
}

#[test]
fn one_bad_line_does_not_end_the_scan_loop() {
    let (t, _event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 2);
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(o.tickets[0].qr_payload.as_bytes());
    input.extend_from_slice(b"\n\xff\xfe\xc3 not utf-8\n");
    input.extend_from_slice(&vec![b'A'; 100_000]);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(o.tickets[1].qr_payload.as_bytes());
    input.extend_from_slice(b"\n");
    let mut c = t.cmd();
    c.args([
        "--as", PROMOTER, "checkin", "scan", "--event", "1", "--json",
    ])
    .write_stdin(input);
    let out = finish(c);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let reasons: Vec<String> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons, ["ok", "unknown_ticket", "unknown_ticket", "ok"]);
    assert_eq!(status(&t, &o.tickets[1]), "used");
}

#[test]
fn control_characters_never_reach_other_peoples_screens() {
    let (t, event, tier) = big_sale();
    let evil = "Eve\x1b[2J\x1b[31mHACKED\x07";
    t.admin(&["user", "add", "eve@example.com", "--name", evil])
        .code(2)
        .err_has("control characters");
    t.admin(&[
        "user",
        "add",
        "eve@example.com",
        "--name",
        "Eve\nSecond line",
    ])
    .code(2);
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    for gate in [evil, &"G".repeat(10_000), "North\nSouth"] {
        validate(&t, PROMOTER, &[&tk.qr_payload, "--gate", gate]).code(2);
        let out = scan_loop(&t, Some(PROMOTER), &["--gate", gate], "");
        assert_eq!(out.code, 2, "{out:?}");
    }
    let mut c = t.cmd();
    c.env("TIX_DEVICE", evil)
        .args(["--as", PROMOTER, "validate", &tk.qr_payload, "--event", "1"]);
    finish(c).code(2).err_has("TIX_DEVICE");
    assert_eq!(
        status(&t, &tk),
        "valid",
        "nothing was admitted by a refused command"
    );
    // Errors that echo a file's content show escapes, not the raw bytes.
    let file = t.write_file("tiers.csv", format!("name,price,quantity\n{evil},abc,5\n"));
    let out = t.as_(PROMOTER, &["tier", "import", &event.to_string(), &file]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\x07'),
        "{:?}",
        out.stderr
    );
    // A gate file edited to carry escape codes in a name shows them as text at the gate.
    let gate = export(&t, event, "gate.tixgate");
    gate_db(&gate)
        .execute("UPDATE gate_tickets SET attendee_name = ?1", [evil])
        .unwrap();
    let mut c = t.cmd_at(&gate);
    c.args(["validate", &tk.qr_payload]);
    let out = finish(c).ok();
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
    assert!(out.stdout.contains("HACKED"), "{:?}", out.stdout);
}

#[test]
fn errors_say_what_happened_and_what_to_do() {
    let (t, event, tier) = big_sale();
    let ev = event.to_string();
    // Another process holds the write lock: a distinct "busy" code that says retry.
    let lock = t.hold_write_lock();
    let mut c = t.cmd();
    c.env("TIX_BUSY_TIMEOUT_MS", "300").args([
        "--as",
        BUYER,
        "order",
        "create",
        "--tier",
        &tier.to_string(),
        "--quantity",
        "1",
        "--json",
    ]);
    let out = finish(c).code(1).err_has("busy").err_has("try again");
    assert_eq!(out.json()["error"]["code"], "busy");
    drop(lock);
    // A damaged gate file.
    let gate = export(&t, event, "gate.tixgate");
    gate_db(&gate).execute_batch("DROP TABLE gate").unwrap();
    let g = gate.display().to_string();
    t.as_(PROMOTER, &["scanner", "merge", &ev, &g])
        .code(1)
        .err_has("damaged");
    let mut c = t.cmd_at(&gate);
    c.args(["checkin", "scan"]).write_stdin("x\n");
    finish(c).code(1).err_has("damaged");
    // A merge of a file that is not there names it.
    let missing = t.dir().join("nowhere.tixgate").display().to_string();
    t.as_(PROMOTER, &["scanner", "merge", &ev, &missing])
        .code(3)
        .err_has("nowhere.tixgate");
}

#[test]
fn a_read_only_database_can_still_be_read() {
    if sqlite_only("a read-only database file") {
        return;
    }
    let (t, event, _tier) = big_sale();
    // The database's directory mounted read-only, in a namespace of the test's own.
    let script = format!("{} exec \"$@\"", read_only(t.dir()));
    let run = |args: &str| {
        let args: Vec<&str> = args.split(' ').collect();
        in_namespace(&script, Some(t.db()), &args)
    };
    let listed = run("event list --json").ok().json();
    assert_eq!(listed[0]["id"], event);
    run(&format!("--as {PROMOTER} tier list {event}")).ok();
    run(&format!(
        "--as {PROMOTER} event create --title X --starts-at 2030-01-01T10:00:00Z"
    ))
    .code(1)
    .err_has("read-only");
}

// ---------------------------------------------------------------------------------------
// 15-16. Bulk work
// ---------------------------------------------------------------------------------------

/// Issue 11, defect 16: a 1,000,000-ticket comp order needed 644 MB even with `-q`.
/// Memory stays flat whatever the quantity: 200,000 tickets run under a 64 MB address
/// space limit (holding them would need well over twice that).
#[test]
fn a_huge_comp_order_runs_in_flat_memory() {
    let (t, _event, tier) = on_sale_with(&["--quantity", "200000", "--max-purchase", "10"]);
    let script = "ulimit -v 64000 || exit 99; exec \"$@\"";
    let mut c = std::process::Command::new("sh");
    c.args(["-c", script, "sh"])
        .arg(assert_cmd::cargo::cargo_bin("tix"))
        .arg("--db")
        .arg(t.db())
        .args(["--as", PROMOTER, "-q", "order", "create", "--comp"])
        .args(["--tier", &tier.to_string(), "--quantity", "200000"])
        .env_remove("TIX_USER")
        .env_remove("TIX_DB");
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let shown = t.show_tier(tier);
    assert_eq!(shown["sold"], 200_000);
    assert_eq!(t.sql_i64("SELECT count(*) FROM tickets"), 200_000);
}

#[test]
fn a_gate_file_on_a_full_or_read_only_disk() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    // Exporting onto a full disk: an error that says so, and no file.
    let dir = t.dir().join("full");
    let out = on_a_full_disk(
        &t,
        &dir,
        0,
        &[
            "scanner",
            "export",
            &event.to_string(),
            "--out",
            dir.join("g.tixgate").to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("full"), "{}", out.stderr);
    assert_eq!(
        out.stdout.split("--\n").nth(1).unwrap().trim(),
        "",
        "{out:?}"
    );
    // A gate file brought back on a write-protected stick still merges.
    let stick = t.dir().join("stick");
    std::fs::create_dir_all(&stick).unwrap();
    let gate = export(&t, event, "stick/north.tixgate");
    offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]);
    let s = stick.display().to_string();
    let script = format!(
        "{} \"$@\"; rc=$?; \
         \"$1\" --db '{s}/north.tixgate' checkin scan < /dev/null 2>&1 | head -1; \
         \"$1\" --db '{s}/north.tixgate' validate --ticket 1 --manual 2>&1 | head -1; exit $rc",
        read_only(&stick)
    );
    let ev = event.to_string();
    let g = gate.display().to_string();
    let o = in_namespace(
        &script,
        Some(t.db()),
        &["--as", PROMOTER, "scanner", "merge", &ev, &g],
    );
    let stdout = o.stdout.clone();
    assert_eq!(o.code, 0, "{stdout}{}", o.stderr);
    assert_eq!(status(&t, &tk), "used");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("read-only")).count(),
        2,
        "scanning on it, and admitting by hand, say why they cannot: {stdout}"
    );
}

// ---------------------------------------------------------------------------------------
// Found by a second hostile trial of this work
// ---------------------------------------------------------------------------------------

/// SQLite names the journal files after the database as it resolves it: through a
/// symbolic link, `real.db-wal` is the live WAL of `link.db`.
#[test]
fn outputs_never_replace_the_journals_of_a_database_opened_through_a_link() {
    if sqlite_only("a database file's journals") {
        return;
    }
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let link = t.dir().join("link.db");
    std::os::unix::fs::symlink(t.db(), &link).unwrap();
    let real = t.db().display().to_string();
    for suffix in ["-wal", "-shm", "-journal"] {
        let out = format!("{real}{suffix}");
        for args in [
            vec!["ticket", "qr", tk.uuid.as_str(), "--out", &out, "--force"],
            vec!["ticket", "show", tk.uuid.as_str(), "--qr", &out, "--force"],
        ] {
            let mut c = t.cmd_at(&link);
            c.args(["--as", PROMOTER]).args(&args);
            finish(c).code(5).err_has("database");
        }
        let mut c = t.cmd_at(&link);
        c.args([
            "--as",
            PROMOTER,
            "scanner",
            "export",
            &event.to_string(),
            "--out",
            &out,
            "--force",
        ]);
        finish(c).code(5).err_has("database");
    }
}

#[test]
fn an_edited_version_cannot_hide_a_transfer_from_an_accepted_manual_admission() {
    let (t, event, tk, gate) = transferred_after_export("eve@example.com", "g.tixgate");
    offline_ok(&t, &gate, "laptop", &[&tk.uuid]);
    gate_db(&gate)
        .execute_batch(
            "UPDATE scans SET secret_version = 2; UPDATE gate_tickets SET secret_version = 2;",
        )
        .unwrap();
    let report = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(kinds(&report), ["admitted_after_transfer"], "{report:#}");
    assert_eq!(status(&t, &tk), "valid", "the new holder can still get in");
}

#[test]
fn the_new_holders_code_gets_in_at_a_gate_file_where_the_old_code_got_in_first() {
    let (t, event, tk, gate) = transferred_after_export("eve@example.com", "g.tixgate");
    let new_code = current_code(&t, "eve@example.com", &tk.uuid);
    offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]); // the old holder, first
    offline_ok(&t, &gate, "laptop", &[&new_code]); // the rightful holder still gets in
    offline(&t, &gate, "laptop", &[&new_code]).code(6); // once
    offline(&t, &gate, "laptop", &[&tk.qr_payload]).code(6); // and the old code is dead
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(kinds(&report), ["admitted_after_transfer"], "{report:#}");
    assert_eq!(report["admitted"], 1);
    assert_eq!(status(&t, &tk), "used");
}

#[test]
fn offline_admissions_to_an_event_cancelled_online_are_conflicts() {
    let (t, event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 1);
    let gate = export(&t, event, "g.tixgate");
    t.cancel(event);
    offline_ok(&t, &gate, "laptop", &[&o.tickets[0].qr_payload]);
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(kinds(&report), ["admitted_after_cancel"], "{report:#}");
    // Cancelling the event refunded its orders; the offline admission does not undo it.
    assert_eq!(status(&t, &o.tickets[0]), "refunded");
}

#[test]
fn an_edited_file_cannot_borrow_another_scans_id() {
    let (t, event, tier) = big_sale();
    let (second, second_tier) = second_event(&t, "Second");
    let mine = buy_tickets(&t, tier, 1).tickets[0].clone();
    let theirs = buy_tickets(&t, second_tier, 1).tickets[0].clone();
    let g2 = export(&t, second, "g2.tixgate");
    offline(
        &t,
        &g2,
        "laptop",
        &["--ticket", &theirs.id.to_string(), "--manual"],
    )
    .code(0);
    let report = merge(&t, second, &[&g2], &[]);
    assert_eq!(kinds(&report), ["manual_admission"]);
    let borrowed: String = gate_db(&g2)
        .query_row("SELECT scan_uuid FROM scans", [], |r| r.get(0))
        .unwrap();
    let g1 = export(&t, event, "g1.tixgate");
    gate_db(&g1)
        .execute(
            "INSERT INTO scans (scan_uuid, ticket_uuid, secret_version, scanned_at, device, result, reason, method)
             VALUES (?1, ?2, 1, strftime('%s','now'), 'x', 'accepted', 'ok', 'manual')",
            params![borrowed, mine.uuid],
        )
        .unwrap();
    let report = merge(&t, event, &[&g1], &["--accept-manual"]);
    assert_eq!(report["admitted"], 0, "{report:#}");
    assert_eq!(status(&t, &mine), "valid");
    // The genuine manual admission it borrowed from can still be recorded.
    let report = merge(&t, second, &[&g2], &["--accept-manual"]);
    assert_eq!(report["admitted"], 1, "{report:#}");
    assert_eq!(status(&t, &theirs), "used");
}

#[test]
fn gate_commands_honour_the_busy_timeout_and_staff_cannot_accept_manual_admissions() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let lock = t.hold_write_lock();
    let mut c = t.cmd();
    c.env("TIX_BUSY_TIMEOUT_MS", "200").args([
        "--as",
        PROMOTER,
        "validate",
        &tk.qr_payload,
        "--event",
        "1",
        "--json",
    ]);
    let started = std::time::Instant::now();
    let out = finish(c).code(1);
    assert_eq!(out.json()["error"]["code"], "busy");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "it waited the full 30 s"
    );
    drop(lock);
    t.add_staff_user();
    let ev = event.to_string();
    t.as_(PROMOTER, &["event", "staff", "add", &ev, STAFF]).ok();
    let gate = export(&t, event, "g.tixgate");
    let g = gate.display().to_string();
    t.as_(STAFF, &["scanner", "merge", &ev, &g]).merged();
    t.as_(STAFF, &["scanner", "merge", &ev, &g, "--accept-manual"])
        .code(4);
}

#[test]
fn an_empty_file_is_no_database_and_is_left_untouched() {
    if sqlite_only("an empty database file") {
        return;
    }
    let t = Tix::empty();
    std::fs::write(t.db(), b"").unwrap();
    t.run(&["event", "list"]).code(1).err_has("empty");
    assert_eq!(std::fs::metadata(t.db()).unwrap().len(), 0);
    t.run(&["init"]).ok();
}

#[test]
fn double_admissions_are_marked_in_the_scan_log_and_names_cannot_hide_their_direction() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "g.tixgate");
    admit(&t, PROMOTER, &[&tk.qr_payload]);
    offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]);
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(kinds(&report), ["double_admission"]);
    let marked = t
        .sql_text("SELECT conflict FROM scans WHERE offline")
        .unwrap();
    assert_eq!(marked, "double_admission");
    // A right-to-left override would make a name read as another.
    t.admin(&["user", "add", "x@example.com", "--name", "Ann\u{202E}eeL"])
        .code(2);
}

// ---------------------------------------------------------------------------------------
// Found by a third hostile trial
// ---------------------------------------------------------------------------------------

#[test]
fn a_gate_file_cannot_pass_for_a_later_export_by_its_id() {
    let (t, event, tier) = big_sale();
    add_user(&t, "cem@example.com", "user");
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let a = export(&t, event, "a.tixgate");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    transfer(&t, &tk.uuid, "cem@example.com");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = export(&t, event, "b.tixgate");
    // The old holder, admitted from a's out-of-date door list …
    offline(
        &t,
        &a,
        "laptop",
        &["--ticket", &tk.id.to_string(), "--manual"],
    )
    .code(0);
    // … and a's id replaced by b's.
    let b_id: String = gate_db(&b)
        .query_row("SELECT file_id FROM gate", [], |r| r.get(0))
        .unwrap();
    gate_db(&a)
        .execute("UPDATE gate SET file_id = ?1", [b_id])
        .unwrap();
    let report = merge(&t, event, &[&a], &["--accept-manual"]);
    assert_eq!(report["admitted"], 0, "{report:#}");
    assert_eq!(kinds(&report), ["unverifiable_scan"]);
    assert_eq!(status(&t, &tk), "valid", "the new holder can still get in");
}

#[test]
fn outputs_never_replace_the_journals_of_the_database_under_another_hard_linked_name() {
    if sqlite_only("a database file's journals") {
        return;
    }
    let (t, _event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let hard = t.dir().join("hard.db");
    std::fs::hard_link(t.db(), &hard).unwrap();
    let wal = format!("{}-wal", t.db().display());
    let mut c = t.cmd_at(&hard);
    c.args([
        "--as", PROMOTER, "ticket", "qr", &tk.uuid, "--out", &wal, "--force",
    ]);
    finish(c).code(5).err_has("database");
}

#[test]
fn a_re_merged_manual_admission_that_was_a_double_admission_is_marked_so() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "g.tixgate");
    offline(
        &t,
        &gate,
        "laptop",
        &["--ticket", &tk.id.to_string(), "--manual"],
    )
    .code(0);
    assert_eq!(
        kinds(&merge(&t, event, &[&gate], &[])),
        ["manual_admission"]
    );
    admit(&t, PROMOTER, &[&tk.qr_payload]);
    let report = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(kinds(&report), ["double_admission"], "{report:#}");
    let marked = t
        .sql_text("SELECT conflict FROM scans WHERE offline")
        .unwrap();
    assert_eq!(marked, "double_admission");
}

#[test]
fn small_things_a_third_trial_found() {
    let (t, event, tier) = on_sale_with(&[
        "--requires-approval",
        "--quantity",
        "10",
        "--max-purchase",
        "4",
    ]);
    // An order of a cancelled event cannot be approved.
    let o = crate::order::order(&crate::order::buy(&t, BUYER, tier, 2).ok());
    assert_eq!(o.status, "pending_approval");
    t.cancel(event);
    t.as_(PROMOTER, &["order", "approve", &o.id.to_string()])
        .code(5)
        .err_has("cancelled");
    // A path echoed in a note is escaped.
    let (t, _event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let evil = t.dir().join("s\x1b[31mX\x07\u{202E}.png");
    let out = t.as_(
        PROMOTER,
        &["ticket", "show", &tk.uuid, "--qr", evil.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\u{202E}'),
        "{:?}",
        out.stderr
    );
    // Invisible characters and line separators are no part of a name.
    for bad in [
        "Ann\u{2028}Lee",
        "Ann\u{200B}",
        "\u{FEFF}Ann",
        "An\u{00AD}n",
    ] {
        t.admin(&["user", "add", "z@example.com", "--name", bad])
            .code(2);
    }
    // A gate file locked by another process is busy, not damaged.
    let gate = export(&t, 1, "g.tixgate");
    let lock = gate_db(&gate);
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut c = t.cmd_at(&gate);
    c.env("TIX_BUSY_TIMEOUT_MS", "200")
        .args(["validate", &tk.qr_payload, "--json"]);
    let out = finish(c).code(1);
    assert_eq!(out.json()["error"]["code"], "busy", "{out:?}");
    drop(lock);
}

#[test]
fn the_last_seats_below_a_tiers_minimum_say_so() {
    let (t, _event, tier) = on_sale_with(&[
        "--quantity",
        "3",
        "--min-purchase",
        "2",
        "--max-purchase",
        "3",
    ]);
    crate::order::buy(&t, BUYER, tier, 2).ok();
    crate::order::buy(&t, BUYER, tier, 2)
        .code(5)
        .err_has("minimum of 2");
}

// ---------------------------------------------------------------------------------------
// Found by a fourth hostile trial
// ---------------------------------------------------------------------------------------

/// A transfer whose clock time falls before the export's (a transfer committed while
/// the export ran, or a clock step) is still after the export for merge: it is judged
/// by the audit log's order, not its times.
#[test]
fn a_transfer_racing_an_export_is_still_seen_by_merge() {
    let (t, event, tk, gate) = transferred_after_export("bob@example.com", "g.tixgate");
    t.sql("UPDATE audit_log SET at = at - 3600 WHERE action = 'ticket.transfer'");
    offline(
        &t,
        &gate,
        "laptop",
        &["--ticket", &tk.id.to_string(), "--manual"],
    )
    .code(0);
    let report = merge(&t, event, &[&gate], &["--accept-manual"]);
    assert_eq!(kinds(&report), ["admitted_after_transfer"], "{report:#}");
    assert_eq!(status(&t, &tk), "valid");
}

#[test]
fn outputs_are_never_devices_or_pipes_and_long_names_work() {
    let (t, _event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let fifo = t.dir().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    t.as_(
        PROMOTER,
        &[
            "ticket",
            "qr",
            &tk.uuid,
            "--out",
            fifo.to_str().unwrap(),
            "--force",
        ],
    )
    .code(2)
    .err_has("not a regular file");
    assert!(!std::fs::metadata(&fifo).unwrap().is_file());
    let long = t.dir().join(format!("{}.png", "n".repeat(246)));
    t.as_(
        PROMOTER,
        &["ticket", "qr", &tk.uuid, "--out", long.to_str().unwrap()],
    )
    .ok();
    assert!(long.is_file());
}

#[test]
fn a_refused_database_keeps_its_write_ahead_log() {
    let t = Tix::empty();
    let db = t.dir().join("newer.db");
    let copy = t.dir().join("copy.db");
    {
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA application_id = 1414092849; CREATE TABLE x (y);
             PRAGMA user_version = 99; INSERT INTO x VALUES (1);",
        )
        .unwrap();
        // Both files as a crash (or a copy) leaves them, the log not yet folded in.
        std::fs::copy(&db, &copy).unwrap();
        std::fs::copy(
            format!("{}-wal", db.display()),
            format!("{}-wal", copy.display()),
        )
        .unwrap();
    }
    let wal = format!("{}-wal", copy.display());
    let before = (std::fs::read(&copy).unwrap(), std::fs::read(&wal).unwrap());
    let mut c = t.cmd_at(&copy);
    c.args(["event", "list"]);
    finish(c).code(1).err_has("schema version 99");
    let after = (std::fs::read(&copy).unwrap(), std::fs::read(&wal).unwrap());
    assert!(before == after, "the refused file or its log was changed");
}

#[test]
fn a_read_only_database_with_pending_changes_is_not_read_stale() {
    if sqlite_only("a database file's write-ahead log") {
        return;
    }
    let (t, _event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 1);
    let stick = t.dir().join("stick");
    std::fs::create_dir_all(&stick).unwrap();
    // A copy taken while a process held the database open: its log has the refund.
    let holder = Connection::open(t.db()).unwrap();
    holder
        .query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))
        .unwrap();
    t.as_(PROMOTER, &["order", "refund", &o.id.to_string(), "--yes"])
        .ok();
    std::fs::copy(t.db(), stick.join("m.db")).unwrap();
    std::fs::copy(format!("{}-wal", t.db().display()), stick.join("m.db-wal")).unwrap();
    drop(holder);
    let script = format!("{} exec \"$@\"", read_only(&stick));
    let o = in_namespace(
        &script,
        Some(&stick.join("m.db")),
        &["--as", PROMOTER, "order", "list"],
    );
    let stderr = o.stderr.clone();
    assert_eq!(o.code, 1, "{stderr}");
    assert!(stderr.contains("write-ahead log"), "{stderr}");
}

#[test]
fn small_things_a_fourth_trial_found() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    // Names that show nothing, or hide a character in another.
    for bad in ["\u{3164}", "V\u{034F}IP", "\u{FE0F}", "A\u{E0020}"] {
        t.admin(&["user", "add", "q@example.com", "--name", bad])
            .code(2);
    }
    // A re-merge that records an earlier manual admission is in the audit log.
    let gate = export(&t, event, "g.tixgate");
    offline(
        &t,
        &gate,
        "laptop",
        &["--ticket", &tk.id.to_string(), "--manual"],
    )
    .code(0);
    merge(&t, event, &[&gate], &[]);
    let merges = |t: &Tix| -> i64 {
        t.sql_i64("SELECT count(*) FROM audit_log WHERE action = 'scanner.merge'")
    };
    let before = merges(&t);
    assert_eq!(
        merge(&t, event, &[&gate], &["--accept-manual"])["admitted"],
        1
    );
    assert_eq!(merges(&t), before + 1);
    // A busy gate file says how long it waited.
    let lock = gate_db(&gate);
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut c = t.cmd_at(&gate);
    c.env("TIX_BUSY_TIMEOUT_MS", "250")
        .args(["validate", &tk.qr_payload]);
    finish(c).code(1).err_has("250 ms");
    drop(lock);
    // A command group without its subcommand answers JSON when asked to.
    let out = t.run(&["--json", "ticket"]).code(2);
    assert_eq!(out.json()["error"]["code"], "usage");
}

/// The database on a disk that fills up in the middle of a big order: the order fails
/// with an error that says the disk is full, nothing of it is kept, and the database
/// stays whole and usable.
#[test]
fn a_full_disk_under_the_database_keeps_it_whole() {
    let t = Tix::empty();
    let dir = t.dir().join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let script = format!(
        r#"mount -t tmpfs -o size=1200k tmpfs '{d}' || exit 99
T="$1"; DB='{d}/t.db'
"$T" --db "$DB" init --admin a@x.com -q >/dev/null || exit 98
"$T" --db "$DB" --as a@x.com user add p@x.com --name P --role promoter -q >/dev/null
"$T" --db "$DB" --as a@x.com user verify p@x.com -q >/dev/null
"$T" --db "$DB" --as p@x.com event create --title F --starts-at "2030-01-01 10:00" -q >/dev/null
"$T" --db "$DB" --as p@x.com tier create 1 --name GA --price 0 --quantity 100000 -q >/dev/null
"$T" --db "$DB" --as p@x.com event publish 1 -q >/dev/null
"$T" --db "$DB" --as p@x.com order create --tier 1 --quantity 50000 --comp -q 2>&1 >/dev/null
echo "rc=$?"
"$T" --db "$DB" --as p@x.com tier show 1 --json | grep '"sold"'
"$T" --db "$DB" --as p@x.com order create --tier 1 --quantity 2 --comp -q >/dev/null && echo next-ok
"#
    );
    let out = in_namespace(&script, None, &[]).stdout;
    assert!(
        out.contains("full"),
        "the error says the disk is full: {out}"
    );
    assert!(out.contains("rc=1"), "{out}");
    assert!(
        out.contains("\"sold\": 0"),
        "nothing of the failed order is kept: {out}"
    );
    assert!(
        out.contains("next-ok"),
        "the database is still usable: {out}"
    );
}

// ---------------------------------------------------------------------------------------
// Found by a fifth hostile trial (the surface beyond the gate)
// ---------------------------------------------------------------------------------------

#[test]
fn the_demo_never_fills_a_database_of_real_data() {
    let t = Tix::with_people();
    let ev = t.event(PROMOTER, "Real Gig");
    t.run(&["demo"]).code(5).err_has("new file");
    let users = t.admin(&["user", "list", "--json"]).ok().json();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| !u["email"].as_str().unwrap().ends_with("@demo.tix")),
        "{users}"
    );
    assert_eq!(
        t.admin(&["event", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let _ = ev;
    // On its own file it runs, twice, and says what it made in the audit log.
    let d = Tix::empty();
    d.run(&["demo"]).ok();
    d.run(&["demo"]).ok();
    let audit = d
        .as_("admin@demo.tix", &["audit", "list", "--json"])
        .ok()
        .json();
    let made = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "demo.create")
        .count();
    assert_eq!(made, 1);
}

#[test]
fn init_checks_everything_before_it_creates_the_file() {
    let t = Tix::empty();
    t.run(&["init", "--admin", "ok@example.com", "--name", "\u{3164}"])
        .code(2);
    assert!(!t.exists(), "a refused init left a database behind");
    t.run(&[
        "init",
        "--admin",
        "ok@example.com",
        "--name",
        &"x".repeat(300),
    ])
    .code(2);
    assert!(!t.exists());
}

#[test]
fn ticket_list_json_is_one_document_even_when_it_fails() {
    let (t, _event, tier) = big_sale();
    buy_tickets(&t, tier, 1);
    for args in [
        vec!["--json", "ticket", "list", "--owner", OTHER_PROMOTER],
        vec!["--json", "ticket", "list", "--event", "999"],
    ] {
        let out = t.as_(BUYER, &args);
        assert_ne!(out.code, 0);
        let v: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", out.stdout));
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    let mine = t.as_(BUYER, &["--json", "ticket", "list"]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[test]
fn small_things_a_fifth_trial_found() {
    let (t, event, tier) = on_sale_with(&["--quantity", "2001", "--max-purchase", "10"]);
    let ev = event.to_string();
    // Appended positions stop at the last one, with a message that says what to do.
    t.as_(
        PROMOTER,
        &[
            "tier",
            "create",
            &ev,
            "--name",
            "Last",
            "--price",
            "1",
            "--quantity",
            "5",
            "--position",
            "1000000",
        ],
    )
    .ok();
    t.as_(
        PROMOTER,
        &[
            "tier",
            "create",
            &ev,
            "--name",
            "After",
            "--price",
            "1",
            "--quantity",
            "5",
        ],
    )
    .code(5)
    .err_has("position");
    // Blank-looking names.
    for bad in ["\u{2800}", "\u{0301}"] {
        t.as_(
            PROMOTER,
            &[
                "tier",
                "create",
                &ev,
                "--name",
                bad,
                "--price",
                "1",
                "--quantity",
                "5",
            ],
        )
        .code(2);
    }
    // Staff accounts hold no tickets, however they would come by them.
    t.add_staff_user();
    let sold = buy_tickets(&t, tier, 1).tickets[0].clone();
    t.as_(BUYER, &["ticket", "transfer", &sold.uuid, "--to", STAFF])
        .code(5)
        .err_has("staff");
    t.as_(
        PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            "1",
            "--buyer",
            STAFF,
            "--comp",
        ],
    )
    .code(5)
    .err_has("staff");
    // 2000 of 2001 sold is not "100%".
    t.sell(tier, 1999);
    let shown = t.show_tier(tier);
    assert_eq!(shown["sold"], 2000);
    assert_eq!(shown["percent_sold"], 99.9);
    // A command group without its subcommand prints the error line too, after its help.
    let out = t.run(&["ticket"]).code(2);
    assert!(
        out.stderr.contains("error: a subcommand is missing"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Found by a sixth hostile trial
// ---------------------------------------------------------------------------------------

#[test]
fn a_dry_run_of_the_new_holders_code_changes_nothing_at_the_gate() {
    let (t, _event, tk, gate) = transferred_after_export("bob@example.com", "g.tixgate");
    let new_code = current_code(&t, "bob@example.com", &tk.uuid);
    offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]);
    offline(&t, &gate, "laptop", &[&new_code, "--dry-run"]).code(0);
    offline_ok(&t, &gate, "laptop", &[&new_code]);
}

#[test]
fn checkin_stats_never_say_everyone_is_in_while_someone_is_not() {
    let (t, event, tier) = on_sale_with(&["--quantity", "2000", "--max-purchase", "10"]);
    t.sell(tier, 2000);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    t.sql(&format!(
        "UPDATE tickets SET status = 'used', checked_in_at = {now}
         WHERE id IN (SELECT id FROM tickets ORDER BY id LIMIT 1999)"
    ));
    let s = t
        .as_(
            PROMOTER,
            &["checkin", "stats", &event.to_string(), "--json"],
        )
        .ok()
        .json();
    assert_eq!(s["percent"], 99.9, "{s:#}");
    assert_eq!(s["tiers"][0]["percent"], 99.9);
}

#[test]
fn a_scan_loop_that_fails_midway_still_writes_one_json_document() {
    use std::io::Write;
    let (t, event, tier) = big_sale();
    let o = buy_tickets(&t, tier, 2);
    let gate = export(&t, event, "g.tixgate");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"))
        .arg("--db")
        .arg(&gate)
        .args(["--json", "checkin", "scan"])
        .env("TIX_BUSY_TIMEOUT_MS", "200")
        .env_remove("TIX_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    writeln!(stdin, "{}", o.tickets[0].qr_payload).unwrap();
    // The array's opening and the first verdict (a line ends only when the next begins).
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.contains("\"valid\"") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "the scan loop ended early: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let lock = gate_db(&gate);
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    writeln!(stdin, "{}", o.tickets[1].qr_payload).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    text.push_str(&rest);
    let status = child.wait().unwrap();
    drop(lock);
    assert_eq!(status.code(), Some(1));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
    let items = doc.as_array().unwrap();
    assert_eq!(items.len(), 2, "{doc:#}");
    assert_eq!(items[0]["reason"], "ok");
    assert_eq!(items[1]["error"]["code"], "busy");
}

#[test]
fn merge_and_scan_reports_say_what_really_happened() {
    let (t, event, tier) = big_sale();
    add_user(&t, "bob@example.com", "user");
    let o = buy_tickets(&t, tier, 2);
    let (a, b) = (o.tickets[0].clone(), o.tickets[1].clone());
    let gate = export(&t, event, "g.tixgate");
    // a: in online, then again offline: the report names the offline device as this one.
    admit(&t, PROMOTER, &[&a.qr_payload]);
    offline_ok(&t, &gate, "north-laptop", &[&a.qr_payload]);
    // b: transferred, the new holder in online, the old code in offline.
    transfer(&t, &b.uuid, "bob@example.com");
    let new_code = current_code(&t, "bob@example.com", &b.uuid);
    admit(&t, PROMOTER, &[&new_code]);
    offline_ok(&t, &gate, "north-laptop", &[&b.qr_payload]);
    let report = merge(&t, event, &[&gate], &[]);
    let detail = |kind: &str| -> String {
        report["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == kind)
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(detail("double_admission").contains("this admission was on device north-laptop"));
    assert!(
        detail("admitted_after_transfer").contains("already in"),
        "{report:#}"
    );
    // A dry-run scan loop's summary admits nobody.
    let c = buy_tickets(&t, tier, 1).tickets[0].clone();
    let out = scan_loop(
        &t,
        Some(PROMOTER),
        &["--dry-run"],
        &format!("{}\n", c.qr_payload),
    );
    assert!(out.stderr.contains("would be admitted"), "{}", out.stderr);
}

/// Blanks around a code a gate file recorded are not part of it, for merge as at the
/// gate: the admission is merged, not reported as a scan without a code.
#[test]
fn merge_reads_a_recorded_code_as_the_gate_does() {
    let (t, event, tier) = big_sale();
    let tk = buy_tickets(&t, tier, 1).tickets[0].clone();
    let gate = export(&t, event, "gate.tixgate");
    offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]);
    gate_db(&gate)
        .execute("UPDATE scans SET code = ' ' || code || '  \n'", [])
        .unwrap();
    let report = merge(&t, event, &[&gate], &[]);
    assert_eq!(report["admitted"], 1, "{report:#}");
    assert!(kinds(&report).is_empty(), "{report:#}");
}
