//! Results of loads: a list of records, each with its id, metadata, version,
//! content hash, save time and (except from `scidb_list_versions`) value.

use super::*;
use crate::metadata;
use crate::store::{Record, Unreadable};
use crate::value::Value;

struct RecordC {
    record_id: CString,
    metadata_json: CString,
    /// The metadata as a map value, schema keys first.
    metadata_value: Value,
    content_hash: CString,
    saved_at: CString,
    version: i64,
    value: Option<Box<scidb_value>>,
}

/// The records a load returned.
pub struct scidb_records {
    records: Vec<RecordC>,
    /// `[{"record_id", "message"}, ...]`: records `scidb_load_all` found
    /// but could not read.
    unreadable_json: CString,
    /// The metadata keys as columns of a table (a list of strings): schema
    /// keys any record has, in schema order, then the other keys sorted.
    column_keys: Value,
    /// All records' descriptions as one JSON array, built on first request.
    info_json: Option<CString>,
    variable: String,
}

/// The one column order of records shown as a table, in every language:
/// the schema keys that any record has, in schema order, then every other
/// metadata key, sorted.
fn column_keys(records: &[Record], schema_keys: &[String]) -> Vec<String> {
    let has = |k: &String| records.iter().any(|r| r.metadata.contains_key(k));
    let mut keys: Vec<String> = schema_keys.iter().filter(|k| has(k)).cloned().collect();
    let others: std::collections::BTreeSet<&String> = records
        .iter()
        .flat_map(|r| r.metadata.keys())
        .filter(|k| !schema_keys.contains(k))
        .collect();
    keys.extend(others.into_iter().cloned());
    keys
}

fn c_string(text: String, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::corrupt(format!("{what} holds a NUL byte")))
}

pub(crate) fn records_handle(
    records: Vec<Record>,
    unreadable: Vec<Unreadable>,
    schema_keys: &[String],
) -> Result<*mut scidb_records> {
    let unreadable: Vec<serde_json::Value> = unreadable
        .into_iter()
        .map(|u| {
            serde_json::json!({
                "record_id": u.info.record_id,
                "message": u.error.message,
            })
        })
        .collect();
    let unreadable_json = c_string(
        serde_json::Value::Array(unreadable).to_string(),
        "a message",
    )?;
    let column_keys = Value::List(
        column_keys(&records, schema_keys)
            .into_iter()
            .map(Value::String)
            .collect(),
    );
    let variable = records
        .first()
        .map(|r| r.info.variable.clone())
        .unwrap_or_default();
    let records = records
        .into_iter()
        .map(|r| {
            Ok(RecordC {
                record_id: c_string(r.info.record_id, "a record id")?,
                metadata_json: c_string(metadata::to_json_object(&r.metadata), "metadata")?,
                metadata_value: metadata::to_map_value(&r.metadata, schema_keys),
                content_hash: c_string(r.info.content_hash, "a content hash")?,
                saved_at: c_string(r.info.saved_at, "a timestamp")?,
                version: r.info.version,
                value: r.value.map(|v| Box::new(scidb_value(v))),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Box::into_raw(Box::new(scidb_records {
        records,
        unreadable_json,
        column_keys,
        info_json: None,
        variable,
    })))
}

unsafe fn record<'a>(records: *const scidb_records, index: usize) -> Result<&'a RecordC> {
    let r = arg_ref(records, "records")?;
    r.records.get(index).ok_or_else(|| {
        Error::invalid(format!(
            "index {index} is past the {} records",
            r.records.len()
        ))
    })
}

/// Writes a borrowed pointer to one text field of record `index`.
unsafe fn record_text(
    records: *const scidb_records,
    index: usize,
    out: *mut *const c_char,
    field: impl FnOnce(&RecordC) -> &CString,
) -> scidb_status {
    guard(|| {
        let rec = record(records, index)?;
        *arg_out(out, "out")? = field(rec).as_ptr();
        Ok(())
    })
}

/// Frees a result and sets `*records` to NULL.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_free(records: *mut *mut scidb_records) {
    free_handle(records)
}

/// The number of records.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_count(
    records: *const scidb_records,
    out_count: *mut usize,
) -> scidb_status {
    guard(|| {
        let r = arg_ref(records, "records")?;
        *arg_out(out_count, "out_count")? = r.records.len();
        Ok(())
    })
}

/// Record `index`'s id (borrowed, NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn scidb_records_record_id(
    records: *const scidb_records,
    index: usize,
    out: *mut *const c_char,
) -> scidb_status {
    record_text(records, index, out, |r| &r.record_id)
}

/// Record `index`'s metadata as a JSON object (borrowed, NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn scidb_records_metadata_json(
    records: *const scidb_records,
    index: usize,
    out: *mut *const c_char,
) -> scidb_status {
    record_text(records, index, out, |r| &r.metadata_json)
}

/// Record `index`'s metadata as a map value (borrowed from the result),
/// for bindings that read values rather than JSON: schema keys first in
/// schema order, then the others by name; numbers are float64 scalars
/// (integers beyond 2^53 int64), booleans bool scalars, text strings.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_metadata_value(
    records: *const scidb_records,
    index: usize,
    out_value: *mut *const scidb_value,
) -> scidb_status {
    guard(|| {
        let rec = record(records, index)?;
        *arg_out(out_value, "out_value")? =
            &rec.metadata_value as *const Value as *const scidb_value;
        Ok(())
    })
}

