//! `for_each` across the C ABI.
//!
//! Without a callback (how Python and MATLAB drive it): `scidb_foreach_new`
//! plans the run; `scidb_foreach_next` hands out combinations to run with
//! their inputs loaded in bulk; for each, read the inputs with
//! `scidb_foreach_item_input`, run the function, and hand the outputs back
//! with `scidb_foreach_item_done` (or the error with
//! `scidb_foreach_item_failed`); `scidb_foreach_finish` saves what is left
//! and writes the run log. With a callback, `scidb_foreach_run` does all
//! of that, on N threads when asked.

use super::lineage::c_string;
use super::*;
use crate::foreach::{parallel, ForEach, Spec, Summary, WorkItem};
use crate::metadata;
use crate::value::Value;
use std::collections::HashMap;
use std::ffi::c_void;

/// A planned `for_each` run. Free with `scidb_foreach_free`.
pub struct scidb_foreach {
    fe: ForEach,
    /// The database the run was planned on (every call must pass it).
    db_path: String,
    db_id: u64,
    /// Work items handed out by `scidb_foreach_next`, until done or failed.
    items: HashMap<usize, WorkItem>,
}

/// The counts of a run. `run_id` is the id of its rows in the run log
/// (`_scidb_runs`, `_scidb_run_log`), 0 before the run finished.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct scidb_foreach_summary {
    pub run_id: i64,
    pub combinations: u64,
    /// Planned to run and not run yet (a dry run's "would run").
    pub to_run: u64,
    pub ran: u64,
    pub cached: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl From<Summary> for scidb_foreach_summary {
    fn from(s: Summary) -> Self {
        scidb_foreach_summary {
            run_id: s.run_id,
            combinations: s.combinations as u64,
            to_run: s.to_run as u64,
            ran: s.ran as u64,
            cached: s.cached as u64,
            skipped: s.skipped as u64,
            failed: s.failed as u64,
        }
    }
}

/// The function `scidb_foreach_run` calls for each combination to run. It
/// receives the combination's metadata (a JSON object) and its inputs in
/// the order of the description's `inputs` (constants as scalar values),
/// borrowed for the duration of the call, and must store `n_outputs` new
/// values into `outputs[0..n_outputs]`; scidb takes ownership of every
/// non-NULL value stored there, whatever it returns. On failure it returns
/// a status other than `SCIDB_OK` and may write a NUL-terminated message
/// of at most `error_size` bytes into `error`, which the run log keeps.
/// With `workers` > 1 it is called from several threads at once.
pub type scidb_foreach_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        metadata_json: *const c_char,
        inputs: *const *const scidb_value,
        n_inputs: usize,
        outputs: *mut *mut scidb_value,
        n_outputs: usize,
        error: *mut c_char,
        error_size: usize,
    ) -> scidb_status,
>;

/// Bytes of the error buffer a callback may write into.
const ERROR_SIZE: usize = 1024;

/// Plans a run on `db` from its JSON description (docs/foreach.md):
/// `{"function": {"language", "name", "source_hash"?, "version"?},
/// "n_outputs"?: 0 or the number of outputs, "iterate": [[key, [values]],
/// ...] (an empty list: every value the inputs' records have),
/// "inputs": [{"name", "variable", "fixed"?: {key: value}} or
/// {"name", "constant": value}], "outputs": [variable types]}`.
/// Finds every combination's inputs (one query per input type) and
/// decides what it needs; nothing is written (a dry run reads
/// `scidb_foreach_report_json` and frees the plan). `db` must outlive the
/// plan. Free it with `scidb_foreach_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_new(
    db: *const scidb_db,
    spec_json: *const c_char,
    out_foreach: *mut *mut scidb_foreach,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let spec = Spec::from_json(arg_str(spec_json, "spec_json")?)?;
        let out = arg_out(out_foreach, "out_foreach")?;
        let fe = ForEach::plan(&db.0, spec)?;
        *out = Box::into_raw(Box::new(scidb_foreach {
            fe,
            db_path: db.0.path().to_string(),
            db_id: db.0.open_id(),
            items: HashMap::new(),
        }));
        Ok(())
    })
}

