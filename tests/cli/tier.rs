//! `tix tier create|list|show|availability|update|delete`: the tier rules, permissions
//! and JSON shapes of the contract.

use serde::Deserialize;
use serde_json::Value;

use crate::common::*;

/// The contract's Tier JSON, exactly: a renamed or extra field fails to deserialize.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierJson {
    id: i64,
    event_id: i64,
    name: String,
    description: Option<String>,
    price: String,
    currency: String,
    quantity: i64,
    sold: i64,
    available: i64,
    percent_sold: f64,
    min_purchase: i64,
    max_purchase: i64,
    sale_start: Option<String>,
    sale_end: Option<String>,
    requires_approval: bool,
    transferable: bool,
    is_active: bool,
    position: i64,
    created_at: String,
    updated_at: String,
}

const TIER_KEYS: &[&str] = &[
    "id",
    "event_id",
    "name",
    "description",
    "price",
    "currency",
    "quantity",
    "sold",
    "available",
    "percent_sold",
    "min_purchase",
    "max_purchase",
    "sale_start",
    "sale_end",
    "requires_approval",
    "transferable",
    "is_active",
    "position",
    "created_at",
    "updated_at",
];

const AVAILABILITY_KEYS: &[&str] = &[
    "tier_id",
    "tier_name",
    "price",
    "currency",
    "available",
    "sold",
    "quantity",
    "is_sold_out",
    "is_on_sale",
    "can_purchase",
    "message",
];

/// The contract's availability JSON, exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityJson {
    tier_id: i64,
    tier_name: String,
    price: String,
    currency: String,
    available: i64,
    sold: i64,
    quantity: i64,
    is_sold_out: bool,
    is_on_sale: bool,
    can_purchase: bool,
    message: String,
}

fn parse_tier(v: &Value) -> TierJson {
    assert_keys(v, TIER_KEYS);
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a Tier ({e}): {v:#}"))
}

/// `tix --as WHO tier create EVENT ARGS… --json`.
fn create(t: &Tix, who: &str, event: i64, args: &[&str]) -> Out {
    let ev = event.to_string();
    let mut all = vec!["tier", "create", ev.as_str()];
    all.extend_from_slice(args);
    all.push("--json");
    t.as_(who, &all)
}

/// `tix --as WHO tier update TIER ARGS… --json`.
fn update(t: &Tix, who: &str, tier: i64, args: &[&str]) -> Out {
    let id = tier.to_string();
    let mut all = vec!["tier", "update", id.as_str()];
    all.extend_from_slice(args);
    all.push("--json");
    t.as_(who, &all)
}

/// `tix --as WHO tier delete TIER --yes --json`.
fn delete(t: &Tix, who: &str, tier: i64) -> Out {
    t.as_(
        who,
        &["tier", "delete", &tier.to_string(), "--yes", "--json"],
    )
}

fn availability(t: &Tix, tier: i64) -> AvailabilityJson {
    let v = t
        .as_(
            PROMOTER,
            &["tier", "availability", &tier.to_string(), "--json"],
        )
        .ok()
        .json();
    assert_keys(&v, AVAILABILITY_KEYS);
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not availability ({e}): {v:#}"))
}

/// Creates a tier of `quantity` seats at 10.00 as PROMOTER; returns its id.
fn sized(t: &Tix, event: i64, name: &str, quantity: i64, extra: &[&str]) -> i64 {
    let q = quantity.to_string();
    let mut args = vec!["--name", name, "--price", "10", "--quantity", q.as_str()];
    args.extend_from_slice(extra);
    create(t, PROMOTER, event, &args).ok().json()["id"]
        .as_i64()
        .unwrap()
}

#[track_caller]
fn assert_no_tiers(t: &Tix, event: i64) {
    let tiers = t.all_tiers(event);
    assert!(tiers.is_empty(), "nothing should be stored: {tiers:#?}");
}

/// The contract's example: a sale that ends before it starts.
const VIP_BACKWARDS: &[&str] = &[
    "--name",
    "VIP Access",
    "--price",
    "199.99",
    "--quantity",
    "100",
    "--max-purchase",
    "4",
    "--sale-start",
    "2025-10-26",
    "--sale-end",
    "2025-07-14",
];

// ---------------------------------------------------------------------------------
// create: the example, JSON shape, money and time

#[test]
fn vip_access_ending_before_it_starts_is_refused_and_stores_nothing() {
    let (t, ev) = Tix::with_event();
    let out = create(&t, PROMOTER, ev, VIP_BACKWARDS)
        .code(5)
        .err_has("sale_end");
    assert!(out.stderr.contains("sale_start"), "{}", out.stderr);
    assert_eq!(out.json()["error"]["code"], "rule_violation");
    assert_no_tiers(&t, ev);
    let public = t
        .as_(PROMOTER, &["tier", "list", &ev.to_string(), "--json"])
        .ok();
    assert_eq!(public.json(), serde_json::json!([]));
    // The same tier with the dates the right way round is fine.
    create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "VIP Access",
            "--price",
            "199.99",
            "--quantity",
            "100",
            "--max-purchase",
            "4",
            "--sale-start",
            "2025-07-14",
            "--sale-end",
            "2025-10-26",
        ],
    )
    .ok();
    assert_eq!(t.tier_names(ev), ["VIP Access"]);
}

