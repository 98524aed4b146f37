//! The catalog connection: one small SQL interface over the two catalogs,
//! the embedded DuckDB file and a PostgreSQL server.
//!
//! The store writes its SQL once, with `?` placeholders, and binds
//! [`Arg`]s; rows come back as [`Row`]s of [`Cell`]s. What the two engines
//! spell differently (column types, view expressions, bulk appends) is
//! asked of [`Conn::dialect`] at the few places that care.

use crate::error::{Error, ErrorKind, Result};
use duckdb::types::{TimeUnit, ToSqlOutput, Value as DuckValue, ValueRef};
use postgres::types::{IsNull, ToSql, Type};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

/// Which engine holds the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
}

/// A parameter of a statement.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
    /// A UTC timestamp, in microseconds since 1970.
    Time(i64),
    /// A list of text (PostgreSQL's `TEXT[]`; the jobs table only).
    TextList(Vec<String>),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}
impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(b: &'a [u8]) -> Self {
        Arg::Blob(Cow::Borrowed(b))
    }
}
impl From<i64> for Arg<'_> {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
impl From<i32> for Arg<'_> {
    fn from(i: i32) -> Self {
        Arg::Int(i.into())
    }
}
impl From<u32> for Arg<'_> {
    fn from(i: u32) -> Self {
        Arg::Int(i.into())
    }
}
impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Bool(b)
    }
}
impl From<f64> for Arg<'_> {
    fn from(f: f64) -> Self {
        Arg::Float(f)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// The parameters of a statement: `args![a, b, c]`.
macro_rules! args {
    ($($x:expr),* $(,)?) => { &[$($crate::store::sql::Arg::from($x)),*][..] };
}
pub(crate) use args;

/// The current time as a timestamp parameter.
pub fn now() -> Arg<'static> {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    Arg::Time(micros)
}

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
}

/// A result row.
#[derive(Debug, Clone)]
pub struct Row(Vec<Cell>);

impl Row {
    /// Column `i`, converted; a cell of another type is a `Corrupt` error
    /// (the catalog does not hold what scidb wrote).
    pub fn get<T: FromCell>(&self, i: usize) -> Result<T> {
        let cell = self.0.get(i).unwrap_or(&Cell::Null);
        T::from_cell(cell).ok_or_else(|| wrong_cell::<T>(cell, i))
    }

    /// Column `i` as it came.
    pub fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }

    /// Moves column `i` out (a blob without a copy).
    pub fn take<T: FromCell>(&mut self, i: usize) -> Result<T> {
        let cell = match self.0.get_mut(i) {
            Some(c) => std::mem::replace(c, Cell::Null),
            None => Cell::Null,
        };
        let kind = cell.kind();
        T::from_owned(cell).ok_or_else(|| wrong_kind::<T>(kind, i))
    }
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Float(_) => "a float",
            Cell::Bool(_) => "a boolean",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "a blob",
        }
    }
}

fn wrong_cell<T>(cell: &Cell, i: usize) -> Error {
    wrong_kind::<T>(cell.kind(), i)
}

fn wrong_kind<T>(kind: &str, i: usize) -> Error {
    Error::corrupt(format!(
        "the catalog returned {kind} in column {i} where scidb wrote {}",
        std::any::type_name::<T>()
    ))
}

/// A Rust type a cell converts to.
pub trait FromCell: Sized {
    fn from_cell(cell: &Cell) -> Option<Self>;
    fn from_owned(cell: Cell) -> Option<Self> {
        Self::from_cell(&cell)
    }
}

impl FromCell for String {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn from_owned(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }
}
impl FromCell for i64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromCell for i32 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|i| i32::try_from(i).ok())
    }
}
impl FromCell for u32 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        i64::from_cell(cell).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromCell for f64 {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }
}
impl FromCell for bool {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Bool(b) => Some(*b),
            _ => None,
        }
    }
}
impl FromCell for Vec<u8> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
    fn from_owned(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Blob(b) => Some(b),
            _ => None,
        }
    }
}
impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            c => T::from_cell(c).map(Some),
        }
    }
    fn from_owned(cell: Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            c => T::from_owned(c).map(Some),
        }
    }
}

/// A query's column names and its cells as text (None: NULL).
pub type TextRows = (Vec<String>, Vec<Vec<Option<String>>>);

