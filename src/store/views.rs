//! One human-readable SQL view per variable type, named after it.
//!
//! Each variable keeps a *signature*: the kinds of metadata values and of
//! values its records have held, and the columns of the DataFrames saved
//! under it. A save whose record brings something new widens the signature
//! and rebuilds the view in the same transaction. DataFrame rows are copied
//! into a rows table `_scidb_rows_<Variable>` so the view shows them as rows.

use super::preview::*;
use super::schema::key_column;
use super::sql::{args, quote_ident, Arg, Conn, Dialect};
use crate::error::{Error, Result, ResultExt};
use crate::metadata::Metadata;
use crate::value::{ColumnType, DType, Table};
use arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a variable's records have held, as far as its view cares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Metadata key → kinds of its values ("int", "float", "bool", "text").
    pub keys: BTreeMap<String, BTreeSet<String>>,
    /// Preview kinds of the values (see `preview`).
    pub values: BTreeSet<String>,
    /// Columns of the rows table, in the order they were first seen.
    pub columns: Vec<RowsColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowsColumn {
    /// The DataFrame column's name.
    pub name: String,
    pub sql_type: String,
    /// The rows table's column: the name, or `name:TYPE` when a column of
    /// that name was seen before with another type.
    pub sql_name: String,
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn rows_table(variable: &str) -> String {
    format!("_scidb_rows_{variable}")
}

/// DuckDB compares identifiers ignoring case, quoted or not, so names
/// that differ only in case are one name to it.
fn ident_key(name: &str) -> String {
    name.to_lowercase()
}

/// The rows table's own columns, before the DataFrame's.
const ROWS_OWN_COLUMNS: [&str; 2] = ["record_id", "row_index"];

/// The view's own columns (and `value` when it has one): they keep their
/// names whatever the metadata keys and DataFrame columns are called.
const VIEW_OWN_COLUMNS: [&str; 2] = ["record_id", "saved_at"];

/// The variable type whose view (and rows table) a new type would share
/// because their names differ only in case.
pub fn case_twin<'a>(variable: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    let key = ident_key(variable);
    known
        .map(String::as_str)
        .find(|k| *k != variable && ident_key(k) == key)
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "VARCHAR",
        ColumnType::Binary => "BLOB",
        ColumnType::Numeric(dtype) => match dtype {
            DType::Bool => "BOOLEAN",
            DType::Int8 => "TINYINT",
            DType::Int16 => "SMALLINT",
            DType::Int32 => "INTEGER",
            DType::Int64 => "BIGINT",
            DType::UInt8 => "UTINYINT",
            DType::UInt16 => "USMALLINT",
            DType::UInt32 => "UINTEGER",
            DType::UInt64 => "UBIGINT",
            DType::Float32 => "FLOAT",
            DType::Float64 | DType::Complex64 | DType::Complex128 => "DOUBLE",
        },
    }
}

impl Signature {
    /// Widens the signature to cover one record; true when it changed.
    pub fn absorb(&mut self, meta: &Metadata, value_kind: &str, table: Option<&Table>) -> bool {
        let before = self.clone();
        for (k, v) in meta {
            self.keys
                .entry(k.clone())
                .or_default()
                .insert(v.kind_name().to_string());
        }
        self.values.insert(value_kind.to_string());
        for c in table.into_iter().flat_map(|t| t.columns()) {
            let ty = sql_type(c.ty);
            if self.column_for(c.name, ty).is_none() {
                let sql_name = self.fresh_sql_name(c.name, ty);
                self.columns.push(RowsColumn {
                    name: c.name.to_string(),
                    sql_type: ty.to_string(),
                    sql_name,
                });
            }
        }
        *self != before
    }

