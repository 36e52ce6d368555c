//! `tix init`, `tix demo`, the database file and the global conventions.

use std::path::{Path, PathBuf};

use crate::common::*;

#[test]
fn init_creates_database_and_admin_and_is_safe_twice() {
    let t = Tix::empty();
    let out = t
        .run(&["init", "--admin", ADMIN, "--name", "Ada", "--json"])
        .ok();
    let j = out.json();
    assert_eq!(j["created"], true);
    assert_eq!(j["admin"]["email"], ADMIN);
    assert_eq!(j["admin"]["role"], "admin");
    assert!(t.exists());
    let j = t.run(&["init", "--admin", ADMIN, "--json"]).ok().json();
    assert_eq!(j["created"], false);
    assert_eq!(j["admin_created"], false);
    // A second, different admin cannot appear through init.
    t.run(&["init", "--admin", "eve@example.com"])
        .code(4)
        .err_has("already has an admin");
}

/// Issue 11, defect 9: a mistyped `--db` made an empty database and answered with a
/// permission error. Only `init` and `demo` create a database; every other command
/// refuses a missing file with exit 3, naming the path and `tix init`.
#[test]
fn a_mistyped_db_path_creates_nothing() {
    let t = Tix::empty();
    for args in [
        vec!["event", "list"],
        vec!["checkin", "scan", "--gate", "North"],
        vec!["validate", "X", "--event", "1"],
        vec!["--as", ADMIN, "user", "list"],
        vec!["tier", "show", "1"],
    ] {
        t.run(&args)
            .code(3)
            .err_has(&t.db().display().to_string())
            .err_has("tix init");
        assert!(!t.exists(), "{args:?} created the database");
    }
    let j = t.run(&["event", "list", "--json"]).code(3).json();
    assert_eq!(j["error"]["code"], "not_found");
    // init creates it.
    t.run(&["init"]).ok();
    assert!(t.exists());
    t.run(&["event", "list"]).ok();
}

#[test]
fn a_bad_admin_email_leaves_no_database_behind() {
    let t = Tix::empty();
    t.run(&["init", "--admin", "not-an-email"])
        .code(2)
        .err_has("email");
    assert!(!t.exists());
}

#[test]
fn tix_no_input_accepts_1_and_0() {
    let t = Tix::new();
    let mut c = t.cmd();
    c.env("TIX_NO_INPUT", "1").args(["event", "list"]);
    finish(c).ok();
    let mut c = t.cmd();
    c.env("TIX_NO_INPUT", "0").args(["event", "list"]);
    finish(c).ok();
}

#[test]
fn default_database_lives_in_the_data_directory() {
    let t = Tix::empty();
    let xdg = t.dir().join("data");
    let mut c = assert_cmd::Command::cargo_bin("tix").unwrap();
    c.env_remove("TIX_DB")
        .env("XDG_DATA_HOME", &xdg)
        .args(["init", "--json"]);
    let out = finish(c).ok();
    let path = xdg.join("tix").join("tix.db");
    assert!(path.exists(), "{}", out.stdout);
    assert_eq!(out.json()["database"], path.display().to_string());
}

#[test]
fn tix_db_environment_variable_selects_the_file() {
    let t = Tix::empty();
    let file = t.dir().join("env.db");
    let mut c = assert_cmd::Command::cargo_bin("tix").unwrap();
    c.env("TIX_DB", &file).args(["init"]);
    finish(c).ok();
    assert!(file.exists());
}