#[test]
fn created_tier_json_has_exactly_the_contract_fields() {
    let (t, ev) = Tix::with_event();
    let out = create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "VIP Access",
            "--description",
            "Lounge and fast lane",
            "--price",
            "199.99",
            "--quantity",
            "100",
            "--max-purchase",
            "4",
            "--sale-start",
            "2027-07-01 10:00",
            "--sale-end",
            "2027-07-14T23:59:00+02:00",
            "--requires-approval",
        ],
    )
    .ok();
    let v = out.json();
    assert!(v["price"].is_string(), "price must be a JSON string: {v}");
    assert!(
        v["percent_sold"].is_number(),
        "percent_sold is a number: {v}"
    );
    let tier = parse_tier(&v);
    assert!(tier.id > 0);
    assert_eq!(tier.event_id, ev);
    assert_eq!(tier.name, "VIP Access");
    assert_eq!(tier.description.as_deref(), Some("Lounge and fast lane"));
    assert_eq!(tier.price, "199.99");
    assert_eq!(tier.currency, "EUR");
    assert_eq!(tier.quantity, 100);
    assert_eq!(tier.sold, 0);
    assert_eq!(tier.available, 100);
    assert_eq!(tier.percent_sold, 0.0);
    assert_eq!(tier.min_purchase, 1);
    assert_eq!(tier.max_purchase, 4);
    // Local time in Europe/Berlin (CEST, +02:00) and an explicit offset, both to UTC.
    assert_eq!(tier.sale_start.as_deref(), Some("2027-07-01T08:00:00Z"));
    assert_eq!(tier.sale_end.as_deref(), Some("2027-07-14T21:59:00Z"));
    assert!(tier.requires_approval);
    assert!(tier.transferable);
    assert!(tier.is_active);
    assert_eq!(tier.position, 1);
    assert_utc(&v["created_at"]);
    assert_utc(&v["updated_at"]);
    assert_eq!(tier.created_at, tier.updated_at);

    // show and list carry the same object.
    assert_eq!(t.show_tier(tier.id), v);
    let list = t
        .as_(PROMOTER, &["tier", "list", &ev.to_string(), "--json"])
        .ok();
    assert_eq!(list.json(), serde_json::json!([v]));
}

#[test]
fn winter_local_times_use_standard_time_and_unset_windows_are_null() {
    let (t, ev) = Tix::with_event();
    let v = create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "Winter",
            "--price",
            "0",
            "--quantity",
            "5",
            "--sale-start",
            "2027-01-15 10:00",
        ],
    )
    .ok()
    .json();
    assert_eq!(v["sale_start"], "2027-01-15T09:00:00Z");
    assert_eq!(v["sale_end"], Value::Null);
    assert_eq!(v["description"], Value::Null);
    assert_eq!(v["price"], "0.00", "a free tier is an exact 0.00");
    assert_eq!(
        v["max_purchase"], 5,
        "max defaults to the quantity if smaller"
    );
    assert_eq!(v["transferable"], true);
    assert_eq!(v["requires_approval"], false);
}

#[test]
fn create_flags_set_their_fields() {
    let (t, ev) = Tix::with_event();
    let v = create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "Crew",
            "--price",
            "12.5",
            "--quantity",
            "100",
            "--min-purchase",
            "2",
            "--no-transfer",
            "--inactive",
            "--position",
            "7",
        ],
    )
    .ok()
    .json();
    assert_eq!(v["price"], "12.50");
    assert_eq!(v["min_purchase"], 2);
    assert_eq!(v["max_purchase"], 10, "max defaults to 10");
    assert_eq!(v["transferable"], false);
    assert_eq!(v["is_active"], false);
    assert_eq!(v["position"], 7);
    // A minimum above the default maximum raises the maximum with it.
    let v = create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "Group",
            "--price",
            "1",
            "--quantity",
            "100",
            "--min-purchase",
            "12",
        ],
    )
    .ok()
    .json();
    assert_eq!(v["max_purchase"], 12);
}

#[test]
fn human_output_shows_the_tier_and_quiet_only_its_id() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &["--sale-start", "2027-07-01 10:00"]);
    let out = t.as_(PROMOTER, &["tier", "show", &id.to_string()]).ok();
    assert!(
        out.stdout.contains(&format!("Tier {id}: GA")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("10.00 EUR"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1 Jul 2027 10:00 CEST"),
        "{}",
        out.stdout
    );
    let out = t
        .as_(PROMOTER, &["-q", "tier", "show", &id.to_string()])
        .ok();
    assert_eq!(out.stdout.trim(), id.to_string());
}

// ---------------------------------------------------------------------------------
// validation

#[test]
fn malformed_values_exit_2_naming_the_field_and_store_nothing() {
    let (t, ev) = Tix::with_event();
    let long = "x".repeat(201);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--name", "", "--price", "1", "--quantity", "5"],
            "name",
        ),
        (
            vec!["--name", "   ", "--price", "1", "--quantity", "5"],
            "name",
        ),
        (
            vec!["--name", long.as_str(), "--price", "1", "--quantity", "5"],
            "name",
        ),
        (
            vec!["--name", "Bell\u{7}", "--price", "1", "--quantity", "5"],
            "name",
        ),
        (
            vec!["--name", "A", "--price", "1.234", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "-1", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "NaN", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "1e3", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "abc", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "1,50", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "99999999999", "--quantity", "5"],
            "price",
        ),
        (
            vec!["--name", "A", "--price", "1", "--quantity", "0"],
            "quantity",
        ),
        (
            vec!["--name", "A", "--price", "1", "--quantity", "-5"],
            "quantity",
        ),
        (
            vec!["--name", "A", "--price", "1", "--quantity", "10000001"],
            "quantity",
        ),
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--min-purchase",
                "0",
            ],
            "min_purchase",
        ),
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--max-purchase",
                "-1",
            ],
            "max_purchase",
        ),
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--position",
                "-1",
            ],
            "position",
        ),
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--sale-start",
                "tomorrow",
            ],
            "sale_start",
        ),
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--sale-end",
                "2027-02-30 10:00",
            ],
            "sale_end",
        ),
        // Clocks skip 02:00-03:00 in Berlin on 28 March 2027.
        (
            vec![
                "--name",
                "A",
                "--price",
                "1",
                "--quantity",
                "5",
                "--sale-start",
                "2027-03-28 02:30",
            ],
            "sale_start",
        ),
    ];
    for (args, field) in cases {
        let out = create(&t, PROMOTER, ev, &args);
        assert_eq!(out.code, 2, "{args:?} should exit 2; got {out:?}");
        assert_eq!(out.json()["error"]["code"], "usage", "{args:?}");
        out.err_has(field);
        assert_no_tiers(&t, ev);
    }
}

