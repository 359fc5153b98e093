//! The SQLite backend: one file, WAL journal, `synchronous=FULL` (a committed order survives
//! power loss), foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for writes.

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::StoreError;
use crate::db::{Db, Row, Value};
use crate::exec::Dialect;

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN IMMEDIATE",
    begin_read: "BEGIN",
};

pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "printing",
        include_str!("../migrations/sqlite/0002_printing.sql"),
    ),
    (
        3,
        "notifications",
        include_str!("../migrations/sqlite/0003_notifications.sql"),
    ),
    (
        4,
        "escalation",
        include_str!("../migrations/sqlite/0004_escalation.sql"),
    ),
    (
        5,
        "ordering",
        include_str!("../migrations/sqlite/0005_ordering.sql"),
    ),
    (
        6,
        "photos",
        include_str!("../migrations/sqlite/0006_photos.sql"),
    ),
    (
        7,
        "printer_keys",
        include_str!("../migrations/sqlite/0007_printer_keys.sql"),
    ),
    (
        8,
        "account_mail",
        include_str!("../migrations/sqlite/0008_account_mail.sql"),
    ),
    (
        9,
        "roles_invitations",
        include_str!("../migrations/sqlite/0009_roles_invitations.sql"),
    ),
    (
        10,
        "passkeys",
        include_str!("../migrations/sqlite/0010_passkeys.sql"),
    ),
    (
        11,
        "oidc",
        include_str!("../migrations/sqlite/0011_oidc.sql"),
    ),
    (
        12,
        "coordination",
        include_str!("../migrations/sqlite/0012_coordination.sql"),
    ),
    // SQLite only (PostgreSQL has nothing to change): see the file.
    (
        13,
        "check_lists",
        include_str!("../migrations/sqlite/0013_check_lists.sql"),
    ),
];

/// The file a `sqlite:` URL names: `sqlite://data/orderbell.db` (relative),
/// `sqlite:///var/lib/orderbell/orderbell.db` (absolute) or `sqlite:orderbell.db`.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    (!rest.is_empty()).then(|| PathBuf::from(rest))
}

pub struct SqliteDb {
    conn: Connection,
    /// The last statement's text in SQLite's placeholders (reused, see [`rewrite_into`]).
    sql: String,
}

impl SqliteDb {
    /// Opens (and creates) the database file for writing.
    pub fn open_writer(path: &Path) -> Result<SqliteDb, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(|e| unavailable(path, &e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -16000;",
        )
        .map_err(|e| unavailable(path, &e))?;
        SqliteDb::with_cache(conn, path)
    }

    /// Opens a read-only connection to an existing database file.
    pub fn open_reader(path: &Path) -> Result<SqliteDb, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| unavailable(path, &e))?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8000;")
            .map_err(|e| unavailable(path, &e))?;
        SqliteDb::with_cache(conn, path)
    }

    /// Statements are prepared once per connection and kept (128 of them). The query planner
    /// stability guarantee keeps them valid: without it SQLite plans some statements around
    /// the value bound to a parameter (a `LIMIT $n`, for one) and then throws the plan away
    /// at every new binding, so the outbox claim and the owed-jobs read were compiled again
    /// at every run (`sqlite3Reprepare`, docs/benchmarks.md).
    fn with_cache(conn: Connection, path: &Path) -> Result<SqliteDb, StoreError> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|e| unavailable(path, &e))?;
        conn.set_prepared_statement_cache_capacity(128);
        Ok(SqliteDb {
            conn,
            sql: String::new(),
        })
    }
}

fn unavailable(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("{}: {e}", path.display()))
}

/// Writes `sql` with its `$1` placeholders as SQLite's `?1` into `out` (emptied first). The
/// connection keeps one such buffer, so asking the statement cache costs no allocation.
fn rewrite_into(sql: &str, out: &mut String) {
    out.clear();
    let bytes = sql.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push_str(&sql[start..i]);
            out.push('?');
            start = i + 1;
        }
    }
    out.push_str(&sql[start..]);
}

/// Binds `params` in order, borrowed: SQLite copies text and blobs itself, so a Rust copy
/// first would be one more allocation per value.
fn bind(stmt: &mut rusqlite::Statement<'_>, params: &[Value]) -> Result<(), StoreError> {
    for (i, value) in params.iter().enumerate() {
        let index = i + 1;
        let bound = match value {
            Value::Null => stmt.raw_bind_parameter(index, rusqlite::types::Null),
            Value::Int(v) => stmt.raw_bind_parameter(index, v),
            Value::Text(s) => stmt.raw_bind_parameter(index, s.as_str()),
            Value::Bool(b) => stmt.raw_bind_parameter(index, i64::from(*b)),
            Value::Time(t) => stmt.raw_bind_parameter(index, t.as_millisecond()),
            Value::Bytes(b) => stmt.raw_bind_parameter(index, b.as_slice()),
        };
        bound.map_err(map_err)?;
    }
    Ok(())
}

fn map_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(err, msg)
            if err.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()))
        }
        rusqlite::Error::SqliteFailure(err, _)
            if matches!(
                err.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::ReadOnly
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

impl Db for SqliteDb {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        rewrite_into(sql, &mut self.sql);
        let mut stmt = self.conn.prepare_cached(&self.sql).map_err(map_err)?;
        bind(&mut stmt, params)?;
        let changed = stmt.raw_execute().map_err(map_err)?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        rewrite_into(sql, &mut self.sql);
        let mut stmt = self.conn.prepare_cached(&self.sql).map_err(map_err)?;
        bind(&mut stmt, params)?;
        let columns = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(map_err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    // No column is REAL; an integer-valued REAL (e.g. from arithmetic) reads as one.
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "only integral values are stored"
                    )]
                    ValueRef::Real(f) => Value::Int(f as i64),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        // The writer runs BEGIN, SAVEPOINT, RELEASE and COMMIT around every batch: one
        // statement each, kept prepared instead of parsed again every time.
        if !sql.contains(';') {
            let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
            return stmt.raw_execute().map(|_| ()).map_err(map_err);
        }
        self.conn.execute_batch(sql).map_err(map_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            path_from_url("sqlite://data/orderbell.db"),
            Some(PathBuf::from("data/orderbell.db"))
        );
        assert_eq!(
            path_from_url("sqlite:///var/lib/o.db"),
            Some(PathBuf::from("/var/lib/o.db"))
        );
        assert_eq!(
            path_from_url("sqlite:o.db?mode=rwc"),
            Some(PathBuf::from("o.db"))
        );
        assert_eq!(path_from_url("postgres://x"), None);
        assert_eq!(path_from_url("sqlite://"), None);
    }

    #[test]
    fn placeholders() {
        let mut out = "left over".to_owned();
        rewrite_into("SELECT $1, $12 WHERE a = '$'", &mut out);
        assert_eq!(out, "SELECT ?1, ?12 WHERE a = '$'");
        rewrite_into("$2$", &mut out);
        assert_eq!(out, "?2$");
    }
}