/// Frees a plan and sets `*foreach` to NULL; a run not finished writes no
/// run log. NULL and `*foreach == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_free(foreach: *mut *mut scidb_foreach) {
    free_handle(foreach)
}

unsafe fn both<'a>(
    db: *const scidb_db,
    foreach: *mut scidb_foreach,
) -> Result<(&'a scidb_db, &'a mut scidb_foreach)> {
    let db = arg_ref(db, "db")?;
    let fe = arg_out(foreach, "foreach")?;
    if db.0.open_id() != fe.db_id {
        return Err(Error::invalid(format!(
            "this for_each was planned on {}, not {}",
            fe.db_path,
            db.0.path()
        )));
    }
    Ok((db, fe))
}

/// The counts so far (after `scidb_foreach_finish`, of the whole run).
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_summary_get(
    foreach: *const scidb_foreach,
    out_summary: *mut scidb_foreach_summary,
) -> scidb_status {
    guard(|| {
        let fe = arg_ref(foreach, "foreach")?;
        *arg_out(out_summary, "out_summary")? = fe.fe.summary().into();
        Ok(())
    })
}

/// The summary and every combination as a new JSON text (free it with
/// `scidb_string_free`): `{"summary": {"run_id", "combinations",
/// "to_run", "ran", "cached", "skipped", "failed"}, "combinations":
/// [{"metadata", "status", "message", "record_ids"}]}`, in iteration
/// order; status is "to_run", "ran", "cached", "skipped" or "failed".
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_report_json(
    foreach: *const scidb_foreach,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let fe = arg_ref(foreach, "foreach")?;
        let out = arg_out(out_json, "out_json")?;
        *out = c_string(fe.fe.report_json(), "the report")?.into_raw();
        Ok(())
    })
}

/// The summary every binding prints after a run (or a dry run, before
/// the plan is run), as a new text ending in a newline (free it with
/// `scidb_string_free`): the counts, then up to five failed or skipped
/// combinations with the last line of their message.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_summary_text(
    foreach: *const scidb_foreach,
    out_text: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let fe = arg_ref(foreach, "foreach")?;
        let out = arg_out(out_text, "out_text")?;
        *out = c_string(fe.fe.summary_text(), "the summary")?.into_raw();
        Ok(())
    })
}

/// Hands out up to `max` (at least 1) combinations to run, their inputs loaded in one
/// query: writes their indices into `out_items[0..*out_n]`. `*out_n` is 0
/// when none is left. The first call also saves the cache hits under this
/// run's metadata and output types. Each item must then be completed with
/// `scidb_foreach_item_done` or `scidb_foreach_item_failed`.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_next(
    db: *const scidb_db,
    foreach: *mut scidb_foreach,
    max: usize,
    out_items: *mut usize,
    out_n: *mut usize,
) -> scidb_status {
    guard(|| {
        let (db, fe) = both(db, foreach)?;
        if out_items.is_null() {
            return Err(null_arg("out_items"));
        }
        let n = arg_out(out_n, "out_n")?;
        *n = 0;
        if max == 0 {
            return Err(Error::invalid("max must be at least 1"));
        }
        let items = fe.fe.next_batch(&db.0, max)?;
        let slots = std::slice::from_raw_parts_mut(out_items, max);
        *n = items.len();
        for (slot, item) in slots.iter_mut().zip(items) {
            *slot = item.index;
            fe.items.insert(item.index, item);
        }
        Ok(())
    })
}

fn item(fe: &scidb_foreach, index: usize) -> Result<&WorkItem> {
    fe.items.get(&index).ok_or_else(|| {
        Error::invalid(format!(
            "combination {index} is not a handed-out work item (see scidb_foreach_next)"
        ))
    })
}

/// A new copy of input `position` (in the order of the description's
/// inputs; constants are scalar values) of handed-out item `index`. Free
/// it with `scidb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_item_input(
    foreach: *const scidb_foreach,
    index: usize,
    position: usize,
    out_value: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let fe = arg_ref(foreach, "foreach")?;
        let item = item(fe, index)?;
        let v = item.inputs.get(position).ok_or_else(|| {
            Error::invalid(format!(
                "input {position} does not exist: the function has {} inputs",
                item.inputs.len()
            ))
        })?;
        into_handle(v.clone(), out_value)
    })
}

