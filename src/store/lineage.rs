//! Lineage storage: the calls whose results were saved, the record each
//! output became, and the inputs each saved result was computed from.
//!
//! Tables (see docs/lineage.md): `_scidb_calls` (one row per cache key),
//! `_scidb_lineage` (one row per saved output: record id, cache key,
//! output index) and `_scidb_lineage_inputs` (the inputs of that save,
//! with the record ids they were loaded from). Cache lookups are answered
//! from memory; what is written commits in the transaction of the save.

use super::{find, now, record_id, Batch, Database, Inner};
use crate::error::{Error, Result, ResultExt};
use crate::lineage::{Call, Input};
use crate::metadata::{self, Metadata};
use crate::value::Value;
use duckdb::{params, Connection, OptionalExt};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// A call whose results were saved, as kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct CallEntry {
    n_outputs: u32,
    /// For each output, the records saved as it, oldest first.
    outputs: Vec<Vec<String>>,
}

/// A saved output a cache lookup found.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedOutput {
    pub record_id: String,
    pub content_hash: String,
}

/// One output of a call to save.
pub struct OutputSave<'a> {
    /// Which output of the call (0 for the first).
    pub index: u32,
    pub variable: &'a str,
    /// The caller's metadata; the call's constants are added to it.
    pub metadata: Metadata,
    /// The value; None saves the output a cache lookup of the call finds
    /// (a cache hit saved again, perhaps under another type or metadata).
    pub value: Option<&'a Value>,
}

/// The outputs of one call to save.
pub struct CallOutputs<'a> {
    pub call: &'a Call,
    pub outputs: Vec<OutputSave<'a>>,
}

pub(crate) fn create_tables(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _scidb_calls (
            call_key VARCHAR NOT NULL,
            function_name VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            function_hash VARCHAR NOT NULL,
            source_hash VARCHAR,
            function_version VARCHAR,
            n_outputs INTEGER NOT NULL,
            constants VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL);
        CREATE TABLE IF NOT EXISTS _scidb_lineage (
            lineage_id BIGINT NOT NULL,
            record_id VARCHAR NOT NULL,
            call_key VARCHAR NOT NULL,
            output_index INTEGER NOT NULL,
            recorded_at TIMESTAMP NOT NULL);
        CREATE TABLE IF NOT EXISTS _scidb_lineage_inputs (
            lineage_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            record_id VARCHAR,
            content_hash VARCHAR NOT NULL);",
    )
    .context("creating the lineage tables")
}

/// The saved calls, and the id the next lineage row gets.
pub(crate) fn load_calls(conn: &Connection) -> Result<(HashMap<String, CallEntry>, i64)> {
    let mut calls = HashMap::new();
    let mut stmt = conn.prepare("SELECT call_key, n_outputs FROM _scidb_calls")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (key, n) = row?;
        calls.insert(
            key,
            CallEntry {
                n_outputs: n,
                outputs: vec![Vec::new(); n as usize],
            },
        );
    }
    let mut stmt = conn.prepare(
        "SELECT call_key, output_index, record_id, lineage_id FROM _scidb_lineage \
         ORDER BY lineage_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut next_id = 1;
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let index: u32 = r.get(1)?;
        let slot = calls
            .get_mut(&key)
            .and_then(|c| c.outputs.get_mut(index as usize))
            .ok_or_else(|| Error::corrupt(format!("lineage names an unknown call {key}")))?;
        slot.push(r.get(2)?);
        next_id = r.get::<_, i64>(3)? + 1;
    }
    Ok((calls, next_id))
}

/// What a batch adds to the lineage tables: calls seen for the first time,
/// and a row for each output not yet recorded as coming from its call.
struct LineagePlan<'a> {
    calls: Vec<(&'a str, &'a Call)>,
    rows: Vec<LineageRow<'a>>,
    next_id: i64,
}

