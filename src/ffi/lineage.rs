//! Calls, cache lookups, saving with lineage, and provenance.
//!
//! Without a callback: describe the call (`scidb_call_new`, inputs,
//! constants), `scidb_call_lookup`; on a hit load the outputs by record
//! id; on a miss run the function yourself and save its outputs with
//! `scidb_call_save_output(s)`, which records the lineage in the same
//! transaction. With a callback, `scidb_call_cached` does all of that.

use super::*;
use crate::lineage::{self, Call, FunctionId};
use crate::metadata::{self, Metadata};
use crate::store::lineage::{CachedOutput, CallOutputs, OutputSave};
use crate::value::Value;
use std::ffi::c_void;

/// A description of one call of a function: its identity, its inputs by
/// parameter name and its constants. Free with `scidb_call_free`.
pub struct scidb_call {
    call: Call,
    /// What the last `scidb_call_lookup` found, as C strings.
    found: Vec<(CString, CString)>,
}

/// A function run by `scidb_call_cached` on a cache miss. It receives the
/// call's input values in the order they were added (borrowed for the
/// duration of the call) and must store `n_outputs` new values into
/// `outputs[0..n_outputs]`; scidb takes ownership of every non-NULL value
/// stored there, whatever the function returns. Return `SCIDB_OK` on
/// success, any other status on failure (nothing is saved then).
pub type scidb_call_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const *const scidb_value,
        n_inputs: usize,
        outputs: *mut *mut scidb_value,
        n_outputs: usize,
    ) -> scidb_status,
>;

/// Describes a call of the function `function_name` written in `language`
/// ("python", "matlab", "c": lower-case letters and digits). The function
/// is identified by `source_hash` (64 hex digits from `scidb_source_hash`)
/// or by an explicit `version` (any text), which overrides the source hash
/// when both are given; either may be NULL, not both. `n_outputs` is the
/// number of outputs the caller asks for, or 0 when the function decides
/// (then set the count with `scidb_call_set_output_count` before saving).
/// Free the call with `scidb_call_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_new(
    language: *const c_char,
    function_name: *const c_char,
    source_hash: *const c_char,
    version: *const c_char,
    n_outputs: u32,
    out_call: *mut *mut scidb_call,
) -> scidb_status {
    guard(|| {
        let function = FunctionId::new(
            arg_str(language, "language")?,
            arg_str(function_name, "function_name")?,
            arg_opt_str(source_hash, "source_hash")?,
            arg_opt_str(version, "version")?,
        )?;
        let out = arg_out(out_call, "out_call")?;
        *out = Box::into_raw(Box::new(scidb_call {
            call: Call::new(function, n_outputs),
            found: Vec::new(),
        }));
        Ok(())
    })
}

/// Frees a call and sets `*call` to NULL. NULL and `*call == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_free(call: *mut *mut scidb_call) {
    free_handle(call)
}

unsafe fn call_mut<'a>(call: *mut scidb_call) -> Result<&'a mut scidb_call> {
    arg_out(call, "call")
}

/// Adds the input `name` (the parameter name): the saved record
/// `record_id` of `db`, identified by its content hash. An unknown record
/// is `SCIDB_NOT_FOUND`. Its value is loaded only if `scidb_call_cached`
/// has to run the function.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_add_input_record(
    call: *mut scidb_call,
    db: *const scidb_db,
    name: *const c_char,
    record_id: *const c_char,
) -> scidb_status {
    guard(|| {
        let c = call_mut(call)?;
        let db = arg_ref(db, "db")?;
        let name = arg_str(name, "name")?;
        let record_id = arg_str(record_id, "record_id")?;
        let hash =
            db.0.record_hash(record_id)
                .map_err(|e| e.context(format!("input '{name}'")))?;
        c.call.add_input(name, &hash, Some(record_id), None)
    })
}