#[test]
fn names_are_counted_in_characters_up_to_200() {
    let (t, ev) = Tix::with_event();
    let name = "ü".repeat(200);
    let v = t.tier(ev, &name, &[]);
    assert_eq!(v["name"], name.as_str());
    let longer = "ü".repeat(201);
    create(
        &t,
        PROMOTER,
        ev,
        &["--name", &longer, "--price", "1", "--quantity", "5"],
    )
    .code(2)
    .err_has("name");
    assert_eq!(t.all_tiers(ev).len(), 1);
}

#[test]
fn names_are_trimmed() {
    let (t, ev) = Tix::with_event();
    let v = t.tier(ev, "  Early Bird \t", &[]);
    assert_eq!(v["name"], "Early Bird");
}

#[test]
fn unparseable_numbers_are_clap_usage_errors() {
    let (t, ev) = Tix::with_event();
    let out = create(
        &t,
        PROMOTER,
        ev,
        &["--name", "A", "--price", "1", "--quantity", "abc"],
    )
    .code(2);
    assert!(out.stderr.starts_with("error:"), "{}", out.stderr);
    assert!(out.stderr.contains("--quantity"), "{}", out.stderr);
    assert_eq!(out.json()["error"]["code"], "usage");
    create(&t, PROMOTER, ev, &["--name", "A", "--price", "1"]).code(2);
    assert_no_tiers(&t, ev);
}

#[test]
fn rule_breaking_combinations_exit_5_and_store_nothing() {
    let (t, ev) = Tix::with_event();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--min-purchase", "5", "--max-purchase", "4"],
            "min_purchase",
        ),
        (vec!["--max-purchase", "101"], "max_purchase"),
        (vec!["--min-purchase", "101"], "max_purchase"),
        (
            vec![
                "--sale-start",
                "2027-07-01 10:00",
                "--sale-end",
                "2027-07-01 10:00",
            ],
            "sale_end",
        ),
        // The same instant written two ways is still not after the start.
        (
            vec![
                "--sale-start",
                "2027-07-01 10:00",
                "--sale-end",
                "2027-07-01T08:00:00Z",
            ],
            "sale_end",
        ),
        (
            vec![
                "--sale-start",
                "2027-07-01 10:00",
                "--sale-end",
                "2027-07-01 09:59",
            ],
            "sale_end",
        ),
    ];
    for (extra, field) in cases {
        let mut args = vec!["--name", "A", "--price", "1", "--quantity", "100"];
        args.extend_from_slice(&extra);
        let out = create(&t, PROMOTER, ev, &args);
        assert_eq!(out.code, 5, "{extra:?} should exit 5; got {out:?}");
        assert_eq!(out.json()["error"]["code"], "rule_violation");
        out.err_has(field);
        assert_no_tiers(&t, ev);
    }
    // The boundaries themselves are allowed.
    create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "A",
            "--price",
            "1",
            "--quantity",
            "4",
            "--min-purchase",
            "4",
            "--max-purchase",
            "4",
            "--sale-start",
            "2027-07-01 10:00",
            "--sale-end",
            "2027-07-01 10:01",
        ],
    )
    .ok();
}

#[test]
fn duplicate_names_in_an_event_are_refused_case_insensitively() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "VIP", &[]);
    for name in ["VIP", "vip", "Vip", "  vip  "] {
        create(
            &t,
            PROMOTER,
            ev,
            &["--name", name, "--price", "1", "--quantity", "5"],
        )
        .code(5)
        .err_has("already has a tier named 'VIP'");
    }
    assert_eq!(t.tier_names(ev), ["VIP"]);
    // An inactive tier still holds its name.
    t.tier(ev, "Hidden", &["--inactive"]);
    create(
        &t,
        PROMOTER,
        ev,
        &["--name", "hidden", "--price", "1", "--quantity", "5"],
    )
    .code(5);
    // Another event may use the same name.
    let other = t.event(PROMOTER, "Winter Festival");
    t.tier(other, "VIP", &[]);
}

#[test]
fn duplicate_names_are_refused_case_insensitively_beyond_ascii() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "Zürich", &[]);
    create(
        &t,
        PROMOTER,
        ev,
        &["--name", "ZÜRICH", "--price", "1", "--quantity", "5"],
    )
    .code(5)
    .err_has("already has a tier named");
    assert_eq!(t.tier_names(ev), ["Zürich"]);
}

#[test]
fn names_that_look_like_sql_wildcards_are_distinct() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "100%", &[]);
    t.tier(ev, "100_", &[]);
    t.tier(ev, "1000", &[]);
    assert_eq!(t.tier_names(ev), ["100%", "100_", "1000"]);
}

// ---------------------------------------------------------------------------------
// permissions

#[test]
fn the_public_and_plain_users_may_not_create_tiers() {
    let (t, ev) = Tix::with_event();
    let args = ["--name", "GA", "--price", "1", "--quantity", "5"];
    let ev_s = ev.to_string();
    let mut public = vec!["tier", "create", ev_s.as_str()];
    public.extend_from_slice(&args);
    let out = t.run(&public).code(4).err_has("--as");
    assert!(out.stderr.contains(PROMOTER), "{}", out.stderr);
    let out = create(&t, BUYER, ev, &args).code(4).err_has(PROMOTER);
    assert_eq!(out.json()["error"]["code"], "permission_denied");
    t.add_staff_user();
    create(&t, STAFF, ev, &args).code(4);
    assert_no_tiers(&t, ev);
}

#[test]
fn an_unverified_promoter_may_create_events_but_not_tiers_until_verified() {
    let t = Tix::with_people();
    t.add_unverified_promoter();
    let ev = t.event(UNVERIFIED, "Uma's Gig");
    let args = ["--name", "GA", "--price", "1", "--quantity", "5"];
    let out = create(&t, UNVERIFIED, ev, &args).code(4).err_has("verif");
    assert!(
        out.stderr
            .contains(&format!("tix user verify {UNVERIFIED}")),
        "the message says how to get verified: {}",
        out.stderr
    );
    assert_no_tiers(&t, ev);
    // Tiers made by an admin on the event still cannot be changed by Uma.
    let tier = create(&t, ADMIN, ev, &args).ok().json()["id"]
        .as_i64()
        .unwrap();
    update(&t, UNVERIFIED, tier, &["--quantity", "6"])
        .code(4)
        .err_has("verif");
    delete(&t, UNVERIFIED, tier).code(4).err_has("verif");
    assert_eq!(t.show_tier(tier)["quantity"], 5);

    t.admin(&["user", "verify", UNVERIFIED]).ok();
    create(
        &t,
        UNVERIFIED,
        ev,
        &["--name", "VIP", "--price", "1", "--quantity", "5"],
    )
    .ok();
    update(&t, UNVERIFIED, tier, &["--quantity", "6"]).ok();
}

