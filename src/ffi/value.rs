//! Values across the C ABI: build them from C data, read them back.

use super::*;
use crate::value::{too_deep, Array, DType, Kind, Value, MAX_DEPTH};

/// The deepest nesting of lists and maps a value may have (a list of
/// numbers has depth 1); see `scidb_max_depth`.
pub const SCIDB_MAX_DEPTH: u32 = 128;
const _: () = assert!(SCIDB_MAX_DEPTH as usize == MAX_DEPTH);

/// An owned value (array, string, list, map, table or null).
#[repr(transparent)]
pub struct scidb_value(pub(crate) Value);

/// Value kinds, as `scidb_value_kind` reports them.
pub const SCIDB_KIND_NULL: u32 = 0;
pub const SCIDB_KIND_ARRAY: u32 = 1;
pub const SCIDB_KIND_STRING: u32 = 2;
pub const SCIDB_KIND_LIST: u32 = 3;
pub const SCIDB_KIND_MAP: u32 = 4;
pub const SCIDB_KIND_TABLE: u32 = 5;

/// Element types (dtype codes) of arrays.
pub const SCIDB_DTYPE_BOOL: u32 = 0;
pub const SCIDB_DTYPE_INT8: u32 = 1;
pub const SCIDB_DTYPE_INT16: u32 = 2;
pub const SCIDB_DTYPE_INT32: u32 = 3;
pub const SCIDB_DTYPE_INT64: u32 = 4;
pub const SCIDB_DTYPE_UINT8: u32 = 5;
pub const SCIDB_DTYPE_UINT16: u32 = 6;
pub const SCIDB_DTYPE_UINT32: u32 = 7;
pub const SCIDB_DTYPE_UINT64: u32 = 8;
pub const SCIDB_DTYPE_FLOAT32: u32 = 9;
pub const SCIDB_DTYPE_FLOAT64: u32 = 10;
pub const SCIDB_DTYPE_COMPLEX64: u32 = 11;
pub const SCIDB_DTYPE_COMPLEX128: u32 = 12;

// The codes above are literals so cbindgen can write them; these checks
// tie them to the enums at compile time.
const _: () = {
    assert!(SCIDB_KIND_NULL == Kind::Null as u32);
    assert!(SCIDB_KIND_ARRAY == Kind::Array as u32);
    assert!(SCIDB_KIND_STRING == Kind::String as u32);
    assert!(SCIDB_KIND_LIST == Kind::List as u32);
    assert!(SCIDB_KIND_MAP == Kind::Map as u32);
    assert!(SCIDB_KIND_TABLE == Kind::Table as u32);
    assert!(SCIDB_DTYPE_BOOL == DType::Bool as u32);
    assert!(SCIDB_DTYPE_INT8 == DType::Int8 as u32);
    assert!(SCIDB_DTYPE_INT16 == DType::Int16 as u32);
    assert!(SCIDB_DTYPE_INT32 == DType::Int32 as u32);
    assert!(SCIDB_DTYPE_INT64 == DType::Int64 as u32);
    assert!(SCIDB_DTYPE_UINT8 == DType::UInt8 as u32);
    assert!(SCIDB_DTYPE_UINT16 == DType::UInt16 as u32);
    assert!(SCIDB_DTYPE_UINT32 == DType::UInt32 as u32);
    assert!(SCIDB_DTYPE_UINT64 == DType::UInt64 as u32);
    assert!(SCIDB_DTYPE_FLOAT32 == DType::Float32 as u32);
    assert!(SCIDB_DTYPE_FLOAT64 == DType::Float64 as u32);
    assert!(SCIDB_DTYPE_COMPLEX64 == DType::Complex64 as u32);
    assert!(SCIDB_DTYPE_COMPLEX128 == DType::Complex128 as u32);
};

/// Flag for `scidb_value_new_array`: the saver had a scalar (a Python
/// number, a MATLAB 1x1), not a 0-d array. Requires an empty shape.
pub const SCIDB_ARRAY_SCALAR: u32 = 1;
/// Flag for `scidb_value_new_array`: `data` is column-major (Fortran, MATLAB).
pub const SCIDB_ARRAY_COLUMN_MAJOR: u32 = 2;

/// Element order for `scidb_value_array_copy`.
pub const SCIDB_ORDER_ROW_MAJOR: u32 = 0;
pub const SCIDB_ORDER_COLUMN_MAJOR: u32 = 1;

