//! One way to speak to either database, so that every statement and every rule of the
//! store ([`super::queries`]) is written once.
//!
//! [`Db`] is an open transaction on SQLite (a `rusqlite::Connection` inside the writer's
//! batch, or a reader) or on PostgreSQL (a pooled `tokio-postgres` transaction). Its
//! surface copies rusqlite's (`execute`, `query_row`, `prepare_cached`, `query_map`,
//! `params!`, `.optional()`), so the queries read as plain rusqlite code.
//!
//! The SQL text is SQLite's, which PostgreSQL takes as it is once `?N` placeholders become
//! `$N` ([`pg_sql`]). Where the dialects really differ (a scalar `MAX(a, b)`, JSON arrays
//! of ids, id sequences) the queries ask [`Db::dialect`]. Values cross as [`Value`]: on
//! PostgreSQL a parameter is encoded as whatever type the server inferred for it (an
//! integer binds to `BIGINT`, `SMALLINT` or `BOOLEAN` alike) and a column is decoded from
//! whatever type it has, so the schema may use PostgreSQL's own types (`BIGINT`,
//! `BYTEA`, sums that are `NUMERIC`) and the queries need not cast.
//!
//! PostgreSQL is driven synchronously here: the queries run on a blocking thread
//! (`spawn_blocking`) that waits on each statement (`Handle::block_on`), the connection
//! itself being driven by the runtime as usual. The rules stay plain sequential code, one
//! round trip per statement, as on SQLite.

use std::borrow::Cow;
use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use super::StoreError;

// ---- errors -----------------------------------------------------------------------------

/// A statement's failure. [`DbError::NoRow`] is what `query_row` returns when there is no
/// row: [`OptionalExtension::optional`] turns it into `None`.
#[derive(Debug)]
pub enum DbError {
    NoRow,
    /// A column whose value cannot be the type asked for.
    Type {
        column: usize,
        wanted: &'static str,
        found: &'static str,
    },
    Sqlite(rusqlite::Error),
    Postgres(tokio_postgres::Error),
    /// Anything else (a pool that cannot give a connection, a bad value).
    Other(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::NoRow => write!(f, "no row"),
            DbError::Type { column, wanted, found } => write!(f, "column {column}: wanted {wanted}, found {found}"),
            DbError::Sqlite(e) => write!(f, "{e}"),
            // tokio-postgres' Display hides the server's message behind "db error".
            DbError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
                None => write!(f, "{e}"),
            },
            DbError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl StdError for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRow,
            e => DbError::Sqlite(e),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Postgres(e)
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl DbError {
    /// PostgreSQL's SQLSTATE, if the server refused the statement.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// `.optional()` on a `query_row`'s result, as rusqlite's.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>, DbError>;
}

impl<T> OptionalExtension<T> for Result<T, DbError> {
    fn optional(self) -> Result<Option<T>, DbError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRow) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

// ---- values -------------------------------------------------------------------------------

/// A parameter or a column's value, borrowed where it can be.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// What may be bound as a parameter.
pub trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, i8, u32, u16, u8);

impl ToValue for u64 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for usize {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(f64::from(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

/// A statement's parameters: `params![a, b]`, `[x]` (one type), `[]` or a slice.
pub trait Params {
    fn values(&self) -> Vec<Value<'_>>;
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|p| p.to_value()).collect()
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Params for () {
    fn values(&self) -> Vec<Value<'_>> {
        Vec::new()
    }
}

/// Parameters of mixed types, as rusqlite's `params!`.
macro_rules! params {
    () => { &[] as &[&dyn $crate::store::db::ToValue] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::db::ToValue),+] as &[&dyn $crate::store::db::ToValue] };
}
pub(crate) use params;

