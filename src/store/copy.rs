//! Moving up: copying a whole database (records with every version,
//! views, lineage, the run log and payload files) into an empty one, say a
//! laptop's DuckDB file into a lab's PostgreSQL catalog, then verifying it
//! record by record.

use super::payload::{Format, PayloadStore};
use super::sql::{Arg, Cell, Conn};
use super::{find, forget, refresh, schema, views, Database, Inner};
use crate::codec::{self, Elsewhere};
use crate::error::{Error, Result, ResultExt};
use crate::hash::content_hash;
use crate::metadata::Query;
use crate::value::Value;
use std::collections::HashSet;

/// What a copy wrote and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// Records (every version of every variable type).
    pub records: usize,
    pub variables: usize,
    /// Payload files copied (content stored once, whatever names it).
    pub payload_files: usize,
    pub payload_bytes: u64,
    /// Rows of `_scidb_calls`, `_scidb_lineage`, `_scidb_lineage_inputs`.
    pub lineage_rows: usize,
    /// Runs in the run log.
    pub runs: usize,
    /// Records whose value was loaded from the copy and hashed to its
    /// content hash, and whose provenance equals the original's.
    pub verified: usize,
}

/// A table copied as it is: its columns, those holding timestamps (read
/// as text, written back as timestamps) marked.
struct PlainTable {
    name: &'static str,
    columns: &'static [(&'static str, bool)],
}

const LINEAGE_TABLES: [PlainTable; 3] = [
    PlainTable {
        name: "_scidb_calls",
        columns: &[
            ("call_key", false),
            ("function_name", false),
            ("language", false),
            ("function_hash", false),
            ("source_hash", false),
            ("function_version", false),
            ("n_outputs", false),
            ("constants", false),
            ("recorded_at", true),
        ],
    },
    PlainTable {
        name: "_scidb_lineage",
        columns: &[
            ("lineage_id", false),
            ("record_id", false),
            ("call_key", false),
            ("output_index", false),
            ("recorded_at", true),
        ],
    },
    PlainTable {
        name: "_scidb_lineage_inputs",
        columns: &[
            ("lineage_id", false),
            ("position", false),
            ("name", false),
            ("record_id", false),
            ("content_hash", false),
        ],
    },
];

const RUN_TABLES: [PlainTable; 2] = [
    PlainTable {
        name: "_scidb_runs",
        columns: &[
            ("run_id", false),
            ("function_name", false),
            ("language", false),
            ("function_hash", false),
            ("outputs", false),
            ("started_at", true),
            ("finished_at", true),
            ("n_ran", false),
            ("n_cached", false),
            ("n_skipped", false),
            ("n_failed", false),
        ],
    },
    PlainTable {
        name: "_scidb_run_log",
        columns: &[
            ("run_id", false),
            ("position", false),
            ("metadata", false),
            ("status", false),
            ("message", false),
            ("record_ids", false),
            ("cache_key", false),
        ],
    },
];

impl Database {
    /// Copies this database into `dst`, which must be empty and have the
    /// same schema keys: every record with its version order, saved time
    /// and payload file, the views, lineage and the run log, in one
    /// transaction on `dst` (payload files are put in place first, as for
    /// any save). Then every record is loaded from `dst`, its content
    /// hash recomputed and its provenance compared with this database's;
    /// any difference is an error.
    pub fn copy_into(&self, dst: &Database) -> Result<CopyReport> {
        if std::ptr::eq(self, dst) {
            return Err(Error::invalid("a database cannot be copied into itself"));
        }
        if self.schema_keys != dst.schema_keys {
            return Err(Error::invalid(format!(
                "{} has schema keys {:?} but {} has {:?}; a copy needs the same keys",
                self.path, self.schema_keys, dst.path, dst.schema_keys
            )));
        }
        let mut report = {
            let src = self.fresh()?;
            refuse_layout_one(&src.conn, &self.path)?;
            let records = record_rows(&src.conn, &self.schema_keys)?;
            let mut report = CopyReport {
                records: records.len(),
                variables: src.signatures.len(),
                ..CopyReport::default()
            };
            let hashes: HashSet<String> = records
                .iter()
                .map(|r| r.get::<String>(3))
                .collect::<Result<_>>()?;
            copy_payload_files(&self.payloads, &dst.payloads, &hashes, &mut report)
                .context(format!("copying the payload files of {}", self.path))?;
            dst.writing(|d| {
                let d: &Inner = d;
                let mut write = || -> Result<()> {
                    ensure_empty(&d.conn, &dst.path)?;
                    insert_records(&d.conn, &dst.schema_keys, &records)?;
                    for (variable, sig) in &src.signatures {
                        views::apply(&d.conn, variable, &dst.schema_keys, None, sig)?;
                        if !sig.columns.is_empty() {
                            self.copy_table_rows(&src, d, variable, sig)?;
                        }
                    }
                    for t in &LINEAGE_TABLES {
                        report.lineage_rows += copy_plain(&src.conn, &d.conn, t)?;
                    }
                    let runs = copy_plain(&src.conn, &d.conn, &RUN_TABLES[0])?;
                    copy_plain(&src.conn, &d.conn, &RUN_TABLES[1])?;
                    report.runs = runs;
                    Ok(())
                };
                super::in_write_transaction(&d.conn, &mut write)
            })
            .context(format!("copying {} into {}", self.path, dst.path))?;
            report
        };
        // The destination's memory of its catalog is read afresh.
        {
            let mut d = dst.lock();
            forget(&mut d);
            refresh(&mut d)?;
        }
        report.verified = self.verify_copy(dst)?;
        Ok(report)
    }