/// Adds the input `name` given as a value that is not a saved record; it
/// is hashed now. On success the call owns the value and `*value` is set
/// to NULL; on failure it stays the caller's.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_add_input_value(
    call: *mut scidb_call,
    name: *const c_char,
    value: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let c = call_mut(call)?;
        let name = arg_str(name, "name")?;
        let slot = arg_out(value, "value")?;
        let v = arg_ref(*slot as *const scidb_value, "*value")?;
        // Checked on a borrow first, so the caller keeps the value on failure.
        c.call.check_new_name(name)?;
        v.0.validate()
            .map_err(|e| e.context(format!("input '{name}'")))?;
        let owned = Box::from_raw(*slot);
        *slot = std::ptr::null_mut();
        c.call.add_input_value(name, owned.0)
    })
}

/// Adds the input `name` known only by its content hash (64 hex digits,
/// e.g. from `scidb_value_hash` or `scidb_array_hash`): a value the caller
/// holds and has not saved, such as an earlier call's unsaved output.
/// `scidb_call_cached` cannot run a function with such an input.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_add_input_hash(
    call: *mut scidb_call,
    name: *const c_char,
    content_hash: *const c_char,
) -> scidb_status {
    guard(|| {
        let c = call_mut(call)?;
        let name = arg_str(name, "name")?;
        let hash = arg_str(content_hash, "content_hash")?;
        c.call.add_input(name, hash, None, None)
    })
}

/// Adds constants: a JSON object of numbers, strings and booleans (e.g.
/// `{"low_hz": 20, "high_hz": 450}`), kept in the order given. Each name
/// becomes a metadata key of the saved results (so it must be a valid,
/// unreserved key), which lets loads select results by constant.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_add_constants(
    call: *mut scidb_call,
    constants_json: *const c_char,
) -> scidb_status {
    guard(|| {
        let c = call_mut(call)?;
        let constants = lineage::parse_constants(arg_str(constants_json, "constants_json")?)?;
        // All or nothing: a bad constant leaves the call as it was.
        let mut updated = c.call.clone();
        for (name, value) in constants {
            updated.add_constant(&name, value)?;
        }
        c.call = updated;
        Ok(())
    })
}

/// Sets the number of outputs of a call described with `n_outputs` 0,
/// once the function has run. Must equal `n_outputs` when that was given.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_set_output_count(
    call: *mut scidb_call,
    n_outputs: u32,
) -> scidb_status {
    guard(|| call_mut(call)?.call.set_output_count(n_outputs))
}

/// Writes the call's cache key, 64 hex digits and a NUL, into `out_key`,
/// which must hold `SCIDB_HASH_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_key(
    call: *const scidb_call,
    out_key: *mut c_char,
) -> scidb_status {
    guard(|| {
        let c = arg_ref(call, "call")?;
        write_fixed(&c.call.key(), out_key, SCIDB_HASH_SIZE, "out_key")
    })
}

fn remember(c: &mut scidb_call, found: Option<Vec<CachedOutput>>) -> Result<bool> {
    c.found.clear();
    let Some(outputs) = found else {
        return Ok(false);
    };
    for o in outputs {
        c.found.push((
            c_string(o.record_id, "a record id")?,
            c_string(o.content_hash, "a content hash")?,
        ));
    }
    Ok(true)
}

pub(crate) fn c_string(text: String, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::corrupt(format!("{what} holds a NUL byte")))
}

/// Looks the call up in the cache of `db`. `*out_hit` is 1 when every
/// output of an identical earlier call (same function identity, input
/// contents and constants) was saved; their record ids are then readable
/// with `scidb_call_output_record_id` (load them with `scidb_load_record`).
/// 0 on a miss. Nothing is written either way.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_lookup(
    db: *const scidb_db,
    call: *mut scidb_call,
    out_hit: *mut i32,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let c = call_mut(call)?;
        let out = arg_out(out_hit, "out_hit")?;
        let found = db.0.lookup(&[&c.call])?.pop().flatten();
        *out = remember(c, found)? as i32;
        Ok(())
    })
}

