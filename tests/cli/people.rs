//! `tix user …` and `tix event …`: accounts, roles, verification, events and their
//! gate staff.

use serde::Deserialize;
use serde_json::Value;

use crate::common::*;

/// The contract's User JSON, exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserJson {
    email: String,
    name: String,
    role: String,
    verified: bool,
    created_at: String,
}

const USER_KEYS: &[&str] = &["email", "name", "role", "verified", "created_at"];

/// The contract's Event JSON, exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventJson {
    id: i64,
    title: String,
    status: String,
    starts_at: String,
    ends_at: Option<String>,
    venue: Option<String>,
    timezone: String,
    currency: String,
    owner_email: String,
    created_at: String,
}

const EVENT_KEYS: &[&str] = &[
    "id",
    "title",
    "status",
    "starts_at",
    "ends_at",
    "venue",
    "timezone",
    "currency",
    "owner_email",
    "created_at",
];

fn parse_user(v: &Value) -> UserJson {
    assert_keys(v, USER_KEYS);
    assert_utc(&v["created_at"]);
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a User ({e}): {v:#}"))
}

fn parse_event(v: &Value) -> EventJson {
    assert_keys(v, EVENT_KEYS);
    assert_utc(&v["starts_at"]);
    assert_utc(&v["created_at"]);
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not an Event ({e}): {v:#}"))
}

fn add_user(t: &Tix, who: &str, email: &str, role: &str) -> Out {
    t.as_(
        who,
        &[
            "user", "add", email, "--name", "Someone", "--role", role, "--json",
        ],
    )
}

fn event_status(t: &Tix, ev: i64) -> String {
    t.as_(PROMOTER, &["event", "show", &ev.to_string(), "--json"])
        .ok()
        .json()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn event_ids(out: Out) -> Vec<i64> {
    out.ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn emails(out: Out) -> Vec<String> {
    out.ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------
// users

#[test]
fn user_add_prints_exactly_the_contract_fields() {
    let t = Tix::new();
    let v = t
        .admin(&[
            "user",
            "add",
            " Pat@Example.COM ",
            "--name",
            "Pat Promoter",
            "--role",
            "promoter",
            "--json",
        ])
        .ok()
        .json();
    let u = parse_user(&v);
    assert_eq!(
        u.email, "pat@example.com",
        "emails are stored trimmed, lower case"
    );
    assert_eq!(u.name, "Pat Promoter");
    assert_eq!(u.role, "promoter");
    assert!(!u.verified, "a new promoter is not verified");
    let v = t.admin(&["user", "verify", PROMOTER, "--json"]).ok().json();
    assert!(parse_user(&v).verified);
    // Verifying twice is harmless.
    t.admin(&["user", "verify", PROMOTER]).ok();
    // The default role is user.
    let v = t
        .admin(&["user", "add", BUYER, "--name", "Bea", "--json"])
        .ok()
        .json();
    let u = parse_user(&v);
    assert_eq!((u.role.as_str(), u.verified), ("user", false));
    let v = t.admin(&["user", "show", ADMIN, "--json"]).ok().json();
    let u = parse_user(&v);
    assert_eq!((u.role.as_str(), u.verified), ("admin", true));
    assert_eq!(u.created_at, v["created_at"].as_str().unwrap());
}

#[test]
fn user_add_refuses_duplicates_and_bad_input() {
    let t = Tix::with_people();
    add_user(&t, ADMIN, PROMOTER, "user")
        .code(5)
        .err_has("already exists");
    add_user(&t, ADMIN, &PROMOTER.to_uppercase(), "user")
        .code(5)
        .err_has("already exists");
    for bad in [
        "not-an-email",
        "ana@",
        "@example.com",
        "ana@example",
        "a na@example.com",
        "",
    ] {
        let out = add_user(&t, ADMIN, bad, "user");
        assert_eq!(out.code, 2, "{bad:?}: {out:?}");
        out.err_has("email");
    }
    t.admin(&["user", "add", "new@example.com", "--name", " "])
        .code(2)
        .err_has("name");
    t.admin(&[
        "user",
        "add",
        "new@example.com",
        "--name",
        "N",
        "--role",
        "boss",
    ])
    .code(2);
    let all = emails(t.admin(&["user", "list", "--json"]));
    assert_eq!(all.len(), 4, "nothing was added: {all:?}");
    assert!(!all.contains(&"new@example.com".to_string()));
}

#[test]
fn only_admins_may_add_verify_and_list_users() {
    let t = Tix::with_people();
    t.add_unverified_promoter();
    for who in [PROMOTER, BUYER] {
        add_user(&t, who, "x@example.com", "user")
            .code(4)
            .err_has("admin");
        t.as_(who, &["user", "verify", UNVERIFIED])
            .code(4)
            .err_has("admin");
        t.as_(who, &["user", "list"]).code(4).err_has("admin");
    }
    t.run(&["user", "add", "x@example.com", "--name", "X"])
        .code(4);
    t.run(&["user", "verify", UNVERIFIED]).code(4);
    t.run(&["user", "list"]).code(4);
    // A promoter may not make themself (or anyone) an admin.
    add_user(&t, PROMOTER, "root@example.com", "admin").code(4);
    t.admin(&["user", "show", "x@example.com"]).code(3);
    t.admin(&["user", "show", "root@example.com"]).code(3);
    let v = t.admin(&["user", "show", UNVERIFIED, "--json"]).ok().json();
    assert_eq!(v["verified"], false, "the refused verify changed nothing");
}

#[test]
fn admins_may_add_other_admins() {
    let t = Tix::new();
    add_user(&t, ADMIN, "root@example.com", "admin").ok();
    add_user(&t, "root@example.com", "p2@example.com", "promoter").ok();
}

#[test]
fn user_list_shows_everyone_by_email() {
    let t = Tix::with_people();
    let out = t.admin(&["user", "list", "--json"]).ok();
    for v in out.json().as_array().unwrap() {
        parse_user(v);
    }
    assert_eq!(
        emails(out),
        [ADMIN, BUYER, OTHER_PROMOTER, PROMOTER],
        "sorted by email"
    );
    t.admin(&["user", "list"]).ok().out_has(PROMOTER);
}

#[test]
fn user_show_is_for_the_user_themself_and_admins() {
    let t = Tix::with_people();
    let v = t.as_(BUYER, &["user", "show", BUYER, "--json"]).ok().json();
    assert_eq!(parse_user(&v).email, BUYER);
    t.as_(BUYER, &["user", "show", &BUYER.to_uppercase()]).ok();
    t.as_(BUYER, &["user", "show", PROMOTER])
        .code(4)
        .err_has(PROMOTER);
    t.as_(PROMOTER, &["user", "show", BUYER]).code(4);
    t.run(&["user", "show", BUYER]).code(4).err_has("--as");
    t.admin(&["user", "show", BUYER]).ok().out_has(BUYER);
    t.admin(&["user", "show", "ghost@example.com"])
        .code(3)
        .err_has("ghost@example.com");
    // Non-admins do not learn whether an account exists.
    t.as_(BUYER, &["user", "show", "ghost@example.com"]).code(4);
}

#[test]
fn only_promoters_are_verified() {
    let t = Tix::with_people();
    t.admin(&["user", "verify", BUYER])
        .code(5)
        .err_has("not a promoter");
    t.admin(&["user", "verify", ADMIN]).code(5);
    t.admin(&["user", "verify", "ghost@example.com"])
        .code(3)
        .err_has("ghost@example.com");
    let v = t.admin(&["user", "show", BUYER, "--json"]).ok().json();
    assert_eq!(v["verified"], false);
}

// ---------------------------------------------------------------------------------
// events

#[test]
fn event_create_prints_exactly_the_contract_fields() {
    let t = Tix::with_people();
    let v = t
        .as_(
            PROMOTER,
            &[
                "event",
                "create",
                "--title",
                "Summer Nights",
                "--starts-at",
                "2027-07-15 18:00",
                "--ends-at",
                "2027-07-16T02:00:00+02:00",
                "--timezone",
                "Europe/Berlin",
                "--currency",
                "usd",
                "--venue",
                "Harbour Stage",
                "--json",
            ],
        )
        .ok()
        .json();
    let e = parse_event(&v);
    assert!(e.id > 0);
    assert_eq!(e.title, "Summer Nights");
    assert_eq!(e.status, "draft");
    assert_eq!(e.starts_at, "2027-07-15T16:00:00Z");
    assert_eq!(e.ends_at.as_deref(), Some("2027-07-16T00:00:00Z"));
    assert_eq!(e.venue.as_deref(), Some("Harbour Stage"));
    assert_eq!(e.timezone, "Europe/Berlin");
    assert_eq!(e.currency, "USD");
    assert_eq!(e.owner_email, PROMOTER);
    assert!(e.created_at.ends_with('Z'));
    let shown = t
        .as_(PROMOTER, &["event", "show", &e.id.to_string(), "--json"])
        .ok();
    assert_eq!(shown.json(), v);
}

#[test]
fn event_defaults_are_utc_and_eur() {
    let t = Tix::with_people();
    let v = t
        .as_(
            PROMOTER,
            &[
                "event",
                "create",
                "--title",
                "Plain",
                "--starts-at",
                "2027-07-15 18:00",
                "--json",
            ],
        )
        .ok()
        .json();
    let e = parse_event(&v);
    assert_eq!(e.timezone, "UTC");
    assert_eq!(e.currency, "EUR");
    assert_eq!(e.starts_at, "2027-07-15T18:00:00Z");
    assert_eq!(e.ends_at, None);
    assert_eq!(e.venue, None);
}

#[test]
fn only_promoters_and_admins_create_events() {
    let t = Tix::with_people();
    t.add_staff_user();
    fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![
            "event",
            "create",
            "--title",
            "Mine",
            "--starts-at",
            "2030-07-15 18:00",
        ];
        a.extend_from_slice(extra);
        a
    }
    t.as_(BUYER, &args(&[]))
        .code(4)
        .err_has("only promoters and admins");
    t.as_(STAFF, &args(&[])).code(4);
    t.run(&args(&[])).code(4).err_has("--as");
    assert_eq!(
        event_ids(t.admin(&["event", "list", "--json"])),
        Vec::<i64>::new()
    );
    // An unverified promoter may create events (only tiers need verification).
    t.add_unverified_promoter();
    t.as_(UNVERIFIED, &args(&[])).ok();
    let v = t.admin(&args(&["--json"])).ok().json();
    assert_eq!(v["owner_email"], ADMIN);
}

#[test]
fn event_values_are_checked() {
    let t = Tix::with_people();
    let create = |extra: &[&str]| {
        let mut a = vec!["event", "create", "--title", "E"];
        a.extend_from_slice(extra);
        t.as_(PROMOTER, &a)
    };
    let start = ["--starts-at", "2030-07-15 18:00"];
    let with_start = |extra: &[&str]| {
        let mut a = start.to_vec();
        a.extend_from_slice(extra);
        create(&a)
    };
    with_start(&["--ends-at", "2030-07-15 17:00"])
        .code(5)
        .err_has("ends_at");
    with_start(&["--ends-at", "2030-07-15 18:00"])
        .code(5)
        .err_has("ends_at");
    with_start(&["--ends-at", "later"])
        .code(2)
        .err_has("ends_at");
    create(&["--starts-at", "next friday"])
        .code(2)
        .err_has("starts_at");
    create(&[]).code(2);
    t.as_(
        PROMOTER,
        &[
            "event",
            "create",
            "--title",
            " ",
            "--starts-at",
            "2030-07-15 18:00",
        ],
    )
    .code(2)
    .err_has("title");
    let long = "t".repeat(201);
    t.as_(
        PROMOTER,
        &[
            "event",
            "create",
            "--title",
            &long,
            "--starts-at",
            "2030-07-15 18:00",
        ],
    )
    .code(2)
    .err_has("title");
    assert_eq!(
        event_ids(t.admin(&["event", "list", "--json"])),
        Vec::<i64>::new(),
        "nothing was created"
    );
}

#[test]
fn event_list_shows_drafts_only_to_their_promoter_and_admins() {
    let t = Tix::with_people();
    let draft = t.event(PROMOTER, "Pat's draft");
    let public = t.event(PROMOTER, "Pat's published");
    t.publish(public);
    let olgas = t.event(OTHER_PROMOTER, "Olga's draft");
    let list = |who: Option<&str>| {
        let args = ["event", "list", "--json"];
        let out = match who {
            Some(w) => t.as_(w, &args),
            None => t.run(&args),
        };
        let mut ids = event_ids(out);
        ids.sort_unstable();
        ids
    };
    assert_eq!(list(None), [public]);
    assert_eq!(list(Some(BUYER)), [public]);
    assert_eq!(list(Some(PROMOTER)), [draft, public]);
    assert_eq!(list(Some(OTHER_PROMOTER)), [public, olgas]);
    assert_eq!(list(Some(ADMIN)), [draft, public, olgas]);
    let out = t.as_(PROMOTER, &["event", "list", "--json"]).ok();
    for v in out.json().as_array().unwrap() {
        parse_event(v);
    }
    t.as_(PROMOTER, &["event", "list"])
        .ok()
        .out_has("Pat's published");
}

#[test]
fn event_show_of_an_unknown_id_is_not_found() {
    let t = Tix::with_people();
    t.as_(PROMOTER, &["event", "show", "42"])
        .code(3)
        .err_has("event 42");
    t.as_(PROMOTER, &["event", "publish", "42"]).code(3);
    t.as_(PROMOTER, &["event", "cancel", "42", "--yes"]).code(3);
    t.as_(PROMOTER, &["event", "show", "x"]).code(2);
}

#[test]
fn publish_is_for_the_owner_or_an_admin() {
    let (t, ev) = Tix::with_event();
    let evs = ev.to_string();
    t.as_(OTHER_PROMOTER, &["event", "publish", &evs])
        .code(4)
        .err_has(PROMOTER);
    t.as_(BUYER, &["event", "publish", &evs]).code(4);
    t.run(&["event", "publish", &evs]).code(4);
    assert_eq!(event_status(&t, ev), "draft");
    let v = t
        .as_(PROMOTER, &["event", "publish", &evs, "--json"])
        .ok()
        .json();
    assert_eq!(parse_event(&v).status, "published");
    // Publishing again changes nothing.
    t.as_(PROMOTER, &["event", "publish", &evs]).ok();
    assert_eq!(event_status(&t, ev), "published");
    let other = t.event(OTHER_PROMOTER, "Olga's");
    t.admin(&["event", "publish", &other.to_string()]).ok();
    assert_eq!(event_status(&t, other), "published");
}

#[test]
fn a_cancelled_event_cannot_be_published() {
    let (t, ev) = Tix::with_event();
    let evs = ev.to_string();
    t.as_(PROMOTER, &["event", "cancel", &evs, "--yes"]).ok();
    t.as_(PROMOTER, &["event", "publish", &evs])
        .code(5)
        .err_has("cancelled");
    t.admin(&["event", "publish", &evs]).code(5);
    assert_eq!(event_status(&t, ev), "cancelled");
}

#[test]
fn cancel_needs_confirmation_and_the_owner() {
    let (t, ev) = Tix::with_event();
    let evs = ev.to_string();
    t.publish(ev);
    t.as_(PROMOTER, &["event", "cancel", &evs])
        .code(2)
        .err_has("--yes");
    t.as_(PROMOTER, &["--no-input", "event", "cancel", &evs])
        .code(2);
    assert_eq!(event_status(&t, ev), "published");
    t.as_(OTHER_PROMOTER, &["event", "cancel", &evs, "--yes"])
        .code(4)
        .err_has(PROMOTER);
    t.as_(BUYER, &["event", "cancel", &evs, "--yes"]).code(4);
    t.run(&["event", "cancel", &evs, "--yes"]).code(4);
    assert_eq!(event_status(&t, ev), "published");
    let v = t
        .as_(PROMOTER, &["event", "cancel", &evs, "--yes", "--json"])
        .ok()
        .json();
    assert_eq!(parse_event(&v).status, "cancelled");
    // Cancelling a cancelled event changes nothing and needs no confirmation.
    t.as_(PROMOTER, &["event", "cancel", &evs]).ok();
    assert_eq!(event_status(&t, ev), "cancelled");
    let other = t.event(OTHER_PROMOTER, "Olga's");
    t.admin(&["-y", "event", "cancel", &other.to_string()]).ok();
    assert_eq!(event_status(&t, other), "cancelled");
}

// ---------------------------------------------------------------------------------
// gate staff

#[test]
fn the_promoter_assigns_and_removes_gate_staff() {
    let (t, ev) = Tix::with_event();
    t.add_staff_user();
    let evs = ev.to_string();
    let out = t
        .as_(PROMOTER, &["event", "staff", "list", &evs, "--json"])
        .ok();
    assert_eq!(out.json(), serde_json::json!([]));
    let out = t
        .as_(PROMOTER, &["event", "staff", "add", &evs, STAFF, "--json"])
        .ok();
    let list = out.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let u = parse_user(&list[0]);
    assert_eq!((u.email.as_str(), u.role.as_str()), (STAFF, "staff"));
    // Adding twice keeps one assignment.
    t.as_(PROMOTER, &["event", "staff", "add", &evs, STAFF])
        .ok();
    assert_eq!(
        emails(t.as_(PROMOTER, &["event", "staff", "list", &evs, "--json"])),
        [STAFF]
    );
    let out = t
        .as_(
            PROMOTER,
            &["event", "staff", "remove", &evs, STAFF, "--json"],
        )
        .ok();
    assert_eq!(out.json(), serde_json::json!([]));
    t.as_(PROMOTER, &["event", "staff", "remove", &evs, STAFF])
        .code(3)
        .err_has(STAFF);
    // Staff of one event are not staff of another.
    let other = t.event(PROMOTER, "Other");
    t.as_(PROMOTER, &["event", "staff", "add", &evs, STAFF])
        .ok();
    assert_eq!(
        emails(t.as_(
            PROMOTER,
            &["event", "staff", "list", &other.to_string(), "--json"]
        )),
        Vec::<String>::new()
    );
}

#[test]
fn only_staff_accounts_can_be_assigned() {
    let (t, ev) = Tix::with_event();
    let evs = ev.to_string();
    for who in [BUYER, OTHER_PROMOTER, ADMIN] {
        t.as_(PROMOTER, &["event", "staff", "add", &evs, who])
            .code(5)
            .err_has("not staff");
    }
    t.as_(
        PROMOTER,
        &["event", "staff", "add", &evs, "ghost@example.com"],
    )
    .code(3)
    .err_has("ghost@example.com");
    assert_eq!(
        emails(t.as_(PROMOTER, &["event", "staff", "list", &evs, "--json"])),
        Vec::<String>::new()
    );
}

#[test]
fn only_the_owner_or_an_admin_manages_staff() {
    let (t, ev) = Tix::with_event();
    t.add_staff_user();
    let evs = ev.to_string();
    for who in [OTHER_PROMOTER, BUYER, STAFF] {
        t.as_(who, &["event", "staff", "add", &evs, STAFF])
            .code(4)
            .err_has(PROMOTER);
        t.as_(who, &["event", "staff", "list", &evs]).code(4);
    }
    t.run(&["event", "staff", "list", &evs]).code(4);
    t.admin(&["event", "staff", "add", &evs, STAFF]).ok();
    for who in [OTHER_PROMOTER, BUYER, STAFF] {
        t.as_(who, &["event", "staff", "remove", &evs, STAFF])
            .code(4);
    }
    assert_eq!(
        emails(t.as_(PROMOTER, &["event", "staff", "list", &evs, "--json"])),
        [STAFF],
        "the refused removals changed nothing"
    );
    t.admin(&["event", "staff", "remove", &evs, STAFF]).ok();
    t.as_(PROMOTER, &["event", "staff", "list", &evs])
        .ok()
        .out_has("No users.");
}