#[test]
fn another_promoter_may_not_touch_a_promoters_tiers() {
    let (t, ev) = Tix::with_event();
    let tier = t.tier_id(ev, "GA", &[]);
    let out = create(
        &t,
        OTHER_PROMOTER,
        ev,
        &["--name", "Mine", "--price", "1", "--quantity", "5"],
    )
    .code(4)
    .err_has(PROMOTER);
    assert!(out.stderr.contains("admin"), "{}", out.stderr);
    assert!(out.stderr.contains(OTHER_PROMOTER), "{}", out.stderr);
    update(&t, OTHER_PROMOTER, tier, &["--price", "1"])
        .code(4)
        .err_has(PROMOTER);
    delete(&t, OTHER_PROMOTER, tier).code(4).err_has(PROMOTER);
    update(&t, BUYER, tier, &["--price", "1"]).code(4);
    delete(&t, BUYER, tier).code(4);
    t.run(&["tier", "update", &tier.to_string(), "--price", "1"])
        .code(4);
    t.run(&["tier", "delete", &tier.to_string(), "--yes"])
        .code(4);
    // Nothing changed.
    let v = t.show_tier(tier);
    assert_eq!(v["price"], "10.00");
    assert_eq!(t.tier_names(ev), ["GA"]);
}

#[test]
fn an_admin_may_create_update_and_delete_on_any_event() {
    let (t, ev) = Tix::with_event();
    let v = create(
        &t,
        ADMIN,
        ev,
        &["--name", "Box", "--price", "5", "--quantity", "5"],
    )
    .ok()
    .json();
    let id = v["id"].as_i64().unwrap();
    update(&t, ADMIN, id, &["--price", "6"]).ok();
    assert_eq!(t.show_tier(id)["price"], "6.00");
    let own = t.tier_id(ev, "GA", &[]);
    update(&t, ADMIN, own, &["--quantity", "50"]).ok();
    delete(&t, ADMIN, id).ok();
    delete(&t, ADMIN, own).ok();
    assert_no_tiers(&t, ev);
}

#[test]
fn everyone_may_read_tiers_of_a_published_event() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]).to_string();
    t.publish(ev);
    let ev = ev.to_string();
    t.run(&["tier", "list", &ev]).ok().out_has("GA");
    t.run(&["tier", "show", &id]).ok().out_has("GA");
    t.run(&["tier", "availability", &id]).ok().out_has("GA");
    t.as_(BUYER, &["tier", "list", &ev]).ok().out_has("GA");
}

/// Issue 11, defect 13: as the public, `event show`, `tier list`, `tier show` and
/// `tier availability` of a draft all exited 0. Drafts are their promoter's and the
/// admins' alone.
#[test]
fn drafts_are_visible_to_their_promoter_and_admins_only() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]).to_string();
    let ev = ev.to_string();
    let reads: [&[&str]; 4] = [
        &["event", "show", &ev],
        &["tier", "list", &ev],
        &["tier", "show", &id],
        &["tier", "availability", &id],
    ];
    for args in reads {
        t.run(args).code(4).err_has("draft");
        for who in [BUYER, OTHER_PROMOTER] {
            t.as_(who, args).code(4).err_has("draft");
        }
        t.as_(PROMOTER, args).ok();
        t.admin(args).ok();
    }
    // Nor is it listed.
    let listed = t.run(&["event", "list", "--json"]).ok().json();
    assert_eq!(listed, serde_json::json!([]));
}

#[test]
fn unknown_ids_are_not_found() {
    let (t, ev) = Tix::with_event();
    create(
        &t,
        PROMOTER,
        999,
        &["--name", "A", "--price", "1", "--quantity", "5"],
    )
    .code(3)
    .err_has("event 999");
    t.run(&["tier", "list", "999"]).code(3).err_has("event 999");
    t.run(&["tier", "show", "999"]).code(3).err_has("tier 999");
    t.run(&["tier", "availability", "999"])
        .code(3)
        .err_has("tier 999");
    update(&t, PROMOTER, 999, &["--price", "1"])
        .code(3)
        .err_has("tier 999");
    delete(&t, PROMOTER, 999).code(3).err_has("tier 999");
    assert_no_tiers(&t, ev);
}

// ---------------------------------------------------------------------------------
// event status

#[test]
fn tiers_cannot_change_once_the_event_is_cancelled() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.as_(PROMOTER, &["event", "cancel", &ev.to_string(), "--yes"])
        .ok();
    create(
        &t,
        PROMOTER,
        ev,
        &["--name", "Late", "--price", "1", "--quantity", "5"],
    )
    .code(5)
    .err_has("cancelled");
    update(&t, PROMOTER, id, &["--quantity", "50"])
        .code(5)
        .err_has("cancelled");
    delete(&t, PROMOTER, id).code(5).err_has("cancelled");
    // An admin is held to the rule as well.
    update(&t, ADMIN, id, &["--quantity", "50"]).code(5);
    assert_eq!(t.tier_names(ev), ["GA"]);
    assert_eq!(t.show_tier(id)["quantity"], 100);
}

#[test]
fn tiers_can_change_on_a_published_event() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.publish(ev);
    t.tier(ev, "VIP", &[]);
    update(&t, PROMOTER, id, &["--quantity", "50"]).ok();
    delete(&t, PROMOTER, id).ok();
    assert_eq!(t.tier_names(ev), ["VIP"]);
}

// ---------------------------------------------------------------------------------
// positions and listing

