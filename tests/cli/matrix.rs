//! The permission matrix, end to end: every command of the contract, run by every kind of
//! actor, against the exit code the README's "Who may do what" table says it should get.
//!
//! One table ([`ROWS`]) lists a command line and who may run it; everyone else must get
//! exit 4. Every cell (row x actor) runs on its own copy of one fixture database, so a
//! cancel, refund, transfer or publish by one actor never changes what the next one
//! sees. Every mismatch is collected and reported at once, as one table.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::Value;

use crate::common::*;

/// A second gate staff account, assigned to OTHER_PROMOTER's event only.
const OTHER_STAFF: &str = "sid@example.com";
/// A plain user who is not an actor: recipient of transfers and box-office sales.
const CEM: &str = "cem@example.com";

/// Who runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// No `--as`.
    Anon,
    /// BUYER, a plain user; holds the fixture's sold order and tickets.
    User,
    /// UNVERIFIED, a promoter no admin has verified (not the owner).
    Unverified,
    /// OTHER_PROMOTER, verified, owns another event only.
    OtherPromoter,
    /// PROMOTER, verified, owns the events under test.
    Owner,
    /// STAFF, assigned to the published event.
    Staff,
    /// OTHER_STAFF, assigned to OTHER_PROMOTER's event only.
    OtherStaff,
    /// ADMIN.
    Admin,
}

use Actor::*;

const ACTORS: [Actor; 8] = [
    Anon,
    User,
    Unverified,
    OtherPromoter,
    Owner,
    Staff,
    OtherStaff,
    Admin,
];

impl Actor {
    fn email(self) -> Option<&'static str> {
        match self {
            Anon => None,
            User => Some(BUYER),
            Unverified => Some(UNVERIFIED),
            OtherPromoter => Some(OTHER_PROMOTER),
            Owner => Some(PROMOTER),
            Staff => Some(STAFF),
            OtherStaff => Some(OTHER_STAFF),
            Admin => Some(ADMIN),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Anon => "anonymous",
            User => "user (buyer)",
            Unverified => "unverified promoter",
            OtherPromoter => "other promoter",
            Owner => "owner promoter",
            Staff => "staff of event",
            OtherStaff => "staff elsewhere",
            Admin => "admin",
        }
    }
}

// Who may: everyone not listed gets exit 4.
const EVERYONE: &[Actor] = &ACTORS;
const SIGNED_IN: &[Actor] = &[
    User,
    Unverified,
    OtherPromoter,
    Owner,
    Staff,
    OtherStaff,
    Admin,
];
/// Anyone signed in except gate staff, who never buy.
const BUYERS: &[Actor] = &[User, Unverified, OtherPromoter, Owner, Admin];
const PROMOTERS: &[Actor] = &[Unverified, OtherPromoter, Owner, Admin];
const OWNER: &[Actor] = &[Owner, Admin];
/// The event's promoter, its gate staff, an admin.
const GATE: &[Actor] = &[Owner, Staff, Admin];
/// The ticket's holder (or the order's buyer) and an admin.
const HOLDER: &[Actor] = &[User, Admin];
/// The holder, the event's promoter, an admin.
const HOLDER_OR_OWNER: &[Actor] = &[User, Owner, Admin];
const ADMIN_ONLY: &[Actor] = &[Admin];

/// One command line and who may run it.
struct Row {
    name: &'static str,
    /// The arguments after the global flags, split at spaces; `{X}` placeholders are
    /// filled by [`Fixture::fill`].
    command: &'static str,
    /// Who gets exit 0; everyone else gets 4.
    allowed: &'static [Actor],
}

const fn row(name: &'static str, command: &'static str, allowed: &'static [Actor]) -> Row {
    Row {
        name,
        command,
        allowed,
    }
}