/// What a column may be read as.
pub trait FromValue: Sized {
    const NAME: &'static str;
    fn from_value(v: Value<'_>) -> Option<Self>;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            const NAME: &'static str = stringify!($t);
            fn from_value(v: Value<'_>) -> Option<Self> {
                match v {
                    Value::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_from_value!(i64, i32, u32, u16, u8, u64, usize);

impl FromValue for bool {
    const NAME: &'static str = "bool";
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    const NAME: &'static str = "f64";
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Real(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    const NAME: &'static str = "text";
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.into_owned()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const NAME: &'static str = "blob";
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.into_owned()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const NAME: &'static str = T::NAME;
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

// ---- the connection -------------------------------------------------------------------------

/// Which SQL the database speaks, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The scalar larger of two values: SQLite's two-argument `MAX`, PostgreSQL's `GREATEST`.
    pub fn greatest(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        }
    }

    /// The scalar smaller of two values: SQLite's two-argument `MIN`, PostgreSQL's `LEAST`.
    pub fn least(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MIN",
            Dialect::Postgres => "LEAST",
        }
    }

    /// A subquery of the ids in the JSON array bound at `param` (e.g. `?1`), as a column `value`.
    pub fn json_ids(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("(SELECT value FROM json_each({param}))"),
            Dialect::Postgres => {
                format!("(SELECT value::BIGINT AS value FROM json_array_elements_text({param}::json) AS value)")
            }
        }
    }
}

/// A PostgreSQL transaction and the runtime that drives its connection.
pub struct PgTx<'c> {
    pub tx: &'c deadpool_postgres::Transaction<'c>,
    pub rt: &'c tokio::runtime::Handle,
    /// Set when a statement lost a serialization conflict: the whole transaction may
    /// run again (`super::postgres`).
    pub conflict: std::cell::Cell<bool>,
}

impl PgTx<'_> {
    /// Waits for a statement, noting a conflict.
    fn wait<T>(&self, f: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>) -> Result<T, DbError> {
        self.rt.block_on(f).map_err(|e| {
            if e.code().is_some_and(|c| matches!(c.code(), "40001" | "40P01")) {
                self.conflict.set(true);
            }
            DbError::Postgres(e)
        })
    }
}

/// An open transaction (or read) on either database.
pub enum Db<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(&'c PgTx<'c>),
}

impl<'c> Db<'c> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A statement, prepared once per connection and kept.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>, DbError> {
        match self {
            Db::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Db::Postgres(pg) => {
                let stmt = pg.wait(pg.tx.prepare_cached(&pg_sql(sql)))?;
                Ok(Stmt::Postgres { pg, stmt })
            }
        }
    }

    /// A statement used rarely (not kept): on PostgreSQL, the same as [`Db::prepare_cached`].
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>, DbError> {
        match self {
            Db::Sqlite(c) => Ok(Stmt::SqliteOnce(c.prepare(sql)?)),
            Db::Postgres(_) => self.prepare_cached(sql),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, DbError> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Statements without parameters, separated by `;` (SQLite's `execute_batch`).
    pub fn execute_batch(&self, sql: &str) -> Result<(), DbError> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Postgres(pg) => pg.wait(pg.tx.batch_execute(sql)),
        }
    }

    /// Makes the statements until [`Snapshot::end`] read one state of the database (a
    /// read that takes several queries). SQLite: a read transaction on this connection;
    /// PostgreSQL: reads already run in one `REPEATABLE READ` transaction.
    pub fn snapshot(&self) -> Result<Snapshot<'_, 'c>, DbError> {
        if let Db::Sqlite(c) = self {
            c.execute_batch("BEGIN")?;
        }
        Ok(Snapshot { db: self, open: matches!(self, Db::Sqlite(_)) })
    }

    /// Whether every committed row is intact: SQLite's `integrity_check`. PostgreSQL
    /// checks its pages itself (and `pg_amcheck` checks indexes from outside): true.
    pub fn integrity_ok(&self) -> Result<bool, DbError> {
        match self {
            Db::Sqlite(c) => Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))? == "ok"),
            Db::Postgres(_) => Ok(self.query_row("SELECT 1", (), |r| r.get::<_, i64>(0))? == 1),
        }
    }
}

/// See [`Db::snapshot`]; derefs to the database.
pub struct Snapshot<'s, 'c> {
    db: &'s Db<'c>,
    open: bool,
}

impl Snapshot<'_, '_> {
    pub fn end(mut self) -> Result<(), DbError> {
        self.open = false;
        if let Db::Sqlite(c) = self.db {
            c.execute_batch("COMMIT")?;
        }
        Ok(())
    }
}

