//! `tix tier import`: CSV and JSON files, all or nothing, row-precise errors, and
//! re-running a set-up safely.

use serde_json::{Value, json};

use crate::common::*;

/// `tix --as WHO tier import EVENT FILE EXTRA… --json`.
fn import(t: &Tix, who: &str, event: i64, file: &str, extra: &[&str]) -> Out {
    let ev = event.to_string();
    let mut args = vec!["tier", "import", ev.as_str(), file];
    args.extend_from_slice(extra);
    args.push("--json");
    t.as_(who, &args)
}

/// Writes `content` to `name` and imports it as PROMOTER.
fn import_text(t: &Tix, event: i64, name: &str, content: &str) -> Out {
    let path = t.write_file(name, content);
    import(t, PROMOTER, event, &path, &[])
}

fn actions(report: &Value) -> Vec<String> {
    report["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect()
}

fn festival_csv() -> String {
    format!("{}/examples/festival-tiers.csv", env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn assert_no_tiers(t: &Tix, event: i64) {
    let tiers = t.all_tiers(event);
    assert!(tiers.is_empty(), "nothing should be stored: {tiers:#?}");
}

// ---------------------------------------------------------------------------------
// formats

#[test]
fn csv_with_bom_crlf_and_rfc4180_quoting_creates_the_tiers() {
    let (t, ev) = Tix::with_event();
    let csv = "\u{feff}Name,Price,Quantity,Description,Max-Purchase,Sale Start,Sale_End,requires_approval,transferable,active\r\n\
        \"VIP, \"\"Gold\"\"\",199.99,100,\"Lounge, bar\nand a second line\",4,2027-07-01 10:00,2027-07-14 23:59,yes,no,true\r\n\
        GA,50,1000,,,,,,,\r\n\
        Crew,0,10,\"He said \"\"hi\"\"\",1,,,1,0,0\r\n";
    let report = import_text(&t, ev, "tiers.csv", csv).ok().json();
    assert_eq!(report["event_id"], ev);
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        (&report["created"], &report["updated"], &report["unchanged"]),
        (&json!(3), &json!(0), &json!(0))
    );
    assert_eq!(actions(&report), ["create", "create", "create"]);
    assert_eq!(report["tiers"][0]["row"], "row 1 (line 2)");
    assert_eq!(
        report["tiers"][1]["row"], "row 2 (line 4)",
        "line counts the newline in the quoted cell"
    );

    let tiers = t.all_tiers(ev);
    assert_eq!(tiers.len(), 3);
    let vip = &tiers[0];
    assert_eq!(vip["name"], "VIP, \"Gold\"");
    assert_eq!(vip["description"], "Lounge, bar\nand a second line");
    assert_eq!(vip["price"], "199.99");
    assert_eq!(vip["quantity"], 100);
    assert_eq!(vip["max_purchase"], 4);
    assert_eq!(vip["sale_start"], "2027-07-01T08:00:00Z");
    assert_eq!(vip["sale_end"], "2027-07-14T21:59:00Z");
    assert_eq!(vip["requires_approval"], true);
    assert_eq!(vip["transferable"], false);
    assert_eq!(vip["is_active"], true);
    assert_eq!(vip["position"], 1);
    let ga = &tiers[1];
    assert_eq!(ga["name"], "GA");
    assert_eq!(ga["price"], "50.00");
    assert_eq!(ga["description"], Value::Null, "an empty cell is not given");
    assert_eq!(ga["max_purchase"], 10);
    assert_eq!(ga["sale_start"], Value::Null);
    assert_eq!(ga["requires_approval"], false);
    assert_eq!(ga["transferable"], true);
    assert_eq!(ga["position"], 2);
    let crew = &tiers[2];
    assert_eq!(crew["description"], "He said \"hi\"");
    assert_eq!(crew["price"], "0.00");
    assert_eq!(crew["requires_approval"], true);
    assert_eq!(crew["transferable"], false);
    assert_eq!(crew["is_active"], false);
}

#[test]
fn crlf_inside_a_quoted_cell_is_accepted() {
    let (t, ev) = Tix::with_event();
    let csv = "name,price,quantity,description\r\nVIP,1,5,\"line one\r\nline two\"\r\nGA,2,5,\r\n";
    import_text(&t, ev, "crlf.csv", csv).ok();
    let tiers = t.all_tiers(ev);
    assert_eq!(tiers.len(), 2);
    let desc = tiers[0]["description"].as_str().unwrap();
    assert!(
        desc == "line one\r\nline two" || desc == "line one\nline two",
        "{desc:?}"
    );
}

#[test]
fn csv_with_lf_and_no_bom_works_too() {
    let (t, ev) = Tix::with_event();
    import_text(&t, ev, "plain.csv", "name,price,quantity\nA,1,5\nB,2.5,6\n").ok();
    let tiers = t.all_tiers(ev);
    assert_eq!(tiers.len(), 2);
    assert_eq!(tiers[1]["price"], "2.50");
    assert_eq!(tiers[1]["quantity"], 6);
}

#[test]
fn json_arrays_and_tiers_objects_work() {
    let (t, ev) = Tix::with_event();
    let doc = json!([
        {"name": "VIP", "price": "199.99", "quantity": 100, "max_purchase": 4,
         "requires_approval": true, "transferable": false, "description": "Ünïcödé 🎉",
         "sale_start": "2027-07-01T10:00:00+02:00"},
        {"name": "GA", "price": "50", "quantity": 1000, "description": null, "position": 9},
    ]);
    let report = import_text(&t, ev, "tiers.json", &doc.to_string())
        .ok()
        .json();
    assert_eq!(report["created"], 2);
    assert_eq!(report["tiers"][0]["row"], "item 1");
    let tiers = t.all_tiers(ev);
    assert_eq!(tiers[0]["name"], "VIP");
    assert_eq!(tiers[0]["price"], "199.99");
    assert_eq!(tiers[0]["description"], "Ünïcödé 🎉");
    assert_eq!(tiers[0]["requires_approval"], true);
    assert_eq!(tiers[0]["transferable"], false);
    assert_eq!(tiers[0]["sale_start"], "2027-07-01T08:00:00Z");
    assert_eq!(tiers[1]["price"], "50.00");
    assert_eq!(tiers[1]["position"], 9);

    let (t, ev) = Tix::with_event();
    let doc = json!({"tiers": [{"name": "Solo", "price": "5", "quantity": 5}]});
    // No extension: the content decides.
    import_text(&t, ev, "tiers", &doc.to_string()).ok();
    assert_eq!(t.tier_names(ev), ["Solo"]);
}

#[test]
fn import_reads_stdin_for_a_dash() {
    let (t, ev) = Tix::with_event();
    let mut c = t.cmd();
    c.args([
        "--as",
        PROMOTER,
        "tier",
        "import",
        &ev.to_string(),
        "-",
        "--json",
    ])
    .write_stdin("name,price,quantity\nPiped,3,30\n");
    let report = finish(c).ok().json();
    assert_eq!(report["created"], 1);
    assert_eq!(t.tier_names(ev), ["Piped"]);
}

#[test]
fn the_festival_example_imports_twelve_tiers() {
    let (t, ev) = Tix::with_event();
    let file = festival_csv();
    let report = import(&t, PROMOTER, ev, &file, &[]).ok().json();
    assert_eq!(report["created"], 12);
    assert_eq!(report["updated"], 0);
    let tiers = t.all_tiers(ev);
    assert_eq!(tiers.len(), 12);
    let names: Vec<&str> = tiers.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "Early Bird Weekend");
    assert_eq!(names[5], "Student Pass, ID required");
    assert_eq!(names[11], "Crew & Volunteers");
    let positions: Vec<i64> = tiers
        .iter()
        .map(|v| v["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=12).collect::<Vec<_>>());
    assert_eq!(
        tiers[5]["description"],
        "Valid student ID checked at the gate; \"one per person\""
    );
    let vip = &tiers[9];
    assert_eq!(vip["name"], "VIP Access");
    assert_eq!(vip["price"], "199.99");
    assert_eq!(vip["max_purchase"], 4);
    assert_eq!(vip["requires_approval"], true);
    assert_eq!(vip["sale_start"], "2027-03-01T09:00:00Z");
    // Crew tickets are inactive: hidden from the public list.
    let public = t
        .as_(PROMOTER, &["tier", "list", &ev.to_string(), "--json"])
        .ok()
        .json();
    assert_eq!(public.as_array().unwrap().len(), 11);
    // And running the set-up again changes nothing.
    let again = import(&t, PROMOTER, ev, &file, &[]).ok().json();
    assert_eq!(again["unchanged"], 12);
    assert_eq!(t.all_tiers(ev), tiers);
}

// ---------------------------------------------------------------------------------
// dry run and re-runs

#[test]
fn dry_run_reports_but_stores_nothing() {
    let (t, ev) = Tix::with_event();
    let file = festival_csv();
    let report = import(&t, PROMOTER, ev, &file, &["--dry-run"]).ok().json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["created"], 12);
    assert_eq!(actions(&report), vec!["create"; 12]);
    assert_eq!(report["tiers"][9]["tier"]["name"], "VIP Access");
    assert_no_tiers(&t, ev);
    let out = t
        .as_(
            PROMOTER,
            &["tier", "import", &ev.to_string(), &file, "--dry-run"],
        )
        .ok()
        .out_has("Nothing was changed");
    assert!(out.stdout.contains("would create 12"), "{}", out.stdout);
    assert_no_tiers(&t, ev);

    // A dry run over existing tiers reports updates without making them.
    import(&t, PROMOTER, ev, &file, &[]).ok();
    let before = t.all_tiers(ev);
    let path = t.write_file(
        "bump.csv",
        "name,price,quantity\nCar Parking,,700\nNew One,5,5\n",
    );
    let report = import(&t, PROMOTER, ev, &path, &["--dry-run"]).ok().json();
    assert_eq!(actions(&report), ["update", "create"]);
    assert_eq!(report["tiers"][0]["tier"]["quantity"], 700);
    assert_eq!(t.all_tiers(ev), before);
}

#[test]
fn a_dry_run_still_reports_errors() {
    let (t, ev) = Tix::with_event();
    let path = t.write_file("bad.csv", "name,price,quantity\nA,1,5\nB,-1,5\n");
    import(&t, PROMOTER, ev, &path, &["--dry-run"])
        .code(2)
        .err_has("row 2");
    import(&t, OTHER_PROMOTER, ev, &festival_csv(), &["--dry-run"]).code(4);
}

#[test]
fn re_running_an_import_updates_instead_of_duplicating() {
    let (t, ev) = Tix::with_event();
    let csv = "name,price,quantity,description\nVIP,199.99,100,Lounge\nGA,50,1000,Standing\n";
    import_text(&t, ev, "a.csv", csv).ok();
    let first = t.all_tiers(ev);
    let report = import_text(&t, ev, "a.csv", csv).ok().json();
    assert_eq!(actions(&report), ["unchanged", "unchanged"]);
    assert_eq!(
        (&report["created"], &report["updated"], &report["unchanged"]),
        (&json!(0), &json!(0), &json!(2))
    );
    assert_eq!(t.all_tiers(ev), first, "not even updated_at moves");

    // Names match case-insensitively; only the given columns change.
    let report = import_text(
        &t,
        ev,
        "b.csv",
        "name,price,quantity\nvip,,150\nBalcony,20,20\n",
    )
    .ok()
    .json();
    assert_eq!(actions(&report), ["update", "create"]);
    let tiers = t.all_tiers(ev);
    assert_eq!(tiers.len(), 3);
    let vip = &tiers[0];
    assert_eq!(vip["id"], first[0]["id"]);
    assert_eq!(
        vip["name"].as_str().unwrap().to_lowercase(),
        "vip",
        "the same tier, not a new one"
    );
    assert_eq!(vip["quantity"], 150);
    assert_eq!(vip["price"], "199.99");
    assert_eq!(vip["description"], "Lounge");
    assert_eq!(vip["position"], 1);
    assert_eq!(tiers[2]["name"], "Balcony");
    assert_eq!(tiers[2]["position"], 3);
}

#[test]
fn an_import_updates_existing_tiers_made_by_hand() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &["--max-purchase", "4"]);
    let doc = json!([{"name": "GA", "price": "12"}]);
    let report = import_text(&t, ev, "x.json", &doc.to_string()).ok().json();
    assert_eq!(actions(&report), ["update"]);
    let v = t.show_tier(id);
    assert_eq!(v["price"], "12.00");
    assert_eq!(v["quantity"], 100);
    assert_eq!(v["max_purchase"], 4);
}

