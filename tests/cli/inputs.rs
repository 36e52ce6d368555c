//! Inputs that catch mistakes: times without a time of day, events in the past, sale
//! windows outside their event, colliding positions, and every broken rule at once.

use crate::common::*;

fn create_event(t: &Tix, extra: &[&str]) -> Out {
    let mut args = vec!["event", "create", "--title", "Gig"];
    args.extend_from_slice(extra);
    t.as_(PROMOTER, &args)
}

#[test]
fn an_event_needs_a_time_of_day_a_future_start_and_says_its_zone() {
    let t = Tix::with_people();
    create_event(
        &t,
        &["--starts-at", "2030-07-15", "--timezone", "Europe/Berlin"],
    )
    .code(2)
    .err_has("'2030-07-15' has no time of day")
    .err_has("2030-07-15 20:00");
    create_event(
        &t,
        &[
            "--starts-at",
            "2030-07-15 20:00",
            "--ends-at",
            "2030-07-16",
            "--timezone",
            "Europe/Berlin",
        ],
    )
    .code(2)
    .err_has("ends_at");
    create_event(
        &t,
        &[
            "--starts-at",
            "2020-07-15 20:00",
            "--timezone",
            "Europe/Berlin",
        ],
    )
    .code(5)
    .err_has("starts_at (15 Jul 2020 20:00 CEST) is in the past");
    // Without --timezone the event is in UTC, and tix says so.
    let out = create_event(&t, &["--starts-at", "2030-07-15 20:00"]).ok();
    assert!(
        out.stderr.contains("No --timezone given") && out.stderr.contains("UTC"),
        "{}",
        out.stderr
    );
    // Said with -q too (on stderr; stdout keeps the id alone).
    let quiet = create_event(&t, &["--starts-at", "2030-07-15 20:00", "-q"]).ok();
    assert!(quiet.stderr.contains("UTC"));
    assert_eq!(quiet.stdout.trim(), "2");
    // Both broken rules of the times at once.
    create_event(
        &t,
        &[
            "--starts-at",
            "2020-07-15 20:00",
            "--ends-at",
            "2020-07-15 19:00",
            "--timezone",
            "Europe/Berlin",
        ],
    )
    .code(5)
    .err_has("is not after starts_at")
    .err_has("is in the past");
    assert_eq!(t.sql_i64("SELECT count(*) FROM events"), 2);
}

#[test]
fn sale_windows_lie_within_their_event_in_creates_updates_and_imports() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    // An event with an end: 15 Jul 2030 18:00 to 23:00.
    let ended = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "event",
                "create",
                "--title",
                "Night",
                "--starts-at",
                "2030-07-15 18:00",
                "--ends-at",
                "2030-07-15 23:00",
                "--timezone",
                "Europe/Berlin",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    t.as_(
        PROMOTER,
        &[
            "tier",
            "create",
            &ended,
            "--name",
            "Late",
            "--price",
            "5",
            "--quantity",
            "5",
            "--sale-start",
            "2030-08-01 10:00",
            "--sale-end",
            "2030-09-01 10:00",
        ],
    )
    .code(5)
    .err_has("sale_start (1 Aug 2030 10:00 CEST) is after the event end (15 Jul 2030 23:00 CEST)")
    .err_has("sale_end (1 Sep 2030 10:00 CEST)");
    // Without an end, sales open before the start (and may go on after it).
    t.as_(
        PROMOTER,
        &[
            "tier",
            "create",
            &ev,
            "--name",
            "Late",
            "--price",
            "5",
            "--quantity",
            "5",
            "--sale-start",
            "2030-08-01 10:00",
        ],
    )
    .code(5)
    .err_has("after the event start (15 Jul 2030 18:00 CEST)");
    let ok = t.tier_id(
        event,
        "Walk-in",
        &[
            "--sale-start",
            "2030-07-01 10:00",
            "--sale-end",
            "2030-07-15 21:00",
        ],
    );
    t.as_(
        PROMOTER,
        &[
            "tier",
            "update",
            &ok.to_string(),
            "--sale-start",
            "2031-01-01 10:00",
            "--sale-end",
            "",
        ],
    )
    .code(5)
    .err_has("after the event start");
    // An import carrying such a window is refused, dry run included, with the row.
    let csv = t.write_file(
        "late.csv",
        "name,price,quantity,sale_start,sale_end\nEarly,10,5,2030-06-01 10:00,2030-07-01 10:00\nLate,10,5,2030-08-01 10:00,2030-09-01 10:00\n",
    );
    for dry in [true, false] {
        let mut args = vec!["tier", "import", ev.as_str(), csv.as_str()];
        if dry {
            args.push("--dry-run");
        }
        t.as_(PROMOTER, &args)
            .code(5)
            .err_has("row 2")
            .err_has("sale_start (1 Aug 2030 10:00 CEST) is after the event start");
    }
    assert_eq!(t.tier_names(event), ["Walk-in"]);
}