/// The number of outputs the last successful lookup found (0 after a miss).
#[no_mangle]
pub unsafe extern "C" fn scidb_call_output_count(
    call: *const scidb_call,
    out_count: *mut usize,
) -> scidb_status {
    guard(|| {
        let c = arg_ref(call, "call")?;
        *arg_out(out_count, "out_count")? = c.found.len();
        Ok(())
    })
}

unsafe fn found_text(
    call: *const scidb_call,
    index: usize,
    out: *mut *const c_char,
    field: impl FnOnce(&(CString, CString)) -> &CString,
) -> scidb_status {
    guard(|| {
        let c = arg_ref(call, "call")?;
        let found = c.found.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "output {index} was not found: the last lookup found {} outputs",
                c.found.len()
            ))
        })?;
        *arg_out(out, "out")? = field(found).as_ptr();
        Ok(())
    })
}

/// The record id of output `index` found by the last lookup (borrowed
/// from the call until its next lookup or free).
#[no_mangle]
pub unsafe extern "C" fn scidb_call_output_record_id(
    call: *const scidb_call,
    index: usize,
    out_record_id: *mut *const c_char,
) -> scidb_status {
    found_text(call, index, out_record_id, |f| &f.0)
}

/// The content hash of output `index` found by the last lookup (borrowed
/// from the call until its next lookup or free). Pass it to
/// `scidb_call_add_input_hash` to chain a call without loading the value.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_output_content_hash(
    call: *const scidb_call,
    index: usize,
    out_hash: *mut *const c_char,
) -> scidb_status {
    found_text(call, index, out_hash, |f| &f.1)
}

/// Reads `n` output descriptions from C arrays.
unsafe fn outputs_from_c<'a>(
    n: usize,
    variables: *const *const c_char,
    metadata_jsons: *const *const c_char,
    values: *const *const scidb_value,
) -> Result<Vec<OutputSave<'a>>> {
    if n == 0 {
        return Err(Error::invalid("no outputs to save"));
    }
    if variables.is_null() {
        return Err(null_arg("variables"));
    }
    if metadata_jsons.is_null() {
        return Err(null_arg("metadata_jsons"));
    }
    (0..n)
        .map(|i| {
            let meta: Metadata = metadata::parse_metadata(arg_str(
                *metadata_jsons.add(i),
                &format!("metadata_jsons[{i}]"),
            )?)?;
            let value = if values.is_null() {
                None
            } else {
                (*values.add(i)).as_ref().map(|v| &v.0)
            };
            Ok(OutputSave {
                index: i as u32,
                variable: arg_str(*variables.add(i), &format!("variables[{i}]"))?,
                metadata: meta,
                value,
            })
        })
        .collect()
}

/// Writes record ids into a caller's buffer of `n * SCIDB_RECORD_ID_SIZE` bytes.
unsafe fn write_ids(ids: &[String], out: *mut c_char) -> Result<()> {
    if out.is_null() {
        return Err(null_arg("out_record_ids"));
    }
    for (i, id) in ids.iter().enumerate() {
        write_fixed(
            id,
            out.add(i * SCIDB_RECORD_ID_SIZE),
            SCIDB_RECORD_ID_SIZE,
            "out_record_ids",
        )?;
    }
    Ok(())
}

fn save(db: &scidb_db, call: &Call, outputs: Vec<OutputSave<'_>>) -> Result<Vec<String>> {
    db.0.save_outputs(&[CallOutputs { call, outputs }])?
        .pop()
        .ok_or_else(|| Error::corrupt("a save returned no record ids"))
}

/// Saves output `output_index` of the call as a record of `variable` with
/// metadata (a JSON object as for `scidb_save`) plus the call's constants
/// as variant keys, and records its lineage in the same transaction. With
/// `value` NULL, saves the output a cache lookup of this call finds (a
/// cache hit saved again; nothing is written when it is already saved
/// there). Writes the record id into `out_record_id`
/// (`SCIDB_RECORD_ID_SIZE` bytes). The value stays the caller's.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_save_output(
    db: *const scidb_db,
    call: *const scidb_call,
    output_index: u32,
    variable: *const c_char,
    metadata_json: *const c_char,
    value: *const scidb_value,
    out_record_id: *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let c = arg_ref(call, "call")?;
        let output = OutputSave {
            index: output_index,
            variable: arg_str(variable, "variable")?,
            metadata: metadata::parse_metadata(arg_str(metadata_json, "metadata_json")?)?,
            value: value.as_ref().map(|v| &v.0),
        };
        if out_record_id.is_null() {
            return Err(null_arg("out_record_id"));
        }
        let ids = save(db, &c.call, vec![output])?;
        write_ids(&ids, out_record_id)
    })
}