/// The matrix. Placeholders: {E} the published event (PROMOTER's), {D} PROMOTER's draft
/// event, {U} UNVERIFIED's draft event; {T} the sold tier of {E}, {TS} an unsold tier of
/// {E}, {TD} the draft's tier; {O} BUYER's completed order of two tickets, {OP} BUYER's
/// order awaiting approval, {OC} CEM's order; {K} BUYER's ticket, {KC} CEM's ticket,
/// {CODE} the QR text of {K}; {DIR} the cell's own directory (with `gate.tixgate`, an
/// export of {E}, and `tiers.csv`); {ME} the actor's email (BUYER's for anonymous); and
/// the emails {BUYER}, {CEM}, {UNVERIFIED}, {STAFF}, {OTHER_STAFF}.
#[rustfmt::skip]
static ROWS: &[Row] = &[
    // People
    row("user add",                       "user add new@example.com --name New",                       ADMIN_ONLY),
    row("user verify",                    "user verify {UNVERIFIED}",                                  ADMIN_ONLY),
    row("user list",                      "user list",                                                 ADMIN_ONLY),
    row("user show (buyer)",              "user show {BUYER}",                                         HOLDER),
    row("user show (self)",               "user show {ME}",                                            SIGNED_IN),
    // Events
    row("event create",                   "event create --title New --starts-at 2030-01-01T20:00:00Z", PROMOTERS),
    row("event list",                     "event list",                                                EVERYONE),
    row("event show (published)",         "event show {E}",                                            EVERYONE),
    row("event show (draft)",             "event show {D}",                                            OWNER),
    row("event publish (draft)",          "event publish {D}",                                         OWNER),
    row("event cancel",                   "event cancel {E} --refund --yes",                           OWNER),
    row("event update",                   "event update {E} --ticket-note Doors",                      OWNER),
    row("event staff add",                "event staff add {E} {OTHER_STAFF}",                         OWNER),
    row("event staff remove",             "event staff remove {E} {STAFF}",                            OWNER),
    row("event staff list",               "event staff list {E}",                                      OWNER),
    // Tiers
    row("tier create",                    "tier create {E} --name New --price 5 --quantity 10",        OWNER),
    // Tier changes also need the owner to be verified.
    row("tier create (unverified owner)", "tier create {U} --name New --price 5 --quantity 10",        ADMIN_ONLY),
    row("tier list (published)",          "tier list {E}",                                             EVERYONE),
    row("tier list (draft)",              "tier list {D}",                                             OWNER),
    row("tier list --include-inactive",   "tier list {E} --include-inactive",                          OWNER),
    row("tier show (published)",          "tier show {T}",                                             EVERYONE),
    row("tier show (draft)",              "tier show {TD}",                                            OWNER),
    row("tier availability (published)",  "tier availability {T}",                                     EVERYONE),
    row("tier availability (draft)",      "tier availability {TD}",                                    OWNER),
    row("tier update",                    "tier update {T} --description Changed",                     OWNER),
    row("tier delete (unsold)",           "tier delete {TS} --yes",                                    OWNER),
    row("tier import",                    "tier import {E} {DIR}/tiers.csv",                           OWNER),
    // Orders
    row("order create (self)",            "order create --tier {T} --quantity 1",                      BUYERS),
    row("order create --buyer",           "order create --tier {T} --quantity 1 --buyer {CEM}",        OWNER),
    row("order create --comp (self)",     "order create --tier {T} --quantity 1 --comp",               OWNER),
    row("order list",                     "order list",                                                SIGNED_IN),
    // Without the event's records, the list narrows to the actor's own orders.
    row("order list --event",             "order list --event {E}",                                    SIGNED_IN),
    row("order show (buyer's)",           "order show {O}",                                            HOLDER_OR_OWNER),
    row("order show (another's)",         "order show {OC}",                                           OWNER),
    row("order approve",                  "order approve {OP}",                                        OWNER),
    row("order cancel",                   "order cancel {O} --yes",                                    OWNER),
    row("order refund",                   "order refund {O} --yes",                                    OWNER),
    row("order refund --payment-ref",     "order refund {O} --yes --payment-ref R1",                   OWNER),
    row("report sales",                   "report sales {E}",                                          OWNER),
    // Exports: staff get the door list of their event, nothing else.
    row("export attendees",               "export attendees {E}",                                      GATE),
    row("export orders",                  "export orders {E} --out {DIR}/orders.csv",                  OWNER),
    row("export checkins",                "export checkins {E} --format json",                         OWNER),
    row("export audit",                   "export audit {E}",                                          OWNER),
    // Tickets
    row("ticket list (own)",              "ticket list",                                               SIGNED_IN),
    row("ticket list --event",            "ticket list --event {E}",                                   OWNER),
    row("ticket show (holder's)",         "ticket show {K}",                                           HOLDER_OR_OWNER),
    row("ticket show (another's)",        "ticket show {KC}",                                          OWNER),
    row("ticket qr --out",                "ticket qr {K} --out {DIR}/one.png",                         HOLDER_OR_OWNER),
    row("ticket qr --event",              "ticket qr --event {E} --out-dir {DIR}/codes",               OWNER),
    row("ticket pdf --out",               "ticket pdf {K} --out {DIR}/one.pdf",                        HOLDER_OR_OWNER),
    row("ticket pdf --event",             "ticket pdf --event {E} --out-dir {DIR}/pdfs",               OWNER),
    row("order pdf (buyer's)",            "order pdf {O} --out {DIR}/order.pdf",                       HOLDER_OR_OWNER),
    row("ticket send",                    "ticket send --event {E} --outbox {DIR}/outbox",             OWNER),
    row("ticket attendee",                "ticket attendee {K} --name Ann",                            HOLDER),
    row("ticket transfer",                "ticket transfer {K} --to {CEM}",                            HOLDER),
    // Waitlists: the line for its promoter; anyone signed in sees their own place.
    row("waitlist list TIER",             "waitlist list {T}",                                         SIGNED_IN),
    row("waitlist list",                  "waitlist list",                                             SIGNED_IN),
    // Audit
    row("audit list --event",             "audit list --event {E}",                                    OWNER),
    row("audit list --ticket",            "audit list --ticket {K}",                                   OWNER),
    // Without --event a promoter sees the entries of their own events.
    row("audit list",                     "audit list",                                                PROMOTERS),
    // The gate
    row("validate --dry-run",             "validate {CODE} --event {E} --dry-run",                     GATE),
    row("checkin scan (no codes)",        "checkin scan --event {E}",                                  GATE),
    row("checkin stats",                  "checkin stats {E}",                                         GATE),
    row("checkin lookup",                 "checkin lookup --event {E} Bea",                            GATE),
    row("validate --manual",              "validate --ticket {K} --manual --event {E}",                GATE),
    row("scanner export",                 "scanner export {E} --out {DIR}/new.tixgate",                GATE),
    row("scanner merge",                  "scanner merge {E} {DIR}/gate.tixgate",                      GATE),
    row("scanner merge --accept-manual",  "scanner merge {E} {DIR}/gate.tixgate --accept-manual",      OWNER),
    row("db copy",                        "db copy --to {DIR}/copy.db",                                ADMIN_ONLY),
];