    /// A rows-table column name for a new DataFrame column: its own name
    /// when DuckDB can tell it from every other (ignoring case, as DuckDB
    /// does, and never empty), else `name:TYPE`, with `_`s until unique.
    fn fresh_sql_name(&self, name: &str, ty: &str) -> String {
        let taken = |n: &str| {
            let key = ident_key(n);
            ROWS_OWN_COLUMNS.iter().any(|own| *own == key)
                || self.columns.iter().any(|x| ident_key(&x.sql_name) == key)
        };
        let mut candidate = name.to_string();
        if candidate.is_empty() || taken(&candidate) {
            candidate = format!("{name}:{ty}");
        }
        while taken(&candidate) {
            candidate.push('_');
        }
        candidate
    }

    fn column_for(&self, name: &str, ty: &str) -> Option<&RowsColumn> {
        self.columns
            .iter()
            .find(|c| c.name == name && c.sql_type == ty)
    }
}

/// Loads every variable's signature.
pub fn load_signatures(conn: &Conn) -> Result<BTreeMap<String, Signature>> {
    let rows = conn.query("SELECT name, signature FROM _scidb_variables", &[])?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (name, text): (String, String) = (row.get(0)?, row.get(1)?);
        let sig: Signature = serde_json::from_str(&text)
            .map_err(|e| Error::corrupt(format!("view signature of {name}: {e}")))?;
        out.insert(name, sig);
    }
    Ok(out)
}

/// Stores a widened signature, adds new rows-table columns and rebuilds the
/// view. Runs inside the caller's transaction.
pub fn apply(
    conn: &Conn,
    variable: &str,
    schema_keys: &[String],
    old: Option<&Signature>,
    new: &Signature,
) -> Result<()> {
    let text = serde_json::to_string(new).map_err(|e| Error::invalid(e.to_string()))?;
    conn.execute(
        "INSERT INTO _scidb_variables VALUES (?, ?) \
         ON CONFLICT (name) DO UPDATE SET signature = excluded.signature",
        args![variable, text],
    )
    .context("recording the variable type")?;
    let rows = quote_ident(&rows_table(variable));
    let known = old.map(|s| s.columns.len()).unwrap_or(0);
    if !new.columns.is_empty() && known == 0 {
        conn.batch(&format!(
            "CREATE TABLE IF NOT EXISTS {rows} (record_id VARCHAR NOT NULL, row_index BIGINT NOT NULL)"
        ))
        .context("creating the rows table")?;
    }
    for c in &new.columns[known..] {
        conn.batch(&format!(
            "ALTER TABLE {rows} ADD COLUMN {} {}",
            quote_ident(&c.sql_name),
            column_type(conn.dialect(), &c.sql_type)
        ))
        .context(format!(
            "adding column '{}' to the rows of {variable}",
            c.name
        ))?;
    }
    let view = view_sql(conn.dialect(), variable, schema_keys, new);
    let view = match conn.dialect() {
        // PostgreSQL replaces a view only when its columns keep their places.
        Dialect::Postgres => format!(
            "DROP VIEW IF EXISTS {}; {view}",
            view_name(Dialect::Postgres, variable)
        ),
        Dialect::DuckDb => view,
    };
    conn.batch(&view)
        .context(format!("creating the view {variable}"))
}

/// The view's name: the variable type's. PostgreSQL folds unquoted names
/// to lower case (DuckDB ignores case), so its view is named in lower case:
/// `SELECT * FROM MaxActivation` works in psql as in DuckDB.
fn view_name(dialect: Dialect, variable: &str) -> String {
    match dialect {
        Dialect::DuckDb => quote_ident(variable),
        Dialect::Postgres => quote_ident(&variable.to_lowercase()),
    }
}

/// A rows-table column type (signatures name DuckDB's) in the dialect.
fn column_type(dialect: Dialect, duck_type: &str) -> &str {
    match (dialect, duck_type) {
        (Dialect::DuckDb, t) => t,
        (Dialect::Postgres, "TINYINT" | "UTINYINT") => "SMALLINT",
        (Dialect::Postgres, "USMALLINT") => "INTEGER",
        (Dialect::Postgres, "UINTEGER") => "BIGINT",
        (Dialect::Postgres, "UBIGINT") => "NUMERIC(20)",
        (Dialect::Postgres, "FLOAT") => "REAL",
        (Dialect::Postgres, "DOUBLE") => "DOUBLE PRECISION",
        (Dialect::Postgres, "BLOB") => "BYTEA",
        (Dialect::Postgres, t) => t,
    }
}