#[test]
fn positions_are_appended_unless_given_and_lists_follow_them() {
    let (t, ev) = Tix::with_event();
    let positions: Vec<i64> = ["A", "B", "C"]
        .iter()
        .map(|n| t.tier(ev, n, &[])["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    assert_eq!(t.tier(ev, "First", &["--position", "0"])["position"], 0);
    assert_eq!(t.tier(ev, "Tenth", &["--position", "10"])["position"], 10);
    assert_eq!(t.tier(ev, "After", &[])["position"], 11);
    let list = t
        .as_(PROMOTER, &["tier", "list", &ev.to_string(), "--json"])
        .ok()
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["First", "A", "B", "C", "Tenth", "After"]);
    // Moving a tier moves it in the list.
    let a = t.all_tiers(ev)[1]["id"].as_i64().unwrap();
    update(&t, PROMOTER, a, &["--position", "20"]).ok();
    assert_eq!(t.tier_names(ev), ["First", "B", "C", "Tenth", "After", "A"]);
    // Positions are per event.
    let other = t.event(PROMOTER, "Other");
    assert_eq!(t.tier(other, "Solo", &[])["position"], 1);
}

#[test]
fn inactive_tiers_are_listed_only_on_request_and_only_for_owner_and_admin() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "Shown", &[]);
    t.tier(ev, "Hidden", &["--inactive"]);
    let evs = ev.to_string();
    let names = |out: Out| -> Vec<String> {
        out.ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    t.publish(ev);
    let plain = ["tier", "list", evs.as_str(), "--json"];
    let all = ["tier", "list", evs.as_str(), "--include-inactive", "--json"];
    assert_eq!(names(t.run(&plain)), ["Shown"]);
    assert_eq!(names(t.as_(BUYER, &plain)), ["Shown"]);
    assert_eq!(names(t.as_(PROMOTER, &plain)), ["Shown"]);
    assert_eq!(names(t.as_(PROMOTER, &all)), ["Shown", "Hidden"]);
    assert_eq!(names(t.admin(&all)), ["Shown", "Hidden"]);
    t.run(&all).code(4).err_has("--as");
    t.as_(BUYER, &all).code(4).err_has(PROMOTER);
    t.as_(OTHER_PROMOTER, &all).code(4).err_has(PROMOTER);
    // The human table marks inactive tiers.
    t.as_(PROMOTER, &["tier", "list", &evs, "--include-inactive"])
        .ok()
        .out_has("inactive");
}

#[test]
fn an_empty_list_says_so() {
    let (t, ev) = Tix::with_event();
    t.as_(PROMOTER, &["tier", "list", &ev.to_string()])
        .ok()
        .out_has("No tiers.");
}

// ---------------------------------------------------------------------------------
// update

#[test]
fn update_changes_only_the_given_fields() {
    let (t, ev) = Tix::with_event();
    let before = t.tier(
        ev,
        "VIP",
        &[
            "--description",
            "Lounge",
            "--max-purchase",
            "4",
            "--min-purchase",
            "2",
            "--sale-start",
            "2027-03-01 10:00",
            "--sale-end",
            "2027-07-14 23:59",
            "--requires-approval",
            "--no-transfer",
        ],
    );
    let id = before["id"].as_i64().unwrap();
    let after = update(&t, PROMOTER, id, &["--quantity", "150"]).ok().json();
    parse_tier(&after);
    for key in TIER_KEYS {
        match *key {
            "quantity" => assert_eq!(after[key], 150),
            "available" => assert_eq!(after[key], 150),
            "updated_at" => assert_utc(&after[key]),
            _ => assert_eq!(after[key], before[key], "{key} should not change"),
        }
    }
    assert_eq!(t.show_tier(id), after, "the change is stored");

    let v = update(&t, PROMOTER, id, &["--name", "VIP Gold", "--price", "249"])
        .ok()
        .json();
    assert_eq!(v["name"], "VIP Gold");
    assert_eq!(v["price"], "249.00");
    assert_eq!(v["description"], "Lounge");
    assert_eq!(v["sale_start"], before["sale_start"]);
}

#[test]
fn update_toggles_flags_both_ways() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    let flag = |args: &[&str], key: &str| update(&t, PROMOTER, id, args).ok().json()[key].clone();
    assert_eq!(flag(&["--inactive"], "is_active"), false);
    assert_eq!(t.show_tier(id)["is_active"], false);
    assert_eq!(flag(&["--active"], "is_active"), true);
    assert_eq!(flag(&["--requires-approval"], "requires_approval"), true);
    assert_eq!(
        flag(&["--no-requires-approval"], "requires_approval"),
        false
    );
    assert_eq!(flag(&["--no-transfer"], "transferable"), false);
    assert_eq!(flag(&["--transferable"], "transferable"), true);
    update(&t, PROMOTER, id, &["--active", "--inactive"]).code(2);
    assert_eq!(t.show_tier(id)["is_active"], true);
}

#[test]
fn update_clears_optional_fields_with_empty_text() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(
        ev,
        "GA",
        &[
            "--description",
            "Standing",
            "--sale-start",
            "2027-03-01 10:00",
            "--sale-end",
            "2027-07-14 23:59",
        ],
    );
    let v = update(&t, PROMOTER, id, &["--description", "", "--sale-end", ""])
        .ok()
        .json();
    assert_eq!(v["description"], Value::Null);
    assert_eq!(v["sale_end"], Value::Null);
    assert_eq!(v["sale_start"], "2027-03-01T09:00:00Z");
}

#[test]
fn update_with_nothing_to_change_is_a_usage_error() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    update(&t, PROMOTER, id, &[])
        .code(2)
        .err_has("nothing to update");
}

