//! The library's layers, checked on its source: data flows one way, so no module may
//! import one that imports it back (directly or around a circle), the domain depends on
//! nothing but itself, the store on nothing but the domain, and the library carries no
//! command-line crate (the command line is the binary's).
//!
//! Modules are the library's top-level ones (`src/x.rs`, `src/x/…`); `crate::money`,
//! `crate::time` and `crate::codes` are the domain's, re-exported. Test code (from a
//! file's first `#[cfg(test)]` on) may reach anywhere and is not counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that are another module's items under a shorter name.
const ALIASES: &[(&str, &str)] = &[("money", "domain"), ("time", "domain"), ("codes", "domain")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of the library (not the binary's `main.rs` and `cli/`), with the
/// top-level module it belongs to.
fn library_files() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "main" || name == "cli" || name == "lib" {
            continue;
        }
        if name == "ops" {
            // Each operation area is a module of its own: a circle among them counts.
            for e in std::fs::read_dir(&path).unwrap() {
                let p = e.unwrap().path();
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                let module = if stem == "mod" {
                    "ops".to_string()
                } else {
                    format!("ops::{stem}")
                };
                out.push((module, p));
            }
        } else if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        out.push((name.clone(), p));
                    }
                }
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push((name, path));
        }
    }
    out
}

/// The code of a file before its tests, without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn canonical(module: &str) -> String {
    ALIASES
        .iter()
        .find(|(a, _)| *a == module)
        .map_or(module, |(_, to)| to)
        .to_string()
}

/// Module → the modules its code names with `crate::…` (also inside `use crate::{…}`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in library_files() {
        let from = canonical(&module);
        let deps = g.entry(from.clone()).or_default();
        let code = code(&path);
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let mut prefix = "";
            if let Some(inner) = rest.strip_prefix("ops::") {
                rest = inner;
                prefix = "ops::";
            }
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|s| s.trim().split("::").next().unwrap_or("").to_string())
                    .collect()
            } else {
                vec![
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect(),
                ]
            };
            for name in names {
                // Items re-exported at the crate root (`crate::Result`) are not modules.
                if name.is_empty() || name.chars().next().is_some_and(char::is_uppercase) {
                    continue;
                }
                let to = canonical(&format!("{prefix}{name}"));
                if to != from {
                    deps.insert(to);
                }
            }
        }
    }
    g
}

/// A circle in the graph, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph();
    assert!(g.len() > 10, "the source was not found: {g:?}");
    if let Some(cycle) = find_cycle(&g) {
        panic!(
            "an import circle: {} — data must flow one way (cli → operations → access, domain, store)",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_domain_and_the_store_stay_below_everything_else() {
    let g = graph();
    let allowed = |m: &str, may: &[&str]| {
        let extra: Vec<_> = g[m].iter().filter(|d| !may.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "{m} must not depend on {extra:?}");
    };
    allowed("domain", &["error"]);
    allowed("error", &[]);
    allowed("store", &["domain", "error"]);
    allowed("access", &["domain", "error"]);
    // Nothing below the operations reaches up into them.
    for (module, deps) in &g {
        if !module.starts_with("ops") {
            let up: Vec<_> = deps.iter().filter(|d| d.starts_with("ops")).collect();
            assert!(
                up.is_empty(),
                "{module} must not depend on the operations {up:?}"
            );
        }
    }
    assert!(
        g.get("ops::orders")
            .is_some_and(|d| d.contains("ops::tiers") && d.contains("store")),
        "the operations' imports were not read: {g:?}"
    );
}

#[test]
fn the_library_carries_no_command_line_crate() {
    for (_, path) in library_files() {
        let code = code(&path);
        for krate in [
            "clap::",
            "dialoguer::",
            "indicatif::",
            "anyhow::",
            "comfy_table::",
        ] {
            assert!(
                !code.contains(krate),
                "{} uses {krate}: the command line is the binary's side (src/cli)",
                path.display()
            );
        }
    }
}

/// Every `.rs` file under `src/` (the binary's too), test code included.
fn all_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn only_the_store_names_the_engine_or_writes_sql() {
    let store = src().join("store");
    let files = all_files();
    assert!(files.len() > 20, "the source was not found");
    for path in files.iter().filter(|p| !p.starts_with(&store)) {
        let text = std::fs::read_to_string(path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // SQL as tix writes it: keywords in capitals at the start of a string.
            let sql = [
                "\"SELECT ",
                "\"INSERT ",
                "\"UPDATE ",
                "\"DELETE ",
                "PRAGMA ",
            ]
            .iter()
            .any(|k| line.contains(k));
            assert!(
                !line.contains("rusqlite") && !sql,
                "{}:{}: `{}` — the database engine and SQL belong in src/store",
                path.display(),
                i + 1,
                line.trim()
            );
        }
    }
}

/// Whether `line` names a command-line flag (`--force`), a `tix …` command or a `TIX_`
/// environment variable.
fn names_the_command_line(line: &str) -> bool {
    let flag = line.match_indices("--").any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + 2..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '-')
            && after.is_some_and(|c| c.is_ascii_lowercase())
    });
    flag || line.contains("`tix ") || line.contains("TIX_")
}

#[test]
fn the_library_names_no_flag_or_command() {
    for (_, path) in library_files() {
        for line in code(&path).lines() {
            assert!(
                !names_the_command_line(line),
                "{}: `{}` — only the command line (src/cli) names its flags and commands; give the library's error the values and let src/cli/errors.rs say what to type",
                path.display(),
                line.trim()
            );
        }
    }
    assert!(names_the_command_line("\"pass --force to replace it\""));
    assert!(names_the_command_line("\"run `tix init` first\""));
    assert!(!names_the_command_line("\"a -- b\", x--y"));
}

#[test]
fn permissions_are_decided_only_in_access() {
    for (module, path) in library_files() {
        if module == "access" || module == "domain" {
            continue;
        }
        for line in code(&path).lines() {
            let role_check = [
                "role ==",
                "role !=",
                "matches!(u.role",
                "Role::Admin =>",
                "is_admin(",
            ]
            .iter()
            .any(|k| line.contains(k));
            assert!(
                !role_check,
                "{}: `{}` — a role decides a permission only in access.rs (an Action or a Listing)",
                path.display(),
                line.trim()
            );
        }
    }
}

#[test]
fn the_checker_finds_a_circle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert!(find_cycle(&g).is_none());
}