    /// The rows tables (DataFrame cells for the views) of one variable.
    fn copy_table_rows(
        &self,
        src: &Inner,
        d: &Inner,
        variable: &str,
        sig: &views::Signature,
    ) -> Result<()> {
        for info in find::matching(&src.conn, &self.schema_keys, variable, &Query::new(), true)? {
            let blob = info.blob.as_deref().unwrap_or_default();
            // Tables in payload files have no rows in the view (storage.md).
            if codec::stored_elsewhere(blob).map_or(true, |e| !matches!(e, Elsewhere::No)) {
                continue;
            }
            let value = super::payload::decode(
                &src.conn,
                &self.payloads,
                &info.record_id,
                &info.content_hash,
                blob,
            )?;
            if let Value::Table(t) = &value {
                views::insert_rows(&d.conn, variable, &info.record_id, t, sig)?;
            }
        }
        Ok(())
    }

    /// Loads a record and checks its value against its content hash,
    /// whatever `SCIDB_VERIFY_LOADS` says (tables and chunked values are
    /// checked as they are read).
    fn load_verified(&self, record_id: &str) -> Result<()> {
        let inner = self.fresh()?;
        let info = find::by_id(&inner.conn, &self.schema_keys, None, record_id, true)?;
        let blob = info.blob.as_deref().unwrap_or_default();
        let value = super::payload::decode(
            &inner.conn,
            &self.payloads,
            record_id,
            &info.content_hash,
            blob,
        )?;
        if !super::payload::verified_by_decode(blob) && content_hash(&value) != info.content_hash {
            return Err(Error::corrupt(format!(
                "the copy of record {record_id} does not hash to its content hash"
            )));
        }
        Ok(())
    }

    /// Loads every record of `dst`, checks it against this database's:
    /// same records, versions in the same order, values hashing to their
    /// content hashes, equal provenance. Returns how many were checked.
    fn verify_copy(&self, dst: &Database) -> Result<usize> {
        let all = Query::new();
        let mut checked = 0;
        for variable in self.variables()? {
            let ours = self.list_versions(&variable, &all)?;
            let theirs = dst.list_versions(&variable, &all)?;
            let order = |rs: &[super::Record]| -> Vec<(String, String)> {
                rs.iter()
                    .map(|r| (r.info.record_id.clone(), r.info.content_hash.clone()))
                    .collect()
            };
            if order(&ours) != order(&theirs) {
                return Err(Error::corrupt(format!(
                    "the copy of {variable} does not list the same records in the same version order"
                )));
            }
            for r in &ours {
                let id = &r.info.record_id;
                dst.load_verified(id)?;
                let lineage = |db: &Database| -> Result<String> {
                    serde_json::to_string(&db.provenance(id)?)
                        .map_err(|e| Error::invalid(e.to_string()))
                };
                if lineage(self)? != lineage(dst)? {
                    return Err(Error::corrupt(format!(
                        "the copy of record {id} has other provenance than the original"
                    )));
                }
                checked += 1;
            }
        }
        Ok(checked)
    }
}

fn refuse_layout_one(conn: &Conn, path: &str) -> Result<()> {
    let has_rows = |table: &str| -> Result<bool> {
        let exists = conn
            .query_opt(
                "SELECT 1 FROM information_schema.tables WHERE table_name = ? \
                 AND table_schema = current_schema()",
                &[Arg::from(table)],
            )?
            .is_some();
        Ok(exists
            && conn
                .query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])?
                .is_some())
    };
    for t in ["_scidb_values", "_scidb_words"] {
        if has_rows(t)? {
            return Err(Error::invalid(format!(
                "{path} holds values in the layout-1 table {t}, which copy does not move; \
                 load those records and save them again (they then go to payload files) first"
            )));
        }
    }
    Ok(())
}