#[test]
fn newer_database_is_refused_and_left_untouched() {
    let t = Tix::new();
    if t.pg() {
        t.sql("UPDATE tix_meta SET value = '999' WHERE key = 'schema_version'");
        let users = t.sql_i64("SELECT count(*) FROM users");
        t.admin(&["user", "list"])
            .code(1)
            .err_has("schema version 999");
        t.run(&["init"]).code(1).err_has("upgrade tix");
        assert_eq!(t.sql_i64("SELECT count(*) FROM users"), users);
        assert_eq!(
            t.sql_text("SELECT value FROM tix_meta WHERE key = 'schema_version'"),
            Some("999".into())
        );
        return;
    }
    {
        let c = rusqlite::Connection::open(t.db()).unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    let before = std::fs::read(t.db()).unwrap();
    t.admin(&["user", "list"])
        .code(1)
        .err_has("schema version 999");
    t.run(&["init"]).code(1).err_has("upgrade tix");
    assert_eq!(
        std::fs::read(t.db()).unwrap(),
        before,
        "the file must not change"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    if sqlite_only("a file's bytes") {
        return;
    }
    let t = Tix::empty();
    let junk = "this is a shopping list, not a database\n".repeat(40);
    std::fs::write(t.db(), &junk).unwrap();
    t.run(&["event", "list"])
        .code(1)
        .err_has("not a tix database");
    t.run(&["init"]).code(1).err_has("not a tix database");
    assert_eq!(std::fs::read_to_string(t.db()).unwrap(), junk);
}

#[test]
fn database_uses_wal_and_strict_tables() {
    if sqlite_only("SQLite's journal mode and STRICT tables") {
        return;
    }
    let t = Tix::new();
    let c = rusqlite::Connection::open(t.db()).unwrap();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sql: String = c
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'tiers'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sql.contains("STRICT"));
}

#[test]
fn demo_fills_a_database_and_is_idempotent() {
    let t = Tix::empty();
    let out = t
        .run(&["demo"])
        .ok()
        .out_has("Try next")
        .out_has("tier list");
    assert!(out.stdout.contains("Northern Lights Festival"));
    let j = t.run(&["demo", "--json"]).ok().json();
    assert_eq!(j["already_present"], true);
    let festival = j["festival"]["id"].as_i64().unwrap().to_string();
    let tiers = t.run(&["tier", "list", &festival, "--json"]).ok().json();
    let names: Vec<&str> = tiers
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Early Bird", "General Admission", "VIP Access"]);
    let events = t.run(&["event", "list", "--json"]).ok().json();
    assert_eq!(
        events.as_array().unwrap().len(),
        1,
        "the draft is not listed for the public"
    );
    let events = t
        .as_("promoter@demo.tix", &["event", "list", "--json"])
        .ok()
        .json();
    assert_eq!(events.as_array().unwrap().len(), 2);
}

#[test]
fn unknown_acting_user_is_not_found() {
    let t = Tix::new();
    t.as_("ghost@example.com", &["user", "list"])
        .code(3)
        .err_has("ghost@example.com");
}

#[test]
fn json_errors_are_objects_on_stdout() {
    let t = Tix::new();
    let out = t.run(&["tier", "show", "999", "--json"]).code(3);
    let j = out.json();
    assert_eq!(j["error"]["code"], "not_found");
    assert!(j["error"]["message"].as_str().unwrap().contains("tier 999"));
    assert!(out.stderr.starts_with("error:"));
}

#[test]
fn usage_errors_exit_2_also_as_json() {
    let t = Tix::new();
    let out = t.run(&["tier", "show", "abc", "--json"]).code(2);
    assert_eq!(out.json()["error"]["code"], "usage");
    t.run(&["frobnicate"]).code(2);
}

#[test]
fn quiet_prints_only_the_id() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let out = t
        .as_(
            PROMOTER,
            &[
                "-q",
                "tier",
                "create",
                &ev,
                "--name",
                "GA",
                "--price",
                "5",
                "--quantity",
                "10",
            ],
        )
        .ok();
    assert!(out.stdout.trim().parse::<i64>().is_ok(), "{}", out.stdout);
}