/// The metadata of combination `index` (any, handed out or not), as a new
/// JSON object text; free it with `scidb_string_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_item_metadata_json(
    foreach: *const scidb_foreach,
    index: usize,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let fe = arg_ref(foreach, "foreach")?;
        let m = fe
            .fe
            .metadata(index)
            .ok_or_else(|| Error::invalid(format!("combination {index} does not exist")))?;
        let out = arg_out(out_json, "out_json")?;
        *out = c_string(metadata::to_json_object(m), "metadata")?.into_raw();
        Ok(())
    })
}

/// Hands back the `n_outputs` outputs of handed-out item `index` (one per
/// output type, in order). scidb takes ownership of every non-NULL
/// `outputs[i]` and sets it to NULL, whatever it returns. They are saved
/// with the next batch, all of a combination or none; a count other than
/// the number of output types marks the combination failed.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_item_done(
    db: *const scidb_db,
    foreach: *mut scidb_foreach,
    index: usize,
    outputs: *mut *mut scidb_value,
    n_outputs: usize,
) -> scidb_status {
    // Take the values first, so they are freed whatever happens.
    let mut values: Vec<Option<Value>> = Vec::with_capacity(n_outputs);
    if !outputs.is_null() {
        for i in 0..n_outputs {
            let slot = &mut *outputs.add(i);
            values.push(if slot.is_null() {
                None
            } else {
                let boxed = Box::from_raw(*slot);
                *slot = std::ptr::null_mut();
                Some(boxed.0)
            });
        }
    }
    guard(|| {
        let (db, fe) = both(db, foreach)?;
        if outputs.is_null() {
            return Err(null_arg("outputs"));
        }
        item(fe, index)?;
        fe.items.remove(&index);
        match values.into_iter().collect::<Option<Vec<Value>>>() {
            Some(v) => fe.fe.complete(&db.0, index, v),
            None => fe.fe.fail(index, "an output is NULL"),
        }
    })
}

/// Records that the function failed on handed-out item `index`, with
/// `message` (kept in the run log).
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_item_failed(
    foreach: *mut scidb_foreach,
    index: usize,
    message: *const c_char,
) -> scidb_status {
    guard(|| {
        let fe = arg_out(foreach, "foreach")?;
        let message = arg_str(message, "message")?;
        item(fe, index)?;
        fe.items.remove(&index);
        fe.fe.fail(index, message)
    })
}

/// Saves what is left, marks combinations not run or not completed as
/// failed, writes the run log (`_scidb_runs`, `_scidb_run_log`) and
/// writes the summary. The plan can then only be reported on and freed.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_finish(
    db: *const scidb_db,
    foreach: *mut scidb_foreach,
    out_summary: *mut scidb_foreach_summary,
) -> scidb_status {
    guard(|| {
        let (db, fe) = both(db, foreach)?;
        let out = arg_out(out_summary, "out_summary")?;
        fe.items.clear();
        *out = fe.fe.finish(&db.0)?.into();
        Ok(())
    })
}

/// The most worker threads `scidb_foreach_run` starts.
pub const SCIDB_MAX_WORKERS: u32 = 256;
const _: () = assert!(SCIDB_MAX_WORKERS as usize == parallel::MAX_WORKERS);

/// The user data pointer, shared with worker threads: the caller promises
/// (by asking for workers) that its callback is thread-safe.
struct Shared(*mut c_void);
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// Runs the whole plan with `function`: on the calling thread when
/// `workers` is 0 or 1, else on `workers` threads while the calling
/// thread saves (the only writer). No more threads start than the plan has
/// combinations, nor more than `SCIDB_MAX_WORKERS` (256), however many are
/// asked for; then finishes the run as
/// `scidb_foreach_finish` does and writes the summary. A failing callback
/// fails only its combination.
#[no_mangle]
pub unsafe extern "C" fn scidb_foreach_run(
    db: *const scidb_db,
    foreach: *mut scidb_foreach,
    function: scidb_foreach_fn,
    user_data: *mut c_void,
    workers: u32,
    out_summary: *mut scidb_foreach_summary,
) -> scidb_status {
    guard(|| {
        let (db, fe) = both(db, foreach)?;
        let function = function.ok_or_else(|| null_arg("function"))?;
        let out = arg_out(out_summary, "out_summary")?;
        if !fe.items.is_empty() {
            return Err(Error::invalid(
                "work items are handed out: complete them before scidb_foreach_run",
            ));
        }
        let n_outputs = fe.fe.spec().outputs.len();
        let user = Shared(user_data);
        let user = &user;
        let summary = parallel::run(&mut fe.fe, &db.0, workers as usize, |item| {
            call(function, user.0, item, n_outputs)
        })?;
        *out = summary.into();
        Ok(())
    })
}

