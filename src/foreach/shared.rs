//! A run whose combinations are shared with every process running the
//! same description on the same PostgreSQL catalog (`reserve_jobs`): the
//! combinations to run become jobs; this process claims a few at a time,
//! runs them, and saves their outputs with the jobs' completion in one
//! transaction; what other processes ran is reported as cached. See
//! `store::jobs` for the table and docs/cluster.md for the recipe.

use super::plan::{Combo, Status};
use super::spec::Spec;
use crate::error::Result;
use crate::metadata;
use crate::store::jobs::{LeaseRenewer, NewJob, Worker};
use crate::store::Database;
use std::cell::RefCell;
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
    function_name: String,
    lease: Duration,
    /// Which combination each job is: the first with its call (identical
    /// calls at other metadata share the job and are saved from it).
    index_of: HashMap<String, usize>,
    /// The jobs to add and the lease renewer to start at the first claim
    /// (a dry run, which never claims, adds nothing).
    to_add: RefCell<Option<Vec<(String, usize, String)>>>,
    renewer: RefCell<Option<LeaseRenewer>>,
    /// Jobs of the run this process's plan does not have (another process
    /// found more input records): theirs to run.
    foreign: RefCell<Vec<String>>,
}

impl SharedRun {
    /// The shared run of a plan, unless it is not shared (not asked for,
    /// or a DuckDB file, which one process uses).
    pub fn start(db: &Database, spec: &Spec, combos: &[Combo]) -> Result<Option<SharedRun>> {
        if !spec.reserve_jobs || !db.is_shared() {
            return Ok(None);
        }
        let mut index_of = HashMap::new();
        let mut to_add = Vec::new();
        for (i, c) in combos.iter().enumerate() {
            let Some(call) = c.call.as_ref().filter(|_| c.status == Status::ToRun) else {
                continue;
            };
            let key = call.key();
            if index_of.contains_key(&key) {
                continue;
            }
            index_of.insert(key.clone(), i);
            to_add.push((key, i, metadata::to_json_object(&c.metadata)));
        }
        Ok(Some(SharedRun {
            run_key: spec.run_key(),
            worker: Worker::this_process(),
            function_name: spec.function.name.clone(),
            lease: spec.lease,
            index_of,
            to_add: RefCell::new(Some(to_add)),
            renewer: RefCell::new(None),
            foreign: Default::default(),
        }))
    }

    /// Adds the jobs and starts renewing leases, once.
    fn register(&self, db: &Database) -> Result<()> {
        let Some(jobs) = self.to_add.borrow_mut().take() else {
            return Ok(());
        };
        let new: Vec<NewJob<'_>> = jobs
            .iter()
            .map(|(key, position, metadata_json)| NewJob {
                key,
                position: *position,
                metadata_json: metadata_json.clone(),
            })
            .collect();
        db.add_jobs(&self.run_key, &self.function_name, &new)?;
        *self.renewer.borrow_mut() = Some(db.lease_renewer(&self.worker, self.lease)?);
        Ok(())
    }

    /// The next combinations this process runs: claimed jobs, waiting
    /// while every open job is another's; none when no job is open.
    pub fn claim(&self, db: &Database, max: usize) -> Result<Vec<usize>> {
        self.register(db)?;
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
    /// not finish, records the failures of other processes, reports the
    /// jobs other processes ran as cached with the records they saved, and
    /// returns the combinations whose job is done but which it cannot name
    /// records for (identical calls at other metadata): they are looked up
    /// and, where missing, saved from the cache like cache hits.
    pub fn settle(&self, db: &Database, combos: &mut [Combo]) -> Result<Vec<usize>> {
        db.release_jobs(&self.run_key, &self.worker, None)?;
        let states = db.job_states(&self.run_key)?;
        let mut done = Vec::new();
        for (i, c) in combos.iter_mut().enumerate() {
            if c.status != Status::ToRun {
                continue;
            }
            let Some(state) = c.call.as_ref().and_then(|call| states.get(&call.key())) else {
                continue;
            };
            match state.status.as_str() {
                "done" => {
                    c.message = Some("ran in another process".into());
                    // The job's own combination: its records are named in
                    // the job. Identical calls elsewhere are looked up.
                    match &state.record_ids {
                        Some(ids)
                            if state.metadata_json == metadata::to_json_object(&c.metadata) =>
                        {
                            c.status = Status::Cached;
                            c.record_ids = ids.clone();
                        }
                        _ => done.push(i),
                    }
                }
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
        Ok(done)
    }
}