#[test]
fn update_checks_the_same_rules_as_create_and_keeps_the_tier_on_failure() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(
        ev,
        "GA",
        &["--max-purchase", "4", "--sale-start", "2027-07-01 10:00"],
    );
    let before = t.show_tier(id);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--name", ""], 2, "name"),
        (vec!["--price", "1.234"], 2, "price"),
        (vec!["--price", "-1"], 2, "price"),
        (vec!["--quantity", "0"], 2, "quantity"),
        (vec!["--min-purchase", "0"], 2, "min_purchase"),
        (vec!["--sale-end", "soon"], 2, "sale_end"),
        (vec!["--min-purchase", "5"], 5, "min_purchase"),
        (vec!["--max-purchase", "101"], 5, "max_purchase"),
        // The new end is checked against the start already stored.
        (vec!["--sale-end", "2027-07-01 10:00"], 5, "sale_end"),
        (vec!["--sale-end", "2027-06-30 10:00"], 5, "sale_end"),
        (
            vec![
                "--sale-start",
                "2027-07-01 11:00",
                "--sale-end",
                "2027-07-01 10:30",
            ],
            5,
            "sale_end",
        ),
    ];
    for (args, code, field) in cases {
        let out = update(&t, PROMOTER, id, &args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        out.err_has(field);
        assert_eq!(t.show_tier(id), before, "{args:?} must change nothing");
    }
    // Lowering the quantity below the per-order maximum is refused, saying what to pass:
    // only the given fields change.
    update(&t, PROMOTER, id, &["--quantity", "3"])
        .code(5)
        .err_has("max_purchase of 3");
    assert_eq!(t.show_tier(id), before);
    let v = update(
        &t,
        PROMOTER,
        id,
        &["--quantity", "3", "--max-purchase", "3"],
    )
    .ok()
    .json();
    assert_eq!(
        (v["quantity"].as_i64(), v["max_purchase"].as_i64()),
        (Some(3), Some(3))
    );
}

#[test]
fn renaming_to_a_name_in_use_is_refused_but_recasing_ones_own_name_is_not() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "VIP", &[]);
    let ga = t.tier_id(ev, "GA", &[]);
    update(&t, PROMOTER, ga, &["--name", "VIP"])
        .code(5)
        .err_has("already has a tier named 'VIP'");
    update(&t, PROMOTER, ga, &["--name", "vip"]).code(5);
    assert_eq!(t.tier_names(ev), ["VIP", "GA"]);
    let v = update(&t, PROMOTER, ga, &["--name", "ga"]).ok().json();
    assert_eq!(v["name"], "ga");
    // A tier of another event does not block the name.
    let other = t.event(PROMOTER, "Other");
    t.tier(other, "Balcony", &[]);
    update(&t, PROMOTER, ga, &["--name", "Balcony"]).ok();
}

// ---------------------------------------------------------------------------------
// rules that depend on sales

#[test]
fn sold_available_and_percent_follow_sales() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.sell(id, 25);
    let v = t.show_tier(id);
    assert_eq!(v["sold"], 25);
    assert_eq!(v["available"], 75);
    assert_eq!(v["percent_sold"], 25.0);
    let third = sized(&t, ev, "Third", 3, &[]);
    t.sell(third, 1);
    assert_eq!(t.show_tier(third)["percent_sold"], 33.3);
    t.sell(third, 2);
    let v = t.show_tier(third);
    assert_eq!(v["percent_sold"], 100.0);
    assert_eq!(v["available"], 0);
    t.as_(PROMOTER, &["tier", "show", &id.to_string()])
        .ok()
        .out_has("25 (25%)");
}

#[test]
fn the_price_is_fixed_once_anything_is_sold() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.sell(id, 1);
    update(&t, PROMOTER, id, &["--price", "12"])
        .code(5)
        .err_has("Cannot change price");
    update(&t, ADMIN, id, &["--price", "0"])
        .code(5)
        .err_has("Cannot change price");
    // Along with another change, nothing of the update is kept.
    update(&t, PROMOTER, id, &["--price", "12", "--quantity", "200"]).code(5);
    let v = t.show_tier(id);
    assert_eq!(v["price"], "10.00");
    assert_eq!(v["quantity"], 100);
    // The same price, however written, is no change.
    update(&t, PROMOTER, id, &["--price", "10"]).ok();
    update(&t, PROMOTER, id, &["--price", "10.00", "--quantity", "200"]).ok();
    assert_eq!(t.show_tier(id)["quantity"], 200);
}

#[test]
fn the_quantity_never_drops_below_what_is_sold() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.sell(id, 25);
    update(&t, PROMOTER, id, &["--quantity", "24"])
        .code(5)
        .err_has("25 tickets already sold");
    assert_eq!(t.show_tier(id)["quantity"], 100);
    let v = update(&t, PROMOTER, id, &["--quantity", "25"]).ok().json();
    assert_eq!(v["quantity"], 25);
    assert_eq!(v["available"], 0);
    assert_eq!(v["percent_sold"], 100.0);
}

#[test]
fn a_tier_with_sales_cannot_be_deleted_but_can_be_deactivated() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.sell(id, 3);
    let out = delete(&t, PROMOTER, id).code(5).err_has("--inactive");
    assert!(
        out.stderr
            .contains(&format!("tix tier update {id} --inactive")),
        "{}",
        out.stderr
    );
    delete(&t, ADMIN, id).code(5);
    assert_eq!(t.show_tier(id)["sold"], 3);
    let v = update(&t, PROMOTER, id, &["--inactive"]).ok().json();
    assert_eq!(v["is_active"], false);
    assert_eq!(v["sold"], 3);
}

// ---------------------------------------------------------------------------------
// delete

#[test]
fn delete_without_a_terminal_needs_yes() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    let ids = id.to_string();
    t.as_(PROMOTER, &["tier", "delete", &ids])
        .code(2)
        .err_has("--yes");
    t.as_(PROMOTER, &["--no-input", "tier", "delete", &ids])
        .code(2)
        .err_has("--yes");
    t.show_tier(id);
    let out = t
        .as_(PROMOTER, &["tier", "delete", &ids, "--yes", "--json"])
        .ok();
    let v = out.json();
    assert_eq!(v["id"], id, "the deleted tier is shown");
    assert_eq!(v["name"], "GA");
    t.as_(PROMOTER, &["tier", "show", &ids])
        .code(3)
        .err_has("not found");
    assert_no_tiers(&t, ev);
    // Deleting again: not found.
    t.as_(PROMOTER, &["-y", "tier", "delete", &ids]).code(3);
}