/// The database every cell starts from, and the ids in it.
struct Fixture {
    base: Tix,
    subs: Vec<(&'static str, String)>,
}

fn id(v: &Value) -> String {
    v["id"].as_i64().unwrap().to_string()
}

impl Fixture {
    fn build() -> Fixture {
        let t = Tix::with_people();
        t.add_unverified_promoter();
        t.add_staff_user();
        t.admin(&[
            "user",
            "add",
            OTHER_STAFF,
            "--name",
            "Sid Staff",
            "--role",
            "staff",
        ])
        .ok();
        t.admin(&["user", "add", CEM, "--name", "Cem"]).ok();

        let e = t.event(PROMOTER, "Main Stage");
        let tier = t.tier_id(e, "General", &[]);
        let approval = t.tier_id(e, "Backstage", &["--requires-approval"]);
        let spare = t.tier_id(e, "Spare", &[]);
        t.publish(e);
        t.as_(PROMOTER, &["event", "staff", "add", &e.to_string(), STAFF])
            .ok();

        let e2 = t.event(OTHER_PROMOTER, "Other Stage");
        t.as_(OTHER_PROMOTER, &["event", "publish", &e2.to_string()])
            .ok();
        t.as_(
            OTHER_PROMOTER,
            &["event", "staff", "add", &e2.to_string(), OTHER_STAFF],
        )
        .ok();

        let d = t.event(PROMOTER, "Secret Draft");
        let draft_tier = t.tier_id(d, "Early", &[]);
        let u = t.event(UNVERIFIED, "Unverified Gig");

        let buy = |who: &str, tier: i64, n: &str, extra: &[&str]| {
            let tier = tier.to_string();
            let mut args = vec![
                "order",
                "create",
                "--tier",
                &tier,
                "--quantity",
                n,
                "--json",
            ];
            args.extend_from_slice(extra);
            t.as_(who, &args).ok().json()
        };
        let order = buy(BUYER, tier, "2", &[]);
        let pending = buy(BUYER, approval, "1", &[]);
        assert_eq!(pending["status"], "pending_approval");
        let cem = buy(ADMIN, tier, "1", &["--buyer", CEM]);
        let ticket = &order["tickets"][0];

        let gate = t.dir().join("gate.tixgate");
        t.admin(&[
            "scanner",
            "export",
            &e.to_string(),
            "--out",
            &gate.display().to_string(),
        ])
        .ok();
        t.write_file("tiers.csv", "name,price,quantity\nImported,5,50\n");

        let subs = vec![
            ("{BUYER}", BUYER.to_string()),
            ("{CEM}", CEM.to_string()),
            ("{UNVERIFIED}", UNVERIFIED.to_string()),
            ("{STAFF}", STAFF.to_string()),
            ("{OTHER_STAFF}", OTHER_STAFF.to_string()),
            ("{E}", e.to_string()),
            ("{D}", d.to_string()),
            ("{U}", u.to_string()),
            ("{T}", tier.to_string()),
            ("{TS}", spare.to_string()),
            ("{TD}", draft_tier.to_string()),
            ("{O}", id(&order)),
            ("{OP}", id(&pending)),
            ("{OC}", id(&cem)),
            ("{K}", id(ticket)),
            ("{KC}", id(&cem["tickets"][0])),
            ("{CODE}", ticket["qr_payload"].as_str().unwrap().to_string()),
        ];
        Fixture { base: t, subs }
    }