fn plan_lineage<'a>(
    inner: &Inner,
    batch: &'a [CallOutputs<'a>],
    keys: &'a [String],
    record_ids: &'a [Vec<String>],
) -> LineagePlan<'a> {
    let mut plan = LineagePlan {
        calls: Vec::new(),
        rows: Vec::new(),
        next_id: inner.next_lineage_id,
    };
    // What the batch itself adds, for the checks of later items.
    let mut new_calls: HashSet<&str> = HashSet::new();
    let mut new_rows: HashSet<(&str, u32, &str)> = HashSet::new();
    for ((c, key), ids) in batch.iter().zip(keys).zip(record_ids) {
        let key = key.as_str();
        let known = inner.calls.get(key);
        if known.is_none() && new_calls.insert(key) {
            plan.calls.push((key, c.call));
        }
        for (out, id) in c.outputs.iter().zip(ids) {
            let recorded = known
                .and_then(|e| e.outputs.get(out.index as usize))
                .is_some_and(|ids| ids.contains(id));
            if !recorded && new_rows.insert((key, out.index, id.as_str())) {
                plan.rows.push(LineageRow {
                    id: plan.next_id,
                    record_id: id.clone(),
                    key,
                    index: out.index,
                    inputs: c.call.inputs(),
                });
                plan.next_id += 1;
            }
        }
    }
    plan
}

impl LineagePlan<'_> {
    /// Lets the in-memory cache see what was committed.
    fn remember(self, inner: &mut Inner) {
        for (key, call) in self.calls {
            let n = call.output_count().unwrap_or(1);
            inner.calls.insert(
                key.to_string(),
                CallEntry {
                    n_outputs: n,
                    outputs: vec![Vec::new(); n as usize],
                },
            );
        }
        for r in self.rows {
            if let Some(slot) = inner
                .calls
                .get_mut(r.key)
                .and_then(|e| e.outputs.get_mut(r.index as usize))
            {
                slot.push(r.record_id);
            }
        }
        inner.next_lineage_id = self.next_id;
    }
}

/// A lineage row to write: output `index` of call `key` was saved as `record_id`.
struct LineageRow<'a> {
    id: i64,
    record_id: String,
    key: &'a str,
    index: u32,
    inputs: &'a [Input],
}

