//! Looking at a database: what the `scidb` command shows, as JSON texts
//! for the bindings (see `store::inspect` and docs/inspect.md). Every
//! result is a new string; free it with `scidb_string_free`.

use super::lineage::c_string;
use super::*;
use crate::store::inspect::{FunctionIdentity, GraphFormat};
use serde::Serialize;

/// Writes `value` as new JSON text into `*out`.
unsafe fn put_json<T: Serialize>(out: *mut *mut c_char, value: &T, what: &str) -> Result<()> {
    let out = arg_out(out, "out_json")?;
    let text =
        serde_json::to_string(value).map_err(|e| Error::invalid(format!("writing {what}: {e}")))?;
    *out = c_string(text, what)?.into_raw();
    Ok(())
}

/// Every variable type that has records, as a JSON list of objects with
/// `variable`, `records` (all versions), `locations`, `variants`, `kinds`
/// (preview kinds of its values), `bytes` (in the catalog and payload
/// files) and `computed` (records with lineage), by name.
#[no_mangle]
pub unsafe extern "C" fn scidb_vars_json(
    db: *const scidb_db,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        arg_out(out_json, "out_json")?;
        put_json(out_json, &db.0.variable_summaries()?, "the variable types")
    })
}

/// The newest record of every location and variant of `variable` that
/// matches `query_json` (NULL: all), as a JSON list of objects with
/// `record_id`, `variable`, `version`, `saved_at`, `keys` (schema keys),
/// `variant` (the other metadata), `preview` (a short text of the value)
/// and `newest`. An unknown variable type is `SCIDB_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn scidb_show_json(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let query = arg_query(query_json, "query_json")?;
        arg_out(out_json, "out_json")?;
        put_json(
            out_json,
            &db.0.show_records(variable, &query)?,
            "the records",
        )
    })
}

/// Every version of the records of `variable` matching `query_json`
/// (NULL: all), oldest first per location, shaped as in `scidb_show_json`.
#[no_mangle]
pub unsafe extern "C" fn scidb_versions_json(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let query = arg_query(query_json, "query_json")?;
        arg_out(out_json, "out_json")?;
        put_json(
            out_json,
            &db.0.version_rows(variable, &query)?,
            "the versions",
        )
    })
}

/// The `for_each` runs, newest first, as a JSON list of objects with
/// `run_id`, `function`, `language`, `outputs`, `started_at`,
/// `finished_at`, `ran`, `cached`, `skipped`, `failed` and `failures`
/// (the first failed combinations' `metadata` and `message`).
#[no_mangle]
pub unsafe extern "C" fn scidb_runs_json(
    db: *const scidb_db,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        arg_out(out_json, "out_json")?;
        put_json(out_json, &db.0.runs()?, "the runs")
    })
}

/// Every pipeline step (a function and an output type) with how many of
/// its current outputs are up to date and how many are stale, as a JSON
/// list of objects with `function`, `language`, `output`, `outputs`,
/// `current`, `stale` and `stale_outputs` (each with `record_id`,
/// `metadata`, `reason`: "newer_input", "stale_input", "missing_input" or
/// "function_changed", and `input`). `function_json` (NULL: none) is a
/// function as it is now, `{"language", "name", "source_hash", "version"}`:
/// its outputs made by another identity are stale too.
#[no_mangle]
pub unsafe extern "C" fn scidb_status_json(
    db: *const scidb_db,
    function_json: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let function = arg_opt_str(function_json, "function_json")?
            .map(FunctionIdentity::parse)
            .transpose()?;
        arg_out(out_json, "out_json")?;
        put_json(
            out_json,
            &db.0.pipeline_status(function.as_ref())?,
            "the pipeline status",
        )
    })
}

/// The pipeline graph as a new text of kind `kind`: "json" (an object with
/// `variables` and `functions`), "dot" (Graphviz), "svg" or "html" (a
/// self-contained page holding the SVG).
#[no_mangle]
pub unsafe extern "C" fn scidb_graph_text(
    db: *const scidb_db,
    kind: *const c_char,
    out_text: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let kind = arg_str(kind, "kind")?;
        let out = arg_out(out_text, "out_text")?;
        let graph = db.0.pipeline_graph()?;
        let text = if kind == "json" {
            serde_json::to_string(&graph)
                .map_err(|e| Error::invalid(format!("writing the graph: {e}")))?
        } else {
            graph.render(GraphFormat::parse(kind)?, db.0.path())?
        };
        *out = c_string(text, "the graph")?.into_raw();
        Ok(())
    })
}

/// Reads every record's value (all versions), recomputes its content
/// hash and checks the lineage links; writes a JSON object with
/// `records`, `verified`, `lineage_rows` and `problems` (each with
/// `record_id`, `variable`, `problem`). Problems are reported, not
/// raised: the call fails only when the catalog cannot be read.
#[no_mangle]
pub unsafe extern "C" fn scidb_check_json(
    db: *const scidb_db,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        arg_out(out_json, "out_json")?;
        put_json(out_json, &db.0.check()?, "the check")
    })
}

/// Runs one query read-only (a write fails, several statements are
/// refused) and writes a JSON object with `columns` and `rows` (lists of
/// texts, null for NULL).
#[no_mangle]
pub unsafe extern "C" fn scidb_sql_json(
    db: *const scidb_db,
    sql: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let sql = arg_str(sql, "sql")?;
        arg_out(out_json, "out_json")?;
        put_json(out_json, &db.0.sql_read_only(sql)?, "the query result")
    })
}
