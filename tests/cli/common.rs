//! A small harness: a temporary database and a builder for `tix` invocations.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A temporary tix database that tests run commands against: a SQLite file in a
/// temporary directory, or (when the suite runs on PostgreSQL, `TIX_TEST_ENGINE=postgres`
/// with `TIX_TEST_POSTGRES` naming a server) a database of its own on that server.
pub struct Tix {
    dir: tempfile::TempDir,
    db: PathBuf,
    pg: Option<PgDatabase>,
}

/// Whether this run of the suite is on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TIX_TEST_ENGINE").is_ok_and(|e| e == "postgres")
}

/// For a test of what only a SQLite file has (its bytes, its journal, its permissions):
/// true, with a note, when the suite runs on PostgreSQL, and the test returns.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("not on PostgreSQL: {what}");
    }
    on_postgres()
}

/// A database made for one test on the PostgreSQL test server, dropped after it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    fn create() -> (PgDatabase, String) {
        PgDatabase::create_from(None)
    }

    /// A new database, empty or a copy of `template`.
    fn create_from(template: Option<&str>) -> (PgDatabase, String) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("TIX_TEST_POSTGRES")
            .expect("TIX_TEST_ENGINE=postgres needs TIX_TEST_POSTGRES, the URL of a test server");
        let name = format!(
            "tix_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
        let from = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
        client
            .batch_execute(&format!("CREATE DATABASE {name}{from}"))
            .unwrap();
        // The same server and options, this database.
        let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
        let url = if query.is_empty() {
            format!("{base}/{name}")
        } else {
            format!("{base}/{name}?{query}")
        };
        (PgDatabase { admin_url, name }, url)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The outcome of one command.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing everything on failure.
    #[track_caller]
    pub fn code(self, code: i32) -> Out {
        assert_eq!(
            self.code, code,
            "unexpected exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Out {
        self.code(0)
    }

    /// Asserts a finished `scanner merge`: exit 0 when it found no conflict, 7 when it
    /// did (the JSON report's `conflicts`, or the warning on stderr, says which).
    #[track_caller]
    pub fn merged(self) -> Out {
        let conflicts = match serde_json::from_str::<Value>(&self.stdout) {
            Ok(v) => v["conflicts"].as_array().is_some_and(|c| !c.is_empty()),
            Err(_) => self.stderr.contains("to review"),
        };
        self.code(if conflicts { 7 } else { 0 })
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts that stderr holds one `error:` line containing `text`.
    #[track_caller]
    pub fn err_has(self, text: &str) -> Out {
        assert!(
            self.stderr.starts_with("error:"),
            "stderr should start with error:, got:\n{}",
            self.stderr
        );
        // One line; a usage error (exit 2 from clap) may follow it with clap's suggestion
        // and the command's Usage line.
        let extra_ok = |l: &str| {
            self.code == 2
                && (l.is_empty()
                    || l.starts_with("  tip:")
                    || l.starts_with("Usage:")
                    || l.starts_with("       ")
                    || l.starts_with("For more information"))
        };
        assert!(
            self.stderr.trim_end().lines().skip(1).all(extra_ok),
            "error should be one line:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(text),
            "stderr should contain {text:?}, got:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that stdout contains `text`.
    #[track_caller]
    pub fn out_has(self, text: &str) -> Out {
        assert!(
            self.stdout.contains(text),
            "stdout should contain {text:?}, got:\n{}",
            self.stdout
        );
        self
    }
}

pub const ADMIN: &str = "admin@example.com";
pub const PROMOTER: &str = "pat@example.com";
pub const OTHER_PROMOTER: &str = "olga@example.com";
pub const BUYER: &str = "bea@example.com";

impl Tix {
    /// A new, empty directory with a database path (not yet created).
    pub fn empty() -> Tix {
        let dir = tempfile::tempdir().unwrap();
        if on_postgres() {
            let (pg, url) = PgDatabase::create();
            return Tix {
                dir,
                db: PathBuf::from(url),
                pg: Some(pg),
            };
        }
        let db = dir.path().join("tix.db");
        Tix { dir, db, pg: None }
    }

    /// A new database holding a copy of this one (and a new directory with copies of
    /// this one's files).
    pub fn copy(&self) -> Tix {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(self.dir()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
            }
        }
        match &self.pg {
            Some(pg) => {
                let (copy, url) = PgDatabase::create_from(Some(&pg.name));
                Tix {
                    dir,
                    db: PathBuf::from(url),
                    pg: Some(copy),
                }
            }
            None => {
                let db = dir.path().join(self.db.file_name().unwrap());
                Tix { dir, db, pg: None }
            }
        }
    }

    /// Runs SQL on the database behind tix's back: to make a state no command makes,
    /// as a crash, an editor or another program would.
    pub fn sql(&self, sql: &str) {
        match &self.pg {
            Some(_) => self.pg_client().batch_execute(sql).unwrap(),
            None => rusqlite::Connection::open(&self.db)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    /// The rows of a query, each value as text (`None` for NULL). Write booleans as
    /// `CAST(x AS INTEGER)` to read them alike on both engines.
    pub fn sql_rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.pg {
            Some(_) => self
                .pg_client()
                .simple_query(sql)
                .unwrap()
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect(),
            None => {
                let c = rusqlite::Connection::open(&self.db).unwrap();
                let mut stmt = c.prepare(sql).unwrap();
                let n = stmt.column_count();
                stmt.query_map([], |r| {
                    Ok((0..n)
                        .map(|i| match r.get_ref(i).unwrap() {
                            rusqlite::types::ValueRef::Null => None,
                            rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                            rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                            rusqlite::types::ValueRef::Text(t) => {
                                Some(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Blob(b) => {
                                Some(b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                            }
                        })
                        .collect())
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
        }
    }

    /// The first value of a query's first row, as text.
    pub fn sql_text(&self, sql: &str) -> Option<String> {
        self.sql_rows(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
    }

    /// The first value of a query's first row, as an integer.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.sql_text(sql)
            .unwrap_or_else(|| panic!("no value from {sql}"))
            .parse()
            .unwrap()
    }

    /// Bytes of a column as lower-case hex, written for this engine.
    pub fn hex(&self, column: &str) -> String {
        if self.pg() {
            format!("encode({column}, 'hex')")
        } else {
            format!("lower(hex({column}))")
        }
    }

    /// Holds the database's write lock until the guard is dropped, as another process
    /// in the middle of a long write would.
    pub fn hold_write_lock(&self) -> Box<dyn std::any::Any> {
        match &self.pg {
            Some(_) => {
                let mut c = self.pg_client();
                c.batch_execute(
                    "BEGIN; LOCK TABLE users, events, tiers, orders, tickets, scans, audit_log, gate_exports IN ACCESS EXCLUSIVE MODE",
                )
                .unwrap();
                Box::new(c)
            }
            None => {
                let c = rusqlite::Connection::open(&self.db).unwrap();
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
                Box::new(c)
            }
        }
    }

    fn pg_client(&self) -> postgres::Client {
        postgres::Client::connect(self.db.to_str().unwrap(), postgres::NoTls).unwrap()
    }

    /// Whether the database exists: the SQLite file, or tix's tables in the PostgreSQL
    /// database (which the test made empty).
    pub fn exists(&self) -> bool {
        match &self.pg {
            Some(_) => {
                self.sql_text("SELECT CAST(to_regclass('tix_meta') IS NOT NULL AS INTEGER)")
                    .as_deref()
                    == Some("1")
            }
            None => self.db.exists(),
        }
    }

    /// An existing SQLite file `db` (a copy, say) to run commands against, with a
    /// temporary directory of its own.
    pub fn at_file(db: &Path) -> Tix {
        let dir = tempfile::tempdir().unwrap();
        Tix {
            dir,
            db: db.to_path_buf(),
            pg: None,
        }
    }

    /// Whether this database is on PostgreSQL.
    pub fn pg(&self) -> bool {
        self.pg.is_some()
    }

    /// A database with an admin only.
    pub fn new() -> Tix {
        let t = Tix::empty();
        t.run(&["init", "--admin", ADMIN, "--name", "Ada Admin"])
            .ok();
        t
    }

    /// A database with an admin, two verified promoters (PROMOTER and OTHER_PROMOTER)
    /// and a plain user (BUYER).
    pub fn with_people() -> Tix {
        let t = Tix::new();
        t.admin(&[
            "user",
            "add",
            PROMOTER,
            "--name",
            "Pat Promoter",
            "--role",
            "promoter",
        ])
        .ok();
        t.admin(&["user", "verify", PROMOTER]).ok();
        t.admin(&[
            "user",
            "add",
            OTHER_PROMOTER,
            "--name",
            "Olga Other",
            "--role",
            "promoter",
        ])
        .ok();
        t.admin(&["user", "verify", OTHER_PROMOTER]).ok();
        t.admin(&["user", "add", BUYER, "--name", "Bea Buyer"]).ok();
        t
    }

    /// `with_people` plus a draft event owned by PROMOTER in Europe/Berlin; returns its id.
    pub fn with_event() -> (Tix, i64) {
        let t = Tix::with_people();
        let id = t.event(PROMOTER, "Summer Festival");
        (t, id)
    }

    /// Creates a draft event as `owner` and returns its id.
    pub fn event(&self, owner: &str, title: &str) -> i64 {
        let out = self
            .as_(
                owner,
                &[
                    "event",
                    "create",
                    "--title",
                    title,
                    "--starts-at",
                    "2030-07-15 18:00",
                    "--timezone",
                    "Europe/Berlin",
                    "--json",
                ],
            )
            .ok();
        out.json()["id"].as_i64().unwrap()
    }

    /// Creates a tier as PROMOTER with extra flags; returns its JSON.
    pub fn tier(&self, event: i64, name: &str, extra: &[&str]) -> Value {
        let ev = event.to_string();
        let mut args = vec![
            "tier",
            "create",
            &ev,
            "--name",
            name,
            "--price",
            "10",
            "--quantity",
            "100",
            "--json",
        ];
        args.extend_from_slice(extra);
        self.as_(PROMOTER, &args).ok().json()
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `tix` command against this database with a clean environment.
    pub fn cmd(&self) -> Command {
        self.cmd_at(&self.db)
    }

    /// A `tix` command against another database file (a gate file, say), with the same
    /// clean environment as [`Tix::cmd`].
    pub fn cmd_at(&self, db: &Path) -> Command {
        let mut c = Command::cargo_bin("tix").unwrap();
        for var in [
            "TIX_DB",
            "TIX_USER",
            "TIX_NO_INPUT",
            "TIX_CURRENCY",
            "NO_COLOR",
            "TIX_DEVICE",
            "COLUMNS",
        ] {
            c.env_remove(var);
        }
        c.env("XDG_DATA_HOME", self.dir.path().join("xdg"));
        c.arg("--db").arg(db);
        c
    }

    /// Runs `tix ARGS` as the public.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut c = self.cmd();
        c.args(args);
        finish(c)
    }

    /// Runs `tix --as WHO ARGS`.
    pub fn as_(&self, who: &str, args: &[&str]) -> Out {
        let mut c = self.cmd();
        c.arg("--as").arg(who).args(args);
        finish(c)
    }

    /// Runs as the admin.
    pub fn admin(&self, args: &[&str]) -> Out {
        self.as_(ADMIN, args)
    }
}

/// Runs a prepared command and collects its outcome.
pub fn finish(mut c: Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A promoter that no admin has verified yet (may create events, not tiers).
pub const UNVERIFIED: &str = "uma@example.com";
/// A gate staff account.
pub const STAFF: &str = "sam@example.com";

impl Tix {
    /// Adds UNVERIFIED, a promoter an admin has not verified.
    pub fn add_unverified_promoter(&self) {
        self.admin(&[
            "user",
            "add",
            UNVERIFIED,
            "--name",
            "Uma Unverified",
            "--role",
            "promoter",
        ])
        .ok();
    }

    /// Adds STAFF, a gate staff account.
    pub fn add_staff_user(&self) {
        self.admin(&[
            "user",
            "add",
            STAFF,
            "--name",
            "Sam Staff",
            "--role",
            "staff",
        ])
        .ok();
    }

    /// Creates a tier as PROMOTER and returns its id.
    pub fn tier_id(&self, event: i64, name: &str, extra: &[&str]) -> i64 {
        self.tier(event, name, extra)["id"].as_i64().unwrap()
    }

    /// Publishes an event as its promoter PROMOTER.
    pub fn publish(&self, event: i64) {
        self.as_(PROMOTER, &["event", "publish", &event.to_string()])
            .ok();
    }

    /// Cancels an event as the admin, confirming with --yes.
    pub fn cancel(&self, event: i64) {
        self.admin(&["event", "cancel", &event.to_string(), "--refund", "--yes"])
            .ok();
    }

    /// Sells `n` seats of a tier as a real order: the admin issues complimentary tickets
    /// (no price, sale window or per-order limit applies), publishing the event first if
    /// it is still a draft, since only published events sell.
    pub fn sell(&self, tier: i64, n: i64) {
        let event = self.show_tier(tier)["event_id"]
            .as_i64()
            .unwrap()
            .to_string();
        let status = self.admin(&["event", "show", &event, "--json"]).ok().json()["status"].clone();
        if status == "draft" {
            self.admin(&["event", "publish", &event]).ok();
        }
        self.admin(&[
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            &n.to_string(),
            "--buyer",
            ADMIN,
            "--comp",
        ])
        .ok();
    }

    /// Every tier of an event, inactive ones too, as the admin sees them.
    pub fn all_tiers(&self, event: i64) -> Vec<Value> {
        let out = self
            .admin(&[
                "tier",
                "list",
                &event.to_string(),
                "--include-inactive",
                "--json",
            ])
            .ok();
        out.json().as_array().unwrap().clone()
    }

    /// The names of every tier of an event (inactive too), in list order.
    pub fn tier_names(&self, event: i64) -> Vec<String> {
        self.all_tiers(event)
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// `tier show ID --json` as the admin (a draft's tiers are its promoter's and the
    /// admins' alone).
    pub fn show_tier(&self, tier: i64) -> Value {
        self.admin(&["tier", "show", &tier.to_string(), "--json"])
            .ok()
            .json()
    }

    /// Writes a file into the test directory and returns its path as text.
    pub fn write_file(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.dir().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

/// Asserts that a JSON object has exactly these keys.
#[track_caller]
pub fn assert_keys(v: &Value, keys: &[&str]) {
    let mut got: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "JSON keys differ in {v:#}");
}

/// Asserts that a JSON time is RFC 3339 in UTC with a `Z`.
#[track_caller]
pub fn assert_utc(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("time should be a string: {v}"));
    assert!(s.ends_with('Z'), "time should end in Z: {s}");
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s} is not RFC 3339: {e}"));
}