/// Where a metadata key's canonical JSON is: a schema-key column of the
/// record, or a key of its variant object.
enum KeySource<'a> {
    Column(&'a str),
    Variant(&'a str),
}

/// Typed SQL for a metadata key. Its kinds say every value parses as the
/// type (PostgreSQL has no TRY_CAST; DuckDB's guards what the view shows).
fn key_expression(
    dialect: Dialect,
    src: KeySource<'_>,
    kinds: Option<&BTreeSet<String>>,
) -> String {
    let only = |allowed: &[&str]| {
        kinds.is_some_and(|k| !k.is_empty() && k.iter().all(|x| allowed.contains(&x.as_str())))
    };
    if dialect == Dialect::Postgres {
        let json = match src {
            KeySource::Column(c) => format!("CAST({c} AS JSONB)"),
            KeySource::Variant(k) => format!("(CAST(r.variant AS JSONB) -> {})", quote_literal(k)),
        };
        return if only(&["int"]) {
            format!("CAST({json} AS NUMERIC)")
        } else if only(&["int", "float"]) {
            format!("CAST({json} AS DOUBLE PRECISION)")
        } else if only(&["bool"]) {
            format!("CAST({json} AS BOOLEAN)")
        } else {
            format!("({json} #>> '{{}}')")
        };
    }
    let raw = match src {
        KeySource::Column(c) => c.to_string(),
        KeySource::Variant(k) => format!(
            "json_extract(r.variant, {})",
            quote_literal(&format!("$.{k}"))
        ),
    };
    if only(&["int"]) {
        format!("TRY_CAST({raw} AS BIGINT)")
    } else if only(&["int", "float"]) {
        format!("TRY_CAST({raw} AS DOUBLE)")
    } else if only(&["bool"]) {
        format!("TRY_CAST({raw} AS BOOLEAN)")
    } else {
        format!("json_extract_string({raw}, '$')")
    }
}

/// The view's `value` column, or None when the variable holds only tables.
/// Kinds that share an SQL type get it; any other mix is shown as text.
fn value_expression(dialect: Dialect, kinds: &BTreeSet<String>) -> Option<String> {
    let shown: BTreeSet<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| *k != KIND_NULL && *k != KIND_TABLE)
        .collect();
    if shown.is_empty() {
        return if kinds.contains(KIND_TABLE) {
            None
        } else {
            Some("CAST(NULL AS VARCHAR)".into())
        };
    }
    let within = |allowed: &[&str]| shown.iter().all(|k| allowed.contains(k));
    if dialect == Dialect::Postgres {
        // Previews of these kinds always parse; lists are `[a, b]`, which
        // PostgreSQL reads as arrays once written `{a, b}`.
        let (ty, list) = if within(&[KIND_BOOL]) {
            ("BOOLEAN", false)
        } else if within(&[KIND_INT]) {
            ("BIGINT", false)
        } else if within(&[KIND_INT, KIND_UINT64]) {
            ("NUMERIC", false)
        } else if within(&[KIND_INT, KIND_UINT64, KIND_FLOAT]) {
            ("DOUBLE PRECISION", false)
        } else if within(&[KIND_BOOL_LIST]) {
            ("BOOLEAN[]", true)
        } else if within(&[KIND_INT_LIST]) {
            ("BIGINT[]", true)
        } else if within(&[KIND_INT_LIST, KIND_UINT64_LIST]) {
            ("NUMERIC[]", true)
        } else if within(&[KIND_INT_LIST, KIND_UINT64_LIST, KIND_FLOAT_LIST]) {
            ("DOUBLE PRECISION[]", true)
        } else {
            return Some("r.preview".into());
        };
        return Some(if list {
            format!("CAST(translate(r.preview, '[]', '{{}}') AS {ty})")
        } else {
            format!("CAST(r.preview AS {ty})")
        });
    }
    let sql_type = if within(&[KIND_BOOL]) {
        "BOOLEAN"
    } else if within(&[KIND_INT]) {
        "BIGINT"
    } else if within(&[KIND_INT, KIND_UINT64]) {
        "HUGEINT"
    } else if within(&[KIND_INT, KIND_UINT64, KIND_FLOAT]) {
        "DOUBLE"
    } else if within(&[KIND_BOOL_LIST]) {
        "BOOLEAN[]"
    } else if within(&[KIND_INT_LIST]) {
        "BIGINT[]"
    } else if within(&[KIND_INT_LIST, KIND_UINT64_LIST]) {
        "HUGEINT[]"
    } else if within(&[KIND_INT_LIST, KIND_UINT64_LIST, KIND_FLOAT_LIST]) {
        "DOUBLE[]"
    } else {
        return Some("r.preview".into());
    };
    Some(format!("TRY_CAST(r.preview AS {sql_type})"))
}

