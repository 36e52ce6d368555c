//! `tix db copy`: a whole database into a new file or an empty PostgreSQL database,
//! and back, with every table checked and every signed code still valid.

use std::path::Path;

use serde_json::Value;

use crate::common::*;
use crate::order::{buy, on_sale};

/// Copies the database of `t` to `to` as the admin; the report.
fn copy(t: &Tix, to: &Path) -> Value {
    t.as_(
        ADMIN,
        &["db", "copy", "--to", to.to_str().unwrap(), "--json"],
    )
    .ok()
    .json()
}

/// Table name → (rows, checksum), from a copy report.
fn sums(report: &Value) -> Vec<(String, i64, String)> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows"].as_i64().unwrap(),
                t["checksum"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_copy_and_its_copy_back_are_the_original_and_every_code_still_validates() {
    let (t, event, tier) = on_sale();
    // A deleted tier's id is never given again, in the copy either.
    let gone = t.tier(event, "Gone", &[])["id"].as_i64().unwrap();
    t.as_(PROMOTER, &["-y", "tier", "delete", &gone.to_string()])
        .ok();
    let order = buy(&t, BUYER, tier, 2).ok().json();
    let code = order["tickets"][0]["qr_payload"]
        .as_str()
        .unwrap()
        .to_string();
    let used = order["tickets"][1]["qr_payload"]
        .as_str()
        .unwrap()
        .to_string();
    let ev = event.to_string();
    t.as_(PROMOTER, &["validate", &used, "--event", &ev]).ok();

    // Into an empty database of this run's engine (a new file, or an empty PostgreSQL
    // database), then from there into a new SQLite file.
    let there = Tix::empty();
    let first = copy(&t, there.db());
    let tables = sums(&first);
    assert_eq!(tables.len(), 11, "{first:#}");
    let rows = |name: &str| tables.iter().find(|t| t.0 == name).unwrap().1;
    assert_eq!(rows("tickets"), 2);
    assert_eq!(rows("orders"), 1);
    assert_eq!(rows("scans"), 1);
    let back_file = there.dir().join("back.db");
    let back = copy(&there, &back_file);
    assert_eq!(sums(&back), tables, "the copy of the copy is the original");

    // Codes signed before the copy: the valid one is admitted, the used one stays used.
    for db in [there.db(), back_file.as_path()] {
        let mut c = t.cmd_at(db);
        c.args(["--as", PROMOTER, "validate", &code, "--event", &ev]);
        finish(c).ok();
        let mut c = t.cmd_at(db);
        c.args([
            "--as", PROMOTER, "validate", &used, "--event", &ev, "--json",
        ]);
        let again = finish(c).code(6).json();
        assert_eq!(again["reason"], "already_checked_in");
    }
    // New rows in the copy continue after the copied ids.
    let next = buy(&there, BUYER, tier, 1).ok().json();
    assert_eq!(next["id"], order["id"].as_i64().unwrap() + 1);
    for db in [&there, &Tix::at_file(&back_file)] {
        let fresh = db.tier(event, "Fresh", &[])["id"].as_i64().unwrap();
        assert_eq!(fresh, gone + 1, "a deleted tier's id came back");
    }
    // The original is untouched but for the audit entry of the copy.
    let log = t.admin(&["audit", "list", "--json"]).ok().json();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "db.copy"),
        "{log:#}"
    );
}

#[test]
fn only_an_admin_copies_and_only_into_an_empty_database_other_than_itself() {
    let (t, _event, tier) = on_sale();
    buy(&t, BUYER, tier, 1).ok();
    let target = t.dir().join("copy.db");
    let to = target.to_str().unwrap();
    // The whole database holds every event's signing key: admins only.
    for who in [PROMOTER, BUYER] {
        t.as_(who, &["db", "copy", "--to", to])
            .code(4)
            .err_has("only an admin may copy the whole database");
    }
    t.run(&["db", "copy", "--to", to])
        .code(4)
        .err_has("--as EMAIL");
    assert!(!target.exists(), "a refused copy made a file");
    // Not onto itself, nor onto one of its journals.
    let own = t.db().to_str().unwrap().to_string();
    t.admin(&["db", "copy", "--to", &own])
        .code(5)
        .err_has("is the database being copied");
    if !t.pg() {
        for journal in ["-wal", "-journal"] {
            t.admin(&["db", "copy", "--to", &format!("{own}{journal}")])
                .code(5)
                .err_has("is the database being copied");
        }
    }
    // Not into a database that holds anything: it is left as it was.
    let full = Tix::new();
    let before = full.admin(&["user", "list", "--json"]).ok().stdout;
    t.admin(&["db", "copy", "--to", full.db().to_str().unwrap()])
        .code(5)
        .err_has("already holds data");
    assert_eq!(full.admin(&["user", "list", "--json"]).ok().stdout, before);
    // A target that cannot be made leaves nothing behind.
    let nowhere = t.dir().join("no-such-dir").join("copy.db");
    t.admin(&["db", "copy", "--to", nowhere.to_str().unwrap()])
        .code(1);
    assert!(!nowhere.exists());
}

/// The demo database goes over and comes back whole: every code sold in it validates
/// on the copy and on the copy of the copy.
#[test]
fn the_demo_database_round_trips_with_every_code_valid() {
    let t = Tix::empty();
    t.run(&["demo"]).ok();
    let order = t
        .as_(
            "fan@demo.tix",
            &[
                "order",
                "create",
                "--tier",
                "2",
                "--quantity",
                "3",
                "--json",
            ],
        )
        .ok()
        .json();
    let codes: Vec<String> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["qr_payload"].as_str().unwrap().to_string())
        .collect();
    let there = Tix::empty();
    let mut c = t.cmd();
    c.args([
        "--as",
        "admin@demo.tix",
        "db",
        "copy",
        "--to",
        there.db().to_str().unwrap(),
    ]);
    finish(c).ok();
    let back = there.dir().join("back.db");
    let mut c = there.cmd();
    c.args([
        "--as",
        "admin@demo.tix",
        "db",
        "copy",
        "--to",
        back.to_str().unwrap(),
    ]);
    finish(c).ok();
    for (i, code) in codes.iter().enumerate() {
        // Alternately on the copy and on the copy of the copy: each code once.
        let db = if i % 2 == 0 {
            there.db()
        } else {
            back.as_path()
        };
        let mut c = t.cmd_at(db);
        c.args([
            "--as",
            "promoter@demo.tix",
            "validate",
            code,
            "--event",
            "1",
        ]);
        finish(c).ok();
    }
}
