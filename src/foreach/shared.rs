//! A run whose combinations are shared with every process running the
//! same description on the same PostgreSQL catalog (`reserve_jobs`): the
//! combinations to run become jobs; this process claims a few at a time,
//! runs them, and saves their outputs with the jobs' completion in one
//! transaction; what other processes ran is reported as cached. See
//! `store::jobs` for the table and docs/cluster.md for the recipe.

use super::plan::{Combo, Status};
use super::spec::Spec;
use crate::error::Result;
use crate::lineage::Call;
use crate::metadata;
use crate::store::jobs::{LeaseRenewer, NewJob, Worker};
use crate::store::Database;
use std::collections::HashMap;
use std::time::Duration;

/// Combinations claimed at once: small enough that work spreads evenly
/// over workers and a killed worker leaves little to redo, large enough
/// that a claim (one statement) costs little per combination.
const CLAIM_AT_ONCE: usize = 16;

/// How long a worker waits before asking again when every open job is
/// claimed by others (their leases may run out).
const POLL: Duration = Duration::from_millis(50);

pub(super) struct SharedRun {
    pub run_key: String,
    pub worker: Worker,
    lease: Duration,
    /// Which combination each job is.
    index_of: HashMap<String, usize>,
    /// Jobs of the run this process's plan does not have (another process
    /// found more input records): theirs to run.
    foreign: std::cell::RefCell<Vec<String>>,
    _renewer: LeaseRenewer,
}

impl SharedRun {
    /// Adds the combinations to run as jobs, unless the run is not shared
    /// (not asked for, or a DuckDB file, which one process uses).
    pub fn start(db: &Database, spec: &Spec, combos: &[Combo]) -> Result<Option<SharedRun>> {
        if !spec.reserve_jobs || !db.is_shared() {
            return Ok(None);
        }
        let run_key = spec.run_key();
        let mut index_of = HashMap::new();
        let mut jobs = Vec::new();
        let keys: Vec<(usize, String)> = combos
            .iter()
            .enumerate()
            .filter(|(_, c)| c.status == Status::ToRun)
            .filter_map(|(i, c)| c.call.as_ref().map(|call| (i, call.key())))
            .collect();
        for (i, key) in &keys {
            index_of.insert(key.clone(), *i);
            jobs.push(NewJob {
                key,
                position: *i,
                metadata_json: metadata::to_json_object(&combos[*i].metadata),
            });
        }
        db.add_jobs(&run_key, &spec.function.name, &jobs)?;
        let worker = Worker::this_process();
        let renewer = db.lease_renewer(&worker, spec.lease)?;
        Ok(Some(SharedRun {
            run_key,
            worker,
            lease: spec.lease,
            index_of,
            foreign: Default::default(),
            _renewer: renewer,
        }))
    }

    /// The next combinations this process runs: claimed jobs, waiting
    /// while every open job is another's; none when no job is open.
    pub fn claim(&self, db: &Database, max: usize) -> Result<Vec<usize>> {
        loop {
            let keys = db.claim_jobs(
                &self.run_key,
                &self.worker,
                self.lease,
                max.clamp(1, CLAIM_AT_ONCE),
                &self.foreign.borrow(),
            )?;
            let (mine, theirs): (Vec<String>, Vec<String>) = keys
                .into_iter()
                .partition(|k| self.index_of.contains_key(k));
            if !mine.is_empty() {
                if !theirs.is_empty() {
                    db.release_jobs(&self.run_key, &self.worker, Some(&theirs))?;
                    self.foreign.borrow_mut().extend(theirs);
                }
                return Ok(mine
                    .iter()
                    .filter_map(|k| self.index_of.get(k).copied())
                    .collect());
            }
            if !theirs.is_empty() {
                db.release_jobs(&self.run_key, &self.worker, Some(&theirs))?;
                self.foreign.borrow_mut().extend(theirs);
                continue;
            }
            let open = db.open_jobs(&self.run_key)?;
            if !open.iter().any(|k| self.index_of.contains_key(k)) {
                return Ok(Vec::new());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Records that this process failed on a combination.
    pub fn fail(&self, db: &Database, combo: &Combo, message: &str) {
        if let Some(call) = &combo.call {
            // Unrecorded, the job's lease runs out and another process
            // tries it: nothing is lost.
            let _ = db.fail_job(&self.run_key, &call.key(), &self.worker, message);
        }
    }

    /// At the end of the run: hands back what this process claimed and did
    /// not finish, and reports the combinations other processes ran (as
    /// cached, with their records) or failed.
    pub fn settle(&self, db: &Database, combos: &mut [Combo]) -> Result<()> {
        db.release_jobs(&self.run_key, &self.worker, None)?;
        let states = db.job_states(&self.run_key)?;
        let mut done: Vec<usize> = Vec::new();
        for (i, c) in combos.iter_mut().enumerate() {
            if c.status != Status::ToRun {
                continue;
            }
            let Some(state) = c.call.as_ref().and_then(|call| states.get(&call.key())) else {
                continue;
            };
            match state.status.as_str() {
                "done" => done.push(i),
                "failed" => {
                    c.status = Status::Failed;
                    c.message = Some(format!(
                        "failed in process {} on {}: {}",
                        state.pid.unwrap_or(0),
                        state.host.as_deref().unwrap_or("?"),
                        state.message.as_deref().unwrap_or("")
                    ));
                }
                _ => {}
            }
        }
        let calls: Vec<&Call> = done
            .iter()
            .filter_map(|&i| combos[i].call.as_ref())
            .collect();
        let found = db.lookup(&calls)?;
        for (&i, outputs) in done.iter().zip(found) {
            if let Some(outputs) = outputs {
                let c = &mut combos[i];
                c.status = Status::Cached;
                c.message = Some("ran in another process".into());
                c.record_ids = outputs.into_iter().map(|o| o.record_id).collect();
            }
        }
        Ok(())
    }
}
