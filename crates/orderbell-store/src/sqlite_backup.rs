//! Online backup and restore of a SQLite database (docs/operations.md, "Backup and restore").
//!
//! A backup is `VACUUM INTO` a new file: one read transaction, so the copy is the database as
//! it stood at one instant, while the server goes on taking orders (WAL lets readers and the
//! writer run side by side). SQLite's online backup API would also do; `VACUUM INTO` needs no
//! extra rusqlite feature and writes a compact file. Every copy is checked before it is given
//! its name: `PRAGMA integrity_check`, `PRAGMA foreign_key_check`, its schema version, and the
//! rows it holds.
//!
//! A running `orderbell serve` holds a shared `flock` on the database file
//! ([`ServingLock`]); a restore takes it exclusively, so it refuses to replace the database of
//! a running server, and a server cannot start in the middle of a restore. SQLite's own locks
//! are POSIX record locks, which `flock` does not touch on Linux.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::StoreError;

/// Tables whose rows a backup reports, in this order.
const COUNTED: &[&str] = &["shops", "users", "orders", "print_jobs", "notifications"];

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// The highest migration applied to it.
    pub schema_version: i64,
    /// Rows per table, for [`COUNTED`] tables.
    pub rows: Vec<(&'static str, i64)>,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} bytes, schema {}):",
            self.path.display(),
            self.bytes,
            self.schema_version
        )?;
        for (table, n) in &self.rows {
            write!(f, " {table} {n}")?;
        }
        Ok(())
    }
}

/// Proof that a server is using a database file: the shared lock lives as long as this.
#[derive(Debug)]
pub struct ServingLock {
    _file: File,
}

/// Takes the shared lock a running server holds on its database file (created if missing,
/// as the server is about to create it). Fails while a restore is replacing it.
pub fn lock_for_serving(db: &Path) -> Result<ServingLock, StoreError> {
    match try_lock(db, FlockOperation::NonBlockingLockShared)? {
        Some(file) => Ok(ServingLock { _file: file }),
        None => Err(StoreError::Unavailable(format!(
            "{} is being restored: start the server when `orderbell restore` has finished",
            db.display()
        ))),
    }
}

/// Opens (and creates, with its directory) the database file and tries `lock` on it without
/// waiting: `None` when another process holds a conflicting lock.
fn try_lock(db: &Path, lock: FlockOperation) -> Result<Option<File>, StoreError> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(db)
        .map_err(|e| io(db, &e))?;
    match flock(&file, lock) {
        Ok(()) => Ok(Some(file)),
        Err(Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(io(db, &e.into())),
    }
}

/// Copies the database at `db` to the new file `to` (which must not exist) while it is in
/// use, checks the copy and returns what it holds. The copy is written beside `to` first and
/// renamed once checked, so `to` is either a whole, checked copy or absent.
pub fn backup(db: &Path, to: &Path) -> Result<CopyReport, StoreError> {
    if !db.is_file() {
        return Err(StoreError::Unavailable(format!(
            "there is no database at {}",
            db.display()
        )));
    }
    if to.exists() {
        return Err(StoreError::Conflict(format!(
            "{} already exists: choose a new file",
            to.display()
        )));
    }
    let partial = sibling(to, "partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(db, flags).map_err(|e| sqlite(db, &e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| sqlite(db, &e))?;
        let target = partial.to_str().ok_or_else(|| {
            StoreError::Unavailable(format!("{} is not valid UTF-8", partial.display()))
        })?;
        conn.execute("VACUUM INTO ?1", [target])
            .map_err(|e| sqlite(db, &e))?;
        drop(conn);
        sync(&partial)?;
        check(&partial)
    })();
    match result {
        Ok(mut report) => {
            std::fs::rename(&partial, to).map_err(|e| io(to, &e))?;
            sync_dir(to)?;
            report.path = to.to_path_buf();
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Checks a copy: SQLite's integrity and foreign-key checks, an Orderbell schema no newer
/// than `newest_schema` (when given), and its row counts.
pub fn verify(copy: &Path, newest_schema: Option<i64>) -> Result<CopyReport, StoreError> {
    let report = check(copy)?;
    if let Some(newest) = newest_schema.filter(|n| report.schema_version > *n) {
        return Err(StoreError::Conflict(format!(
            "{} has schema {}, newer than this orderbell knows ({newest}): restore it with \
             the version that made it",
            copy.display(),
            report.schema_version
        )));
    }
    Ok(report)
}

/// Replaces the database at `db` with the checked copy `from`. Refuses while a server holds
/// the database. The database it replaces (with its WAL, if a crash left one) is kept beside
/// it as `{db}.before-restore-{unix seconds}`; returns that path when there was one.
pub fn restore(
    from: &Path,
    db: &Path,
    newest_schema: i64,
    now_unix: i64,
) -> Result<(CopyReport, Option<PathBuf>), StoreError> {
    let report = verify(from, Some(newest_schema))?;
    // Held until the new file has its name: no server starts on a half-restored database.
    let Some(lock) = try_lock(db, FlockOperation::NonBlockingLockExclusive)? else {
        return Err(StoreError::Conflict(format!(
            "a server is running on {}: stop it, then restore",
            db.display()
        )));
    };
    let incoming = sibling(db, "restoring");
    std::fs::copy(from, &incoming).map_err(|e| io(&incoming, &e))?;
    sync(&incoming)?;
    let had_data = lock.metadata().map_err(|e| io(db, &e))?.len() > 0;
    let kept = if had_data {
        let kept = sibling(db, &format!("before-restore-{now_unix}"));
        std::fs::rename(db, &kept).map_err(|e| io(db, &e))?;
        // A WAL left by a crash belongs to the old file: it goes with it.
        for suffix in ["-wal", "-shm"] {
            let side = with_suffix(db, suffix);
            if side.exists() {
                std::fs::rename(&side, with_suffix(&kept, suffix)).map_err(|e| io(&side, &e))?;
            }
        }
        Some(kept)
    } else {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(db, suffix));
        }
        None
    };
    std::fs::rename(&incoming, db).map_err(|e| io(db, &e))?;
    sync_dir(db)?;
    drop(lock);
    let report = CopyReport {
        path: db.to_path_buf(),
        ..report
    };
    Ok((report, kept))
}

