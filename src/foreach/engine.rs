//! The run: hands out work, takes results back, saves them in batches
//! and writes the run log.

use super::plan::{self, Combo, Status};
use super::shared::SharedRun;
use super::spec::{Source, Spec};
use crate::error::{Error, Result};
use crate::lineage::constant_value;
use crate::metadata::{self, Metadata};
use crate::store::foreach::{LogRow, RunRow};
use crate::store::lineage::{CallOutputs, OutputSave};
use crate::store::Database;
use crate::value::Value;
use std::collections::{HashSet, VecDeque};

/// Combinations saved per transaction.
const SAVE_BATCH: usize = 2048;

/// One combination to run: its position, metadata and input values, in
/// the order of the spec's inputs (constants as scalar values).
#[derive(Debug, Clone)]
pub struct WorkItem {
    pub index: usize,
    pub metadata: Metadata,
    pub inputs: Vec<Value>,
}

/// Counts of a run, and the id its run log was written under (0 before
/// `finish`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub run_id: i64,
    pub combinations: usize,
    pub to_run: usize,
    pub ran: usize,
    pub cached: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// A planned `for_each` run (see the module documentation).
pub struct ForEach {
    spec: Spec,
    combos: Vec<Combo>,
    queue: VecDeque<usize>,
    handed_out: HashSet<usize>,
    results: Vec<(usize, Vec<Value>)>,
    cached_saved: bool,
    started_at_us: i64,
    run_id: Option<i64>,
    /// The jobs of a run shared with other processes (`reserve_jobs` on
    /// a PostgreSQL catalog); then work is claimed, not taken from `queue`.
    shared: Option<SharedRun>,
    /// Combinations of a shared run that failed here, not yet recorded.
    failed_jobs: Vec<usize>,
}

impl ForEach {
    /// Plans a run: finds each combination's inputs (one query per input
    /// type) and decides what it needs. Nothing is written; a dry run
    /// stops here and reads `report_json`.
    pub fn plan(db: &Database, spec: Spec) -> Result<ForEach> {
        let started_at_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let combos = plan::plan(db, &spec)?;
        let shared = SharedRun::start(db, &spec, &combos)?;
        let queue = (0..combos.len())
            .filter(|&i| shared.is_none() && combos[i].status == Status::ToRun)
            .collect();
        Ok(ForEach {
            spec,
            combos,
            queue,
            handed_out: HashSet::new(),
            results: Vec::new(),
            cached_saved: false,
            started_at_us,
            run_id: None,
            shared,
            failed_jobs: Vec::new(),
        })
    }

    /// What the run was asked to do.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// How many combinations there are.
    pub fn len(&self) -> usize {
        self.combos.len()
    }

    /// Whether there is no combination at all (an empty value list).
    pub fn is_empty(&self) -> bool {
        self.combos.is_empty()
    }

    /// The status, message and saved record ids of combination `index`.
    pub fn outcome(&self, index: usize) -> Option<(Status, Option<&str>, &[String])> {
        self.combos
            .get(index)
            .map(|c| (c.status, c.message.as_deref(), c.record_ids.as_slice()))
    }

    /// The metadata of combination `index`.
    pub fn metadata(&self, index: usize) -> Option<&Metadata> {
        self.combos.get(index).map(|c| &c.metadata)
    }