/// Saves outputs 0..n of the call in one transaction (all or none):
/// output i as a record of `variables[i]` with `metadata_jsons[i]` plus the
/// constants, and value `values[i]` (NULL entries, or `values` NULL, save
/// what a cache lookup finds, as in `scidb_call_save_output`). Writes n
/// record ids into `out_record_ids`, which must hold
/// `n * SCIDB_RECORD_ID_SIZE` bytes (id i at offset i * SCIDB_RECORD_ID_SIZE).
/// The values stay the caller's.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_save_outputs(
    db: *const scidb_db,
    call: *const scidb_call,
    n: usize,
    variables: *const *const c_char,
    metadata_jsons: *const *const c_char,
    values: *const *const scidb_value,
    out_record_ids: *mut c_char,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let c = arg_ref(call, "call")?;
        let outputs = outputs_from_c(n, variables, metadata_jsons, values)?;
        if out_record_ids.is_null() {
            return Err(null_arg("out_record_ids"));
        }
        let ids = save(db, &c.call, outputs)?;
        write_ids(&ids, out_record_ids)
    })
}

/// Frees the values a callback stored, whatever it returned.
struct Outputs(Vec<*mut scidb_value>);

impl Drop for Outputs {
    fn drop(&mut self) {
        for p in self.0.iter_mut() {
            unsafe { scidb_value_free(p) };
        }
    }
}

/// The whole cached call in one: looks the call up; on a hit, makes sure
/// its outputs are saved as `variables[i]` with `metadata_jsons[i]` (usually
/// already so: nothing is written) and sets `*out_hit` to 1; on a miss,
/// loads the inputs, runs `function(user_data, inputs, n_inputs, outputs,
/// n)` and saves its n outputs with lineage in one transaction, and sets
/// `*out_hit` to 0. Writes n record ids into `out_record_ids`
/// (`n * SCIDB_RECORD_ID_SIZE` bytes). A function that fails (returns a
/// status other than `SCIDB_OK`) saves nothing; its status is returned.
#[no_mangle]
pub unsafe extern "C" fn scidb_call_cached(
    db: *const scidb_db,
    call: *mut scidb_call,
    n: usize,
    variables: *const *const c_char,
    metadata_jsons: *const *const c_char,
    function: scidb_call_fn,
    user_data: *mut c_void,
    out_record_ids: *mut c_char,
    out_hit: *mut i32,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let c = call_mut(call)?;
        let function = function.ok_or_else(|| null_arg("function"))?;
        let hit_out = arg_out(out_hit, "out_hit")?;
        if out_record_ids.is_null() {
            return Err(null_arg("out_record_ids"));
        }
        let n_out = u32::try_from(n).map_err(|_| Error::invalid("too many outputs"))?;
        if c.call.n_outputs == 0 {
            c.call.set_output_count(n_out)?;
        } else if c.call.n_outputs != n_out {
            return Err(Error::invalid(format!(
                "the call was described with {} outputs, {n} are to be saved",
                c.call.n_outputs
            )));
        }
        let mut outputs = outputs_from_c(n, variables, metadata_jsons, std::ptr::null())?;
        let found = db.0.lookup(&[&c.call])?.pop().flatten();
        let hit = remember(c, found)?;
        let produced = if hit {
            None
        } else {
            Some(run(db, &c.call, function, user_data, n)?)
        };
        if let Some(values) = &produced {
            for (out, v) in outputs.iter_mut().zip(&values.0) {
                out.value = Some(&(*(*v as *const scidb_value)).0);
            }
        }
        let ids = save(db, &c.call, outputs)?;
        write_ids(&ids, out_record_ids)?;
        *hit_out = hit as i32;
        Ok(())
    })
}

