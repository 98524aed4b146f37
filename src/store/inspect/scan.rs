//! One read of the catalog that the whole-database listings share: every
//! record (which are the newest of their location and variant) and the
//! lineage of the newest ones, each in one query.

use super::super::schema::key_column;
use super::super::sql::Conn;
use crate::error::{Error, Result, ResultExt};
use crate::metadata::{self, MetaValue};
use serde_json::Value as Json;
use std::collections::HashMap;

/// A record as the scan sees it.
pub(super) struct Rec {
    pub id: String,
    pub variable: String,
    pub version: i64,
    /// Canonical JSON of each schema-key value, in schema order.
    pub location: Vec<Option<String>>,
    /// Canonical JSON of the variant (the other metadata).
    pub variant: String,
    pub content_hash: String,
    /// Bytes of its value blob in the catalog.
    pub blob_len: i64,
    /// Whether no newer record shares its variable, location and variant.
    pub newest: bool,
}

impl Rec {
    /// The record's metadata (schema keys and variant) as a JSON object.
    pub fn metadata_json(&self, schema_keys: &[String]) -> Result<Json> {
        let mut meta = metadata::from_json_object(&self.variant)?;
        for (k, v) in schema_keys.iter().zip(&self.location) {
            if let Some(v) = v {
                meta.insert(k.clone(), MetaValue::parse_canonical(v)?);
            }
        }
        serde_json::from_str(&metadata::to_json_object(&meta))
            .map_err(|e| Error::corrupt(format!("metadata of record {}: {e}", self.id)))
    }
}

/// Every record, and which is which by id.
pub(super) struct Records {
    pub all: Vec<Rec>,
    pub by_id: HashMap<String, usize>,
}

impl Records {
    pub fn get(&self, id: &str) -> Option<&Rec> {
        self.by_id.get(id).map(|&i| &self.all[i])
    }
}

/// Reads every record without its value.
pub(super) fn records(conn: &Conn, schema_keys: &[String]) -> Result<Records> {
    let keys: String = schema_keys
        .iter()
        .map(|k| format!(", {}", key_column(k)))
        .collect();
    let sql = format!(
        "SELECT record_id, variable, version, variant, content_hash, \
         CAST(octet_length(value) AS BIGINT){keys} FROM _scidb_records"
    );
    let rows = conn.query(&sql, &[]).context("reading the records")?;
    let mut all = Vec::with_capacity(rows.len());
    for r in rows {
        let mut location = Vec::with_capacity(schema_keys.len());
        for i in 0..schema_keys.len() {
            location.push(r.get::<Option<String>>(6 + i)?);
        }
        all.push(Rec {
            id: r.get(0)?,
            variable: r.get(1)?,
            version: r.get(2)?,
            variant: r.get(3)?,
            content_hash: r.get(4)?,
            blob_len: r.get(5)?,
            location,
            newest: false,
        });
    }
    mark_newest(&mut all);
    let by_id = all
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    Ok(Records { all, by_id })
}

/// Marks the newest record of each variable, location and variant.
fn mark_newest(all: &mut [Rec]) {
    let mut newest: HashMap<(&str, &[Option<String>], &str), usize> = HashMap::new();
    for (i, r) in all.iter().enumerate() {
        let slot = (
            r.variable.as_str(),
            r.location.as_slice(),
            r.variant.as_str(),
        );
        match newest.get(&slot) {
            Some(&j) if all[j].version >= r.version => {}
            _ => {
                newest.insert(slot, i);
            }
        }
    }
    let chosen: Vec<usize> = newest.into_values().collect();
    for i in chosen {
        all[i].newest = true;
    }
}

/// The lineage of one saved output: its call and inputs.
pub(super) struct Made {
    pub function_name: String,
    pub language: String,
    pub function_hash: String,
    pub output_index: u32,
    pub n_outputs: u32,
    /// The call's constants, in the order given: name and JSON text.
    pub constants: Vec<(String, String)>,
    pub inputs: Vec<MadeInput>,
}

/// One input of a saved output.
pub(super) struct MadeInput {
    pub name: String,
    pub record_id: Option<String>,
}

/// The newest lineage of each record that has lineage, by record id.
pub(super) fn lineage(conn: &Conn) -> Result<HashMap<String, Made>> {
    let rows = conn
        .query(
            "SELECT l.lineage_id, l.record_id, l.output_index, c.n_outputs, c.function_name, \
             c.language, c.function_hash, c.constants \
             FROM _scidb_lineage l JOIN _scidb_calls c ON c.call_key = l.call_key",
            &[],
        )
        .context("reading the lineage")?;
    // A record saved again by another call keeps its newest lineage.
    let mut chosen: HashMap<String, (i64, Made)> = HashMap::with_capacity(rows.len());
    for r in rows {
        let lineage_id: i64 = r.get(0)?;
        let record_id: String = r.get(1)?;
        if chosen
            .get(&record_id)
            .is_some_and(|(id, _)| *id > lineage_id)
        {
            continue;
        }
        let constants: String = r.get(7)?;
        let constants: Vec<(String, Json)> = serde_json::from_str(&constants)
            .map_err(|e| Error::corrupt(format!("constants of record {record_id}: {e}")))?;
        let made = Made {
            output_index: r.get(2)?,
            n_outputs: r.get(3)?,
            function_name: r.get(4)?,
            language: r.get(5)?,
            function_hash: r.get(6)?,
            constants: constants
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            inputs: Vec::new(),
        };
        chosen.insert(record_id, (lineage_id, made));
    }
    let wanted: HashMap<i64, String> = chosen
        .iter()
        .map(|(rid, (lid, _))| (*lid, rid.clone()))
        .collect();
    let rows = conn
        .query(
            "SELECT lineage_id, position, name, record_id FROM _scidb_lineage_inputs",
            &[],
        )
        .context("reading the lineage inputs")?;
    let mut inputs: HashMap<&str, Vec<(i64, MadeInput)>> = HashMap::new();
    for r in rows {
        let Some(rid) = wanted.get(&r.get::<i64>(0)?) else {
            continue;
        };
        inputs.entry(rid.as_str()).or_default().push((
            r.get(1)?,
            MadeInput {
                name: r.get(2)?,
                record_id: r.get(3)?,
            },
        ));
    }
    let mut out: HashMap<String, Made> = HashMap::with_capacity(chosen.len());
    let mut inputs: HashMap<String, Vec<(i64, MadeInput)>> = inputs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (rid, (_, mut made)) in chosen {
        if let Some(mut list) = inputs.remove(&rid) {
            list.sort_by_key(|(pos, _)| *pos);
            made.inputs = list.into_iter().map(|(_, i)| i).collect();
        }
        out.insert(rid, made);
    }
    Ok(out)
}