#[test]
fn clap_usage_errors_say_what_is_wrong_then_show_the_usage_and_a_suggestion() {
    let t = Tix::new();
    let out = t.run(&["tier", "create", "1"]).code(2).err_has("--name");
    assert!(out.stderr.lines().next().unwrap().contains("--price"));
    assert!(
        out.stderr.contains(
            "Usage: tix tier create <EVENT_ID> --name <NAME> --price <PRICE> --quantity <N>"
        ),
        "{}",
        out.stderr
    );
    t.run(&["tier", "update", "1", "--active", "--inactive"])
        .code(2)
        .err_has("--inactive");
    let typo = t
        .run(&["tier", "creat"])
        .code(2)
        .err_has("unrecognized subcommand 'creat'");
    assert!(
        typo.stderr
            .contains("tip: a similar subcommand exists: 'create'"),
        "{}",
        typo.stderr
    );
    let flag = t.run(&["tier", "list", "1", "--include-inactiv"]).code(2);
    assert!(
        flag.stderr.contains("'--include-inactive'"),
        "{}",
        flag.stderr
    );
    // A group without its command: the error first, then the group's help.
    let group = t.run(&["tier"]).code(2);
    assert!(
        group.stderr.starts_with("error: a subcommand is missing"),
        "{}",
        group.stderr
    );
    assert!(
        group.stderr.contains("Commands:") && group.stderr.contains("Example"),
        "{}",
        group.stderr
    );
    // A script asking for JSON still gets one document.
    let j = t.run(&["--json", "tier", "creat"]).code(2).json();
    assert_eq!(j["error"]["code"], "usage");
}

#[test]
fn completions_and_man_pages_install() {
    let t = Tix::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = t.run(&["completions", shell]).ok();
        assert!(out.stdout.contains("tix"), "{shell}");
        assert!(
            out.stdout.contains("waitlist"),
            "{shell}: every command is completed"
        );
    }
    t.run(&["completions", "tcsh"]).code(2);
    // bash takes the script as it is.
    let script = t.write_file("tix.bash", t.run(&["completions", "bash"]).ok().stdout);
    let bash = std::process::Command::new("bash")
        .args(["-c", &format!("source {script} && complete -p tix")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bash.stdout).contains("-F _tix tix"));
    let page = t.run(&["man"]).ok().stdout;
    assert!(
        page.starts_with(".ie") || page.contains(".TH tix 1"),
        "{page}"
    );
    let dir = t.dir().join("man").join("man1");
    t.run(&["man", "--out-dir", dir.to_str().unwrap()]).ok();
    for page in ["tix.1", "tix-order-create.1", "tix-waitlist-claim.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    // Each command's page carries its example.
    let create = std::fs::read_to_string(dir.join("tix-tier-create.1")).unwrap();
    assert!(create.contains("Example"), "{create}");
    // Neither needs a database.
    assert!(!t.exists());
}

#[test]
fn a_deleted_tiers_id_is_never_reused() {
    let (t, event) = Tix::with_event();
    let first = t.tier(event, "A", &[])["id"].as_i64().unwrap();
    t.as_(PROMOTER, &["-y", "tier", "delete", &first.to_string()])
        .ok();
    let second = t.tier(event, "B", &[])["id"].as_i64().unwrap();
    assert!(second > first, "{second} reuses {first}");
}

#[test]
fn a_versioned_sqlite_file_of_another_program_is_refused_untouched() {
    let t = Tix::empty();
    if t.pg() {
        // A PostgreSQL database with another program's tables.
        t.sql("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')");
        t.run(&["event", "list"]).code(1).err_has("did not create");
        t.run(&["init"]).code(1).err_has("did not create");
        assert_eq!(t.sql_text("SELECT x FROM notes"), Some("keep me".into()));
        assert!(!t.exists());
        return;
    }
    {
        let c = rusqlite::Connection::open(t.db()).unwrap();
        c.execute_batch("CREATE TABLE notes (x TEXT); PRAGMA user_version = 1;")
            .unwrap();
    }
    let before = std::fs::read(t.db()).unwrap();
    t.run(&["event", "list"]).code(1).err_has("did not create");
    assert_eq!(std::fs::read(t.db()).unwrap(), before);
}