/// An open catalog connection.
pub enum Conn {
    Duck(duckdb::Connection),
    Pg(Box<PgConn>),
}

/// A PostgreSQL connection with its prepared statements (a statement is
/// prepared once per connection: a round trip saved on every later use).
pub struct PgConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// What the connection was opened as, without a password.
    shown: String,
}

impl Conn {
    /// Connects to a PostgreSQL catalog; `shown` names it in errors (it
    /// never holds a password).
    pub fn postgres(config: &postgres::Config, shown: &str) -> Result<Conn> {
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| pg_error(e, shown).context(format!("connecting to {shown}")))?;
        Ok(Conn::Pg(Box::new(PgConn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            shown: shown.to_string(),
        })))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Duck(_) => Dialect::DuckDb,
            Conn::Pg(_) => Dialect::Postgres,
        }
    }

    /// Whether other processes may write the catalog while this one has
    /// it open (a PostgreSQL catalog; a DuckDB file has one writer).
    pub fn is_shared(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    /// The DuckDB connection, for what only DuckDB does (appenders, Arrow).
    pub fn duck(&self) -> Option<&duckdb::Connection> {
        match self {
            Conn::Duck(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    /// Runs statements without parameters, separated by `;`.
    pub fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Duck(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(p) => p
                .client
                .borrow_mut()
                .batch_execute(sql)
                .map_err(|e| pg_error(e, &p.shown)),
        }
    }

    /// Runs one statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Conn::Duck(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(duckdb::params_from_iter(args.iter()))? as u64)
            }
            Conn::Pg(p) => {
                let stmt = p.prepare(sql)?;
                let refs = pg_refs(args);
                p.client
                    .borrow_mut()
                    .execute(&stmt, &refs)
                    .map_err(|e| pg_error(e, &p.shown))
            }
        }
    }

    /// Every row of a query.
    pub fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        match self {
            Conn::Duck(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(duckdb::params_from_iter(args.iter()))?;
                let mut out = Vec::new();
                let mut width = None;
                while let Some(r) = rows.next()? {
                    let n = *width.get_or_insert_with(|| r.as_ref().column_count());
                    let mut cells = Vec::with_capacity(n);
                    for i in 0..n {
                        cells.push(duck_cell(r.get_ref(i)?)?);
                    }
                    out.push(Row(cells));
                }
                Ok(out)
            }
            Conn::Pg(p) => {
                let stmt = p.prepare(sql)?;
                let refs = pg_refs(args);
                let rows = p
                    .client
                    .borrow_mut()
                    .query(&stmt, &refs)
                    .map_err(|e| pg_error(e, &p.shown))?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// A query's column names and every cell as text (NULL as None), as
    /// the catalog itself prints values: what a person reads (see
    /// `inspect`'s read-only SQL). DuckDB casts the cells to VARCHAR in a
    /// projection over the query; PostgreSQL's simple protocol returns text.
    pub fn query_text(&self, sql: &str) -> Result<TextRows> {
        match self {
            Conn::Duck(c) => {
                let names = {
                    let mut stmt = c.prepare(&format!("SELECT * FROM ({sql}) LIMIT 0"))?;
                    stmt.query([])?
                        .as_ref()
                        .map(|s| s.column_names())
                        .unwrap_or_default()
                };
                let mut stmt = c.prepare(&format!("SELECT COLUMNS(*)::VARCHAR FROM ({sql})"))?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut cells = Vec::with_capacity(names.len());
                    for i in 0..names.len() {
                        cells.push(r.get::<_, Option<String>>(i)?);
                    }
                    out.push(cells);
                }
                Ok((names, out))
            }
            Conn::Pg(p) => {
                // One prepared statement (the extended protocol refuses
                // several); each row comes back as a JSON object.
                let mut client = p.client.borrow_mut();
                let err = |e| pg_error(e, &p.shown);
                let names: Vec<String> = client
                    .prepare(&format!("SELECT * FROM ({sql}) AS q LIMIT 0"))
                    .map_err(err)?
                    .columns()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect();
                let select = format!("SELECT CAST(row_to_json(q) AS TEXT) FROM ({sql}) AS q");
                let rows = client.query(select.as_str(), &[]).map_err(err)?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let text: String = row.try_get(0).map_err(err)?;
                    let object: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(&text)
                            .map_err(|e| Error::corrupt(format!("a row of the query: {e}")))?;
                    out.push(
                        names
                            .iter()
                            .map(|n| match object.get(n) {
                                None | Some(serde_json::Value::Null) => None,
                                Some(serde_json::Value::String(s)) => Some(s.clone()),
                                Some(other) => Some(other.to_string()),
                            })
                            .collect(),
                    );
                }
                Ok((names, out))
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The first row of a query that always returns one (`count(*)`).
    pub fn query_one(&self, sql: &str, args: &[Arg<'_>]) -> Result<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| Error::corrupt(format!("the catalog returned no row for: {sql}")))
    }

    /// Appends rows to a table: DuckDB's appender, or multi-row INSERTs on
    /// PostgreSQL (row-at-a-time INSERTs cost far more on both).
    pub fn append(&self, table: &str, columns: &[&str], rows: &[Vec<Arg<'_>>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Conn::Duck(c) => {
                let mut app = c.appender_with_columns(table, columns)?;
                for row in rows {
                    app.append_row(duckdb::appender_params_from_iter(row.iter()))?;
                }
                Ok(app.flush()?)
            }
            Conn::Pg(_) => {
                let marks = vec!["?"; columns.len()];
                self.insert_values(table, columns, &marks, rows, "")
            }
        }
    }

    /// Inserts rows with multi-row INSERTs into `table`'s `columns`, as
    /// many rows per statement as PostgreSQL's parameter limit allows.
    /// `marks` gives each column's value: `?` where the row's next argument
    /// goes (`?`, `CAST(? AS ...)`), or an expression without one
    /// (`nextval(...)`); a row holds one argument per `?`. `suffix` ends
    /// every statement (`ON CONFLICT DO NOTHING`, or nothing).
    pub fn insert_values(
        &self,
        table: &str,
        columns: &[&str],
        marks: &[&str],
        rows: &[Vec<Arg<'_>>],
        suffix: &str,
    ) -> Result<()> {
        let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let one = format!("({})", marks.join(", "));
        let per_row = marks.iter().map(|m| m.matches('?').count()).sum::<usize>();
        // PostgreSQL takes at most 65535 parameters per statement.
        let per = (60_000 / per_row.max(1)).max(1);
        for group in rows.chunks(per) {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {} {suffix}",
                quote_ident(table),
                cols.join(", "),
                vec![one.as_str(); group.len()].join(", ")
            );
            let flat: Vec<Arg<'_>> = group.iter().flatten().cloned().collect();
            self.execute(&sql, &flat)?;
        }
        Ok(())
    }
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PgConn {
    fn prepare(&self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self
            .client
            .borrow_mut()
            .prepare(&numbered_placeholders(sql))
            .map_err(|e| pg_error(e, &self.shown))?;
        let mut cache = self.statements.borrow_mut();
        // Statements built for one batch size are not reused forever.
        if cache.len() > 512 {
            cache.clear();
        }
        cache.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...`, leaving quoted text
/// and identifiers alone.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    for ch in sql.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            _ => {}
        }
        out.push(ch);
    }
    out
}

fn pg_refs<'a>(args: &'a [Arg<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// A PostgreSQL error as a scidb error: a lost connection is an IO error
/// that says so; the catalog's own message is kept.
pub fn pg_error(e: postgres::Error, shown: &str) -> Error {
    // Connection exceptions (08) and the server ending the session (57P).
    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
    if e.is_closed() || code.starts_with("08") || code.starts_with("57P") {
        return Error::io(format!(
            "the connection to the PostgreSQL catalog {shown} was lost ({e}); \
             what was not acknowledged was not saved: open the database again"
        ));
    }
    let text = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        // The client's own text leaves out the cause ("error connecting").
        None => match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    let kind = match e.code().map(|c| c.code()) {
        // Lock not available / serialization failure / deadlock.
        Some("55P03") | Some("40001") | Some("40P01") => ErrorKind::Locked,
        _ => ErrorKind::Io,
    };
    Error::new(kind, format!("catalog error: {text}"))
}

fn pg_row(row: &postgres::Row) -> Result<Row> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let ty = col.type_();
        let bad = |e: postgres::Error| Error::corrupt(format!("reading column {i}: {e}"));
        let cell = match *ty {
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map_err(bad)?
                .map(Cell::Bool),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map_err(bad)?
                .map(|v| Cell::Int(v.into())),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map_err(bad)?
                .map(|v| Cell::Int(v.into())),
            Type::INT8 => row
                .try_get::<_, Option<i64>>(i)
                .map_err(bad)?
                .map(Cell::Int),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)
                .map_err(bad)?
                .map(|v| Cell::Float(v.into())),
            Type::FLOAT8 => row
                .try_get::<_, Option<f64>>(i)
                .map_err(bad)?
                .map(Cell::Float),
            Type::BYTEA => row
                .try_get::<_, Option<Vec<u8>>>(i)
                .map_err(bad)?
                .map(Cell::Blob),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row
                .try_get::<_, Option<String>>(i)
                .map_err(bad)?
                .map(Cell::Text),
            _ => {
                return Err(Error::corrupt(format!(
                    "column {} has type {ty}, which scidb does not read",
                    col.name()
                )))
            }
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}

fn duck_cell(v: ValueRef<'_>) -> Result<Cell> {
    let int = |i: i128| {
        i64::try_from(i)
            .map(Cell::Int)
            .map_err(|_| Error::corrupt(format!("the integer {i} does not fit 64 bits")))
    };
    Ok(match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Boolean(b) => Cell::Bool(b),
        ValueRef::TinyInt(i) => Cell::Int(i.into()),
        ValueRef::SmallInt(i) => Cell::Int(i.into()),
        ValueRef::Int(i) => Cell::Int(i.into()),
        ValueRef::BigInt(i) => Cell::Int(i),
        ValueRef::HugeInt(i) => int(i)?,
        ValueRef::UTinyInt(i) => Cell::Int(i.into()),
        ValueRef::USmallInt(i) => Cell::Int(i.into()),
        ValueRef::UInt(i) => Cell::Int(i.into()),
        ValueRef::UBigInt(i) => int(i.into())?,
        ValueRef::Float(f) => Cell::Float(f.into()),
        ValueRef::Double(f) => Cell::Float(f),
        ValueRef::Text(t) => Cell::Text(
            std::str::from_utf8(t)
                .map_err(|_| Error::corrupt("the catalog returned text that is not UTF-8"))?
                .to_string(),
        ),
        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        other => {
            return Err(Error::corrupt(format!(
                "the catalog returned a {:?} cell, which scidb does not read",
                other.data_type()
            )))
        }
    })
}

impl duckdb::ToSql for Arg<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Null => ToSqlOutput::Owned(DuckValue::Null),
            Arg::Int(i) => ToSqlOutput::Owned(DuckValue::BigInt(*i)),
            Arg::Float(f) => ToSqlOutput::Owned(DuckValue::Double(*f)),
            Arg::Bool(b) => ToSqlOutput::Owned(DuckValue::Boolean(*b)),
            Arg::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Arg::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Arg::Time(us) => ToSqlOutput::Owned(DuckValue::Timestamp(TimeUnit::Microsecond, *us)),
            Arg::TextList(_) => {
                return Err(duckdb::Error::ToSqlConversionFailure(
                    "a text list is a PostgreSQL parameter".into(),
                ))
            }
        })
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The server decided each parameter's type from the statement;
        // the argument is written as that type.
        match self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Arg::Float(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Arg::Bool(b) => b.to_sql(ty, out),
            // PostgreSQL text cannot hold NUL. Raw text reaches the catalog
            // only as what views show (previews, DataFrame cells for the
            // view); values, metadata and ids are blobs or escaped JSON.
            // So a NUL is shown as U+2400 there and stays exact in the value.
            Arg::Text(t) if t.contains('\0') => t.replace('\0', "\u{2400}").to_sql(ty, out),
            Arg::Text(t) => t.as_ref().to_sql(ty, out),
            Arg::Blob(b) => b.as_ref().to_sql(ty, out),
            Arg::Time(us) => {
                let t =
                    std::time::UNIX_EPOCH + std::time::Duration::from_micros((*us).max(0) as u64);
                t.to_sql(ty, out)
            }
            Arg::TextList(items) => items.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders("SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)"
        );
    }
}
