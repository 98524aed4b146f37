//! `check`: reads every record's value (every version), recomputes its
//! content hash and compares it with the stored one, and checks that the
//! lineage names records and calls that exist, with the inputs' hashes.

use super::super::sql::{Arg, Conn};
use super::super::{payload, verify_content, RecordInfo};
use super::scan;
use crate::error::Result;
use crate::store::Database;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Records whose values one query reads.
const VALUES_PER_QUERY: usize = 256;

/// What `check` found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckReport {
    /// Records read.
    pub records: u64,
    /// Records whose value was read and hashed to its content hash.
    pub verified: u64,
    /// Lineage rows checked.
    pub lineage_rows: u64,
    pub problems: Vec<Problem>,
}

/// One problem: the record concerned and what is wrong.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub record_id: String,
    pub variable: Option<String>,
    pub problem: String,
}

impl Database {
    /// Checks every record and lineage link; problems are reported, not
    /// raised (a catalog that cannot be read at all is an error).
    pub fn check(&self) -> Result<CheckReport> {
        let inner = self.fresh()?;
        let conn = &inner.conn;
        super::snapshot(conn, || {
            let records = scan::records(conn, &self.schema_keys)?;
            let mut report = CheckReport {
                records: records.all.len() as u64,
                verified: 0,
                lineage_rows: 0,
                problems: Vec::new(),
            };
            let ids: Vec<&str> = records.all.iter().map(|r| r.id.as_str()).collect();
            for chunk in ids.chunks(VALUES_PER_QUERY) {
                self.check_values(conn, &records, chunk, &mut report)?;
            }
            check_lineage(conn, &records, &mut report)?;
            Ok(report)
        })
    }

    fn check_values(
        &self,
        conn: &Conn,
        records: &scan::Records,
        ids: &[&str],
        report: &mut CheckReport,
    ) -> Result<()> {
        let marks = vec!["?"; ids.len()].join(", ");
        let sql =
            format!("SELECT record_id, value FROM _scidb_records WHERE record_id IN ({marks})");
        let args: Vec<Arg<'_>> = ids.iter().map(|id| Arg::from(*id)).collect();
        for mut row in conn.query(&sql, &args)? {
            let id: String = row.get(0)?;
            let blob: Vec<u8> = row.take(1)?;
            let Some(rec) = records.get(&id) else {
                continue;
            };
            let outcome = payload::decode(conn, &self.payloads, &id, &rec.content_hash, &blob)
                .and_then(|value| {
                    if payload::verified_by_decode(&blob) {
                        return Ok(());
                    }
                    let info = RecordInfo {
                        record_id: id.clone(),
                        variable: rec.variable.clone(),
                        version: rec.version,
                        content_hash: rec.content_hash.clone(),
                        saved_at: String::new(),
                        location: Vec::new(),
                        variant_json: rec.variant.clone(),
                        variant: Default::default(),
                        blob: None,
                    };
                    verify_content(&info, &value)
                });
            match outcome {
                Ok(()) => report.verified += 1,
                Err(e) => report.problems.push(Problem {
                    record_id: id.clone(),
                    variable: Some(rec.variable.clone()),
                    problem: e.message,
                }),
            }
        }
        Ok(())
    }
}

/// Every lineage row must name a saved record and a recorded call, and
/// every input record must exist with the hash the lineage recorded.
fn check_lineage(conn: &Conn, records: &scan::Records, report: &mut CheckReport) -> Result<()> {
    let calls: HashSet<String> = conn
        .query("SELECT call_key FROM _scidb_calls", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    let mut outputs: HashMap<i64, String> = HashMap::new();
    for r in conn.query(
        "SELECT lineage_id, record_id, call_key FROM _scidb_lineage",
        &[],
    )? {
        let (lineage_id, record_id, call_key): (i64, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        report.lineage_rows += 1;
        let variable = records.get(&record_id).map(|r| r.variable.clone());
        if variable.is_none() {
            report.problems.push(Problem {
                record_id: record_id.clone(),
                variable: None,
                problem: format!("lineage row {lineage_id} names a record that does not exist"),
            });
        }
        if !calls.contains(&call_key) {
            report.problems.push(Problem {
                record_id: record_id.clone(),
                variable,
                problem: format!("its lineage names call {call_key}, which is not recorded"),
            });
        }
        outputs.insert(lineage_id, record_id);
    }
    for r in conn.query(
        "SELECT lineage_id, name, record_id, content_hash FROM _scidb_lineage_inputs \
         WHERE record_id IS NOT NULL",
        &[],
    )? {
        let (lineage_id, name, input_id, hash): (i64, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let output = outputs.get(&lineage_id);
        let problem = match records.get(&input_id) {
            None => format!("its input '{name}' names record {input_id}, which does not exist"),
            Some(rec) if rec.content_hash != hash => format!(
                "its input '{name}' (record {input_id}) has content hash {}, not {hash} as \
                 the lineage recorded",
                rec.content_hash
            ),
            Some(_) => continue,
        };
        let record_id = match output {
            Some(id) => id.clone(),
            None => format!("(lineage row {lineage_id})"),
        };
        report.problems.push(Problem {
            variable: records.get(&record_id).map(|r| r.variable.clone()),
            record_id,
            problem,
        });
    }
    Ok(())
}
