//! Lineage storage: the calls whose results were saved, the record each
//! output became, and the inputs each saved result was computed from.
//!
//! Tables (see docs/lineage.md): `_scidb_calls` (one row per cache key),
//! `_scidb_lineage` (one row per saved output: record id, cache key,
//! output index) and `_scidb_lineage_inputs` (the inputs of that save,
//! with the record ids they were loaded from). Cache lookups are answered
//! from memory; what is written commits in the transaction of the save.

use super::sql::{args, now, Arg, Conn, Dialect};
use super::{find, record_id, Batch, Database, Inner, Prepared};
use crate::error::{Error, Result, ResultExt};
use crate::lineage::{Call, Input};
use crate::metadata::{self, Metadata};
use crate::value::Value;
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

pub(crate) fn create_tables(conn: &Conn) -> Result<()> {
    // A shared catalog's unique keys are its own guarantee that processes
    // never record one call twice; a DuckDB file has one writer, whose
    // memory stands in for them (they cost more per insert there).
    let unique = match conn.dialect() {
        Dialect::Postgres => " PRIMARY KEY",
        Dialect::DuckDb => "",
    };
    conn.batch(&format!(
        "CREATE TABLE IF NOT EXISTS _scidb_calls (
            call_key VARCHAR NOT NULL{unique},
            function_name VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            function_hash VARCHAR NOT NULL,
            source_hash VARCHAR,
            function_version VARCHAR,
            n_outputs INTEGER NOT NULL,
            constants VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL);
        CREATE TABLE IF NOT EXISTS _scidb_lineage (
            lineage_id BIGINT NOT NULL{unique},
            record_id VARCHAR NOT NULL,
            call_key VARCHAR NOT NULL,
            output_index INTEGER NOT NULL,
            recorded_at TIMESTAMP NOT NULL);
        CREATE TABLE IF NOT EXISTS _scidb_lineage_inputs (
            lineage_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            record_id VARCHAR,
            content_hash VARCHAR NOT NULL);"
    ))
    .context("creating the lineage tables")
}

/// Brings the saved calls up to date: every call on the first read, then
/// the lineage rows newer than those seen (lineage ids grow in commit
/// order, see `WRITER_LOCK`), with their calls.
pub(super) fn refresh_calls(inner: &mut Inner) -> Result<()> {
    let conn = &inner.conn;
    if inner.next_lineage_id == 1 {
        for r in conn.query("SELECT call_key, n_outputs FROM _scidb_calls", &[])? {
            let n: u32 = r.get(1)?;
            inner.calls.insert(r.get(0)?, CallEntry::new(n));
        }
    }
    let rows = conn.query(
        "SELECT l.call_key, c.n_outputs, l.output_index, l.record_id, l.lineage_id \
         FROM _scidb_lineage l JOIN _scidb_calls c ON c.call_key = l.call_key \
         WHERE l.lineage_id >= ? ORDER BY l.lineage_id",
        args![inner.next_lineage_id],
    )?;
    for r in rows {
        let key: String = r.get(0)?;
        let n: u32 = r.get(1)?;
        let index: u32 = r.get(2)?;
        let slot = inner
            .calls
            .entry(key.clone())
            .or_insert_with(|| CallEntry::new(n))
            .outputs
            .get_mut(index as usize)
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "lineage names output {index} of call {key}, which has {n}"
                ))
            })?;
        slot.push(r.get(3)?);
        inner.next_lineage_id = r.get::<i64>(4)? + 1;
    }
    Ok(())
}

impl CallEntry {
    fn new(n_outputs: u32) -> Self {
        CallEntry {
            n_outputs,
            outputs: vec![Vec::new(); n_outputs as usize],
        }
    }
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
            inner.calls.insert(key.to_string(), CallEntry::new(n));
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
        self.fresh()?
            .records
            .get(record_id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no record has id '{record_id}'")))
    }

    /// Looks calls up in the cache. For each call: its saved outputs (the
    /// newest record of each) when every output has been saved, else None.
    pub fn lookup(&self, calls: &[&Call]) -> Result<Vec<Option<Vec<CachedOutput>>>> {
        let keys: Vec<String> = calls.iter().map(|c| c.key()).collect();
        let inner = self.fresh()?;
        Ok(keys.iter().map(|k| cached_outputs(&inner, k)).collect())
    }

    /// For each call and metadata: the records its saved outputs already
    /// have at that metadata (the call's constants added) under these
    /// variable types, when every one exists; None when the call's outputs
    /// are not all saved or some record is not there (it would need a
    /// save). One look at the catalog for all of them.
    pub fn saved_at(
        &self,
        items: &[(&Call, &Metadata)],
        variables: &[String],
    ) -> Result<Vec<Option<Vec<String>>>> {
        let inner = self.fresh()?;
        let mut out = Vec::with_capacity(items.len());
        for (call, meta) in items {
            let found = match cached_outputs(&inner, &call.key()) {
                Some(outputs) if outputs.len() == variables.len() => {
                    let meta = with_constants(meta, call)?;
                    let json = metadata::to_json_object(&meta);
                    let ids: Vec<String> = variables
                        .iter()
                        .zip(&outputs)
                        .map(|(v, o)| record_id(v, &json, &o.content_hash))
                        .collect();
                    ids.iter()
                        .all(|id| inner.records.contains_key(id))
                        .then_some(ids)
                }
                _ => None,
            };
            out.push(found);
        }
        Ok(out)
    }