fn ensure_empty(conn: &Conn, path: &str) -> Result<()> {
    if conn
        .query_opt("SELECT 1 FROM _scidb_records LIMIT 1", &[])?
        .is_some()
    {
        return Err(Error::invalid(format!(
            "{path} already has records; copy into an empty database"
        )));
    }
    Ok(())
}

/// Every record row, oldest version first: record_id, variable, version,
/// content_hash, value, variant, saved_at (text), preview, key columns.
fn record_rows(conn: &Conn, keys: &[String]) -> Result<Vec<super::sql::Row>> {
    let key_cols: String = keys
        .iter()
        .map(|k| format!(", {}", schema::key_column(k)))
        .collect();
    conn.query(
        &format!(
            "SELECT record_id, variable, version, content_hash, value, variant, \
             CAST(saved_at AS VARCHAR), preview{key_cols} FROM _scidb_records ORDER BY version"
        ),
        &[],
    )
}

/// Writes the records with new versions from the destination's sequence,
/// in the original order.
fn insert_records(conn: &Conn, keys: &[String], rows: &[super::sql::Row]) -> Result<()> {
    let key_cols: Vec<String> = keys.iter().map(|k| format!("key_{k}")).collect();
    let mut columns = vec![
        "record_id",
        "variable",
        "version",
        "content_hash",
        "value",
        "variant",
        "saved_at",
        "preview",
    ];
    columns.extend(key_cols.iter().map(String::as_str));
    let mut marks = vec![
        "?",
        "?",
        "nextval('_scidb_version_seq')",
        "?",
        "?",
        "?",
        TIMESTAMP,
        "?",
    ];
    marks.extend(keys.iter().map(|_| "?"));
    // Every selected column but the version (column 2), which is drawn anew.
    let args: Vec<Vec<Arg<'_>>> = rows
        .iter()
        .map(|r| {
            (0..8 + keys.len())
                .filter(|&i| i != 2)
                .map(|i| cell_arg(r.cell(i)))
                .collect()
        })
        .collect();
    conn.insert_values("_scidb_records", &columns, &marks, &args, "")
        .context("copying records")
}

/// A timestamp read as text, written back as a timestamp.
const TIMESTAMP: &str = "CAST(CAST(? AS VARCHAR) AS TIMESTAMP)";

fn cell_arg(c: &Cell) -> Arg<'_> {
    match c {
        Cell::Null => Arg::Null,
        Cell::Int(i) => Arg::Int(*i),
        Cell::Float(f) => Arg::Float(*f),
        Cell::Bool(b) => Arg::Bool(*b),
        Cell::Text(t) => Arg::from(t.as_str()),
        Cell::Blob(b) => Arg::from(b.as_slice()),
    }
}

/// Copies a table row by row, as it is; returns the number of rows.
fn copy_plain(src: &Conn, dst: &Conn, t: &PlainTable) -> Result<usize> {
    let select: Vec<String> = t
        .columns
        .iter()
        .map(|(c, time)| {
            if *time {
                format!("CAST({c} AS VARCHAR)")
            } else {
                c.to_string()
            }
        })
        .collect();
    let rows = src.query(
        &format!("SELECT {} FROM {}", select.join(", "), t.name),
        &[],
    )?;
    let marks: Vec<&str> = t
        .columns
        .iter()
        .map(|(_, time)| if *time { TIMESTAMP } else { "?" })
        .collect();
    let names: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    let args: Vec<Vec<Arg<'_>>> = rows
        .iter()
        .map(|r| (0..t.columns.len()).map(|i| cell_arg(r.cell(i))).collect())
        .collect();
    dst.insert_values(t.name, &names, &marks, &args, "")
        .context(format!("copying {}", t.name))?;
    Ok(rows.len())
}

/// Copies every payload file named by one of `hashes` (each is written,
/// fsynced and renamed into place, as a save does).
fn copy_payload_files(
    src: &PayloadStore,
    dst: &std::sync::Arc<PayloadStore>,
    hashes: &HashSet<String>,
    report: &mut CopyReport,
) -> Result<()> {
    for hash in hashes {
        for format in [Format::Npy, Format::Arrow, Format::Sdv] {
            let from = src.path(hash, format);
            let Ok(mut file) = std::fs::File::open(&from) else {
                continue;
            };
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if !dst.holds(hash, format, Some(len)) {
                let mut temp = dst.temp()?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = std::io::Read::read(&mut file, &mut buf)
                        .map_err(|e| Error::io(format!("reading {}: {e}", from.display())))?;
                    if n == 0 {
                        break;
                    }
                    temp.write_all(&buf[..n])?;
                }
                temp.commit(hash, format)?;
            }
            report.payload_files += 1;
            report.payload_bytes += len;
        }
    }
    Ok(())
}