unsafe fn call(
    function: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const *const scidb_value,
        usize,
        *mut *mut scidb_value,
        usize,
        *mut c_char,
        usize,
    ) -> scidb_status,
    user_data: *mut c_void,
    item: &WorkItem,
    n: usize,
) -> parallel::Outcome {
    let meta = CString::new(metadata::to_json_object(&item.metadata)).unwrap_or_default();
    let inputs: Vec<*const scidb_value> = item
        .inputs
        .iter()
        .map(|v| v as *const Value as *const scidb_value)
        .collect();
    let mut outputs: Vec<*mut scidb_value> = vec![std::ptr::null_mut(); n];
    let mut error = vec![0 as c_char; ERROR_SIZE];
    let status = function(
        user_data,
        meta.as_ptr(),
        inputs.as_ptr(),
        inputs.len(),
        outputs.as_mut_ptr(),
        n,
        error.as_mut_ptr(),
        ERROR_SIZE,
    );
    // Own whatever the callback stored, whatever it returned.
    let values: Vec<Option<Value>> = outputs
        .into_iter()
        .map(|p| (!p.is_null()).then(|| Box::from_raw(p).0))
        .collect();
    if status != SCIDB_OK {
        error[ERROR_SIZE - 1] = 0;
        let text = CStr::from_ptr(error.as_ptr())
            .to_string_lossy()
            .into_owned();
        let name = CStr::from_ptr(scidb_status_name(status)).to_string_lossy();
        return Err(if text.is_empty() {
            format!("the function returned {name}")
        } else {
            format!("{text} ({name})")
        });
    }
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| format!("the function returned SCIDB_OK without output {i}")))
        .collect()
}

/// The run log of run `run_id` (0: the latest run) as a new JSON text
/// (free it with `scidb_string_free`): a list of objects with `run_id`,
/// `position`, `metadata`, `status` ("ran", "cached", "skipped",
/// "failed"), `message` (why skipped, or the error), `record_ids` and
/// `cache_key`, in iteration order; an empty list when there is none.
#[no_mangle]
pub unsafe extern "C" fn scidb_run_log_json(
    db: *const scidb_db,
    run_id: i64,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let out = arg_out(out_json, "out_json")?;
        *out = c_string(db.0.run_log_json(run_id)?, "the run log")?.into_raw();
        Ok(())
    })
}

/// The jobs of shared `for_each` runs (`"reserve_jobs": true` on a
/// PostgreSQL catalog) as a new JSON text (free it with
/// `scidb_string_free`): a list of objects with `run_key`, `function`,
/// `position`, `metadata`, `status` ("pending", "reserved", "done",
/// "failed"), `host`, `pid`, `attempts`, `lease_until`, `message` and
/// `updated_at`; an empty list on a DuckDB file.
#[no_mangle]
pub unsafe extern "C" fn scidb_jobs_json(
    db: *const scidb_db,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let out = arg_out(out_json, "out_json")?;
        *out = c_string(db.0.jobs_json()?, "the jobs")?.into_raw();
        Ok(())
    })
}

/// Deletes the jobs with `status` ("pending", "reserved", "done" or
/// "failed"), or every job when `status` is NULL, so that the next run adds
/// those combinations again (how failed ones are retried); writes how many
/// were deleted.
#[no_mangle]
pub unsafe extern "C" fn scidb_clear_jobs(
    db: *const scidb_db,
    status: *const c_char,
    out_deleted: *mut u64,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let status = arg_opt_str(status, "status")?;
        let out = arg_out(out_deleted, "out_deleted")?;
        *out = db.0.clear_jobs(status)?;
        Ok(())
    })
}
