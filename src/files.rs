//! Files tix writes besides its database (QR images, gate files): never over the open
//! database, never over an existing file unless asked, and never reported written until
//! they are completely on disk.
//!
//! Every file is written to a temporary name in the same directory, synced, then renamed
//! into place and the directory synced: a crash or a full disk leaves either the old file
//! or the complete new one, never an empty or half-written one under the final name.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, Rule};

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// The absolute form of a path that may not exist yet: its directory resolved (links
/// and `..` too), its file name kept.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    match path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// Whether two existing paths are one file (a hard link, say).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// The suffixes SQLite gives a database's companion files.
const JOURNAL_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Whether `out` is a journal file of the database `db` under another of its names:
/// `X-wal` where `X` is the database itself by a hard link (SQLite names a connection's
/// journals after the name it opened, so another process may use `X`'s).
fn journal_of(out: &Path, db: &Path) -> bool {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    JOURNAL_SUFFIXES.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|base| !base.is_empty() && same_file(&out.with_file_name(base), db))
    })
}

/// Checks that `out` may be written: not one of the `protected` files (the open database,
/// first, and its `-wal`, `-shm` and `-journal` files: never, even with `force`), nor a
/// journal of the database under another of its names, not a directory, and not an
/// existing file unless `force`.
pub fn check_output(out: &Path, protected: &[PathBuf], force: bool) -> Result<()> {
    let target = resolved(out);
    if protected
        .iter()
        .any(|p| resolved(p) == target || same_file(p, out))
        || protected.first().is_some_and(|db| journal_of(out, db))
    {
        return Err(Rule::WouldOverwriteDatabase {
            path: out.display().to_string(),
        }
        .into());
    }
    if out.is_dir() {
        return Err(Error::invalid(
            "output",
            format!(
                "{} is a directory; give a file name inside it",
                out.display()
            ),
        ));
    }
    if let Ok(meta) = std::fs::metadata(out)
        && !meta.is_file()
    {
        return Err(Error::invalid(
            "output",
            format!(
                "{} is not a regular file (a device, a pipe or a socket); give a file name",
                out.display()
            ),
        ));
    }
    if out.exists() && !force {
        return Err(Rule::OutputExists {
            path: out.display().to_string(),
        }
        .into());
    }
    Ok(())
}

/// Checks the files a command writes into `dir` as [`check_output`] does one, with one
/// error for all those that already exist (unless `force`): none of them is written
/// unless all may be.
pub fn check_outputs_in(
    dir: &Path,
    outs: &[PathBuf],
    protected: &[PathBuf],
    force: bool,
) -> Result<()> {
    // What is in the directory now, read once: a name not in it is a new file, which is
    // a protected one only if it is that file's own path (a link to the database has to
    // exist first). Only names already there need the whole check of [`check_output`],
    // so 100,000 new files cost one directory listing, not 100,000 path resolutions.
    let present: std::collections::HashSet<std::ffi::OsString> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    let here = resolved(&dir.join("x"));
    let here = here.parent().unwrap_or(dir);
    let guarded: std::collections::HashSet<PathBuf> =
        protected.iter().map(|p| resolved(p)).collect();
    let mut existing = 0;
    for out in outs {
        let new_name = out.parent() == Some(dir)
            && out.file_name().is_some_and(|name| {
                !present.contains(name)
                    && !guarded.contains(&here.join(name))
                    && !JOURNAL_SUFFIXES
                        .iter()
                        .any(|suffix| name.to_string_lossy().ends_with(suffix))
            });
        if !new_name {
            check_output(out, protected, true)?;
            existing += usize::from(out.exists());
        }
    }
    if existing > 0 && !force {
        return Err(Rule::OutputsExist {
            existing,
            total: outs.len(),
            dir: dir.display().to_string(),
        }
        .into());
    }
    Ok(())
}

/// The temporary name a file is written under before it is renamed to `out`: hidden,
/// beside it, and unique to this process.
pub fn temp_path(out: &Path) -> PathBuf {
    // The file's own name, cut short so the temporary one stays within the 255 bytes a
    // file name may have.
    let own = out.file_name().unwrap_or_default().to_string_lossy();
    let mut end = own.len().min(180);
    while !own.is_char_boundary(end) {
        end -= 1;
    }
    out.with_file_name(format!(".{}.{}.partial", &own[..end], std::process::id()))
}

/// Removes temporary files ([`temp_path`], and SQLite's journal of one) that a killed
/// tix process left in `dir`: those whose process is gone. Best effort, and only where
/// `/proc` tells which processes live.
pub fn remove_stale_temps(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            continue;
        }
        let Some(stem) = name
            .strip_suffix(".partial")
            .or_else(|| name.strip_suffix(".partial-journal"))
        else {
            continue;
        };
        let Some((_, pid)) = stem.rsplit_once('.') else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !proc.join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Syncs a finished temporary file, renames it to `out` and syncs the directory, so the
