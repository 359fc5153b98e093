//! Embedded migrations: each backend lists its SQL files; pending ones run in one transaction
//! at start and by `orderbell migrate`.

use crate::db::Db;
use crate::{Result, StoreError};

/// Applies every migration newer than the database's version. Returns how many ran.
pub fn run(
    db: &mut dyn Db,
    migrations: &[(i64, &str, &str)],
    begin: &str,
    lock: Option<&str>,
    now: &str,
) -> Result<usize> {
    db.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )?;
    db.batch(begin)?;
    let result = apply(db, migrations, lock, now);
    match &result {
        Ok(_) => db.batch("COMMIT")?,
        Err(_) => {
            let _ = db.batch("ROLLBACK");
        }
    }
    result
}

fn apply(
    db: &mut dyn Db,
    migrations: &[(i64, &str, &str)],
    lock: Option<&str>,
    now: &str,
) -> Result<usize> {
    if let Some(lock) = lock {
        db.batch(lock)?;
    }
    let current = db
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .int(0)?;
    let newest = migrations.iter().map(|m| m.0).max().unwrap_or(0);
    if current > newest {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {current}, newer than this Orderbell knows ({newest}); \
             run a newer Orderbell"
        )));
    }
    let mut ran = 0;
    for (version, name, sql) in migrations.iter().filter(|m| m.0 > current) {
        tracing::info!(version, name, "applying migration");
        db.batch(sql)?;
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            crate::params![*version, *name, now],
        )?;
        ran += 1;
    }
    Ok(ran)
}
