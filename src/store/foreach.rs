//! What `for_each` needs from the store: the candidate input records of a
//! variable type without their values, values of many records in one
//! query, and the run log (see docs/foreach.md).

use super::sql::{args, now, Arg, Conn};
use super::{find, payload, Database, RecordInfo};
use crate::error::{Error, Result, ResultExt};
use crate::metadata::Query;
use crate::value::Value;
use std::collections::HashMap;

/// Ids per value query: keeps the statement's parameter list small.
const IDS_PER_QUERY: usize = 1000;

/// One iteration's outcome, as written to `_scidb_run_log`.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub position: u64,
    /// The combination's metadata, a JSON object.
    pub metadata_json: String,
    /// "ran", "cached", "skipped" or "failed".
    pub status: &'static str,
    /// Why it was skipped, or the error text of a failure.
    pub message: Option<String>,
    /// The saved output records, a JSON list (empty when none).
    pub record_ids_json: String,
    pub cache_key: Option<String>,
}

/// A run, as written to `_scidb_runs`.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub function_name: String,
    pub language: String,
    pub function_hash: String,
    /// The output variable types, a JSON list.
    pub outputs_json: String,
    /// Microseconds since the Unix epoch.
    pub started_at_us: i64,
    pub counts: [u64; 4],
}

pub(crate) fn create_tables(conn: &Conn) -> Result<()> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS _scidb_runs (
            run_id BIGINT NOT NULL,
            function_name VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            function_hash VARCHAR NOT NULL,
            outputs VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP NOT NULL,
            n_ran BIGINT NOT NULL,
            n_cached BIGINT NOT NULL,
            n_skipped BIGINT NOT NULL,
            n_failed BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS _scidb_run_log (
            run_id BIGINT NOT NULL,
            position BIGINT NOT NULL,
            metadata VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            message VARCHAR,
            record_ids VARCHAR NOT NULL,
            cache_key VARCHAR);",
    )
    .context("creating the run log tables")
}

impl Database {
    /// The newest record of every location and variant of `variable`
    /// matching `query`, without values; none when the type has no records.
    pub fn candidates(&self, variable: &str, query: &Query) -> Result<Vec<RecordInfo>> {
        let inner = self.fresh()?;
        if !inner.signatures.contains_key(variable) {
            return Ok(Vec::new());
        }
        let all = find::matching(&inner.conn, &self.schema_keys, variable, query, false)?;
        Ok(find::newest_per_variant(all))
    }

    /// The values of records by id, read in a few queries.
    pub fn values_by_id(&self, ids: &[&str]) -> Result<HashMap<String, Value>> {
        let inner = self.lock();
        let conn = &inner.conn;
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT record_id, content_hash, value FROM _scidb_records \
                 WHERE record_id IN ({marks})"
            );
            let ids: Vec<Arg<'_>> = chunk.iter().map(|id| Arg::from(*id)).collect();
            for mut r in conn.query(&sql, &ids)? {
                let id: String = r.get(0)?;
                let hash: String = r.get(1)?;
                let blob: Vec<u8> = r.take(2)?;
                let value = payload::decode(conn, &self.payloads, &id, &hash, &blob)?;
                out.insert(id, value);
            }
        }
        if let Some(missing) = ids.iter().find(|id| !out.contains_key(**id)) {
            return Err(Error::not_found(format!("no record has id '{missing}'")));
        }
        Ok(out)
    }

    /// Writes a run and its iterations in one transaction; returns the
    /// run's id (one more than the largest so far).
    pub fn write_run_log(&self, run: &RunRow, rows: &[LogRow]) -> Result<i64> {
        self.writing_runs(|conn| {
            let write = || {
                // Numbered under the run log's lock on a shared catalog.
                let run_id: i64 = conn
                    .query_one("SELECT coalesce(max(run_id), 0) + 1 FROM _scidb_runs", &[])
                    .and_then(|r| r.get(0))
                    .context("numbering the run")?;
                let c = run.counts;
                conn.execute(
                    "INSERT INTO _scidb_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        Arg::from(run_id),
                        Arg::from(&run.function_name),
                        Arg::from(&run.language),
                        Arg::from(&run.function_hash),
                        Arg::from(&run.outputs_json),
                        Arg::Time(run.started_at_us),
                        now(),
                        Arg::Int(c[0] as i64),
                        Arg::Int(c[1] as i64),
                        Arg::Int(c[2] as i64),
                        Arg::Int(c[3] as i64),
                    ],
                )
                .context("recording the run")?;
                let log: Vec<Vec<Arg<'_>>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            Arg::from(run_id),
                            Arg::Int(r.position as i64),
                            Arg::from(&r.metadata_json),
                            Arg::from(r.status),
                            Arg::from(r.message.as_ref()),
                            Arg::from(&r.record_ids_json),
                            Arg::from(r.cache_key.as_ref()),
                        ]
                    })
                    .collect();
                conn.append(
                    "_scidb_run_log",
                    &[
                        "run_id",
                        "position",
                        "metadata",
                        "status",
                        "message",
                        "record_ids",
                        "cache_key",
                    ],
                    &log,
                )
                .context("recording the run log")?;
                Ok(run_id)
            };
            super::in_write_transaction(conn, write)
        })
    }

    /// The run log as JSON: the iterations of run `run_id` (0: the latest
    /// run), a list of objects with `run_id`, `position`, `metadata`,
    /// `status`, `message`, `record_ids`, `cache_key`.
    pub fn run_log_json(&self, run_id: i64) -> Result<String> {
        let inner = self.lock();
        let conn = &inner.conn;
        let run_id: i64 = if run_id > 0 {
            run_id
        } else {
            conn.query_one("SELECT coalesce(max(run_id), 0) FROM _scidb_runs", &[])?
                .get(0)?
        };
        let rows = conn.query(
            "SELECT position, metadata, status, message, record_ids, cache_key \
             FROM _scidb_run_log WHERE run_id = ? ORDER BY position",
            args![run_id],
        )?;
        let mut out = Vec::new();
        let parse = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| Error::corrupt(format!("run log of run {run_id}: {e}")))
        };
        for r in rows {
            let meta: String = r.get(1)?;
            let ids: String = r.get(4)?;
            out.push(serde_json::json!({
                "run_id": run_id,
                "position": r.get::<i64>(0)?,
                "metadata": parse(&meta)?,
                "status": r.get::<String>(2)?,
                "message": r.get::<Option<String>>(3)?,
                "record_ids": parse(&ids)?,
                "cache_key": r.get::<Option<String>>(5)?,
            }));
        }
        Ok(serde_json::Value::Array(out).to_string())
    }
}