fn check(path: &Path) -> Result<CopyReport, StoreError> {
    let bytes = std::fs::metadata(path).map_err(|e| io(path, &e))?.len();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sqlite(path, &e))?;
    let bad = |what: &str| {
        StoreError::Unavailable(format!("{} is not a whole copy: {what}", path.display()))
    };
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(|e| sqlite(path, &e))?;
    if integrity != ["ok"] {
        return Err(bad(&integrity.join("; ")));
    }
    let dangling: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| sqlite(path, &e))?;
    if dangling > 0 {
        return Err(bad(&format!(
            "{dangling} rows point at rows that are missing"
        )));
    }
    let schema_version: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|_| bad("it has no Orderbell schema"))?;
    let mut rows = Vec::with_capacity(COUNTED.len());
    for table in COUNTED {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| sqlite(path, &e))?;
        rows.push((*table, n));
    }
    Ok(CopyReport {
        path: path.to_path_buf(),
        bytes,
        schema_version,
        rows,
    })
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    with_suffix(path, &format!(".{tag}"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(path, &e))
}

/// Makes a rename durable: the directory entry is flushed too.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    File::open(&dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&dir, &e))
}

fn io(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{}: {e}", path.display()))
}

fn sqlite(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("{}: {e}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests {
    use super::*;

    fn database(dir: &Path) -> PathBuf {
        let db = dir.join("orderbell.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER);
             INSERT INTO schema_migrations VALUES (1, 'init', 0), (2, 'more', 0);
             CREATE TABLE shops (id TEXT PRIMARY KEY);
             CREATE TABLE users (id TEXT PRIMARY KEY);
             CREATE TABLE orders (id TEXT PRIMARY KEY, shop_id TEXT REFERENCES shops(id));
             CREATE TABLE print_jobs (id TEXT PRIMARY KEY);
             CREATE TABLE notifications (id TEXT PRIMARY KEY);
             INSERT INTO shops VALUES ('s');
             INSERT INTO orders VALUES ('a', 's'), ('b', 's');",
        )
        .unwrap();
        db
    }

    #[test]
    fn a_backup_is_a_checked_copy_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let to = dir.path().join("copy.db");
        let report = backup(&db, &to).unwrap();
        assert_eq!(report.schema_version, 2);
        assert!(report.rows.contains(&("orders", 2)));
        assert!(!sibling(&to, "partial").exists());
        assert!(matches!(backup(&db, &to), Err(StoreError::Conflict(_))));
        let missing = dir.path().join("none.db");
        assert!(backup(&missing, &dir.path().join("x.db")).is_err());
    }

    #[test]
    fn a_damaged_or_foreign_file_is_not_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let to = dir.path().join("copy.db");
        backup(&db, &to).unwrap();
        // Cut the copy short.
        let bytes = std::fs::read(&to).unwrap();
        let cut = dir.path().join("cut.db");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(verify(&cut, None).is_err());
        // Another program's database.
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let e = verify(&other, None).unwrap_err().to_string();
        assert!(e.contains("no Orderbell schema"), "{e}");
        // A newer schema than this binary knows.
        assert!(matches!(verify(&to, Some(1)), Err(StoreError::Conflict(_))));
        // Rows pointing nowhere.
        let orphan = dir.path().join("orphan.db");
        std::fs::copy(&to, &orphan).unwrap();
        Connection::open(&orphan)
            .unwrap()
            .execute_batch("PRAGMA foreign_keys = OFF; INSERT INTO orders VALUES ('c', 'nowhere')")
            .unwrap();
        let e = verify(&orphan, None).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
    }

    #[test]
    fn restore_refuses_a_served_database_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let to = dir.path().join("copy.db");
        backup(&db, &to).unwrap();
        Connection::open(&db)
            .unwrap()
            .execute_batch("INSERT INTO orders VALUES ('late', 's')")
            .unwrap();

        let serving = lock_for_serving(&db).unwrap();
        let e = restore(&to, &db, 2, 1_700_000_000).unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{e}");
        drop(serving);

        let (report, kept) = restore(&to, &db, 2, 1_700_000_000).unwrap();
        assert!(report.rows.contains(&("orders", 2)));
        let kept = kept.unwrap();
        assert!(kept.ends_with("orderbell.db.before-restore-1700000000"));
        let conn = Connection::open(&kept).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3, "the replaced database is kept whole");
        let conn = Connection::open(&db).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);

        // Restoring into an empty place works too, and a server can start afterwards.
        let fresh = dir.path().join("new/orderbell.db");
        let (_, kept) = restore(&to, &fresh, 2, 1).unwrap();
        assert!(kept.is_none());
        lock_for_serving(&fresh).unwrap();
    }
}
