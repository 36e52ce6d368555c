//! The shipped example scripts run as documented.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// PATH with the freshly built `tix` first.
fn path_with_tix() -> std::ffi::OsString {
    let bin = assert_cmd::cargo::cargo_bin("tix");
    let dir = bin.parent().unwrap().to_path_buf();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn run_script(name: &str, args: &[&str]) -> Out {
    run_script_with(name, args, &[])
}

fn run_script_with(name: &str, args: &[&str], env: &[(&str, &Path)]) -> Out {
    let mut c = Command::new("bash");
    c.arg(script(name)).args(args);
    c.env("PATH", path_with_tix());
    for var in ["TIX_DB", "TIX_USER", "TIX_NO_INPUT", "TIX_CURRENCY"] {
        c.env_remove(var);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn setup_festival_builds_a_dozen_tiers_and_is_safe_to_rerun() {
    let t = Tix::empty();
    let db = t.db().to_str().unwrap().to_string();
    // A PostgreSQL database is no file to keep the event's id beside.
    let id_file = t.dir().join("festival-id");
    let env: Vec<(&str, &Path)> = if t.pg() {
        vec![("FESTIVAL_ID_FILE", id_file.as_path())]
    } else {
        vec![]
    };
    run_script_with("setup-festival.sh", &[&db], &env).ok();
    let again = run_script_with("setup-festival.sh", &[&db], &env).ok();
    assert!(again.stdout.contains("unchanged 12"), "{}", again.stdout);
    let events = t.run(&["event", "list", "--json"]).ok().json();
    assert_eq!(events.as_array().unwrap().len(), 1, "one event, not two");
    let tiers = t
        .as_(
            "promoter@festival.example",
            &["tier", "list", "1", "--include-inactive", "--json"],
        )
        .ok()
        .json();
    assert_eq!(tiers.as_array().unwrap().len(), 12);
}

#[test]
fn the_readme_tour_runs_end_to_end() {
    let out = run_script("tour.sh", &[]).ok();
    assert!(out.stdout.contains("Tour done"), "{}", out.stdout);
    assert!(out.stdout.contains("ACCEPTED"), "{}", out.stdout);
}
