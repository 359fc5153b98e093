//! The small SQL surface that the queries are written against, implemented once for SQLite
//! (rusqlite) and once for PostgreSQL (postgres). Queries use `$1, $2, …` placeholders; the
//! SQLite side rewrites them to `?1, ?2, …`.
//!
//! Writing every query once keeps the two backends from drifting apart; what truly differs
//! (types, migrations, connection set-up) lives in `sqlite.rs` and `postgres.rs`, and the
//! conformance suite runs the same stories against both.

use orderbell_core::Timestamp;

use crate::StoreError;

/// A value bound to a placeholder or read from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Time(Timestamp),
    /// SQLite `BLOB`, PostgreSQL `BYTEA`.
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Time(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a `&[Value]` from a list of expressions.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Value::from($v)),*][..] };
}

/// One row of a result, read by column index.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Backend(format!("column {i} missing")))
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.at(i)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(type_error(i, "text", other)),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(type_error(i, "integer", other)),
        }
    }

    pub fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.at(i)? {
            Value::Bytes(b) => Ok(b.clone()),
            other => Err(type_error(i, "bytes", other)),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    /// A boolean: PostgreSQL `BOOLEAN` or SQLite `INTEGER` 0/1.
    pub fn bool(&self, i: usize) -> Result<bool, StoreError> {
        match self.at(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(v) => Ok(*v != 0),
            other => Err(type_error(i, "boolean", other)),
        }
    }

    /// A time: PostgreSQL `TIMESTAMPTZ` or SQLite `INTEGER` Unix milliseconds.
    pub fn time(&self, i: usize) -> Result<Timestamp, StoreError> {
        match self.at(i)? {
            Value::Time(t) => Ok(*t),
            Value::Int(ms) => Timestamp::from_millisecond(*ms)
                .map_err(|e| StoreError::Backend(format!("column {i}: bad time: {e}"))),
            other => Err(type_error(i, "time", other)),
        }
    }

    pub fn opt_time(&self, i: usize) -> Result<Option<Timestamp>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.time(i).map(Some),
        }
    }
}

fn type_error(i: usize, wanted: &str, got: &Value) -> StoreError {
    StoreError::Backend(format!("column {i}: expected {wanted}, found {got:?}"))
}

/// A connection, inside a transaction the executor opened (writes) or in autocommit (reads).
pub trait Db {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query and returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs statements without parameters (transaction control, migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Runs a query that returns at most one row.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a query that returns exactly one row.
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Backend("query returned no row".into()))
    }
}