#[test]
fn delete_prints_what_it_deleted() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]).to_string();
    t.as_(PROMOTER, &["-y", "tier", "delete", &id])
        .ok()
        .out_has("Deleted tier");
    assert_no_tiers(&t, ev);
}

#[test]
fn deleting_one_tier_keeps_the_others_and_their_positions() {
    let (t, ev) = Tix::with_event();
    t.tier(ev, "A", &[]);
    let b = t.tier_id(ev, "B", &[]);
    t.tier(ev, "C", &[]);
    delete(&t, PROMOTER, b).ok();
    assert_eq!(t.tier_names(ev), ["A", "C"]);
    assert_eq!(t.tier(ev, "D", &[])["position"], 4);
}

// ---------------------------------------------------------------------------------
// availability

#[test]
fn availability_on_a_draft_event_is_not_on_sale() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    let a = availability(&t, id);
    assert_eq!(a.tier_id, id);
    assert_eq!(a.tier_name, "GA");
    assert_eq!(a.price, "10.00");
    assert_eq!(a.currency, "EUR");
    assert_eq!((a.available, a.sold, a.quantity), (100, 0, 100));
    assert!(!a.is_sold_out);
    assert!(!a.is_on_sale);
    assert!(!a.can_purchase);
    assert!(a.message.contains("not published"), "{}", a.message);
}

#[test]
fn availability_when_published_and_open() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    let ending = t.tier_id(
        ev,
        "Ending",
        &[
            "--sale-start",
            "2020-01-01 10:00",
            "--sale-end",
            "2099-07-01 10:00",
        ],
    );
    t.publish(ev);
    let a = availability(&t, id);
    assert!(a.is_on_sale && a.can_purchase && !a.is_sold_out);
    assert_eq!(a.message, "On sale: 100 of 100 left");
    let a = availability(&t, ending);
    assert!(a.is_on_sale && a.can_purchase);
    assert_eq!(
        a.message,
        "On sale until 1 Jul 2099 10:00 CEST: 100 of 100 left"
    );
    t.as_(PROMOTER, &["tier", "availability", &id.to_string()])
        .ok()
        .out_has("can be bought");
}

#[test]
fn availability_before_the_sale_opens_says_when() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "Future", &["--sale-start", "2030-07-01 10:00"]);
    t.publish(ev);
    let a = availability(&t, id);
    assert!(!a.is_on_sale);
    assert!(!a.can_purchase);
    assert!(!a.is_sold_out);
    assert_eq!(a.message, "Sales open 1 Jul 2030 10:00 CEST");
}

#[test]
fn availability_after_the_sale_ended_says_when() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(
        ev,
        "Past",
        &[
            "--sale-start",
            "2020-01-01 10:00",
            "--sale-end",
            "2020-06-01 10:00",
        ],
    );
    t.publish(ev);
    let a = availability(&t, id);
    assert!(!a.is_on_sale);
    assert!(!a.can_purchase);
    assert_eq!(a.message, "Sales ended 1 Jun 2020 10:00 CEST");
}

#[test]
fn availability_of_an_inactive_tier_is_not_on_sale() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "Hidden", &["--inactive"]);
    t.publish(ev);
    let a = availability(&t, id);
    assert!(!a.is_on_sale);
    assert!(!a.can_purchase);
    assert!(a.message.starts_with("Not on sale"), "{}", a.message);
    update(&t, PROMOTER, id, &["--active"]).ok();
    assert!(availability(&t, id).can_purchase);
}

#[test]
fn availability_when_sold_out() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.publish(ev);
    t.sell(id, 100);
    let a = availability(&t, id);
    assert!(a.is_sold_out);
    assert!(!a.can_purchase);
    assert_eq!(a.message, "Sold out");
    assert_eq!((a.available, a.sold, a.quantity), (0, 100, 100));
    t.as_(PROMOTER, &["tier", "list", &ev.to_string()])
        .ok()
        .out_has("sold out");
}

#[test]
fn availability_with_few_seats_left() {
    let (t, ev) = Tix::with_event();
    let few = t.tier_id(ev, "Few", &[]);
    let groups = sized(
        &t,
        ev,
        "Groups",
        10,
        &["--min-purchase", "4", "--max-purchase", "4"],
    );
    t.publish(ev);
    t.sell(few, 95);
    let a = availability(&t, few);
    assert!(a.can_purchase);
    assert_eq!(a.message, "Only 5 left");
    t.sell(groups, 8);
    let a = availability(&t, groups);
    assert!(a.is_on_sale, "the sale is open");
    assert!(!a.is_sold_out);
    assert!(
        !a.can_purchase,
        "2 seats cannot fill an order of at least 4"
    );
    assert_eq!(a.message, "Only 2 left, fewer than the minimum order of 4");
}

#[test]
fn availability_on_a_cancelled_event_is_not_on_sale() {
    let (t, ev) = Tix::with_event();
    let id = t.tier_id(ev, "GA", &[]);
    t.publish(ev);
    assert!(availability(&t, id).is_on_sale);
    t.cancel(ev);
    let a = availability(&t, id);
    assert!(!a.is_on_sale);
    assert!(!a.can_purchase);
    assert!(a.message.contains("cancelled"), "{}", a.message);
}

// ---------------------------------------------------------------------------------
// round-trips