    /// A fresh copy of the fixture database (and its files) in a new directory.
    fn copy(&self) -> Tix {
        self.base.copy()
    }

    fn fill(&self, arg: &str, dir: &Path, me: &str) -> String {
        let mut s = arg.replace("{DIR}", &dir.display().to_string());
        s = s.replace("{ME}", me);
        for (key, value) in &self.subs {
            s = s.replace(key, value);
        }
        assert!(!s.contains('{'), "unknown placeholder in {arg:?}");
        s
    }
}

/// One cell whose exit code is not the intended one.
struct Mismatch {
    row: usize,
    actor: Actor,
    want: i32,
    got: Out,
}

/// Runs one cell on its own copy of the fixture; `Some` if the exit code is not the intended one.
fn run_cell(f: &Fixture, row: usize, actor: Actor) -> Option<Mismatch> {
    let r = &ROWS[row];
    let t = f.copy();
    let me = actor.email().unwrap_or(BUYER);
    let args: Vec<String> = r
        .command
        .split(' ')
        .map(|a| f.fill(a, t.dir(), me))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = match actor.email() {
        Some(who) => t.as_(who, &args),
        None => t.run(&args),
    };
    let want = if r.allowed.contains(&actor) { 0 } else { 4 };
    (out.code != want).then_some(Mismatch {
        row,
        actor,
        want,
        got: out,
    })
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn report(mismatches: &[Mismatch]) -> String {
    let width = ROWS.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut text = format!(
        "{} of {} cells differ from the permission matrix:\n\n{:width$}  {:19}  want  got  stderr (or stdout)\n",
        mismatches.len(),
        ROWS.len() * ACTORS.len(),
        "row",
        "actor",
    );
    for m in mismatches {
        let detail = match first_line(&m.got.stderr) {
            "" => first_line(&m.got.stdout),
            line => line,
        };
        text.push_str(&format!(
            "{:width$}  {:19}  {:>4}  {:>3}  {}\n",
            ROWS[m.row].name,
            m.actor.label(),
            m.want,
            m.got.code,
            detail.chars().take(160).collect::<String>()
        ));
    }
    text
}

#[test]
fn every_command_for_every_actor() {
    let started = Instant::now();
    let f = Fixture::build();
    let cells: Vec<(usize, Actor)> = (0..ROWS.len())
        .flat_map(|r| ACTORS.iter().map(move |&a| (r, a)))
        .collect();
    let next = AtomicUsize::new(0);
    let mismatches = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some(&(r, actor)) = cells.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(m) = run_cell(&f, r, actor) {
                        mismatches.lock().unwrap().push(m);
                    }
                }
            });
        }
    });
    let mut mismatches = mismatches.into_inner().unwrap();
    mismatches.sort_by_key(|m| (m.row, ACTORS.iter().position(|&a| a == m.actor)));
    assert!(
        mismatches.is_empty(),
        "{}\n({} cells in {:.1?})",
        report(&mismatches),
        cells.len(),
        started.elapsed()
    );
}
