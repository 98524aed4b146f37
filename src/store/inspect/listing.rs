//! Listings of records, runs and read-only SQL: `show` (the newest records
//! at matching locations), `versions` (every version), `runs` (the
//! for_each run log, newest first) and `sql`.

use super::super::sql::{args, Conn};
use super::super::{find, RecordInfo};
use crate::error::{Error, Result, ResultExt};
use crate::metadata::{self, Query};
use crate::store::Database;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;

/// Characters of a value's preview a listing keeps.
const PREVIEW_CHARS: usize = 120;
/// The shortest record id prefix `resolve_record_id` takes.
const MIN_PREFIX: usize = 6;
/// Failure messages a run lists.
const FAILURES_PER_RUN: usize = 20;

/// A record in a listing, without its value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordRow {
    pub record_id: String,
    pub variable: String,
    pub version: i64,
    pub saved_at: String,
    /// Schema-key values, a JSON object.
    pub keys: Json,
    /// The other metadata (version keys, constants), a JSON object.
    pub variant: Json,
    /// A short text of the value (`[1.5, 2.0]`, `float64 array 3x4`).
    pub preview: Option<String>,
    /// Whether it is the newest record of its location and variant.
    pub newest: bool,
}

/// A `for_each` run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunRow {
    pub run_id: i64,
    pub function: String,
    pub language: String,
    pub outputs: Json,
    pub started_at: String,
    pub finished_at: String,
    pub ran: i64,
    pub cached: i64,
    pub skipped: i64,
    pub failed: i64,
    /// The failed combinations' metadata and messages (the first few).
    pub failures: Vec<Failure>,
}

/// A failed combination of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Failure {
    pub metadata: Json,
    pub message: Option<String>,
}