/// file is on disk under its name before anyone is told it was written.
pub fn commit_temp(tmp: &Path, out: &Path) -> Result<()> {
    finish_temp(tmp, out, || {
        File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(io("sync", out))
    })
}

/// Runs `write` (which fills and syncs `tmp`), then renames `tmp` to `out` and syncs the
/// directory; on any failure the temporary file is removed and `out` left as it was.
fn finish_temp(tmp: &Path, out: &Path, write: impl FnOnce() -> Result<()>) -> Result<()> {
    let done = write().and_then(|()| {
        std::fs::rename(tmp, out).map_err(io("write", out))?;
        sync_dir(out);
        Ok(())
    });
    if done.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    done
}

/// Makes files written into `dir` durable, and the names in `dir` with them: on Linux one
/// `syncfs(2)` of the whole file system (however many files), elsewhere a sync of each
/// of `files` and of the directory.
pub fn sync_files<'a>(dir: &Path, files: impl Iterator<Item = &'a Path>) -> Result<()> {
    let failed = |source| Error::Io {
        action: "sync",
        path: dir.to_path_buf(),
        source,
    };
    let d = File::open(dir).map_err(failed)?;
    #[cfg(target_os = "linux")]
    {
        let _ = files;
        rustix::fs::syncfs(&d).map_err(|e| failed(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        for f in files {
            File::open(f)
                .and_then(|f| f.sync_all())
                .map_err(io("sync", f))?;
        }
        let _ = d.sync_all();
        Ok(())
    }
}

/// Syncs the directory holding `path`, so a rename into it survives a power cut. Not
/// every file system can (some refuse to open a directory for syncing): best effort.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes `bytes` to `out` atomically: a temporary file, synced, renamed into place. Any
/// failure (a full disk among them) is an error and leaves no file under `out`'s name
/// that was not there before.
pub fn write_atomic(out: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(out);
    finish_temp(&tmp, out, || {
        let mut f = File::create(&tmp).map_err(io("create", out))?;
        f.write_all(bytes).map_err(io("write", out))?;
        f.sync_all().map_err(io("write", out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_and_its_journals_are_never_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        std::fs::write(&db, b"x").unwrap();
        let protected = vec![
            db.clone(),
            dir.path().join("v.db-wal"),
            dir.path().join("v.db-shm"),
            dir.path().join("v.db-journal"),
        ];
        for p in &protected {
            let e = check_output(p, &protected, true).unwrap_err();
            assert!(e.to_string().contains("database"), "{e}");
        }
        // The same file by another spelling, a symbolic link or a hard link.
        let sneaky = dir.path().join(".").join("v.db");
        assert!(check_output(&sneaky, &protected, true).is_err());
        let sym = dir.path().join("sym.png");
        std::os::unix::fs::symlink(&db, &sym).unwrap();
        assert!(check_output(&sym, &protected, true).is_err());
        let hard = dir.path().join("hard.png");
        std::fs::hard_link(&db, &hard).unwrap();
        assert!(check_output(&hard, &protected, true).is_err());
        // The journal another process uses when it opened the database by another name.
        let other_name = dir.path().join("other.db");
        std::fs::hard_link(&db, &other_name).unwrap();
        assert!(check_output(&dir.path().join("other.db-wal"), &protected, true).is_err());
        assert!(check_output(&dir.path().join("unrelated.db-wal"), &protected, true).is_ok());
        assert!(check_output(&dir.path().join("other.png"), &protected, false).is_ok());
    }

    #[test]
    fn an_existing_file_needs_force_and_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.png");
        std::fs::write(&f, b"old").unwrap();
        assert!(check_output(&f, &[], false).is_err());
        assert!(check_output(&f, &[], true).is_ok());
        assert!(check_output(dir.path(), &[], true).is_err());
        // Not a regular file: never replaced, even with force.
        assert!(check_output(Path::new("/dev/null"), &[], true).is_err());
    }

    #[test]
    fn atomic_write_leaves_the_whole_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.bin");
        write_atomic(&f, b"hello").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"hello");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        // A directory that does not exist: an error, nothing written.
        assert!(write_atomic(&dir.path().join("no/such/dir/x"), b"x").is_err());
    }

    #[test]
    fn temporaries_of_dead_processes_are_cleaned_up_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".a.png.999999999.partial");
        let dead_journal = dir.path().join(".g.tixgate.999999999.partial-journal");
        let live = temp_path(&dir.path().join("b.png"));
        let other = dir.path().join(".hidden");
        for f in [&dead, &dead_journal, &live, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        remove_stale_temps(dir.path());
        assert!(!dead.exists() && !dead_journal.exists());
        assert!(live.exists() && other.exists());
    }
}