/// The view: the newest record of each location and variant, schema keys
/// and version keys as typed columns, then the value (or DataFrame rows).
/// Column names are unique ignoring case (as DuckDB compares them): the
/// view's own `record_id`, `saved_at` and `value` (when it has one; a
/// variable holding only DataFrames has none) keep their names; a
/// schema key, version key or DataFrame column named like one of them or
/// like an earlier column (`Value`, `RECORD_ID`, `a` after `A`) gets `_`s
/// appended, and an empty DataFrame column name shows as `_`.
fn view_sql(dialect: Dialect, variable: &str, schema_keys: &[String], sig: &Signature) -> String {
    let mut cols: Vec<String> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let value = value_expression(dialect, &sig.values);
    let mut taken: BTreeSet<String> = VIEW_OWN_COLUMNS.iter().map(|c| ident_key(c)).collect();
    if value.is_some() {
        taken.insert("value".into());
    }
    let mut alias = |wanted: &str| {
        let mut name = if wanted.is_empty() {
            "_".to_string()
        } else {
            wanted.to_string()
        };
        while taken.contains(&ident_key(&name)) {
            name.push('_');
        }
        taken.insert(ident_key(&name));
        quote_ident(&name)
    };
    for k in schema_keys {
        let column = format!("r.{}", key_column(k));
        let expr = key_expression(dialect, KeySource::Column(&column), sig.keys.get(k));
        cols.push(format!("{expr} AS {}", alias(k)));
        order.push(expr);
    }
    for (k, kinds) in &sig.keys {
        if schema_keys.contains(k) {
            continue;
        }
        let expr = key_expression(dialect, KeySource::Variant(k), Some(kinds));
        cols.push(format!("{expr} AS {}", alias(k)));
        order.push(expr);
    }
    if let Some(v) = value {
        cols.push(format!("{v} AS value"));
    }
    for c in &sig.columns {
        cols.push(format!(
            "t.{} AS {}",
            quote_ident(&c.sql_name),
            alias(&c.name)
        ));
    }
    cols.push("r.record_id AS record_id".into());
    cols.push("r.saved_at AS saved_at".into());
    let partition: Vec<String> = schema_keys
        .iter()
        .map(|k| key_column(k))
        .chain(["variant".to_string()])
        .collect();
    let join = if sig.columns.is_empty() {
        String::new()
    } else {
        order.push("t.row_index".into());
        format!(
            " LEFT JOIN {} t ON t.record_id = r.record_id",
            quote_ident(&rows_table(variable))
        )
    };
    let order_by = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", order.join(", "))
    };
    format!(
        "CREATE OR REPLACE VIEW {view} AS \
         WITH latest AS (SELECT * FROM (SELECT *, row_number() OVER \
           (PARTITION BY {partition} ORDER BY version DESC) AS _scidb_rank \
           FROM _scidb_records WHERE variable = {var}) ranked WHERE _scidb_rank = 1) \
         SELECT {cols} FROM latest r{join}{order_by}",
        view = view_name(dialect, variable),
        var = quote_literal(variable),
        partition = partition.join(", "),
        cols = cols.join(", "),
    )
}