/// A query's result as text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SqlResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Database {
    /// The newest record of every matching location and variant of a
    /// variable type, in location order. An unknown type is `NotFound`.
    pub fn show_records(&self, variable: &str, query: &Query) -> Result<Vec<RecordRow>> {
        self.listing(variable, query, true)
    }

    /// Every version of the matching records, oldest first per location.
    pub fn version_rows(&self, variable: &str, query: &Query) -> Result<Vec<RecordRow>> {
        self.listing(variable, query, false)
    }

    fn listing(&self, variable: &str, query: &Query, newest: bool) -> Result<Vec<RecordRow>> {
        let inner = self.fresh()?;
        self.require_variable(&inner, variable)?;
        let conn = &inner.conn;
        super::snapshot(conn, || {
            let all = find::matching(conn, &self.schema_keys, variable, query, false)?;
            let latest: Vec<RecordInfo> = find::newest_per_variant(all.clone());
            let newest_ids: std::collections::HashSet<&str> =
                latest.iter().map(|r| r.record_id.as_str()).collect();
            let chosen = if newest { latest.clone() } else { all };
            let previews = previews(conn, variable)?;
            chosen
                .iter()
                .map(|info| {
                    Ok(RecordRow {
                        record_id: info.record_id.clone(),
                        variable: info.variable.clone(),
                        version: info.version,
                        saved_at: info.saved_at.clone(),
                        keys: keys_json(&self.schema_keys, info),
                        variant: json_object(&metadata::to_json_object(&info.variant))?,
                        preview: previews.get(&info.record_id).cloned().flatten(),
                        newest: newest_ids.contains(info.record_id.as_str()),
                    })
                })
                .collect()
        })
    }

    /// The record whose id is `prefix` or, uniquely, starts with it (at
    /// least 6 characters): what a person copies from a listing.
    pub fn resolve_record_id(&self, prefix: &str) -> Result<String> {
        let inner = self.fresh()?;
        if inner.records.contains_key(prefix) {
            return Ok(prefix.to_string());
        }
        if prefix.len() < MIN_PREFIX {
            return Err(Error::not_found(format!(
                "no record has id '{prefix}' (give the id or its first {MIN_PREFIX} or more characters)"
            )));
        }
        let mut found = inner.records.keys().filter(|id| id.starts_with(prefix));
        match (found.next(), found.next()) {
            (Some(id), None) => Ok(id.clone()),
            (None, _) => Err(Error::not_found(format!(
                "no record id starts with '{prefix}'"
            ))),
            (Some(_), Some(_)) => Err(Error::new(
                crate::error::ErrorKind::Ambiguous,
                format!("several record ids start with '{prefix}': give more characters"),
            )),
        }
    }

    /// The run log's runs, newest first, with their failures' messages.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let inner = self.fresh()?;
        let conn = &inner.conn;
        super::snapshot(conn, || {
            let mut failures: HashMap<i64, Vec<Failure>> = HashMap::new();
            for r in conn.query(
                "SELECT run_id, metadata, message FROM _scidb_run_log \
                 WHERE status = 'failed' ORDER BY run_id, position",
                &[],
            )? {
                let list = failures.entry(r.get(0)?).or_default();
                if list.len() < FAILURES_PER_RUN {
                    list.push(Failure {
                        metadata: json_object(&r.get::<String>(1)?)?,
                        message: r.get(2)?,
                    });
                }
            }
            conn.query(
                "SELECT run_id, function_name, language, outputs, CAST(started_at AS VARCHAR), \
                 CAST(finished_at AS VARCHAR), n_ran, n_cached, n_skipped, n_failed \
                 FROM _scidb_runs ORDER BY run_id DESC",
                &[],
            )
            .context("reading the runs")?
            .into_iter()
            .map(|r| {
                let run_id: i64 = r.get(0)?;
                Ok(RunRow {
                    run_id,
                    function: r.get(1)?,
                    language: r.get(2)?,
                    outputs: json_object(&r.get::<String>(3)?)?,
                    started_at: r.get(4)?,
                    finished_at: r.get(5)?,
                    ran: r.get(6)?,
                    cached: r.get(7)?,
                    skipped: r.get(8)?,
                    failed: r.get(9)?,
                    failures: failures.remove(&run_id).unwrap_or_default(),
                })
            })
            .collect()
        })
    }

    /// Runs one SELECT (or other query) and returns its cells as text,
    /// inside a read-only transaction: a statement that writes fails, and
    /// several statements at once are refused.
    pub fn sql_read_only(&self, sql: &str) -> Result<SqlResult> {
        let sql = sql.trim().trim_end_matches(';').trim_end();
        if sql.is_empty() {
            return Err(Error::invalid("the SQL query is empty"));
        }
        let inner = self.lock();
        let conn = &inner.conn;
        conn.batch(if conn.is_shared() {
            "BEGIN READ ONLY"
        } else {
            "BEGIN TRANSACTION READ ONLY"
        })?;
        let result = conn.query_text(sql);
        let _ = conn.batch("ROLLBACK");
        let (columns, rows) = result.map_err(|e| {
            Error::new(
                e.kind,
                format!("{} (scidb sql runs one read-only query)", e.message),
            )
        })?;
        Ok(SqlResult { columns, rows })
    }
}

/// The preview texts of a variable type's records, shortened.
fn previews(conn: &Conn, variable: &str) -> Result<HashMap<String, Option<String>>> {
    conn.query(
        "SELECT record_id, preview FROM _scidb_records WHERE variable = ?",
        args![variable],
    )?
    .into_iter()
    .map(|r| {
        let text: Option<String> = r.get(1)?;
        Ok((r.get(0)?, text.map(|t| shorten(&t, PREVIEW_CHARS))))
    })
    .collect()
}

/// At most `n` characters, an ellipsis marking a cut.
pub(crate) fn shorten(text: &str, n: usize) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= n {
        return one_line;
    }
    let mut out: String = one_line.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn keys_json(schema_keys: &[String], info: &RecordInfo) -> Json {
    let mut map = serde_json::Map::new();
    for (k, v) in schema_keys.iter().zip(&info.location) {
        if let Some(v) = v {
            map.insert(k.clone(), v.to_json());
        }
    }
    Json::Object(map)
}

fn json_object(text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(format!("stored JSON {text:?}: {e}")))
}