/// On PostgreSQL over TCP, tix speaks TLS and verifies the server's certificate against
/// the trusted certificate authorities: the cluster's own CA (named by SSL_CERT_FILE)
/// lets it in, a bundle without it does not, and `sslmode=disable` is plain.
#[test]
fn tls_to_postgresql_verifies_the_server() {
    if !on_postgres() {
        return;
    }
    let (Ok(tls), Ok(ca)) = (
        std::env::var("TIX_TEST_POSTGRES_TLS"),
        std::env::var("TIX_TEST_POSTGRES_CA"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs a TLS-enabled test server (scripts/pg-cluster.sh needs openssl)"
        );
        eprintln!("not tested: no TLS test server (TIX_TEST_POSTGRES_TLS)");
        return;
    };
    let t = Tix::new();
    // This test's database, on the TLS port.
    let url = t.db().to_str().unwrap();
    let name = url.split('?').next().unwrap().rsplit('/').next().unwrap();
    let (server, _) = tls.rsplit_once('/').unwrap();
    let secure = PathBuf::from(format!("{server}/{name}?sslmode=require"));
    let plain = PathBuf::from(format!("{server}/{name}?sslmode=disable"));
    let run = |db: &Path, certs: &str| {
        let mut c = t.cmd_at(db);
        c.env("SSL_CERT_FILE", certs)
            .args(["--as", ADMIN, "user", "list", "--json"]);
        finish(c)
    };
    let users = run(&secure, &ca).ok().json();
    assert_eq!(users[0]["email"], ADMIN);
    // A bundle of other authorities: the handshake fails, and says why.
    let others = t.write_file("others.pem", "");
    let system = Path::new("/etc/ssl/certs/ca-certificates.crt");
    let bundle = if system.exists() {
        system.to_str().unwrap().to_string()
    } else {
        others
    };
    run(&secure, &bundle).code(1).err_has("certificate");
    run(&plain, &bundle).ok();
}

/// Many processes setting up one new database at once: it is migrated once, the same
/// admin is made once (every run succeeds), and a second admin is refused.
#[test]
fn concurrent_inits_of_one_new_database_agree() {
    let t = Tix::empty();
    let spawn = |admin: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
        c.arg("--db")
            .arg(t.db())
            .args(["init", "--admin", admin])
            .env_remove("TIX_USER")
            .env_remove("TIX_DB")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let same: Vec<_> = (0..6).map(|_| spawn(ADMIN)).collect();
    for child in same {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let others: Vec<_> = (0..4)
        .map(|i| spawn(&format!("eve{i}@example.com")))
        .collect();
    for child in others {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let users = t.admin(&["user", "list", "--json"]).ok().json();
    assert_eq!(users.as_array().unwrap().len(), 1);
}

#[test]
fn demo_prints_commands_that_work_as_printed_and_is_right_on_a_second_run() {
    let t = Tix::empty();
    let first = t.run(&["demo"]).ok().stdout;
    let bin = assert_cmd::cargo::cargo_bin("tix").display().to_string();
    // tix is not on PATH here: the commands name this binary.
    let list = first
        .lines()
        .map(str::trim)
        .find(|l| l.ends_with("tier list 1"))
        .unwrap_or_else(|| panic!("{first}"));
    assert!(list.starts_with(&bin), "{list}");
    let out = std::process::Command::new("bash")
        .args(["-c", list])
        .env_remove("TIX_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{list}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("General Admission"));
    assert!(first.contains("is still a draft"));
    // Once the draft is published and the suggested tier made, a second run says so.
    t.as_("promoter@demo.tix", &["event", "publish", "2"]).ok();
    t.as_(
        "promoter@demo.tix",
        &[
            "tier",
            "create",
            "1",
            "--name",
            "Late Night Pass",
            "--price",
            "35",
            "--quantity",
            "300",
        ],
    )
    .ok();
    let second = t.run(&["demo"]).ok().stdout;
    assert!(second.contains("nothing was added"), "{second}");
    assert!(
        second.contains("\"Winter Warehouse Night\" is published"),
        "{second}"
    );
    assert!(!second.contains("event publish 2"), "{second}");
    assert!(!second.contains("--name \"Late Night Pass\""), "{second}");
}