impl<'c> std::ops::Deref for Snapshot<'_, 'c> {
    type Target = Db<'c>;
    fn deref(&self) -> &Db<'c> {
        self.db
    }
}

impl Drop for Snapshot<'_, '_> {
    fn drop(&mut self) {
        if self.open
            && let Db::Sqlite(c) = self.db
        {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

/// `?N` placeholders as PostgreSQL's `$N` (SQLite's text otherwise taken as it is). A `?`
/// inside a quoted literal stays.
pub fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    for ch in sql.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(ch),
        }
    }
    out
}

/// A prepared statement.
pub enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    SqliteOnce(rusqlite::Statement<'c>),
    Postgres { pg: &'c PgTx<'c>, stmt: tokio_postgres::Statement },
}

impl<'c> Stmt<'c> {
    fn sqlite(&mut self) -> Option<&mut rusqlite::Statement<'c>> {
        match self {
            Stmt::Sqlite(s) => Some(s),
            Stmt::SqliteOnce(s) => Some(s),
            Stmt::Postgres { .. } => None,
        }
    }

    /// Runs the statement; the number of rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize, DbError> {
        let values = params.values();
        if let Some(s) = self.sqlite() {
            return Ok(s.execute(rusqlite::params_from_iter(values.iter()))?);
        }
        let Stmt::Postgres { pg, stmt } = self else { unreachable!() };
        let binds = pg_binds(&values);
        let n = pg.wait(pg.tx.execute(stmt, &pg_refs(&binds)))?;
        Ok(n as usize)
    }

    /// The first row, mapped; [`DbError::NoRow`] without one.
    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let values = params.values();
        if let Some(s) = self.sqlite() {
            let mut rows = s.query(rusqlite::params_from_iter(values.iter()))?;
            return match rows.next()? {
                Some(r) => f(&Row::Sqlite(r)),
                None => Err(DbError::NoRow),
            };
        }
        let Stmt::Postgres { pg, stmt } = self else { unreachable!() };
        let binds = pg_binds(&values);
        // The first row, as SQLite's: `query_opt` would refuse a second one.
        match pg.wait(pg.tx.query(stmt, &pg_refs(&binds)))?.first() {
            Some(r) => f(&Row::Postgres(r)),
            None => Err(DbError::NoRow),
        }
    }

    /// Whether there is a row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool, DbError> {
        self.query_row(params, |_| Ok(())).optional().map(|r| r.is_some())
    }

    /// Every row, mapped (read whole before this returns).
    pub fn query_map<T, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<std::vec::IntoIter<Result<T, DbError>>, DbError> {
        let values = params.values();
        let mut out = Vec::new();
        if let Some(s) = self.sqlite() {
            let mut rows = s.query(rusqlite::params_from_iter(values.iter()))?;
            while let Some(r) = rows.next()? {
                out.push(f(&Row::Sqlite(r)));
            }
            return Ok(out.into_iter());
        }
        let Stmt::Postgres { pg, stmt } = self else { unreachable!() };
        let binds = pg_binds(&values);
        for r in pg.wait(pg.tx.query(stmt, &pg_refs(&binds)))? {
            out.push(f(&Row::Postgres(&r)));
        }
        Ok(out.into_iter())
    }

    /// The number of parameters the statement takes.
    pub fn parameter_count(&self) -> usize {
        match self {
            Stmt::Sqlite(s) => s.parameter_count(),
            Stmt::SqliteOnce(s) => s.parameter_count(),
            Stmt::Postgres { stmt, .. } => stmt.params().len(),
        }
    }
}

/// A column's position (a trait only so that `get(0)` infers `usize`, as in rusqlite).
pub trait RowIndex {
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// A row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `i` (from 0) as a `T`. The first type parameter is there so that calls read
    /// as rusqlite's (`get::<_, i64>(0)`).
    pub fn get<I: RowIndex, T: FromValue>(&self, i: I) -> Result<T, DbError> {
        let i = i.index();
        let value = self.value(i)?;
        let found = value.kind();
        T::from_value(value).ok_or(DbError::Type { column: i, wanted: T::NAME, found })
    }