    /// The next up to `max` combinations to run, with their inputs loaded
    /// in one query; empty when none is left. The first call saves the
    /// cache hits under this run's metadata and output types.
    pub fn next_batch(&mut self, db: &Database, max: usize) -> Result<Vec<WorkItem>> {
        self.check_open()?;
        self.save_cached(db);
        let indices: Vec<usize> = match &self.shared {
            Some(_) => {
                // What ran is saved (and its jobs done) before more is claimed.
                self.flush(db);
                let shared = self
                    .shared
                    .as_ref()
                    .ok_or_else(|| Error::corrupt("no shared run"))?;
                shared.claim(db, max)?
            }
            None => {
                let take = max.max(1).min(self.queue.len());
                self.queue.drain(..take).collect()
            }
        };
        let mut ids: Vec<&str> = Vec::new();
        for &i in &indices {
            if let Some(call) = &self.combos[i].call {
                ids.extend(call.inputs().iter().filter_map(|x| x.record_id.as_deref()));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let values = db.values_by_id(&ids)?;
        let mut items = Vec::with_capacity(indices.len());
        for i in indices {
            let c = &self.combos[i];
            let call = c
                .call
                .as_ref()
                .ok_or_else(|| Error::corrupt("a combination to run has no call"))?;
            let mut recorded = call.inputs().iter();
            let mut inputs = Vec::with_capacity(self.spec.inputs.len());
            for input in &self.spec.inputs {
                inputs.push(match &input.source {
                    Source::Constant(v) => constant_value(v),
                    Source::Variable { .. } => {
                        let id = recorded
                            .next()
                            .and_then(|x| x.record_id.as_deref())
                            .ok_or_else(|| Error::corrupt("an input has no record"))?;
                        values
                            .get(id)
                            .cloned()
                            .ok_or_else(|| Error::not_found(format!("record {id} vanished")))?
                    }
                });
            }
            self.handed_out.insert(i);
            items.push(WorkItem {
                index: i,
                metadata: c.metadata.clone(),
                inputs,
            });
        }
        Ok(items)
    }

    /// Hands back the outputs of a work item (one per output type). They
    /// are saved with the next batch; a batch that fails is saved one
    /// combination at a time, so only the failing ones are lost.
    pub fn complete(&mut self, db: &Database, index: usize, outputs: Vec<Value>) -> Result<()> {
        self.take_handed_out(index)?;
        if outputs.len() != self.spec.outputs.len() {
            self.set_failed(
                index,
                format!(
                    "{} returned {} outputs, {} were expected ({})",
                    self.spec.function.name,
                    outputs.len(),
                    self.spec.outputs.len(),
                    self.spec.outputs.join(", ")
                ),
            );
            return Ok(());
        }
        self.results.push((index, outputs));
        if self.results.len() >= SAVE_BATCH {
            self.flush(db);
        }
        Ok(())
    }

    /// Records that the function failed on a work item, with its error text.
    pub fn fail(&mut self, index: usize, message: &str) -> Result<()> {
        self.take_handed_out(index)?;
        self.set_failed(index, message.to_string());
        if self.shared.is_some() {
            // Recorded in the jobs table with the next save.
            self.failed_jobs.push(index);
        }
        Ok(())
    }

    /// Saves what is left, marks combinations never run or never completed
    /// as failed ("not run"), writes the run log and returns the summary.
    pub fn finish(&mut self, db: &Database) -> Result<Summary> {
        self.check_open()?;
        self.save_cached(db);
        self.flush(db);
        let left: Vec<usize> = self
            .queue
            .drain(..)
            .chain(self.handed_out.drain())
            .collect();
        for i in left {
            self.set_failed(i, "not run: the run was stopped before it".into());
        }
        if let Some(shared) = &self.shared {
            let mut done = shared.settle(db, &mut self.combos)?;
            // Most were saved at this metadata by the process that ran them;
            // the rest (identical calls at other metadata) are saved here.
            let items = done
                .iter()
                .map(|&i| {
                    let c = &self.combos[i];
                    let call = c
                        .call
                        .as_ref()
                        .ok_or_else(|| Error::corrupt("a done job has no call"))?;
                    Ok((call, &c.metadata))
                })
                .collect::<Result<Vec<_>>>()?;
            let saved = db.saved_at(&items, &self.spec.outputs)?;
            let mut to_save = Vec::new();
            for (i, ids) in done.drain(..).zip(saved) {
                match ids {
                    Some(ids) => {
                        let c = &mut self.combos[i];
                        c.status = Status::Cached;
                        c.record_ids = ids;
                    }
                    None => to_save.push(i),
                }
            }
            self.save_from_cache(db, &to_save);
            for c in self.combos.iter_mut().filter(|c| c.status == Status::ToRun) {
                c.status = Status::Failed;
                c.message = Some("not run: the run was stopped before it".into());
            }
        }
        let summary = self.summary();
        let f = &self.spec.function;
        let run = RunRow {
            function_name: f.name.clone(),
            language: f.language.clone(),
            function_hash: f.hash(),
            outputs_json: serde_json::Value::from(self.spec.outputs.clone()).to_string(),
            started_at_us: self.started_at_us,
            counts: [
                summary.ran as u64,
                summary.cached as u64,
                summary.skipped as u64,
                summary.failed as u64,
            ],
        };
        let rows: Vec<LogRow> = self
            .combos
            .iter()
            .enumerate()
            .map(|(i, c)| LogRow {
                position: i as u64,
                metadata_json: metadata::to_json_object(&c.metadata),
                status: c.status.name(),
                message: c.message.clone(),
                record_ids_json: serde_json::Value::from(c.record_ids.clone()).to_string(),
                cache_key: c.call.as_ref().map(|c| c.key()),
            })
            .collect();
        let run_id = db.write_run_log(&run, &rows)?;
        self.run_id = Some(run_id);
        Ok(Summary { run_id, ..summary })
    }

    /// The counts so far.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            run_id: self.run_id.unwrap_or(0),
            combinations: self.combos.len(),
            ..Summary::default()
        };
        for c in &self.combos {
            match c.status {
                Status::ToRun => s.to_run += 1,
                Status::Ran => s.ran += 1,
                Status::Cached => s.cached += 1,
                Status::Skipped => s.skipped += 1,
                Status::Failed => s.failed += 1,
            }
        }
        s
    }