/// Copies a DataFrame's rows into the variable's rows table, as Arrow
/// record batches through DuckDB's appender (a row-at-a-time append of a
/// million-row DataFrame cost far more than writing its payload file).
pub fn insert_rows(
    conn: &Conn,
    variable: &str,
    record_id: &str,
    table: &Table,
    sig: &Signature,
) -> Result<()> {
    if table.num_columns() == 0 {
        // Nothing to show but the record's own view row.
        return Ok(());
    }
    let mut names: Vec<&str> = vec!["record_id", "row_index"];
    for c in table.columns() {
        let col = sig.column_for(c.name, sql_type(c.ty)).ok_or_else(|| {
            Error::invalid(format!("column '{}' is missing from the view", c.name))
        })?;
        names.push(&col.sql_name);
    }
    let cells = table.batch();
    let Some(duck) = conn.duck() else {
        return insert_rows_as_text(conn, variable, record_id, cells, &names, sig, table);
    };
    let mut app = duck
        .appender_with_columns(&rows_table(variable), &names)
        .context("opening the rows table")?;
    let rows = table.rows() as usize;
    // Bounded batches keep the repeated record id column small.
    let step = ROWS_PER_APPEND.min(rows.max(1));
    let mut start = 0;
    while start < rows {
        let len = step.min(rows - start);
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            std::iter::repeat(record_id).take(len),
        ));
        let index: ArrayRef = Arc::new(Int64Array::from_iter_values(
            (start as i64)..((start + len) as i64),
        ));
        let mut fields = vec![
            Field::new("record_id", DataType::Utf8, false),
            Field::new("row_index", DataType::Int64, false),
        ];
        let mut arrays = vec![ids, index];
        for (field, array) in cells.schema().fields().iter().zip(cells.columns()) {
            fields.push(field.as_ref().clone().with_nullable(true));
            arrays.push(array.slice(start, len));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| Error::invalid(format!("copying DataFrame rows for the view: {e}")))?;
        app.append_record_batch(batch)
            .context("copying DataFrame rows for the view")?;
        start += len;
    }
    app.flush().context("copying DataFrame rows for the view")
}

/// The PostgreSQL copy of a DataFrame's rows: every cell as text, which
/// the server parses as its column's type (floats are written in their
/// shortest form that reads back exactly).
fn insert_rows_as_text(
    conn: &Conn,
    variable: &str,
    record_id: &str,
    cells: &RecordBatch,
    names: &[&str],
    sig: &Signature,
    table: &Table,
) -> Result<()> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default();
    let formatters = cells
        .columns()
        .iter()
        .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(format!("copying DataFrame rows for the view: {e}")))?;
    let mut marks = vec!["?".to_string(), "?".to_string()];
    for c in table.columns() {
        let ty = sig
            .column_for(c.name, sql_type(c.ty))
            .map_or("VARCHAR", |c| c.sql_type.as_str());
        marks.push(format!(
            "CAST(CAST(? AS TEXT) AS {})",
            column_type(Dialect::Postgres, ty)
        ));
    }
    let rows: Vec<Vec<Arg<'_>>> = (0..table.rows() as usize)
        .map(|i| {
            let mut row = vec![Arg::from(record_id), Arg::Int(i as i64)];
            for (f, a) in formatters.iter().zip(cells.columns()) {
                row.push(if a.is_null(i) {
                    Arg::Null
                } else if let Some(b) = a.as_binary_opt::<i32>() {
                    // bytea's hex input form.
                    Arg::from(bytea_hex(b.value(i)))
                } else {
                    Arg::from(f.value(i).to_string())
                });
            }
            row
        })
        .collect();
    let marks: Vec<&str> = marks.iter().map(String::as_str).collect();
    conn.insert_values(&rows_table(variable), names, &marks, &rows, "")
        .context("copying DataFrame rows for the view")
}

/// `\x` and two hex digits a byte: PostgreSQL's bytea text input.
fn bytea_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("\\x");
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Rows handed to the appender at once.
const ROWS_PER_APPEND: usize = 1 << 16;