    fn value(&self, i: usize) -> Result<Value<'_>, DbError> {
        match self {
            Row::Sqlite(r) => Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                rusqlite::types::ValueRef::Real(v) => Value::Real(v),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::Text(std::str::from_utf8(t).map(Cow::Borrowed).map_err(|e| DbError::Other(e.to_string()))?)
                }
                rusqlite::types::ValueRef::Blob(b) => Value::Blob(Cow::Borrowed(b)),
            }),
            Row::Postgres(r) => Ok(r.try_get::<_, PgValue>(i)?.0),
        }
    }
}

// ---- SQLite and PostgreSQL values ------------------------------------------------------------

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A value as PostgreSQL's binary format wants it for the parameter's type.
#[derive(Debug)]
struct PgValue<'a>(Value<'a>);

fn pg_binds<'a>(values: &'a [Value<'a>]) -> Vec<PgValue<'a>> {
    values.iter().map(|v| PgValue(v.clone())).collect()
}

fn pg_refs<'a>(binds: &'a [PgValue<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect()
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for PgValue<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let mismatch = || -> BoxError { format!("cannot bind {} as {ty}", self.0.kind()).into() };
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => i.to_string().to_sql(&Type::TEXT, out),
                _ => Err(mismatch()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                _ => Err(mismatch()),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => {
                    out.extend_from_slice(b);
                    Ok(IsNull::No)
                }
                _ => Err(mismatch()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for PgValue<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgValue(match *ty {
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(Cow::Borrowed(raw)),
            Type::JSONB => Value::Text(Cow::Borrowed(std::str::from_utf8(raw.get(1..).unwrap_or_default())?)),
            _ => Value::Text(Cow::Borrowed(<&str>::from_sql(ty, raw)?)),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `NUMERIC` in PostgreSQL's binary format (what `SUM` of a `BIGINT` gives): an
/// integer when it has no fraction and fits, a real otherwise.
fn numeric(raw: &[u8]) -> Result<Value<'static>, BoxError> {
    let word = |i: usize| -> Result<u16, BoxError> {
        raw.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short NUMERIC".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)? as usize, word(2)? as i16, word(4)?, word(6)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let negative = sign == 0x4000;
    let mut int: Option<i128> = Some(0);
    let mut real = 0f64;
    for d in 0..ndigits {
        let digit = word(8 + 2 * d)?;
        let power = i32::from(weight) - d as i32;
        real += f64::from(digit) * 10000f64.powi(power);
        int = match (int, power) {
            (Some(v), p) if p >= 0 => {
                10000i128.checked_pow(p as u32).and_then(|m| m.checked_mul(digit.into())).and_then(|x| v.checked_add(x))
            }
            (v, _) if digit == 0 => v,
            _ => None,
        };
    }
    let sign = if negative { -1 } else { 1 };
    Ok(match int.and_then(|v| i64::try_from(v * sign).ok()) {
        Some(v) if dscale == 0 || real.fract() == 0.0 => Value::Int(v),
        _ => Value::Real(real * sign as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(pg_sql("SELECT ?1, '?', ?12 WHERE a = ?2"), "SELECT $1, '?', $12 WHERE a = $2");
    }

    #[test]
    fn numerics_decode_to_integers_or_reals() {
        // 12345678 = 1234·10000 + 5678: two digits, weight 1.
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).unwrap(), Value::Int(12_345_678));
        // -0.5: one digit 5000 at weight -1, scale 1.
        let raw = [0, 1, 0xFF, 0xFF, 0x40, 0, 0, 1, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-0.5));
        // 0: no digits.
        assert_eq!(numeric(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), Value::Int(0));
    }

    #[test]
    fn sqlite_rows_read_through_values() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let db = Db::Sqlite(&c);
        let (a, b, t, n): (i64, bool, String, Option<u32>) = db
            .query_row("SELECT ?1, ?2, ?3, NULL", params![7i64, true, "x"], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((a, b, t.as_str(), n), (7, true, "x", None));
        assert!(matches!(db.query_row("SELECT 1 WHERE 0", (), |r| r.get::<_, i64>(0)), Err(DbError::NoRow)));
        let e = db.query_row("SELECT 'x'", (), |r| r.get::<_, i64>(0)).unwrap_err();
        assert_eq!(e.to_string(), "column 0: wanted i64, found text");
    }
}