/// A borrowed view of an array value: valid while the value lives.
#[repr(C)]
pub struct scidb_array_view {
    /// A dtype code: 0 bool, 1 int8, 2 int16, 3 int32, 4 int64, 5 uint8,
    /// 6 uint16, 7 uint32, 8 uint64, 9 float32, 10 float64, 11 complex64,
    /// 12 complex128.
    pub dtype: u32,
    /// 1 when the saver had a scalar rather than a 0-d array.
    pub is_scalar: u32,
    pub ndim: usize,
    /// `ndim` dimensions (NULL when ndim is 0).
    pub shape: *const u64,
    /// Row-major little-endian elements (may be NULL when nbytes is 0).
    pub data: *const std::ffi::c_void,
    pub nbytes: usize,
}

pub(crate) fn into_handle(v: Value, out: *mut *mut scidb_value) -> Result<()> {
    let out = unsafe { arg_out(out, "out") }?;
    *out = Box::into_raw(Box::new(scidb_value(v)));
    Ok(())
}

fn borrow_handle(v: &Value) -> *const scidb_value {
    v as *const Value as *const scidb_value
}

/// Takes ownership of `*item` (and nulls it); on error it stays the caller's.
unsafe fn take_item(item: *mut *mut scidb_value) -> Result<Value> {
    let slot = arg_out(item, "item")?;
    if slot.is_null() {
        return Err(null_arg("*item"));
    }
    let boxed = Box::from_raw(*slot);
    *slot = std::ptr::null_mut();
    Ok(boxed.0)
}

/// Creates a null value (Python None, MATLAB []).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_null(out: *mut *mut scidb_value) -> scidb_status {
    guard(|| into_handle(Value::Null, out))
}

/// Creates an array value by copying `nbytes` bytes from `data`.
/// `dtype` is a dtype code (see `scidb_array_view`); `shape` holds `ndim`
/// dimensions (may be NULL when ndim is 0); `flags` combines
/// `SCIDB_ARRAY_SCALAR` and `SCIDB_ARRAY_COLUMN_MAJOR`. `nbytes` must equal
/// the element count times the element size; bool elements must be 0 or 1.
/// The caller keeps ownership of `shape` and `data`; the new value is
/// freed with `scidb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_array(
    dtype: u32,
    shape: *const u64,
    ndim: usize,
    data: *const std::ffi::c_void,
    nbytes: usize,
    flags: u32,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let dtype = DType::from_code(dtype)?;
        if flags & !(SCIDB_ARRAY_SCALAR | SCIDB_ARRAY_COLUMN_MAJOR) != 0 {
            return Err(Error::invalid(format!("unknown array flags {flags:#x}")));
        }
        let shape: Vec<u64> = if ndim == 0 {
            Vec::new()
        } else if shape.is_null() {
            return Err(null_arg("shape"));
        } else {
            std::slice::from_raw_parts(shape, ndim).to_vec()
        };
        // Checked before `data` is touched: a wrong count must not be read.
        let expected = Array::byte_len(dtype, &shape)?;
        if nbytes as u64 != expected {
            return Err(Error::invalid(format!(
                "a {} array of shape {shape:?} needs {expected} bytes, got nbytes = {nbytes}",
                dtype.name()
            )));
        }
        let bytes: &[u8] = if nbytes == 0 {
            &[]
        } else if data.is_null() {
            return Err(null_arg("data"));
        } else {
            std::slice::from_raw_parts(data as *const u8, nbytes)
        };
        if dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(Error::invalid("bool array elements must be 0 or 1"));
        }
        let scalar = flags & SCIDB_ARRAY_SCALAR != 0;
        let array = if flags & SCIDB_ARRAY_COLUMN_MAJOR != 0 {
            Array::from_column_major(dtype, shape, bytes, scalar)?
        } else {
            Array::new(dtype, shape, bytes.to_vec(), scalar)?
        };
        into_handle(Value::Array(array), out)
    })
}

/// Creates a string value from `len` bytes of UTF-8 (NUL bytes allowed).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_string(
    utf8: *const c_char,
    len: usize,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let bytes: &[u8] = if len == 0 {
            &[]
        } else if utf8.is_null() {
            return Err(null_arg("utf8"));
        } else {
            std::slice::from_raw_parts(utf8 as *const u8, len)
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| Error::invalid(format!("string is not valid UTF-8: {e}")))?;
        into_handle(Value::String(text.to_string()), out)
    })
}

/// Creates a string value from `len` UTF-16 code units (MATLAB's `char`
/// elements). An unpaired surrogate is `SCIDB_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_string_utf16(
    utf16: *const u16,
    len: usize,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let units: &[u16] = if len == 0 {
            &[]
        } else if utf16.is_null() {
            return Err(null_arg("utf16"));
        } else {
            std::slice::from_raw_parts(utf16, len)
        };
        let text = String::from_utf16(units)
            .map_err(|_| Error::invalid("text holds an unpaired UTF-16 surrogate"))?;
        into_handle(Value::String(text), out)
    })
}

