//! The end-to-end suite again, on PostgreSQL: this runs the `cli` test binary with
//! `TIX_TEST_ENGINE=postgres`, against the server `TIX_TEST_POSTGRES` names (start a
//! throwaway one with `eval "$(scripts/pg-cluster.sh start)"`; `.ci/run` does). Without
//! a server the run is skipped, and says so; with `CI` set, a missing server fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The `cli` test binary cargo built beside this one (the newest, if several).
fn cli_tests() -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    std::fs::read_dir(&deps)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("cli-") && p.extension().is_none() && p.is_file()
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

fn main() -> ExitCode {
    let server = std::env::var("TIX_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty());
    let Some(server) = server else {
        let ci = std::env::var_os("CI").is_some();
        eprintln!(
            "PostgreSQL run {}: TIX_TEST_POSTGRES names no server (eval \"$(scripts/pg-cluster.sh start)\" starts one)",
            if ci { "FAILED" } else { "skipped" }
        );
        return if ci {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    };
    let Some(cli) = cli_tests() else {
        eprintln!("PostgreSQL run FAILED: the cli test binary was not found beside this one");
        return ExitCode::FAILURE;
    };
    eprintln!("PostgreSQL run: {} on {server}", cli.display());
    let status = Command::new(&cli)
        .args(std::env::args_os().skip(1))
        .env("TIX_TEST_ENGINE", "postgres")
        .env("TIX_TEST_POSTGRES", &server)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("PostgreSQL run FAILED: cannot run {}: {e}", cli.display());
            ExitCode::FAILURE
        }
    }
}