/// Record `index`'s content hash, 64 hex digits (borrowed, NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn scidb_records_content_hash(
    records: *const scidb_records,
    index: usize,
    out: *mut *const c_char,
) -> scidb_status {
    record_text(records, index, out, |r| &r.content_hash)
}

/// Record `index`'s save time, UTC, as text such as "2026-11-24 07:00:00.123456"
/// (borrowed, NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn scidb_records_saved_at(
    records: *const scidb_records,
    index: usize,
    out: *mut *const c_char,
) -> scidb_status {
    record_text(records, index, out, |r| &r.saved_at)
}

/// Record `index`'s version number: larger is newer, across the database.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_version(
    records: *const scidb_records,
    index: usize,
    out: *mut i64,
) -> scidb_status {
    guard(|| {
        let rec = record(records, index)?;
        *arg_out(out, "out")? = rec.version;
        Ok(())
    })
}

/// Record `index`'s value, borrowed from the result. `SCIDB_NOT_FOUND`
/// for results of `scidb_list_versions`, which carry no values.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_value(
    records: *const scidb_records,
    index: usize,
    out_value: *mut *const scidb_value,
) -> scidb_status {
    guard(|| {
        let rec = record(records, index)?;
        let v = rec
            .value
            .as_deref()
            .ok_or_else(|| Error::not_found("this result lists versions and carries no values"))?;
        *arg_out(out_value, "out_value")? = v as *const scidb_value;
        Ok(())
    })
}

/// Borrowed pointers to every record's value, written to
/// `out_values[0..count]` (`count` must equal `scidb_records_count`): one
/// call instead of one per record. `SCIDB_NOT_FOUND` for results of
/// `scidb_list_versions`.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_values(
    records: *const scidb_records,
    out_values: *mut *const scidb_value,
    count: usize,
) -> scidb_status {
    guard(|| {
        let r = arg_ref(records, "records")?;
        if count != r.records.len() {
            return Err(Error::invalid(format!(
                "count is {count}, the result holds {} records",
                r.records.len()
            )));
        }
        if count == 0 {
            return Ok(());
        }
        if out_values.is_null() {
            return Err(null_arg("out_values"));
        }
        let out = std::slice::from_raw_parts_mut(out_values, count);
        for (slot, rec) in out.iter_mut().zip(&r.records) {
            *slot = rec
                .value
                .as_deref()
                .map_or(std::ptr::null(), |v| v as *const scidb_value);
        }
        if out.iter().any(|p| p.is_null()) {
            return Err(Error::not_found(
                "this result carries no values for some records",
            ));
        }
        Ok(())
    })
}

/// Moves record `index`'s value out of the result: the caller owns it and
/// frees it with `scidb_value_free`; a second take is `SCIDB_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_take_value(
    records: *mut scidb_records,
    index: usize,
    out_value: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let r = arg_out(records, "records")?;
        let total = r.records.len();
        let rec = r
            .records
            .get_mut(index)
            .ok_or_else(|| Error::invalid(format!("index {index} is past the {total} records")))?;
        let out = arg_out(out_value, "out_value")?;
        let v = rec
            .value
            .take()
            .ok_or_else(|| Error::not_found("this record's value was taken or never loaded"))?;
        *out = Box::into_raw(v);
        Ok(())
    })
}

/// Every record's description as one JSON array (borrowed, NUL-terminated):
/// `[{"record_id", "variable", "version", "content_hash", "saved_at",
/// "metadata": {...}}, ...]`, in result order. One call instead of many.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_info_json(
    records: *mut scidb_records,
    out: *mut *const c_char,
) -> scidb_status {
    guard(|| {
        let r = arg_out(records, "records")?;
        let out = arg_out(out, "out")?;
        if r.info_json.is_none() {
            let mut text = String::from("[");
            for (i, rec) in r.records.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                let id = rec.record_id.to_string_lossy();
                let hash = rec.content_hash.to_string_lossy();
                let saved = serde_json::Value::String(rec.saved_at.to_string_lossy().into());
                let meta = rec.metadata_json.to_string_lossy();
                text.push_str(&format!(
                    "{{\"record_id\":\"{id}\",\"variable\":{},\"version\":{},\
                     \"content_hash\":\"{hash}\",\"saved_at\":{saved},\"metadata\":{meta}}}",
                    serde_json::Value::String(r.variable.clone()),
                    rec.version
                ));
            }
            text.push(']');
            r.info_json = Some(c_string(text, "record descriptions")?);
        }
        *out = r
            .info_json
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr());
        Ok(())
    })
}

/// The records `scidb_load_all` found but could not read, as one JSON
/// array (borrowed, NUL-terminated): `[{"record_id", "message"}, ...]`;
/// `[]` when every record was read (and for every other kind of result).
/// Such records are not in the result; bindings report them to the user.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_unreadable_json(
    records: *const scidb_records,
    out: *mut *const c_char,
) -> scidb_status {
    guard(|| {
        let r = arg_ref(records, "records")?;
        *arg_out(out, "out")? = r.unreadable_json.as_ptr();
        Ok(())
    })
}

/// The metadata keys to show the records as a table by, as a list value of
/// strings borrowed from the result: the schema keys any record has, in
/// schema order, then the other keys sorted. Bindings build their
/// DataFrame or MATLAB table columns in this order.
#[no_mangle]
pub unsafe extern "C" fn scidb_records_column_keys(
    records: *const scidb_records,
    out_list: *mut *const scidb_value,
) -> scidb_status {
    guard(|| {
        let r = arg_ref(records, "records")?;
        *arg_out(out_list, "out_list")? = &r.column_keys as *const Value as *const scidb_value;
        Ok(())
    })
}
