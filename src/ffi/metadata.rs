//! Metadata given as values: bindings that hold name-value pairs as values
//! (MATLAB) turn them into the JSON text the save and query calls take.

use super::*;
use crate::metadata;

/// Converts metadata held as a map value (e.g. built from MATLAB name-value
/// pairs) into the JSON object text `scidb_save` and the query calls take:
/// one-element arrays become numbers or booleans, strings text, and longer
/// arrays or lists JSON lists (which queries read as "any of" and saves
/// refuse). Writes a new NUL-terminated string to `*out_json`; free it with
/// `scidb_string_free`. The map stays the caller's.
#[no_mangle]
pub unsafe extern "C" fn scidb_metadata_json_from_map(
    map: *const scidb_value,
    out_json: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let map = arg_ref(map, "map")?;
        let out = arg_out(out_json, "out_json")?;
        let text = metadata::json_from_map_value(&map.0)?;
        let owned = CString::new(text)
            .map_err(|_| Error::invalid("metadata text holds a NUL character"))?;
        *out = owned.into_raw();
        Ok(())
    })
}

/// Frees a string scidb returned as owned (`char **` out-arguments) and sets
/// `*text` to NULL. NULL and `*text == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn scidb_string_free(text: *mut *mut c_char) {
    guard_void(|| {
        if let Some(slot) = text.as_mut() {
            if !slot.is_null() {
                drop(CString::from_raw(*slot));
                *slot = std::ptr::null_mut();
            }
        }
    })
}