fn string_of<'a>(v: &'a scidb_value, what: &str) -> Result<&'a str> {
    match expect_kind(&v.0, Kind::String, what)? {
        Value::String(s) => Ok(s),
        _ => unreachable!(),
    }
}

/// The length of a string value in UTF-16 code units.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_string_utf16_len(
    value: *const scidb_value,
    out_len: *mut usize,
) -> scidb_status {
    guard(|| {
        let s = string_of(arg_ref(value, "value")?, "scidb_value_string_utf16_len")?;
        *arg_out(out_len, "out_len")? = s.encode_utf16().count();
        Ok(())
    })
}

/// Copies a string value as UTF-16 into `dst`, which must hold exactly
/// `len` code units (`scidb_value_string_utf16_len`).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_string_utf16_copy(
    value: *const scidb_value,
    dst: *mut u16,
    len: usize,
) -> scidb_status {
    guard(|| {
        let s = string_of(arg_ref(value, "value")?, "scidb_value_string_utf16_copy")?;
        let needed = s.encode_utf16().count();
        if needed != len {
            return Err(Error::invalid(format!(
                "the string has {needed} UTF-16 units, the destination {len}"
            )));
        }
        if len == 0 {
            return Ok(());
        }
        if dst.is_null() {
            return Err(null_arg("dst"));
        }
        let dst = std::slice::from_raw_parts_mut(dst, len);
        for (slot, unit) in dst.iter_mut().zip(s.encode_utf16()) {
            *slot = unit;
        }
        Ok(())
    })
}

/// Creates an empty list; fill it with `scidb_value_list_push`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_list(out: *mut *mut scidb_value) -> scidb_status {
    guard(|| into_handle(Value::List(Vec::new()), out))
}

/// Checks that `*item` may go into `container`: not the container itself
/// nor anything holding it (which would leave a dangling or cyclic value),
/// and not so deep that the container would exceed `SCIDB_MAX_DEPTH`.
/// Done on raw pointers before any reference to the container exists.
unsafe fn check_item(container: *mut scidb_value, item: *mut *mut scidb_value) -> Result<()> {
    let slot = arg_out(item, "item")?;
    if slot.is_null() {
        return Err(null_arg("*item"));
    }
    let inner = arg_ref(*slot as *const scidb_value, "*item")?;
    if inner.0.contains_node(container as *const Value) {
        return Err(Error::invalid(
            "a list or map cannot be put into itself (or into a value it holds)",
        ));
    }
    if inner.0.depth()? >= MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(())
}

/// Appends `*item` to a list. On success the list owns the item and
/// `*item` is set to NULL; on failure the caller still owns it. Pushing a
/// list into itself, or an item that would make the list deeper than
/// `SCIDB_MAX_DEPTH`, is `SCIDB_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_list_push(
    list: *mut scidb_value,
    item: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        if list.is_null() {
            return Err(null_arg("list"));
        }
        if !matches!((*list).0, Value::List(_)) {
            return Err(Error::type_mismatch(format!(
                "scidb_value_list_push needs a list, got a {}",
                (*list).0.kind_name()
            )));
        }
        check_item(list, item)?;
        let value = take_item(item)?;
        if let Value::List(items) = &mut (*list).0 {
            items.push(value);
        }
        Ok(())
    })
}

/// Creates an empty ordered map; fill it with `scidb_value_map_insert`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_map(out: *mut *mut scidb_value) -> scidb_status {
    guard(|| into_handle(Value::Map(Vec::new()), out))
}

/// Adds `key` → `*item` at the end of a map; a key already present is an
/// error. On success the map owns the item and `*item` is set to NULL; on
/// failure the caller still owns it. Inserting a map into itself, or an
/// item that would make the map deeper than `SCIDB_MAX_DEPTH`, is
/// `SCIDB_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_map_insert(
    map: *mut scidb_value,
    key: *const c_char,
    item: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        if map.is_null() {
            return Err(null_arg("map"));
        }
        let key = arg_str(key, "key")?;
        let Value::Map(entries) = &(*map).0 else {
            return Err(Error::type_mismatch(format!(
                "scidb_value_map_insert needs a map, got a {}",
                (*map).0.kind_name()
            )));
        };
        if entries.iter().any(|(k, _)| k == key) {
            return Err(Error::invalid(format!(
                "map key '{key}' is already present"
            )));
        }
        check_item(map, item)?;
        let value = take_item(item)?;
        if let Value::Map(entries) = &mut (*map).0 {
            entries.push((key.to_string(), value));
        }
        Ok(())
    })
}

