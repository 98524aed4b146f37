//! Opening a database, saving and loading.

use super::*;
use crate::metadata::{self, Selection};
use crate::store::Database;

/// An open database. Safe to use from several threads; calls are serialized.
pub struct scidb_db(pub(crate) std::sync::Arc<Database>);

/// Opens (creating when missing) the database file at `path` with the
/// ordered schema keys `schema_keys[0..n_keys]` (e.g. "subject",
/// "session"). `lineage_path` may be NULL; when given it is recorded, and
/// lineage is kept in the same file. Values larger than
/// `SCIDB_INLINE_BYTES` are kept as files in the folder the database
/// recorded when it was created, else in `<path>.data` beside it (see
/// `scidb_open_with_data_path`). Reopening a file with other schema keys
/// fails with `SCIDB_SCHEMA_MISMATCH`; a file held by another process,
/// or already open in this one under any name (symlink, hard link), with
/// `SCIDB_LOCKED`. A path that is not a regular file (a FIFO, a folder), a
/// file that is not a DuckDB database (SQLite, text) and a DuckDB database
/// with tables of its own but not scidb's fail with `SCIDB_INVALID_ARGUMENT`
/// before anything is written. DuckDB never installs or loads extensions on
/// its own. Free the handle with `scidb_db_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_open(
    path: *const c_char,
    schema_keys: *const *const c_char,
    n_keys: usize,
    lineage_path: *const c_char,
    out_db: *mut *mut scidb_db,
) -> scidb_status {
    scidb_open_with_data_path(
        path,
        schema_keys,
        n_keys,
        lineage_path,
        std::ptr::null(),
        out_db,
    )
}

/// Opens a database as `scidb_open` does, with its payload files (values
/// larger than `SCIDB_INLINE_BYTES`, one file per content: `.npy` for
/// arrays, Arrow IPC `.arrow` for tables) under `data_path`: a folder,
/// taken from the database file's folder when relative, created when
/// missing. A new database records it, so later opens with `data_path`
/// NULL find it; NULL on a database that recorded none means
/// `<path>.data`. Free the handle with `scidb_db_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_open_with_data_path(
    path: *const c_char,
    schema_keys: *const *const c_char,
    n_keys: usize,
    lineage_path: *const c_char,
    data_path: *const c_char,
    out_db: *mut *mut scidb_db,
) -> scidb_status {
    guard(|| {
        let path = arg_str(path, "path")?;
        let lineage = arg_opt_str(lineage_path, "lineage_path")?;
        let data_path = arg_opt_str(data_path, "data_path")?;
        if n_keys > 0 && schema_keys.is_null() {
            return Err(null_arg("schema_keys"));
        }
        // Grown as keys are read: a garbage count must not size an allocation.
        let mut keys = Vec::new();
        for i in 0..n_keys {
            keys.push(arg_str(*schema_keys.add(i), &format!("schema_keys[{i}]"))?.to_string());
        }
        let out = arg_out(out_db, "out_db")?;
        let db = Database::open_with_data_path(path, &keys, lineage, data_path)?;
        *out = Box::into_raw(Box::new(scidb_db(std::sync::Arc::new(db))));
        Ok(())
    })
}

/// Removes payload files that no record refers to (a save interrupted
/// between writing its file and committing its record leaves one) and
/// temporary files of interrupted writes. Loads never remove files. Writes
/// the number of files removed and their bytes through the out-pointers
/// (either may be NULL).
#[no_mangle]
pub unsafe extern "C" fn scidb_gc(
    db: *const scidb_db,
    out_removed_files: *mut u64,
    out_removed_bytes: *mut u64,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let report = db.0.gc()?;
        if !out_removed_files.is_null() {
            *out_removed_files = report.removed_files + report.removed_temporary;
        }
        if !out_removed_bytes.is_null() {
            *out_removed_bytes = report.removed_bytes;
        }
        Ok(())
    })
}

/// Closes a database and sets `*db` to NULL. NULL and `*db == NULL` are no-ops.
/// Chunk readers and writers still open keep the file open until freed.
#[no_mangle]
pub unsafe extern "C" fn scidb_db_free(db: *mut *mut scidb_db) {
    free_handle(db)
}

/// Saves `value` as a record of the variable type `variable` (a name such
/// as "RawEMG") with metadata given as a JSON object of numbers, strings
/// and booleans (e.g. `{"subject": 1, "session": "baseline"}`). Writes the
/// 32-hex-digit record id and a NUL into `out_record_id`, which must hold
/// `SCIDB_RECORD_ID_SIZE` bytes. The value stays the caller's. Saving the
/// same content with the same metadata again stores nothing new and
/// returns the same id. On failure the database is unchanged.
#[no_mangle]
pub unsafe extern "C" fn scidb_save(
    db: *const scidb_db,
    variable: *const c_char,
    metadata_json: *const c_char,
    value: *const scidb_value,
    out_record_id: *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let meta = metadata::parse_metadata(arg_str(metadata_json, "metadata_json")?)?;
        let value = arg_ref(value, "value")?;
        if out_record_id.is_null() {
            return Err(null_arg("out_record_id"));
        }
        let id = db.0.save(variable, &meta, &value.0)?;
        write_fixed(&id, out_record_id, SCIDB_RECORD_ID_SIZE, "out_record_id")
    })
}