impl Database {
    /// The content hash of a saved record.
    pub fn record_hash(&self, record_id: &str) -> Result<String> {
        self.lock()
            .records
            .get(record_id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no record has id '{record_id}'")))
    }

    /// Looks calls up in the cache. For each call: its saved outputs (the
    /// newest record of each) when every output has been saved, else None.
    pub fn lookup(&self, calls: &[&Call]) -> Vec<Option<Vec<CachedOutput>>> {
        let keys: Vec<String> = calls.iter().map(|c| c.key()).collect();
        let inner = self.lock();
        keys.iter().map(|k| cached_outputs(&inner, k)).collect()
    }

    /// Saves the outputs of calls, with their lineage, in one transaction:
    /// either everything is saved or nothing. The call's constants are
    /// added to each output's metadata (as variant keys); metadata that
    /// contradicts a constant is an error. Returns the record ids, per
    /// call and output. Saving what a cache hit returned under metadata it
    /// was already saved with writes nothing.
    pub fn save_outputs(&self, batch: &[CallOutputs<'_>]) -> Result<Vec<Vec<String>>> {
        let keys: Vec<String> = batch.iter().map(|c| c.call.key()).collect();
        let mut inner = self.lock();
        // Outputs given without a value are cache hits: find the records.
        let mut sources: Vec<Vec<Option<(String, String)>>> = Vec::new();
        let mut metas: Vec<Vec<Metadata>> = Vec::new();
        for (c, key) in batch.iter().zip(&keys) {
            check_outputs(&inner, c, key)?;
            let mut call_sources = Vec::new();
            let mut call_metas = Vec::new();
            for out in &c.outputs {
                call_metas.push(with_constants(&out.metadata, c.call)?);
                call_sources.push(match out.value {
                    Some(_) => None,
                    None => Some(cached_output(
                        &inner,
                        key,
                        out.index,
                        &c.call.function.name,
                    )?),
                });
            }
            sources.push(call_sources);
            metas.push(call_metas);
        }
        // Values of cache hits that must be stored anew (another variable
        // type or metadata) are loaded first: the batch borrows them.
        let mut loaded: HashMap<(usize, usize), Value> = HashMap::new();
        for (ci, c) in batch.iter().enumerate() {
            for (oi, out) in c.outputs.iter().enumerate() {
                if let Some((source, hash)) = &sources[ci][oi] {
                    let target = self.target_id(out.variable, &metas[ci][oi], hash)?;
                    if !inner.records.contains_key(&target) {
                        loaded.insert((ci, oi), self.load_value(&inner.conn, source)?);
                    }
                }
            }
        }
        let mut plan = Batch::default();
        // Cache hits saved where they already are: one version check for all.
        let mut existing: Vec<String> = Vec::new();
        for (ci, c) in batch.iter().enumerate() {
            for (oi, out) in c.outputs.iter().enumerate() {
                if let (None, Some((_, hash))) = (out.value, &sources[ci][oi]) {
                    let target = self.target_id(out.variable, &metas[ci][oi], hash)?;
                    if inner.records.contains_key(&target) {
                        existing.push(target);
                    }
                }
            }
        }
        let existing: Vec<&str> = existing.iter().map(String::as_str).collect();
        self.check_newer(&inner, &mut plan, &existing)?;
        let mut record_ids = Vec::with_capacity(batch.len());
        for (ci, c) in batch.iter().enumerate() {
            let mut ids = Vec::with_capacity(c.outputs.len());
            for (oi, out) in c.outputs.iter().enumerate() {
                let meta = metas[ci][oi].clone();
                let value = out.value.or_else(|| loaded.get(&(ci, oi)));
                let id = match (value, &sources[ci][oi]) {
                    (Some(v), _) => {
                        let p = self.prepare(out.variable, meta, v)?;
                        let id = p.record_id.clone();
                        self.plan_record(&inner, &mut plan, p)?;
                        id
                    }
                    (None, Some((_, hash))) => {
                        let id = self.target_id(out.variable, &meta, hash)?;
                        self.plan_existing(&inner, &mut plan, &id)?;
                        id
                    }
                    (None, None) => {
                        return Err(Error::corrupt("an output has neither a value nor a source"))
                    }
                };
                ids.push(id);
            }
            record_ids.push(ids);
        }
        let lineage = plan_lineage(&inner, batch, &keys, &record_ids);
        plan.lineage_writes = lineage.calls.len() + lineage.rows.len();
        self.commit(&mut inner, plan, |conn| append_lineage(conn, &lineage))
            .context("saving with lineage")?;
        lineage.remember(&mut inner);
        Ok(record_ids)
    }

    /// The record id a value with this hash gets under a type and metadata.
    fn target_id(&self, variable: &str, meta: &Metadata, hash: &str) -> Result<String> {
        metadata::validate_identifier("variable type", variable)?;
        Ok(record_id(variable, &metadata::to_json_object(meta), hash))
    }

    fn load_value(&self, conn: &Connection, id: &str) -> Result<Value> {
        let info = find::by_id(conn, &self.schema_keys, None, id, true)?;
        self.with_values(conn, vec![info])?
            .pop()
            .and_then(|r| r.value)
            .ok_or_else(|| Error::corrupt(format!("record {id} was read without its value")))
    }

    /// What produced a record: None when it was saved without lineage.
    pub fn provenance(&self, record_id: &str) -> Result<Option<Provenance>> {
        let inner = self.lock();
        self.provenance_of(&inner, record_id)
    }

    /// The provenance of a record and, recursively, of every saved input
    /// it was computed from: one step per record with lineage, the record
    /// first, then breadth-first upstream, each record once.
    pub fn upstream_provenance(&self, record_id: &str) -> Result<Vec<Provenance>> {
        let inner = self.lock();
        let mut steps: Vec<Provenance> = Vec::new();
        let mut queue = std::collections::VecDeque::from([record_id.to_string()]);
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            // Records without lineage (raw data) end the walk.
            if let Some(step) = self.provenance_of(&inner, &id)? {
                queue.extend(step.inputs.iter().filter_map(|i| i.record_id.clone()));
                steps.push(step);
            }
        }
        Ok(steps)
    }

    fn provenance_of(&self, inner: &Inner, record_id: &str) -> Result<Option<Provenance>> {
        let conn = &inner.conn;
        let info = find::by_id(conn, &self.schema_keys, None, record_id, false)?;
        let row = conn
            .prepare_cached(
                "SELECT l.lineage_id, l.call_key, l.output_index, CAST(l.recorded_at AS VARCHAR), \
                 c.function_name, c.language, c.function_hash, c.source_hash, \
                 c.function_version, c.n_outputs, c.constants \
                 FROM _scidb_lineage l JOIN _scidb_calls c ON c.call_key = l.call_key \
                 WHERE l.record_id = ? ORDER BY l.lineage_id DESC LIMIT 1",
            )?
            .query_row([record_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Provenance {
                        record_id: record_id.to_string(),
                        variable: info.variable.clone(),
                        metadata: Json::Null,
                        cache_key: r.get(1)?,
                        output_index: r.get(2)?,
                        recorded_at: r.get(3)?,
                        function_name: r.get(4)?,
                        language: r.get(5)?,
                        function_hash: r.get(6)?,
                        source_hash: r.get(7)?,
                        function_version: r.get(8)?,
                        n_outputs: r.get(9)?,
                        constants: Constants(Vec::new()),
                        inputs: Vec::new(),
                    },
                    r.get::<_, String>(10)?,
                ))
            })
            .optional()
            .context(format!("reading the lineage of {record_id}"))?;
        let Some((lineage_id, mut p, constants)) = row else {
            return Ok(None);
        };
        p.metadata =
            serde_json::from_str(&metadata::to_json_object(&info.metadata(&self.schema_keys)))
                .map_err(|e| Error::corrupt(format!("metadata of {record_id}: {e}")))?;
        p.constants = Constants(
            serde_json::from_str(&constants)
                .map_err(|e| Error::corrupt(format!("constants of {record_id}: {e}")))?,
        );
        let mut stmt = conn.prepare_cached(
            "SELECT i.name, i.record_id, i.content_hash, r.variable \
             FROM _scidb_lineage_inputs i LEFT JOIN _scidb_records r ON r.record_id = i.record_id \
             WHERE i.lineage_id = ? ORDER BY i.position",
        )?;
        let mut rows = stmt.query([lineage_id])?;
        while let Some(r) = rows.next()? {
            p.inputs.push(ProvenanceInput {
                name: r.get(0)?,
                record_id: r.get(1)?,
                content_hash: r.get(2)?,
                variable: r.get(3)?,
            });
        }
        Ok(Some(p))
    }
}