/// Runs a callback on the call's inputs; returns its n outputs.
unsafe fn run(
    db: &scidb_db,
    call: &Call,
    function: unsafe extern "C" fn(
        *mut c_void,
        *const *const scidb_value,
        usize,
        *mut *mut scidb_value,
        usize,
    ) -> scidb_status,
    user_data: *mut c_void,
    n: usize,
) -> Result<Outputs> {
    let mut loaded: Vec<Value> = Vec::new();
    for input in call.inputs() {
        if input.value.is_none() {
            let id = input.record_id.as_deref().ok_or_else(|| {
                Error::invalid(format!(
                    "input '{}' is known only by its hash: scidb_call_cached needs its value \
                     or record",
                    input.name
                ))
            })?;
            let record = db.0.load_record(None, id)?;
            loaded.push(
                record
                    .value
                    .ok_or_else(|| Error::corrupt(format!("record {id} has no value")))?,
            );
        }
    }
    let mut next_loaded = loaded.iter();
    let inputs: Vec<*const scidb_value> = call
        .inputs()
        .iter()
        .map(|i| {
            let v = i.value.as_ref().or_else(|| next_loaded.next());
            v.map_or(std::ptr::null(), |v| {
                v as *const Value as *const scidb_value
            })
        })
        .collect();
    let mut outputs = Outputs(vec![std::ptr::null_mut(); n]);
    let status = function(
        user_data,
        inputs.as_ptr(),
        inputs.len(),
        outputs.0.as_mut_ptr(),
        n,
    );
    if status != SCIDB_OK {
        return Err(Error::new(
            kind_of(status),
            format!(
                "function {} failed: it returned {}",
                call.function.name,
                CStr::from_ptr(scidb_status_name(status)).to_string_lossy()
            ),
        ));
    }
    if let Some(i) = outputs.0.iter().position(|p| p.is_null()) {
        return Err(Error::invalid(format!(
            "function {} returned SCIDB_OK without storing output {i}",
            call.function.name
        )));
    }
    Ok(outputs)
}

unsafe fn provenance_call(
    db: *const scidb_db,
    record_id: *const c_char,
    out_json: *mut *mut c_char,
    upstream: bool,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let id = arg_str(record_id, "record_id")?;
        let out = arg_out(out_json, "out_json")?;
        let text = if upstream {
            serde_json::to_string(&db.0.upstream_provenance(id)?)
        } else {
            serde_json::to_string(&db.0.provenance(id)?)
        }
        .map_err(|e| Error::invalid(format!("writing provenance: {e}")))?;
        *out = c_string(text, "provenance")?.into_raw();
        Ok(())
    })
}

/// What produced record `record_id`, as a new JSON text (free it with
/// `scidb_string_free`): `null` when the record was saved without lineage,
/// else an object with `record_id`, `variable`, `metadata`,
/// `function_name`, `function_hash`, `language`, `source_hash`,
/// `function_version`, `cache_key`, `output_index`, `n_outputs`,
/// `constants` (an object, in the order given), `inputs` (a list of
/// objects with `name`, `variable`, `record_id`, `content_hash`; the
/// variable and record id are null for inputs that were not saved records)
/// and `recorded_at`. An unknown record is `SCIDB_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn scidb_provenance_json(
    db: *const scidb_db,
    record_id: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    provenance_call(db, record_id, out_json, false)
}

/// The provenance of record `record_id` and, recursively, of every saved
/// input upstream of it: a new JSON text holding a list of objects shaped
/// as in `scidb_provenance_json`, the record first, then breadth-first,
/// each record once; records saved without lineage end the walk (they
/// appear as inputs). Free it with `scidb_string_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_upstream_provenance_json(
    db: *const scidb_db,
    record_id: *const c_char,
    out_json: *mut *mut c_char,
) -> scidb_status {
    provenance_call(db, record_id, out_json, true)
}