/// Which records a query call returns.
enum Select {
    Load,
    LoadAll,
    Versions,
}

unsafe fn query_call(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out: *mut *mut scidb_records,
    select: Select,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let out = arg_out(out, "out_records")?;
        let (records, unreadable) = match select {
            Select::Load => match arg_selection(query_json, "query_json")? {
                Selection::Matching(query) => (db.0.load(variable, &query)?, Vec::new()),
                Selection::Record(id) => (vec![db.0.load_record(Some(variable), &id)?], Vec::new()),
            },
            Select::LoadAll => {
                db.0.load_all_readable(variable, &arg_query(query_json, "query_json")?)?
            }
            Select::Versions => (
                db.0.list_versions(variable, &arg_query(query_json, "query_json")?)?,
                Vec::new(),
            ),
        };
        *out = records_handle(records, unreadable, db.0.schema_keys())?;
        Ok(())
    })
}

/// Loads the newest record at each location matching `query_json` (a JSON
/// object; a list value means "any of"; NULL or "{}" matches all). Keys
/// that are not schema keys select variants (e.g. `{"smoothing": 0.2}`).
/// Fails with `SCIDB_NOT_FOUND` when nothing matches and `SCIDB_AMBIGUOUS`
/// when a location holds several variants the query does not choose
/// between (the message names the keys that would). `{"version": "<record
/// id>"}` (alone) loads exactly that record, which must be of `variable`.
/// Free the result with `scidb_records_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_load(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_records: *mut *mut scidb_records,
) -> scidb_status {
    query_call(db, variable, query_json, out_records, Select::Load)
}

/// Like `scidb_load`, but returns the newest record of every matching
/// location and variant, never fails with `SCIDB_AMBIGUOUS`, and returns an
/// empty result rather than `SCIDB_NOT_FOUND` when nothing matches (a
/// variable type never saved included). A record whose value cannot be
/// read (a missing or damaged payload file, a changed value) does not fail
/// the others: it is left out of the result and listed by
/// `scidb_records_unreadable_json`, which callers must check.
#[no_mangle]
pub unsafe extern "C" fn scidb_load_all(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_records: *mut *mut scidb_records,
) -> scidb_status {
    query_call(db, variable, query_json, out_records, Select::LoadAll)
}

/// Every matching record, all versions, without values (oldest first at
/// each location); empty for a variable type never saved. Free the result
/// with `scidb_records_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_list_versions(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_records: *mut *mut scidb_records,
) -> scidb_status {
    query_call(db, variable, query_json, out_records, Select::Versions)
}

/// Loads exactly the record `record_id`. When `variable` is not NULL the
/// record must be of that variable type. Free with `scidb_records_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_load_record(
    db: *const scidb_db,
    variable: *const c_char,
    record_id: *const c_char,
    out_records: *mut *mut scidb_records,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_opt_str(variable, "variable")?;
        let record_id = arg_str(record_id, "record_id")?;
        let out = arg_out(out_records, "out_records")?;
        let record = db.0.load_record(variable, record_id)?;
        *out = records_handle(vec![record], Vec::new(), db.0.schema_keys())?;
        Ok(())
    })
}

/// The folder holding the database's payload files, as a new string (free
/// it with `scidb_string_free`).
#[no_mangle]
pub unsafe extern "C" fn scidb_db_data_path(
    db: *const scidb_db,
    out_path: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let out = arg_out(out_path, "out_path")?;
        let text = db.0.data_path().to_string_lossy().into_owned();
        *out = super::lineage::c_string(text, "data_path")?.into_raw();
        Ok(())
    })
}

/// The database's name as a new string (free it with
/// `scidb_string_free`): the DuckDB file's path, or a PostgreSQL
/// catalog's URL without its password.
#[no_mangle]
pub unsafe extern "C" fn scidb_db_path(
    db: *const scidb_db,
    out_path: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let out = arg_out(out_path, "out_path")?;
        *out = super::lineage::c_string(db.0.path().to_string(), "path")?.into_raw();
        Ok(())
    })
}

/// Writes 1 to `out_shared` when other processes may write the database
/// too (a PostgreSQL catalog), else 0 (a DuckDB file).
#[no_mangle]
pub unsafe extern "C" fn scidb_db_is_shared(
    db: *const scidb_db,
    out_shared: *mut i32,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let out = arg_out(out_shared, "out_shared")?;
        *out = db.0.is_shared() as i32;
        Ok(())
    })
}

/// Copies every record (all versions), view, lineage row, run and payload
/// file of `src` into `dst`, which must be empty and have the same schema
/// keys, then verifies each record in `dst` (content hash, provenance).
/// Writes what was copied as a new JSON text (free it with
/// `scidb_string_free`): `records`, `variables`, `payload_files`,
/// `payload_bytes`, `lineage_rows`, `runs`, `verified`.
#[no_mangle]
pub unsafe extern "C" fn scidb_copy(
    src: *const scidb_db,
    dst: *const scidb_db,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let src = arg_ref(src, "src")?;
        let dst = arg_ref(dst, "dst")?;
        let out = arg_out(out_json, "out_json")?;
        let report = src.0.copy_into(&dst.0)?;
        let json = serde_json::to_string(&report).map_err(|e| Error::invalid(e.to_string()))?;
        *out = super::lineage::c_string(json, "the copy report")?.into_raw();
        Ok(())
    })
}