    /// The summary and every combination as JSON: `{"summary": {...},
    /// "combinations": [{"metadata", "status", "message", "record_ids"}]}`.
    pub fn report_json(&self) -> String {
        let combos: Vec<serde_json::Value> = self
            .combos
            .iter()
            .map(|c| {
                serde_json::json!({
                    "metadata": serde_json::Value::Object(
                        c.metadata.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()
                    ),
                    "status": c.status.name(),
                    "message": c.message,
                    "record_ids": c.record_ids,
                })
            })
            .collect();
        serde_json::json!({ "summary": self.summary(), "combinations": combos }).to_string()
    }

    /// The summary every binding prints, one text for all languages: a
    /// line of counts (a dry run's "would run" before the plan is run),
    /// then up to five failed or skipped combinations with the last line
    /// of their message, and how many more the run log holds.
    pub fn summary_text(&self) -> String {
        let s = self.summary();
        let name = &self.spec.function.name;
        let mut line = match self.run_id {
            None => format!(
                "for_each {name} (dry run): {} combinations: {} would run, {} cached, {} skipped",
                s.combinations, s.to_run, s.cached, s.skipped
            ),
            Some(run_id) => format!(
                "for_each {name}: {} combinations: {} ran, {} cached, {} skipped, {} failed \
                 (run {run_id} in the run log)",
                s.combinations, s.ran, s.cached, s.skipped, s.failed
            ),
        };
        const SHOWN: usize = 5;
        let troubled: Vec<&Combo> = self
            .combos
            .iter()
            .filter(|c| matches!(c.status, Status::Failed | Status::Skipped))
            .collect();
        for c in troubled.iter().take(SHOWN) {
            let meta: Vec<String> = c
                .metadata
                .iter()
                .map(|(k, v)| format!("{k}={}", v.to_json()))
                .collect();
            let last = c
                .message
                .as_deref()
                .and_then(|m| m.trim().lines().last())
                .unwrap_or("");
            line.push_str(&format!(
                "\n  {} {}: {last}",
                c.status.name(),
                meta.join(", ")
            ));
        }
        if troubled.len() > SHOWN {
            line.push_str(&format!(
                "\n  ... {} more in the run log",
                troubled.len() - SHOWN
            ));
        }
        line.push('\n');
        line
    }

