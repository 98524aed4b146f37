//! Running a `for_each` with a Rust closure on N threads while the calling
//! thread, the only writer, hands out work and saves results.

use super::engine::{ForEach, Summary, WorkItem};
use crate::error::{Error, Result};
use crate::store::Database;
use crate::value::Value;
use std::sync::mpsc;
use std::sync::Mutex;

/// Work items loaded per query (per worker).
const CHUNK: usize = 64;

/// The most worker threads a run starts, whatever it is asked for; a run
/// also never starts more threads than it has combinations.
pub const MAX_WORKERS: usize = 256;

/// What the function made of one work item: its outputs, or an error text.
pub type Outcome = std::result::Result<Vec<Value>, String>;

/// Runs `f` on every combination still to run, on `workers` threads (the
/// calling thread when `workers` is 0 or 1; at most [`MAX_WORKERS`] and at
/// most one per combination), saves the results and
/// finishes the run. `f` must not panic across threads it does not own;
/// a panic in `f` is a failure of that combination.
pub fn run<F>(fe: &mut ForEach, db: &Database, workers: usize, f: F) -> Result<Summary>
where
    F: Fn(&WorkItem) -> Outcome + Sync,
{
    let call = |item: &WorkItem| -> Outcome {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))).unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("the function panicked: {what}"))
        })
    };
    let workers = workers.min(MAX_WORKERS).min(fe.len());
    if workers <= 1 {
        loop {
            let items = fe.next_batch(db, CHUNK)?;
            if items.is_empty() {
                break;
            }
            for item in items {
                apply(fe, db, item.index, call(&item))?;
            }
        }
        return fe.finish(db);
    }
    let (work_tx, work_rx) = mpsc::channel::<WorkItem>();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Outcome)>();
    let work_rx = Mutex::new(work_rx);
    let chunk = CHUNK * workers;
    std::thread::scope(|s| -> Result<()> {
        let mut started = 0usize;
        for n in 0..workers {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            let call = &call;
            let spawned = std::thread::Builder::new()
                .name(format!("scidb-worker-{n}"))
                .spawn_scoped(s, move || loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(item)) = next else { break };
                    if done_tx.send((item.index, call(&item))).is_err() {
                        break;
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                // The system refused a thread: run on those already started.
                Err(_) if started > 0 => break,
                Err(e) => return Err(Error::io(format!("starting worker threads: {e}"))),
            }
        }
        drop(done_tx);
        // Keep two chunks in flight so workers never wait on a save.
        let mut in_flight = 0usize;
        let mut exhausted = false;
        let result = (|| -> Result<()> {
            loop {
                while !exhausted && in_flight < 2 * chunk {
                    let items = fe.next_batch(db, chunk)?;
                    exhausted = items.is_empty();
                    for item in items {
                        in_flight += 1;
                        // Workers only stop once this sender is dropped.
                        let _ = work_tx.send(item);
                    }
                }
                if in_flight == 0 {
                    return Ok(());
                }
                let Ok((index, outcome)) = done_rx.recv() else {
                    return Ok(());
                };
                in_flight -= 1;
                apply(fe, db, index, outcome)?;
            }
        })();
        drop(work_tx);
        result
    })?;
    fe.finish(db)
}

fn apply(fe: &mut ForEach, db: &Database, index: usize, outcome: Outcome) -> Result<()> {
    match outcome {
        Ok(outputs) => fe.complete(db, index, outputs),
        Err(message) => fe.fail(index, &message),
    }
}