    /// Saves the outputs of calls, with their lineage, in one transaction:
    /// either everything is saved or nothing. The call's constants are
    /// added to each output's metadata (as variant keys); metadata that
    /// contradicts a constant is an error. Returns the record ids, per
    /// call and output. Saving what a cache hit returned under metadata it
    /// was already saved with writes nothing.
    pub fn save_outputs(&self, batch: &[CallOutputs<'_>]) -> Result<Vec<Vec<String>>> {
        let prepared = self.prepare_outputs(batch)?;
        self.writing(|inner| self.save_outputs_in(inner, batch, prepared, None))
    }

    /// Hashes the outputs given with a value and writes their payload
    /// files, before the catalog is locked (on a shared catalog, other
    /// processes' saves wait only for catalog rows).
    fn prepare_outputs<'a>(
        &self,
        batch: &'a [CallOutputs<'a>],
    ) -> Result<Vec<Vec<Option<Prepared<'a>>>>> {
        batch
            .iter()
            .map(|c| {
                c.outputs
                    .iter()
                    .map(|out| match out.value {
                        Some(v) => {
                            let meta = with_constants(&out.metadata, c.call)?;
                            self.prepare(out.variable, meta, v).map(Some)
                        }
                        None => Ok(None),
                    })
                    .collect()
            })
            .collect()
    }

    /// As [`Database::save_outputs`], and marks the calls' jobs of a
    /// shared run done in the same transaction (see `jobs`).
    pub fn save_outputs_of_jobs(
        &self,
        batch: &[CallOutputs<'_>],
        run_key: &str,
        worker: &super::jobs::Worker,
    ) -> Result<Vec<Vec<String>>> {
        let prepared = self.prepare_outputs(batch)?;
        self.writing(|inner| self.save_outputs_in(inner, batch, prepared, Some((run_key, worker))))
    }

    fn save_outputs_in<'a>(
        &self,
        inner: &mut Inner,
        batch: &'a [CallOutputs<'a>],
        mut prepared: Vec<Vec<Option<Prepared<'a>>>>,
        jobs: Option<(&str, &super::jobs::Worker)>,
    ) -> Result<Vec<Vec<String>>> {
        let keys: Vec<String> = batch.iter().map(|c| c.call.key()).collect();
        // Outputs given without a value are cache hits: find the records.
        let mut sources: Vec<Vec<Option<(String, String)>>> = Vec::new();
        let mut metas: Vec<Vec<Metadata>> = Vec::new();
        for (c, key) in batch.iter().zip(&keys) {
            check_outputs(inner, c, key)?;
            let mut call_sources = Vec::new();
            let mut call_metas = Vec::new();
            for out in &c.outputs {
                call_metas.push(with_constants(&out.metadata, c.call)?);
                call_sources.push(match out.value {
                    Some(_) => None,
                    None => Some(cached_output(inner, key, out.index, &c.call.function.name)?),
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
        self.check_newer(inner, &mut plan, &existing)?;
        let mut record_ids = Vec::with_capacity(batch.len());
        for (ci, c) in batch.iter().enumerate() {
            let mut ids = Vec::with_capacity(c.outputs.len());
            for (oi, out) in c.outputs.iter().enumerate() {
                let meta = metas[ci][oi].clone();
                let value = out.value.or_else(|| loaded.get(&(ci, oi)));
                let id = match (value, &sources[ci][oi]) {
                    (Some(v), _) => {
                        // Prepared before the lock, or (a cache hit's value
                        // stored anew) here.
                        let p = match prepared[ci][oi].take() {
                            Some(p) => p,
                            None => self.prepare(out.variable, meta, v)?,
                        };
                        let id = p.record_id.clone();
                        self.plan_record(inner, &mut plan, p)?;
                        id
                    }
                    (None, Some((_, hash))) => {
                        let id = self.target_id(out.variable, &meta, hash)?;
                        self.plan_existing(inner, &mut plan, &id)?;
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
        let lineage = plan_lineage(inner, batch, &keys, &record_ids);
        plan.lineage_writes = lineage.calls.len() + lineage.rows.len();
        if jobs.is_some() {
            // Never the lone simple write: the jobs' rows change too.
            plan.lineage_writes += 1;
        }
        self.commit(inner, plan, |conn| {
            append_lineage(conn, &lineage)?;
            match jobs {
                Some((run_key, worker)) => {
                    let done: Vec<(&str, &[String])> = keys
                        .iter()
                        .zip(&record_ids)
                        .map(|(k, ids)| (k.as_str(), ids.as_slice()))
                        .collect();
                    super::jobs::mark_done(conn, run_key, &done, worker)
                }
                None => Ok(()),
            }
        })
        .context("saving with lineage")?;
        lineage.remember(inner);
        Ok(record_ids)
    }

    /// The record id a value with this hash gets under a type and metadata.
    fn target_id(&self, variable: &str, meta: &Metadata, hash: &str) -> Result<String> {
        metadata::validate_identifier("variable type", variable)?;
        Ok(record_id(variable, &metadata::to_json_object(meta), hash))
    }

    fn load_value(&self, conn: &Conn, id: &str) -> Result<Value> {
        let info = find::by_id(conn, &self.schema_keys, None, id, true)?;
        self.with_values(conn, vec![info])?
            .pop()
            .and_then(|r| r.value)
            .ok_or_else(|| Error::corrupt(format!("record {id} was read without its value")))
    }

    /// What produced a record: None when it was saved without lineage.
    pub fn provenance(&self, record_id: &str) -> Result<Option<Provenance>> {
        let inner = self.fresh()?;
        self.provenance_of(&inner, record_id)
    }

    /// The provenance of a record and, recursively, of every saved input
    /// it was computed from: one step per record with lineage, the record
    /// first, then breadth-first upstream, each record once.
    pub fn upstream_provenance(&self, record_id: &str) -> Result<Vec<Provenance>> {
        let inner = self.fresh()?;
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
            .query_opt(
                "SELECT l.lineage_id, l.call_key, l.output_index, CAST(l.recorded_at AS VARCHAR), \
                 c.function_name, c.language, c.function_hash, c.source_hash, \
                 c.function_version, c.n_outputs, c.constants \
                 FROM _scidb_lineage l JOIN _scidb_calls c ON c.call_key = l.call_key \
                 WHERE l.record_id = ? ORDER BY l.lineage_id DESC LIMIT 1",
                args![record_id],
            )
            .and_then(|row| {
                row.map(|r| -> Result<_> {
                    Ok((
                        r.get::<i64>(0)?,
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
                        r.get::<String>(10)?,
                    ))
                })
                .transpose()
            })
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
        let rows = conn.query(
            "SELECT i.name, i.record_id, i.content_hash, r.variable \
             FROM _scidb_lineage_inputs i LEFT JOIN _scidb_records r ON r.record_id = i.record_id \
             WHERE i.lineage_id = ? ORDER BY i.position",
            args![lineage_id],
        )?;
        for r in rows {
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

/// Writes a batch's new calls, lineage rows and their inputs in bulk
/// (row-at-a-time INSERTs cost far more).
fn append_lineage(conn: &Conn, plan: &LineagePlan<'_>) -> Result<()> {
    let mut calls = Vec::with_capacity(plan.calls.len());
    for (key, call) in &plan.calls {
        let f = &call.function;
        let constants: Vec<(&str, Json)> = call
            .constants()
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_json()))
            .collect();
        let constants =
            serde_json::to_string(&constants).map_err(|e| Error::invalid(e.to_string()))?;
        calls.push(vec![
            Arg::from(*key),
            Arg::from(&f.name),
            Arg::from(&f.language),
            Arg::from(f.hash()),
            Arg::from(f.source_hash.as_ref()),
            Arg::from(f.version.as_ref()),
            Arg::from(call.output_count().unwrap_or(1)),
            Arg::from(constants),
            now(),
        ]);
    }
    conn.append(
        "_scidb_calls",
        &[
            "call_key",
            "function_name",
            "language",
            "function_hash",
            "source_hash",
            "function_version",
            "n_outputs",
            "constants",
            "recorded_at",
        ],
        &calls,
    )
    .context("recording calls")?;
    let rows: Vec<Vec<Arg<'_>>> = plan
        .rows
        .iter()
        .map(|r| {
            vec![
                Arg::from(r.id),
                Arg::from(&r.record_id),
                Arg::from(r.key),
                Arg::from(r.index),
                now(),
            ]
        })
        .collect();
    conn.append(
        "_scidb_lineage",
        &[
            "lineage_id",
            "record_id",
            "call_key",
            "output_index",
            "recorded_at",
        ],
        &rows,
    )
    .context("recording lineage")?;
    let mut inputs = Vec::new();
    for r in &plan.rows {
        for (pos, i) in r.inputs.iter().enumerate() {
            inputs.push(vec![
                Arg::from(r.id),
                Arg::from(pos as i64),
                Arg::from(&i.name),
                Arg::from(i.record_id.as_ref()),
                Arg::from(&i.content_hash),
            ]);
        }
    }
    conn.append(
        "_scidb_lineage_inputs",
        &[
            "lineage_id",
            "position",
            "name",
            "record_id",
            "content_hash",
        ],
        &inputs,
    )
    .context("recording lineage inputs")
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