/// The deepest nesting of lists and maps a value may have
/// (`SCIDB_MAX_DEPTH`): a list of numbers has depth 1. Every save and load
/// is held to it; bindings ask for it to stop their own conversion there.
#[no_mangle]
pub extern "C" fn scidb_max_depth() -> u32 {
    SCIDB_MAX_DEPTH
}

/// Creates a table value from an Arrow C Data Interface struct array (one
/// child per column). Takes ownership of `array` and `schema` as the Arrow
/// specification says for a consumer: both are released, on success and on
/// failure alike. Columns may be bool, int8..int64, uint8..uint64,
/// float32, float64 or utf8/large_utf8, nullable or not.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_table_from_arrow(
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let table = arrow::import_table(schema, array)?;
        into_handle(Value::Table(table), out)
    })
}

/// Creates a table value from an Arrow C stream of record batches (what
/// pyarrow's `__arrow_c_stream__` capsule holds), keeping its buffers
/// without a copy when the stream holds one batch (several are joined).
/// Takes ownership of the stream: it is released, on success and on
/// failure alike. Columns may be bool, int8..int64, uint8..uint64,
/// float32, float64, utf8/large_utf8 or binary/large_binary.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_table_from_arrow_stream(
    stream: *mut ArrowArrayStream,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let table = arrow::import_stream(stream)?;
        into_handle(Value::Table(table), out)
    })
}

/// Exports a table value as an Arrow C stream of one record batch into
/// `out_stream` (caller-allocated, e.g. by `scidb_arrow_stream_new`). The
/// stream shares the table's buffers (no copy) and stays valid after the
/// value is freed; the caller releases it (or hands it to a consumer).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_to_arrow_stream(
    value: *const scidb_value,
    out_stream: *mut ArrowArrayStream,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::Table(t) = expect_kind(&v.0, Kind::Table, "scidb_value_table_to_arrow_stream")?
        else {
            unreachable!()
        };
        arrow::export_stream(t, out_stream)
    })
}

/// A new, empty (already released) `struct ArrowArrayStream` on the heap,
/// for callers that cannot allocate one themselves (Python's ctypes); free
/// it with `scidb_arrow_stream_free`. NULL when out of memory.
#[no_mangle]
pub extern "C" fn scidb_arrow_stream_new() -> *mut ArrowArrayStream {
    let mut out = std::ptr::null_mut();
    guard_void(|| out = Box::into_raw(Box::new(ArrowArrayStream::empty())));
    out
}

/// Releases a stream made by `scidb_arrow_stream_new` (unless a consumer
/// already moved it out) and frees it, setting `*stream` to NULL. NULL and
/// `*stream == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn scidb_arrow_stream_free(stream: *mut *mut ArrowArrayStream) {
    guard_void(|| {
        if let Some(slot) = stream.as_mut() {
            if !slot.is_null() {
                // Dropping the Box releases a live stream.
                drop(Box::from_raw(*slot));
                *slot = std::ptr::null_mut();
            }
        }
    })
}

/// Frees a value and sets `*value` to NULL. NULL and `*value == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_free(value: *mut *mut scidb_value) {
    free_handle(value)
}

/// The kind of a value: 0 null, 1 array, 2 string, 3 list, 4 map, 5 table.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_kind(
    value: *const scidb_value,
    out_kind: *mut u32,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        *arg_out(out_kind, "out_kind")? = v.0.kind() as u32;
        Ok(())
    })
}

fn expect_kind<'a>(v: &'a Value, kind: Kind, what: &str) -> Result<&'a Value> {
    if v.kind() == kind {
        Ok(v)
    } else {
        Err(Error::type_mismatch(format!(
            "{what} needs a {}, got a {}",
            format!("{kind:?}").to_lowercase(),
            v.kind_name()
        )))
    }
}

/// A borrowed view of an array value (row-major).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_array(
    value: *const scidb_value,
    out: *mut scidb_array_view,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::Array(a) = expect_kind(&v.0, Kind::Array, "scidb_value_array")? else {
            unreachable!()
        };
        *arg_out(out, "out")? = scidb_array_view {
            dtype: a.dtype as u32,
            is_scalar: a.scalar as u32,
            ndim: a.shape.len(),
            shape: if a.shape.is_empty() {
                std::ptr::null()
            } else {
                a.shape.as_ptr()
            },
            data: a.data.as_ptr() as *const std::ffi::c_void,
            nbytes: a.data.len(),
        };
        Ok(())
    })
}