// ---------------------------------------------------------------------------------
// all or nothing

#[test]
fn a_bad_price_in_row_3_stores_nothing_from_rows_1_and_2() {
    let (t, ev) = Tix::with_event();
    let csv = "name,price,quantity\nA,1,5\nB,2,5\nC,1.234,5\nD,4,5\n";
    let out = import_text(&t, ev, "t.csv", csv)
        .code(2)
        .err_has("row 3 (line 4)");
    assert!(out.stderr.contains("price"), "{}", out.stderr);
    assert!(out.stderr.contains("1.234"), "{}", out.stderr);
    assert_eq!(out.json()["error"]["code"], "usage");
    assert_no_tiers(&t, ev);
}

#[test]
fn a_sale_ending_before_it_starts_in_row_3_stores_nothing() {
    let (t, ev) = Tix::with_event();
    let csv = "name,price,quantity,sale_start,sale_end\n\
        A,1,5,,\n\
        B,2,5,2027-01-01 10:00,2027-02-01 10:00\n\
        VIP Access,199.99,100,2025-10-26 10:00,2025-07-14 10:00\n";
    let out = import_text(&t, ev, "t.csv", csv).code(5).err_has("row 3");
    assert!(out.stderr.contains("sale_end"), "{}", out.stderr);
    assert_eq!(out.json()["error"]["code"], "rule_violation");
    assert_no_tiers(&t, ev);
}

