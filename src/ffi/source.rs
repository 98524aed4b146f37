//! Function sources and input hashes for the bindings: source hashes
//! (MATLAB sources normalized in Rust), MATLAB signatures, and the content
//! hash of an array without building a value.

use super::*;
use crate::lineage::source;
use crate::value::{Array, DType, Value};

unsafe fn text_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    let bytes: &[u8] = if len == 0 {
        &[]
    } else if ptr.is_null() {
        return Err(null_arg(name));
    } else {
        std::slice::from_raw_parts(ptr as *const u8, len)
    };
    std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid(format!("{name} is not valid UTF-8: {e}")))
}

/// Writes the source hash of a function, 64 hex digits and a NUL, into
/// `out_hash` (`SCIDB_HASH_SIZE` bytes), for `scidb_call_new`. `source`
/// is `len` bytes of UTF-8. For "matlab" the source (a whole .m file) is
/// first normalized as `scidb_source_normalize` shows, so comments and
/// formatting do not change the hash; other languages' text is hashed as
/// given (the Python binding passes a dump of the function's syntax tree).
#[no_mangle]
pub unsafe extern "C" fn scidb_source_hash(
    language: *const c_char,
    source: *const c_char,
    len: usize,
    out_hash: *mut c_char,
) -> scidb_status {
    guard(|| {
        let language = arg_str(language, "language")?;
        let text = text_arg(source, len, "source")?;
        write_fixed(
            &source::source_hash(language, text),
            out_hash,
            SCIDB_HASH_SIZE,
            "out_hash",
        )
    })
}

/// The text `scidb_source_hash` hashes for a source, as a new
/// NUL-terminated string (free it with `scidb_string_free`): for "matlab",
/// the source without comments (`%`, `#`, `%{ ... %}` blocks, the rest of a
/// line after `...`), with whitespace runs collapsed and blank lines
/// dropped, string literals kept verbatim; other languages' text unchanged.
#[no_mangle]
pub unsafe extern "C" fn scidb_source_normalize(
    language: *const c_char,
    source: *const c_char,
    len: usize,
    out_text: *mut *mut c_char,
) -> scidb_status {
    guard(|| {
        let language = arg_str(language, "language")?;
        let text = text_arg(source, len, "source")?;
        let out = arg_out(out_text, "out_text")?;
        let normalized = source::normalize(language, text).into_owned();
        *out = CString::new(normalized)
            .map_err(|_| Error::invalid("the source holds a NUL character"))?
            .into_raw();
        Ok(())
    })
}

/// Parses the first function declaration of a MATLAB source (a whole .m
/// file or its `function ...` line), e.g. `function [a, b] = name(x, y,
/// varargin)`, into a new map value (free it with `scidb_value_free`):
/// `name` (a string), `inputs` (a list of strings: "x", "y", "varargin";
/// `~` as written) and `outputs` (a list of strings: "a", "b"). A source
/// without a function declaration is `SCIDB_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn scidb_matlab_signature(
    source: *const c_char,
    len: usize,
    out_value: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let text = text_arg(source, len, "source")?;
        let sig = source::matlab_signature(text)?;
        let strings =
            |names: Vec<String>| Value::List(names.into_iter().map(Value::String).collect());
        let map = Value::Map(vec![
            ("name".to_string(), Value::String(sig.name)),
            ("inputs".to_string(), strings(sig.inputs)),
            ("outputs".to_string(), strings(sig.outputs)),
        ]);
        super::value::into_handle(map, out_value)
    })
}

/// Writes the content hash of an array, 64 hex digits and a NUL, into
/// `out_hash` (`SCIDB_HASH_SIZE` bytes): the same hash
/// `scidb_value_new_array` then `scidb_value_hash` give, with the same
/// arguments, but row-major data (and any vector) is hashed where it lies,
/// without a copy; column-major matrices are reordered a strip at a time
/// through a bounded buffer (never copied whole). The caller
/// keeps `shape` and `data`.
#[no_mangle]
pub unsafe extern "C" fn scidb_array_hash(
    dtype: u32,
    shape: *const u64,
    ndim: usize,
    data: *const std::ffi::c_void,
    nbytes: usize,
    flags: u32,
    out_hash: *mut c_char,
) -> scidb_status {
    guard(|| {
        let dtype = DType::from_code(dtype)?;
        if flags & !(SCIDB_ARRAY_SCALAR | SCIDB_ARRAY_COLUMN_MAJOR) != 0 {
            return Err(Error::invalid(format!("unknown array flags {flags:#x}")));
        }
        let shape: &[u64] = if ndim == 0 {
            &[]
        } else if shape.is_null() {
            return Err(null_arg("shape"));
        } else {
            std::slice::from_raw_parts(shape, ndim)
        };
        let bytes: &[u8] = if nbytes == 0 {
            &[]
        } else if data.is_null() {
            return Err(null_arg("data"));
        } else {
            std::slice::from_raw_parts(data as *const u8, nbytes)
        };
        let scalar = flags & SCIDB_ARRAY_SCALAR != 0;
        // Vectors (at most one dimension longer than 1) have the same bytes
        // in both orders: only true matrices are reordered.
        let reorder =
            flags & SCIDB_ARRAY_COLUMN_MAJOR != 0 && shape.iter().filter(|&&d| d > 1).count() > 1;
        if Array::byte_len(dtype, shape)? != nbytes as u64 {
            return Err(Error::invalid(format!(
                "a {} array of shape {shape:?} needs {} bytes, got {nbytes}",
                dtype.name(),
                Array::byte_len(dtype, shape)?
            )));
        }
        if scalar && !shape.is_empty() {
            return Err(Error::invalid("a scalar must have an empty (0-d) shape"));
        }
        let hash = if reorder {
            crate::hash::array_hash_column_major(dtype, shape, bytes)
        } else {
            crate::hash::array_hash(dtype, shape, bytes)
        };
        write_fixed(&hash, out_hash, SCIDB_HASH_SIZE, "out_hash")
    })
}