#[test]
fn awkward_text_comes_back_unchanged() {
    let (t, ev) = Tix::with_event();
    let texts = [
        "'; DROP TABLE tiers; --",
        "Robert'); DELETE FROM events; --",
        "\"double\" and 'single' quotes",
        r"back\slash \\ and \n not a newline",
        "100% off_ with %s and %d",
        "🎟️ VIP 🎉 Zürich Ünïcödé",
        "مرحبا بالعالم — עברית",
    ];
    let mut ids = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let desc = format!("desc: {text}");
        let v = create(
            &t,
            PROMOTER,
            ev,
            &[
                "--name",
                text,
                "--description",
                &desc,
                "--price",
                "1",
                "--quantity",
                "5",
            ],
        )
        .ok()
        .json();
        assert_eq!(v["name"], *text, "case {i}");
        assert_eq!(v["description"], desc.as_str(), "case {i}");
        let id = v["id"].as_i64().unwrap();
        let shown = t.show_tier(id);
        assert_eq!(shown["name"], *text, "case {i}");
        assert_eq!(shown["description"], desc.as_str(), "case {i}");
        ids.push(id);
    }
    let names = t.tier_names(ev);
    assert_eq!(names, texts);
    // The tables are all still there and whole.
    for table in ["tiers", "events", "users"] {
        let n = t.sql_i64(&format!("SELECT count(*) FROM {table}"));
        assert!(n >= 1, "table {table} should still exist and hold its rows");
    }
    let n = t.sql_i64("SELECT count(*) FROM tiers");
    assert_eq!(n, texts.len() as i64);
    t.as_(PROMOTER, &["event", "show", &ev.to_string()]).ok();
    // Updating by such a name keeps it too.
    let v = update(&t, PROMOTER, ids[0], &["--name", "it's \"fine\" % _"])
        .ok()
        .json();
    assert_eq!(v["name"], "it's \"fine\" % _");
    // A description may span lines and hold tabs; a name is one line.
    let v = update(
        &t,
        PROMOTER,
        ids[0],
        &["--description", "two\nlines\tand a tab"],
    )
    .ok()
    .json();
    assert_eq!(v["description"], "two\nlines\tand a tab");
    for bad in ["tab\tinside", "two\nlines"] {
        update(&t, PROMOTER, ids[0], &["--name", bad])
            .code(2)
            .err_has("one line");
    }
}

// ---------------------------------------------------------------------------------
// currencies and time zones

#[test]
fn prices_follow_the_events_currency() {
    let t = Tix::with_people();
    let ev = t
        .as_(
            PROMOTER,
            &[
                "event",
                "create",
                "--title",
                "Tokyo",
                "--starts-at",
                "2030-07-15 18:00",
                "--timezone",
                "Asia/Tokyo",
                "--currency",
                "jpy",
                "--json",
            ],
        )
        .ok()
        .json();
    assert_eq!(ev["currency"], "JPY");
    let ev = ev["id"].as_i64().unwrap();
    create(
        &t,
        PROMOTER,
        ev,
        &["--name", "GA", "--price", "1.5", "--quantity", "5"],
    )
    .code(2)
    .err_has("JPY");
    assert_no_tiers(&t, ev);
    let v = create(
        &t,
        PROMOTER,
        ev,
        &[
            "--name",
            "GA",
            "--price",
            "1500",
            "--quantity",
            "5",
            "--sale-start",
            "2027-07-01 10:00",
        ],
    )
    .ok()
    .json();
    assert_eq!(v["price"], "1500");
    assert_eq!(v["currency"], "JPY");
    assert_eq!(
        v["sale_start"], "2027-07-01T01:00:00Z",
        "read in Asia/Tokyo"
    );
    let a = availability(&t, v["id"].as_i64().unwrap());
    assert_eq!((a.price.as_str(), a.currency.as_str()), ("1500", "JPY"));

    let kwd = t
        .as_(
            PROMOTER,
            &[
                "event",
                "create",
                "--title",
                "Kuwait",
                "--starts-at",
                "2030-07-15 18:00",
                "--currency",
                "KWD",
                "--json",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap();
    let v = create(
        &t,
        PROMOTER,
        kwd,
        &["--name", "GA", "--price", "1.234", "--quantity", "5"],
    )
    .ok()
    .json();
    assert_eq!(v["price"], "1.234");
    assert_eq!(v["currency"], "KWD");
}

#[test]
fn the_default_currency_comes_from_tix_currency() {
    let t = Tix::with_people();
    let mut c = t.cmd();
    c.env("TIX_CURRENCY", "GBP").args([
        "--as",
        PROMOTER,
        "event",
        "create",
        "--title",
        "London",
        "--starts-at",
        "2030-07-15 18:00",
        "--json",
    ]);
    let v = finish(c).ok().json();
    assert_eq!(v["currency"], "GBP");
    let ev = t.event(PROMOTER, "Berlin");
    let v = t
        .as_(PROMOTER, &["event", "show", &ev.to_string(), "--json"])
        .ok()
        .json();
    assert_eq!(v["currency"], "EUR", "EUR without TIX_CURRENCY");
}

#[test]
fn unknown_currency_or_time_zone_exits_2() {
    let t = Tix::with_people();
    let base = [
        "event",
        "create",
        "--title",
        "X",
        "--starts-at",
        "2030-07-15 18:00",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        t.as_(PROMOTER, &args)
    };
    with(&["--currency", "XYZ"]).code(2).err_has("currency");
    with(&["--currency", "EURO"]).code(2).err_has("currency");
    with(&["--timezone", "Mars/Olympus"])
        .code(2)
        .err_has("timezone");
    with(&["--timezone", "CEST"]).code(2).err_has("timezone");
    let events = t.as_(PROMOTER, &["event", "list", "--json"]).ok().json();
    assert_eq!(events, serde_json::json!([]), "nothing was created");
}

/// Ids are given alike on both engines: a refused duplicate or a dry run uses none up.
#[test]
fn refused_tiers_and_dry_runs_use_up_no_ids() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let first = t.tier(event, "Café", &[])["id"].as_i64().unwrap();
    t.as_(
        PROMOTER,
        &[
            "tier",
            "create",
            &ev,
            "--name",
            "CAFÉ",
            "--price",
            "1",
            "--quantity",
            "1",
        ],
    )
    .code(5);
    let csv = t.write_file("one.csv", "name,price,quantity\nNew,1,1\n");
    for _ in 0..3 {
        let report = t
            .as_(
                PROMOTER,
                &["tier", "import", &ev, &csv, "--dry-run", "--json"],
            )
            .ok()
            .json();
        assert_eq!(report["tiers"][0]["tier"]["id"], first + 1, "{report:#}");
    }
    let next = t.tier(event, "Next", &[])["id"].as_i64().unwrap();
    assert_eq!(next, first + 1);
}