/// The outputs of a complete cache entry.
fn cached_outputs(inner: &Inner, key: &str) -> Option<Vec<CachedOutput>> {
    let entry = inner.calls.get(key)?;
    entry
        .outputs
        .iter()
        .map(|ids| {
            let id = ids.last()?;
            Some(CachedOutput {
                record_id: id.clone(),
                content_hash: inner.records.get(id)?.clone(),
            })
        })
        .collect()
}

/// The record and hash of one saved output of a call (for saving a cache
/// hit again without its value).
fn cached_output(inner: &Inner, key: &str, index: u32, name: &str) -> Result<(String, String)> {
    inner
        .calls
        .get(key)
        .and_then(|e| e.outputs.get(index as usize))
        .and_then(|ids| ids.last())
        .and_then(|id| Some((id.clone(), inner.records.get(id)?.clone())))
        .ok_or_else(|| {
            Error::not_found(format!(
                "output {index} of this call of {name} has not been saved: give its value"
            ))
        })
}

/// Checks output indices against the call's output count, and against the
/// count recorded when its results were first saved.
fn check_outputs(inner: &Inner, c: &CallOutputs<'_>, key: &str) -> Result<()> {
    let name = &c.call.function.name;
    let n = c.call.output_count().ok_or_else(|| {
        Error::invalid(format!(
            "the number of outputs of this call of {name} is not known yet: set it before saving"
        ))
    })?;
    if let Some(e) = inner.calls.get(key) {
        if e.n_outputs != n {
            return Err(Error::invalid(format!(
                "this call of {name} was saved before with {} outputs, now with {n}; \
                 a function must return the same number of outputs for the same inputs",
                e.n_outputs
            )));
        }
    }
    for (i, out) in c.outputs.iter().enumerate() {
        if out.index >= n {
            return Err(Error::invalid(format!(
                "output {} of {name} does not exist: the call has {n} outputs",
                out.index
            )));
        }
        if c.outputs[..i].iter().any(|o| o.index == out.index) {
            return Err(Error::invalid(format!(
                "output {} of {name} is given twice",
                out.index
            )));
        }
    }
    Ok(())
}