#[test]
fn a_failing_import_also_undoes_its_updates() {
    let (t, ev) = Tix::with_event();
    import_text(&t, ev, "a.csv", "name,price,quantity\nA,1,5\nB,2,5\n").ok();
    let before = t.all_tiers(ev);
    import_text(&t, ev, "b.csv", "name,quantity\nA,50\nB,60\nC,0\n")
        .code(2)
        .err_has("row 3");
    assert_eq!(t.all_tiers(ev), before);
}

#[test]
fn bad_cells_name_their_row_and_field() {
    let (t, ev) = Tix::with_event();
    let cases: &[(&str, &str, i32, &[&str])] = &[
        (
            "q.csv",
            "name,price,quantity\nA,1,5\nB,1,many\n",
            2,
            &["row 2 (line 3)", "quantity"],
        ),
        (
            "b.csv",
            "name,price,quantity,transferable\nA,1,5,maybe\n",
            2,
            &["row 1", "transferable"],
        ),
        (
            "n.csv",
            "name,price,quantity\nA,1,5\n,1,5\n",
            2,
            &["row 2", "name"],
        ),
        (
            "m.csv",
            "name,price,quantity\nA,1,5,extra\n",
            2,
            &["line 2"],
        ),
        (
            "mm.csv",
            "name,price,quantity,min_purchase,max_purchase\nA,1,5,3,2\n",
            5,
            &["row 1", "min_purchase"],
        ),
        (
            "big.csv",
            "name,price,quantity,max_purchase\nA,1,5,6\n",
            5,
            &["row 1", "max_purchase"],
        ),
        (
            "t.csv",
            "name,price,quantity,sale_start\nA,1,5,someday\n",
            2,
            &["row 1", "sale_start"],
        ),
        (
            "j.json",
            r#"[{"name":"A","price":"1","quantity":5},{"name":"B","price":"1","quantity":5},{"name":"C","price":"abc","quantity":5}]"#,
            2,
            &["item 3", "price"],
        ),
        (
            "k.json",
            r#"[{"name":"A","price":"1","quantity":2.5}]"#,
            2,
            &["item 1", "quantity"],
        ),
        (
            "l.json",
            r#"[{"name":"A","price":"1","quantity":5,"tags":["x"]}]"#,
            2,
            &["item 1", "tags"],
        ),
        ("o.json", r#"[["A","1",5]]"#, 2, &["item 1"]),
        ("p.json", r#"{"name":"A"}"#, 2, &["tiers"]),
        (
            "r.json",
            r#"[{"name":"A","price":"1","quantity":5},"#,
            2,
            &["JSON"],
        ),
        ("h.csv", "name,price,quantity\n", 2, &["no tiers"]),
        ("e.json", "[]", 2, &["no tiers"]),
        ("x.csv", "price,quantity\n1,5\n", 2, &["name column"]),
        ("d.csv", "name,price,Price\nA,1,2\n", 2, &["twice"]),
    ];
    for (file, content, code, needles) in cases {
        let out = import_text(&t, ev, file, content);
        assert_eq!(out.code, *code, "{file}: {out:?}");
        for n in *needles {
            assert!(
                out.stderr.contains(n),
                "{file}: {n:?} not in {}",
                out.stderr
            );
        }
        out.err_has("");
        assert_no_tiers(&t, ev);
    }
}

#[test]
fn an_unknown_column_is_named() {
    let (t, ev) = Tix::with_event();
    let out = import_text(&t, ev, "c.csv", "name,price,quantity,colour\nA,1,5,red\n")
        .code(2)
        .err_has("'colour'");
    assert!(out.stderr.contains("header"), "{}", out.stderr);
    let doc = r#"[{"name":"A","price":"1","quantity":5,"colour":"red"}]"#;
    import_text(&t, ev, "c.json", doc)
        .code(2)
        .err_has("'colour'");
    assert_no_tiers(&t, ev);
}

#[test]
fn a_json_float_price_is_refused() {
    let (t, ev) = Tix::with_event();
    let doc = r#"[{"name":"A","price":"5","quantity":5},{"name":"B","price":19.99,"quantity":5}]"#;
    let out = import_text(&t, ev, "f.json", doc).code(2).err_has("item 2");
    assert!(out.stderr.contains("price"), "{}", out.stderr);
    assert!(
        out.stderr.contains("\"19.99\""),
        "the hint shows the string form: {}",
        out.stderr
    );
    assert_no_tiers(&t, ev);
    // A whole JSON number is exact and fine.
    import_text(
        &t,
        ev,
        "i.json",
        r#"[{"name":"A","price":20,"quantity":5}]"#,
    )
    .ok();
    assert_eq!(t.all_tiers(ev)[0]["price"], "20.00");
}

#[test]
fn a_name_twice_in_one_file_is_refused() {
    let (t, ev) = Tix::with_event();
    let out = import_text(
        &t,
        ev,
        "d.csv",
        "name,price,quantity\nGA,1,5\nVIP,2,5\nga,3,5\n",
    )
    .code(5)
    .err_has("row 3");
    assert!(
        out.stderr.contains("row 1"),
        "names the first use: {}",
        out.stderr
    );
    assert_no_tiers(&t, ev);
    let doc = r#"[{"name":"Zürich","price":"1","quantity":5},{"name":"ZÜRICH","price":"1","quantity":5}]"#;
    import_text(&t, ev, "d.json", doc).code(5).err_has("item 2");
    assert_no_tiers(&t, ev);
}

#[test]
fn import_rules_for_sold_tiers_and_event_status_apply() {
    let (t, ev) = Tix::with_event();
    import_text(&t, ev, "a.csv", "name,price,quantity\nA,1,5\nB,2,10\n").ok();
    let b = t.all_tiers(ev)[1]["id"].as_i64().unwrap();
    t.sell(b, 4);
    import_text(&t, ev, "p.csv", "name,price\nA,3\nB,2.5\n")
        .code(5)
        .err_has("Cannot change price");
    import_text(&t, ev, "q.csv", "name,quantity\nB,3\n")
        .code(5)
        .err_has("row 1");
    assert_eq!(t.all_tiers(ev)[0]["price"], "1.00", "row 1 was undone");
    import_text(&t, ev, "max.csv", "name,price,quantity\nB,2.00,4\n")
        .code(5)
        .err_has("max_purchase");
    import_text(
        &t,
        ev,
        "ok.csv",
        "name,price,quantity,max_purchase\nB,2.00,4,4\n",
    )
    .ok();

    t.cancel(ev);
    import_text(&t, ev, "late.csv", "name,price,quantity\nLate,1,5\n")
        .code(5)
        .err_has("cancelled");
}

// ---------------------------------------------------------------------------------
// who may, and which files

#[test]
fn only_the_verified_owner_or_an_admin_may_import() {
    let (t, ev) = Tix::with_event();
    let file = festival_csv();
    import(&t, OTHER_PROMOTER, ev, &file, &[])
        .code(4)
        .err_has(PROMOTER);
    import(&t, BUYER, ev, &file, &[]).code(4);
    t.run(&["tier", "import", &ev.to_string(), &file])
        .code(4)
        .err_has("--as");
    assert_no_tiers(&t, ev);
    t.add_unverified_promoter();
    let own = t.event(UNVERIFIED, "Uma's");
    import(&t, UNVERIFIED, own, &file, &[])
        .code(4)
        .err_has("verif");
    assert_no_tiers(&t, own);
    let report = import(&t, ADMIN, own, &file, &[]).ok().json();
    assert_eq!(report["created"], 12);
}

#[test]
fn a_missing_file_or_event_is_reported() {
    let (t, ev) = Tix::with_event();
    let missing = t.dir().join("nope.csv").display().to_string();
    import(&t, PROMOTER, ev, &missing, &[])
        .code(1)
        .err_has("nope.csv");
    import(&t, PROMOTER, 999, &festival_csv(), &[])
        .code(3)
        .err_has("event 999");
    assert_no_tiers(&t, ev);
}

/// Imports that race for one tier name all succeed: one creates it, the others update
/// it (on PostgreSQL the loser of a race is run again, not failed).
#[test]
fn concurrent_imports_of_one_name_all_succeed() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let files: Vec<String> = (0..6)
        .map(|i| {
            t.write_file(
                &format!("race{i}.csv"),
                format!("name,price,quantity,description\nRace,1,10,from file {i}\n"),
            )
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
            c.arg("--db")
                .arg(t.db())
                .args(["--as", PROMOTER, "tier", "import", &ev, f])
                .env_remove("TIX_USER")
                .env_remove("TIX_DB")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(t.tier_names(event), ["Race"]);
}

/// A large import tells a person what happened in a table of a hundred rows and a line
/// for the rest (every tier is still imported, and --json still lists every row).
#[test]
fn a_large_import_shows_a_bounded_table_and_counts_the_rest() {
    let (t, ev) = Tix::with_event();
    let mut csv = String::from("name,price,quantity\n");
    for i in 1..=130 {
        csv.push_str(&format!("Tier {i},10.00,5\n"));
    }
    let path = t.write_file("many.csv", &csv);
    let out = t
        .as_(PROMOTER, &["tier", "import", &ev.to_string(), &path])
        .ok();
    let text = &out.stdout;
    assert!(text.contains("created 130"), "{text}");
    assert!(text.contains("Tier 100"), "{text}");
    assert!(!text.contains("Tier 101"), "{text}");
    assert!(
        text.contains(&format!(
            "... and 30 more rows, 30 of them changed.\n`tix tier list {ev}` shows every tier"
        )),
        "{text}"
    );
    // The lines about the rows not shown fit an 80-column terminal.
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert!(tail.iter().all(|l| l.chars().count() <= 80), "{tail:?}");
    assert_eq!(t.all_tiers(ev).len(), 130);
    // The same file with only row 120 changed: that row is in the table, before the
    // unchanged ones that fill it.
    let changed = csv.replace("Tier 120,10.00,5", "Tier 120,12.00,5");
    let path = t.write_file("again.csv", &changed);
    let out = t
        .as_(
            PROMOTER,
            &["tier", "import", &ev.to_string(), &path, "--dry-run"],
        )
        .ok();
    let text = &out.stdout;
    assert!(text.contains("Tier 120"), "{text}");
    assert!(!text.contains("Tier 101 "), "{text}");
    assert!(
        text.contains("... and 30 more rows, 0 of them would change."),
        "{text}"
    );
    let path2 = t.write_file("more.csv", csv.replace("Tier ", "Other "));
    let report = import(&t, PROMOTER, ev, &path2, &[]).ok().json();
    assert_eq!(report["tiers"].as_array().unwrap().len(), 130);
}
