//! The PostgreSQL backend, for deployments that outgrow one machine. Connections are
//! synchronous clients on the executor's threads, so the queries are the very ones SQLite runs.

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::StoreError;
use crate::db::{Db, Row, Value};
use crate::exec::Dialect;

pub const DIALECT: Dialect = Dialect {
    begin_write: "BEGIN",
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
};

pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "printing",
        include_str!("../migrations/postgres/0002_printing.sql"),
    ),
    (
        3,
        "notifications",
        include_str!("../migrations/postgres/0003_notifications.sql"),
    ),
    (
        4,
        "escalation",
        include_str!("../migrations/postgres/0004_escalation.sql"),
    ),
    (
        5,
        "ordering",
        include_str!("../migrations/postgres/0005_ordering.sql"),
    ),
    (
        6,
        "photos",
        include_str!("../migrations/postgres/0006_photos.sql"),
    ),
    (
        7,
        "printer_keys",
        include_str!("../migrations/postgres/0007_printer_keys.sql"),
    ),
    (
        8,
        "account_mail",
        include_str!("../migrations/postgres/0008_account_mail.sql"),
    ),
    (
        9,
        "roles_invitations",
        include_str!("../migrations/postgres/0009_roles_invitations.sql"),
    ),
    (
        10,
        "passkeys",
        include_str!("../migrations/postgres/0010_passkeys.sql"),
    ),
    (
        11,
        "oidc",
        include_str!("../migrations/postgres/0011_oidc.sql"),
    ),
    (
        12,
        "coordination",
        include_str!("../migrations/postgres/0012_coordination.sql"),
    ),
];

/// Serialises concurrent migrations from several instances.
pub const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7263410029)";

pub struct PgDb {
    url: String,
    client: Client,
    /// Prepared statements of this connection (postgres' `Client` keeps none).
    statements: HashMap<String, Statement>,
    /// Inside a transaction a lost connection must fail the transaction, never reconnect and
    /// carry on in autocommit.
    in_transaction: bool,
}

impl PgDb {
    pub fn connect(url: &str) -> Result<PgDb, StoreError> {
        let client =
            Client::connect(url, NoTls).map_err(|e| StoreError::Unavailable(redact(url, &e)))?;
        Ok(PgDb {
            url: url.to_owned(),
            client,
            statements: HashMap::new(),
            in_transaction: false,
        })
    }

    /// Reconnects when the server closed the connection (restart, failover).
    fn ensure_connected(&mut self) -> Result<(), StoreError> {
        if self.client.is_closed() {
            if self.in_transaction {
                return Err(StoreError::Unavailable(
                    "the PostgreSQL connection was lost mid-transaction".into(),
                ));
            }
            tracing::warn!("the PostgreSQL connection was closed; reconnecting");
            self.client = Client::connect(&self.url, NoTls)
                .map_err(|e| StoreError::Unavailable(redact(&self.url, &e)))?;
            self.statements.clear();
        }
        Ok(())
    }

    fn prepare(&mut self, sql: &str) -> Result<Statement, StoreError> {
        self.ensure_connected()?;
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(map_err)?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// An error message without the password the URL may hold.
pub(crate) fn redact(url: &str, e: &postgres::Error) -> String {
    let host = url.rsplit_once('@').map_or("the database", |(_, h)| h);
    format!("PostgreSQL at {host}: {e}")
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Time(t) => t.to_sql(ty, out),
            Value::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn map_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code.starts_with("23") {
            return StoreError::Conflict(db.message().to_owned());
        }
        if code.starts_with("08") || code.starts_with("57") || code == "53300" {
            return StoreError::Unavailable(db.message().to_owned());
        }
        return StoreError::Backend(format!("{}: {}", code, db.message()));
    }
    // The server went away mid-statement (a restart, a failover): an I/O error, not a bug.
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Backend(e.to_string())
}

fn read_row(row: &postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = match *ty {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| Value::Int(i64::from(v)))),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| Value::Int(i64::from(v)))),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map(|v| v.map(Value::Bool)),
            Type::TIMESTAMPTZ => row
                .try_get::<_, Option<jiff::Timestamp>>(i)
                .map(|v| v.map(Value::Time)),
            Type::BYTEA => row
                .try_get::<_, Option<Vec<u8>>>(i)
                .map(|v| v.map(Value::Bytes)),
            _ => row
                .try_get::<_, Option<String>>(i)
                .map(|v| v.map(Value::Text)),
        }
        .map_err(map_err)?;
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Db for PgDb {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.prepare(sql)?;
        self.client.execute(&stmt, &refs(params)).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.prepare(sql)?;
        let rows = self.client.query(&stmt, &refs(params)).map_err(map_err)?;
        rows.iter().map(read_row).collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let begins = sql.starts_with("BEGIN");
        let ends = sql == "COMMIT" || sql == "ROLLBACK";
        if begins {
            self.in_transaction = false;
        }
        self.ensure_connected()?;
        let result = self.client.batch_execute(sql).map_err(map_err);
        if begins {
            self.in_transaction = result.is_ok();
        } else if ends {
            self.in_transaction = false;
        }
        result
    }
}