    fn check_open(&self) -> Result<()> {
        match self.run_id {
            Some(_) => Err(Error::invalid("this for_each run has finished")),
            None => Ok(()),
        }
    }

    fn take_handed_out(&mut self, index: usize) -> Result<()> {
        if self.handed_out.remove(&index) {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "combination {index} is not a work item waiting for its result"
            )))
        }
    }

    fn set_failed(&mut self, index: usize, message: String) {
        if let Some(c) = self.combos.get_mut(index) {
            c.status = Status::Failed;
            c.message = Some(message);
        }
    }

    /// Saves the cache hits under this run's metadata and output types
    /// (nothing is written where they already are), once.
    fn save_cached(&mut self, db: &Database) {
        if self.cached_saved {
            return;
        }
        self.cached_saved = true;
        let hits: Vec<usize> = (0..self.combos.len())
            .filter(|&i| self.combos[i].status == Status::Cached)
            .collect();
        self.save_from_cache(db, &hits);
    }

    /// Saves what the cache holds for these combinations under their own
    /// metadata and output types (nothing is written where it already is).
    fn save_from_cache(&mut self, db: &Database, combos: &[usize]) {
        for chunk in combos.chunks(SAVE_BATCH) {
            let work: Vec<(usize, Option<Vec<Value>>)> = chunk.iter().map(|&i| (i, None)).collect();
            self.save(db, &work, Status::Cached);
        }
    }

    fn flush(&mut self, db: &Database) {
        if let Some(shared) = &self.shared {
            for i in std::mem::take(&mut self.failed_jobs) {
                let c = &self.combos[i];
                shared.fail(db, c, c.message.as_deref().unwrap_or(""));
            }
        }
        let results = std::mem::take(&mut self.results);
        let work: Vec<(usize, Option<Vec<Value>>)> =
            results.into_iter().map(|(i, v)| (i, Some(v))).collect();
        if !work.is_empty() {
            self.save(db, &work, Status::Ran);
        }
    }

    /// Saves combinations' outputs (None: a cache hit's) in one
    /// transaction; when it fails, one combination at a time.
    fn save(&mut self, db: &Database, work: &[(usize, Option<Vec<Value>>)], done: Status) {
        match self.save_together(db, work, done == Status::Ran) {
            Ok(ids) => {
                for ((i, _), ids) in work.iter().zip(ids) {
                    let c = &mut self.combos[*i];
                    c.status = done;
                    c.record_ids = ids;
                }
            }
            Err(_) if work.len() > 1 => {
                for w in work {
                    self.save(db, std::slice::from_ref(w), done);
                }
            }
            Err(e) => {
                let what = if done == Status::Cached {
                    "saving the cached outputs"
                } else {
                    "saving the outputs"
                };
                let message = format!("{what}: {}", e.message);
                if let Some(shared) = &self.shared {
                    shared.fail(db, &self.combos[work[0].0], &message);
                }
                self.set_failed(work[0].0, message);
            }
        }
    }

    /// `jobs`: the combinations ran here, so a shared run's jobs are done.
    fn save_together(
        &self,
        db: &Database,
        work: &[(usize, Option<Vec<Value>>)],
        jobs: bool,
    ) -> Result<Vec<Vec<String>>> {
        let mut batch = Vec::with_capacity(work.len());
        for (i, values) in work {
            let c = &self.combos[*i];
            let call = c
                .call
                .as_ref()
                .ok_or_else(|| Error::corrupt("a combination to save has no call"))?;
            let outputs = self
                .spec
                .outputs
                .iter()
                .enumerate()
                .map(|(k, variable)| OutputSave {
                    index: k as u32,
                    variable,
                    metadata: c.metadata.clone(),
                    value: values.as_ref().and_then(|v| v.get(k)),
                })
                .collect();
            batch.push(CallOutputs { call, outputs });
        }
        match (&self.shared, jobs) {
            (Some(s), true) => db.save_outputs_of_jobs(&batch, &s.run_key, &s.worker),
            _ => db.save_outputs(&batch),
        }
    }
}