/// Copies an array's elements into `dst` (exactly `nbytes` bytes) in
/// `SCIDB_ORDER_ROW_MAJOR` or `SCIDB_ORDER_COLUMN_MAJOR` order.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_array_copy(
    value: *const scidb_value,
    dst: *mut std::ffi::c_void,
    nbytes: usize,
    order: u32,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::Array(a) = expect_kind(&v.0, Kind::Array, "scidb_value_array_copy")? else {
            unreachable!()
        };
        if nbytes != a.data.len() {
            return Err(Error::invalid(format!(
                "the array holds {} bytes, the destination {nbytes}",
                a.data.len()
            )));
        }
        if nbytes == 0 {
            return Ok(());
        }
        if dst.is_null() {
            return Err(null_arg("dst"));
        }
        let dst = std::slice::from_raw_parts_mut(dst as *mut u8, nbytes);
        match order {
            SCIDB_ORDER_ROW_MAJOR => dst.copy_from_slice(&a.data),
            SCIDB_ORDER_COLUMN_MAJOR => a.write_column_major(dst),
            other => return Err(Error::invalid(format!("unknown element order {other}"))),
        }
        Ok(())
    })
}

/// A borrowed view of a string value's UTF-8 bytes (not NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_string(
    value: *const scidb_value,
    out_utf8: *mut *const c_char,
    out_len: *mut usize,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::String(s) = expect_kind(&v.0, Kind::String, "scidb_value_string")? else {
            unreachable!()
        };
        *arg_out(out_utf8, "out_utf8")? = s.as_ptr() as *const c_char;
        *arg_out(out_len, "out_len")? = s.len();
        Ok(())
    })
}

/// The number of items of a list or entries of a map.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_len(
    value: *const scidb_value,
    out_len: *mut usize,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let n = match &v.0 {
            Value::List(items) => items.len(),
            Value::Map(entries) => entries.len(),
            other => {
                return Err(Error::type_mismatch(format!(
                    "scidb_value_len needs a list or map, got a {}",
                    other.kind_name()
                )))
            }
        };
        *arg_out(out_len, "out_len")? = n;
        Ok(())
    })
}

/// Item `index` of a list, borrowed from the list.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_list_get(
    value: *const scidb_value,
    index: usize,
    out_item: *mut *const scidb_value,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::List(items) = expect_kind(&v.0, Kind::List, "scidb_value_list_get")? else {
            unreachable!()
        };
        let item = items.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "index {index} is past the list's {} items",
                items.len()
            ))
        })?;
        *arg_out(out_item, "out_item")? = borrow_handle(item);
        Ok(())
    })
}

/// Entry `index` of a map: its key (borrowed UTF-8, not NUL-terminated,
/// `out_key_len` bytes) and its value (borrowed from the map).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_map_entry(
    value: *const scidb_value,
    index: usize,
    out_key: *mut *const c_char,
    out_key_len: *mut usize,
    out_item: *mut *const scidb_value,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::Map(entries) = expect_kind(&v.0, Kind::Map, "scidb_value_map_entry")? else {
            unreachable!()
        };
        let (k, item) = entries.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "index {index} is past the map's {} entries",
                entries.len()
            ))
        })?;
        *arg_out(out_key, "out_key")? = k.as_ptr() as *const c_char;
        *arg_out(out_key_len, "out_key_len")? = k.len();
        *arg_out(out_item, "out_item")? = borrow_handle(item);
        Ok(())
    })
}

/// Exports a table value as an Arrow C Data Interface struct array. The
/// caller owns both structs and must call their `release` callbacks.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_to_arrow(
    value: *const scidb_value,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        let Value::Table(t) = expect_kind(&v.0, Kind::Table, "scidb_value_table_to_arrow")? else {
            unreachable!()
        };
        arrow::check_arrow_out(out_schema, out_array)?;
        arrow::export_table(t, out_schema, out_array)
    })
}

/// Writes the value's content hash: 64 hex digits and a NUL into
/// `out_hash`, which must hold `SCIDB_HASH_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_hash(
    value: *const scidb_value,
    out_hash: *mut c_char,
) -> scidb_status {
    guard(|| {
        let v = arg_ref(value, "value")?;
        // Bounded before hashing recurses (values built here never exceed it).
        v.0.depth()?;
        let h = crate::hash::content_hash(&v.0);
        write_fixed(&h, out_hash, SCIDB_HASH_SIZE, "out_hash")
    })
}