/// The caller's metadata with the call's constants added as keys.
fn with_constants(meta: &Metadata, call: &Call) -> Result<Metadata> {
    let mut out = meta.clone();
    for (k, v) in call.constants() {
        match out.get(k) {
            Some(given) if given != v => {
                return Err(Error::invalid(format!(
                    "metadata {k}={given} contradicts the constant {k}={v} the result was \
                     computed with"
                )))
            }
            Some(_) => {}
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(out)
}

/// Writes a batch's new calls, lineage rows and their inputs with
/// appenders (row-at-a-time INSERTs cost far more in DuckDB).
fn append_lineage(conn: &Connection, plan: &LineagePlan<'_>) -> Result<()> {
    if !plan.calls.is_empty() {
        let mut app = conn.appender("_scidb_calls")?;
        for (key, call) in &plan.calls {
            let f = &call.function;
            let constants: Vec<(&str, Json)> = call
                .constants()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_json()))
                .collect();
            let constants =
                serde_json::to_string(&constants).map_err(|e| Error::invalid(e.to_string()))?;
            app.append_row(params![
                key,
                f.name,
                f.language,
                f.hash(),
                f.source_hash,
                f.version,
                call.output_count().unwrap_or(1),
                constants,
                now(),
            ])
            .context(format!("recording the call of {}", f.name))?;
        }
        app.flush().context("recording calls")?;
    }
    if !plan.rows.is_empty() {
        let mut app = conn.appender("_scidb_lineage")?;
        for r in &plan.rows {
            app.append_row(params![r.id, r.record_id, r.key, r.index, now()])
                .context("recording lineage")?;
        }
        app.flush().context("recording lineage")?;
        let mut app = conn.appender("_scidb_lineage_inputs")?;
        for r in &plan.rows {
            for (pos, i) in r.inputs.iter().enumerate() {
                app.append_row(params![
                    r.id,
                    pos as i32,
                    i.name,
                    i.record_id,
                    i.content_hash
                ])
                .context(format!("recording input '{}'", i.name))?;
            }
        }
        app.flush().context("recording lineage inputs")?;
    }
    Ok(())
}

/// What produced a record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provenance {
    pub record_id: String,
    pub variable: String,
    /// The record's metadata (constants included), a JSON object.
    pub metadata: Json,
    pub function_name: String,
    /// The identity hash: the version's when one was given, else the source's.
    pub function_hash: String,
    pub language: String,
    pub source_hash: Option<String>,
    pub function_version: Option<String>,
    pub cache_key: String,
    pub output_index: u32,
    pub n_outputs: u32,
    pub constants: Constants,
    pub inputs: Vec<ProvenanceInput>,
    pub recorded_at: String,
}

/// A call's constants, in the order they were given.
#[derive(Debug, Clone)]
pub struct Constants(pub Vec<(String, Json)>);

impl Serialize for Constants {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Constants {
    /// The value of constant `name`.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// One input of a saved result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProvenanceInput {
    /// The parameter name.
    pub name: String,
    /// The variable type of the record, when the input was a saved record.
    pub variable: Option<String>,
    pub record_id: Option<String>,
    pub content_hash: String,
}