#[test]
fn every_rule_a_change_breaks_is_reported_at_once() {
    let (t, event) = Tix::with_event();
    let tier = t.tier_id(event, "GA", &[]);
    t.sell(tier, 4);
    let out = t
        .as_(
            PROMOTER,
            &[
                "tier",
                "update",
                &tier.to_string(),
                "--quantity",
                "2",
                "--price",
                "12",
            ],
        )
        .code(5);
    for part in [
        "Cannot change price after tickets are sold",
        "quantity (2) cannot be less than the 4 tickets already sold",
        "max_purchase (10) is more than quantity (2)",
    ] {
        assert!(
            out.stderr.contains(part),
            "missing {part:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let j = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "tier",
                "update",
                &tier.to_string(),
                "--quantity",
                "2",
                "--price",
                "12",
            ],
        )
        .code(5)
        .json();
    assert_eq!(j["error"]["code"], "rule_violation");
    assert!(j["error"]["message"].as_str().unwrap().contains("; and "));
    // A taken name is one of the broken rules, on create and on rename.
    let other = t.tier_id(event, "VIP", &[]);
    for args in [
        vec![
            "tier",
            "create",
            "1",
            "--name",
            "ga",
            "--price",
            "1",
            "--quantity",
            "5",
            "--min-purchase",
            "4",
            "--max-purchase",
            "2",
        ],
        vec![
            "tier",
            "update",
            "2",
            "--name",
            "GA",
            "--min-purchase",
            "4",
            "--max-purchase",
            "2",
        ],
    ] {
        let out = t.as_(PROMOTER, &args).code(5);
        assert!(
            out.stderr.contains("GA")
                && out
                    .stderr
                    .contains("min_purchase (4) is more than max_purchase (2)"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("; and "), "{}", out.stderr);
    }
    let _ = other;
}

#[test]
fn positions_never_collide() {
    let (t, event) = Tix::with_event();
    let a = t.tier_id(event, "A", &[]);
    let b = t.tier_id(event, "B", &[]);
    // A tier put at a taken position goes there, and the others move down.
    let c = t.tier_id(event, "C", &["--position", "1"]);
    let pos = |id: i64| t.show_tier(id)["position"].as_i64().unwrap();
    assert_eq!((pos(c), pos(a), pos(b)), (1, 2, 3));
    t.as_(
        PROMOTER,
        &["tier", "update", &b.to_string(), "--position", "2"],
    )
    .ok();
    assert_eq!((pos(c), pos(b), pos(a)), (1, 2, 3));
    // The README's import (positions 1–12) into an event that has tiers.
    let csv = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/festival-tiers.csv"),
    )
    .unwrap();
    let file = t.write_file("fest.csv", csv);
    let other = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "event",
                "create",
                "--title",
                "Fest",
                "--starts-at",
                "2027-07-15 18:00",
                "--timezone",
                "Europe/Berlin",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap();
    t.tier_id(other, "First", &[]);
    t.tier_id(other, "Second", &[]);
    t.as_(PROMOTER, &["tier", "import", &other.to_string(), &file])
        .ok();
    let positions: Vec<i64> = t
        .all_tiers(other)
        .iter()
        .map(|t| t["position"].as_i64().unwrap())
        .collect();
    let mut unique = positions.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), positions.len(), "{positions:?}");
}

#[test]
fn an_import_reports_bad_values_and_broken_rules_of_every_row_together() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    // A value tix cannot read (row 1), a bad price (row 2), a broken rule (row 3), two
    // bad fields in one row (row 4): all in one answer.
    let csv = t.write_file(
        "mixed.csv",
        "name,price,quantity,requires_approval\nR1,1,1,maybe\nR2,abc,1,\nR3,1,0,\nR4,1,x,perhaps\n",
    );
    let out = t.as_(PROMOTER, &["tier", "import", &ev, &csv]).code(2);
    for part in [
        "row 1 (line 2)",
        "maybe",
        "row 2 (line 3)",
        "'abc'",
        "row 3 (line 4)",
        "row 4 (line 5)",
        "perhaps",
        "5 problems in 4 rows",
    ] {
        assert!(
            out.stderr.contains(part),
            "missing {part:?}:\n{}",
            out.stderr
        );
    }
    // JSON items too.
    let json = t.write_file(
        "bad.json",
        r#"[{"name":"A","price":1.5,"quantity":1},{"name":"B","price":"1","quantity":"x"}]"#,
    );
    let out = t.as_(PROMOTER, &["tier", "import", &ev, &json]).code(2);
    assert!(
        out.stderr.contains("item 1") && out.stderr.contains("item 2"),
        "{}",
        out.stderr
    );
    assert!(t.tier_names(event).is_empty());
}

#[test]
fn an_import_reports_every_bad_row_with_row_line_and_field() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let csv = t.write_file(
        "bad.csv",
        "name,price,quantity,min_purchase,max_purchase\nGood,10,5,,\nBad price,ten,5,,\nBad rule,10,5,4,2\nDup,1,1,,\nDup,1,1,,\n",
    );
    let out = t
        .as_(PROMOTER, &["tier", "import", &ev, &csv, "--dry-run"])
        .code(2);
    for part in [
        "3 rows have problems",
        "row 2 (line 3)",
        "price",
        "row 3 (line 4)",
        "min_purchase (4) is more than max_purchase (2)",
        "row 5 (line 6)",
        "nothing was imported",
    ] {
        assert!(
            out.stderr.contains(part),
            "missing {part:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(out.stderr.lines().count(), 1);
    assert!(t.tier_names(event).is_empty());
    // Past the limit, the rest are counted.
    let mut many = String::from("name,price,quantity\n");
    for i in 0..30 {
        many.push_str(&format!("T{i},x,1\n"));
    }
    let file = t.write_file("many.csv", many);
    t.as_(PROMOTER, &["tier", "import", &ev, &file])
        .code(2)
        .err_has("30 rows have problems")
        .err_has("and 10 more");
}
