//! Tables across the C ABI through the Arrow C Data Interface (a struct
//! array whose children are the columns) and the Arrow C Stream Interface
//! (a stream of record batches: what pyarrow, polars and others hand out
//! through the PyCapsule interface, `__arrow_c_stream__`).

use crate::error::{Error, Result};
use crate::ffi::null_arg;
use crate::value::Table;
use arrow::array::{Array, AsArray, RecordBatch, StructArray};
use arrow::array::{ArrayRef, RecordBatchIterator, RecordBatchReader};
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};

/// `struct ArrowSchema` of the Arrow C Data Interface.
pub type ArrowSchema = FFI_ArrowSchema;
/// `struct ArrowArray` of the Arrow C Data Interface.
pub type ArrowArray = FFI_ArrowArray;
/// `struct ArrowArrayStream` of the Arrow C Stream Interface.
pub type ArrowArrayStream = FFI_ArrowArrayStream;

/// Moves a stream of record batches in from C (it is released whatever
/// happens) and makes one table of its batches: a single batch is kept as
/// it is (zero-copy), several are joined. Every column is validated in
/// full (offsets, UTF-8, null counts) and misaligned buffers are copied.
pub(crate) unsafe fn import_stream(stream: *mut ArrowArrayStream) -> Result<Table> {
    if stream.is_null() {
        return Err(null_arg("stream"));
    }
    if (*stream).release.is_none() {
        return Err(bad("the stream was already released"));
    }
    let reader = ArrowArrayStreamReader::from_raw(stream)
        .map_err(|e| Error::invalid(format!("the Arrow stream has no usable schema: {e}")))?;
    let schema = reader.schema();
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| Error::invalid(format!("reading the Arrow stream: {e}")))?;
        let columns = batch
            .columns()
            .iter()
            .map(checked_column)
            .collect::<Result<Vec<_>>>()?;
        let options =
            arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        batches.push(
            RecordBatch::try_new_with_options(batch.schema(), columns, &options)
                .map_err(|e| Error::invalid(format!("the Arrow stream is not valid: {e}")))?,
        );
    }
    let batch = match <[RecordBatch; 1]>::try_from(batches) {
        Ok([one]) => one,
        Err(batches) => arrow::compute::concat_batches(&schema, &batches)
            .map_err(|e| Error::invalid(format!("joining the Arrow stream's batches: {e}")))?,
    };
    Table::new(batch)
}

/// A column as imported, validated in full, its buffers aligned.
fn checked_column(a: &ArrayRef) -> Result<ArrayRef> {
    let mut data = a.to_data();
    data.align_buffers();
    data.validate_full()
        .map_err(|e| Error::invalid(format!("the Arrow stream is not valid: {e}")))?;
    Ok(arrow::array::make_array(data))
}

/// Writes a stream of one record batch, the table's own (no buffer is
/// copied), into `out`; the caller releases it.
pub(crate) unsafe fn export_stream(t: &Table, out: *mut ArrowArrayStream) -> Result<()> {
    if out.is_null() {
        return Err(null_arg("out_stream"));
    }
    let batch = t.batch().clone();
    let reader = RecordBatchIterator::new(vec![Ok(batch)], t.batch().schema());
    std::ptr::write(out, FFI_ArrowArrayStream::new(Box::new(reader)));
    Ok(())
}

/// Checks the caller's Arrow out-structs before any work is done (so a
/// NULL never costs a chunk that was read).
pub(crate) fn check_arrow_out(
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> Result<()> {
    if out_schema.is_null() {
        return Err(null_arg("out_schema"));
    }
    if out_array.is_null() {
        return Err(null_arg("out_array"));
    }
    Ok(())
}

/// Moves a struct array in from C and converts it to a table. Both structs
/// are released whatever happens, as the Arrow specification asks.
pub(crate) unsafe fn import_table(
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> Result<Table> {
    Table::new(import_batch(schema, array)?)
}

/// Writes a table into caller-provided Arrow structs.
pub(crate) unsafe fn export_table(
    t: &Table,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> Result<()> {
    export_batch(t.batch().clone(), out_schema, out_array)
}

/// Moves a struct array in from C as a record batch, keeping every column
/// as it is (zero-copy). Both structs are released whatever happens. The
/// C structs are checked before arrow-rs reads them (its importer trusts
/// them and panics or reads wild memory otherwise), and the imported data
/// is validated in full (offsets, UTF-8, null counts, child lengths).
pub(crate) unsafe fn import_batch(
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> Result<RecordBatch> {
    // Take ownership first so that both are released on every path.
    let owned_schema = (!schema.is_null()).then(|| FFI_ArrowSchema::from_raw(schema));
    let owned_array = (!array.is_null()).then(|| FFI_ArrowArray::from_raw(array));
    let schema = owned_schema.ok_or_else(|| null_arg("schema"))?;
    let array = owned_array.ok_or_else(|| null_arg("array"))?;
    let formats = check_c_schema(&schema)?;
    check_c_array(&array, &formats)?;
    let mut data = from_ffi(array, &schema)
        .map_err(|e| Error::invalid(format!("the Arrow array is not valid: {e}")))?;
    // Misaligned buffers are copied rather than read as if aligned.
    data.align_buffers();
    data.validate_full()
        .map_err(|e| Error::invalid(format!("the Arrow array is not valid: {e}")))?;
    let array = arrow::array::make_array(data);
    let strukt = array.as_struct_opt().ok_or_else(|| {
        Error::type_mismatch(format!(
            "a table must be an Arrow struct array (one child per column), got {}",
            array.data_type()
        ))
    })?;
    if strukt.null_count() > 0 {
        return Err(Error::invalid(
            "a table's struct array may not have null rows",
        ));
    }
    Ok(RecordBatch::from(strukt.clone()))
}

/// Column formats the importer accepts: bool, the integers, float32 and
/// float64, utf8 and binary (both offset widths).
const COLUMN_FORMATS: &[&str] = &[
    "b", "c", "C", "s", "S", "i", "I", "l", "L", "f", "g", "u", "U", "z", "Z",
];

/// More columns than this is not a table anyone meant to pass.
const MAX_COLUMNS: i64 = 1 << 20;

fn bad(what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("the Arrow input is malformed: {what}"))
}

/// A C string of the schema that must be UTF-8 (NULL allowed when `optional`).
unsafe fn c_text<'a>(ptr: *const std::ffi::c_char, what: &str, optional: bool) -> Result<&'a str> {
    if ptr.is_null() {
        return if optional {
            Ok("")
        } else {
            Err(bad(format!("{what} is NULL")))
        };
    }
    std::ffi::CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| bad(format!("{what} is not UTF-8")))
}

/// The `index`th of `n` child pointers, checked to be there.
unsafe fn child<'a, T>(children: *mut *mut T, n: i64, index: usize, what: &str) -> Result<&'a T> {
    if n > 0 && children.is_null() {
        return Err(bad(format!(
            "{what} has {n} children but no child pointers"
        )));
    }
    (*children.add(index))
        .as_ref()
        .ok_or_else(|| bad(format!("{what} child {index} is NULL")))
}

/// Checks a table's schema struct: a live struct ("+s") of flat columns.
/// Returns the columns' formats.
unsafe fn check_c_schema(schema: &FFI_ArrowSchema) -> Result<Vec<&'static str>> {
    if schema.release.is_none() {
        return Err(bad("the schema was already released"));
    }
    let format = c_text(schema.format, "the schema's format", false)?;
    c_text(schema.name, "the schema's name", true)?;
    if format != "+s" {
        return Err(Error::type_mismatch(format!(
            "a table must be an Arrow struct array (format \"+s\", one child per column), \
             got format \"{format}\""
        )));
    }
    if !schema.dictionary.is_null() {
        return Err(bad("the struct schema has a dictionary"));
    }
    let n = schema.n_children;
    if !(0..=MAX_COLUMNS).contains(&n) {
        return Err(bad(format!("the schema has {n} children")));
    }
    let mut formats = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let c = child(schema.children, n, i, "the schema")?;
        let name = c_text(c.name, &format!("column {i}'s name"), true)?;
        let format = c_text(c.format, &format!("column '{name}''s format"), false)?;
        let known = COLUMN_FORMATS
            .iter()
            .find(|f| **f == format)
            .ok_or_else(|| {
                Error::type_mismatch(format!(
                    "table column '{name}' has Arrow format \"{format}\"; supported are bool, \
                 int8..int64, uint8..uint64, float32, float64, utf8 and binary"
                ))
            })?;
        if c.n_children != 0 || !c.dictionary.is_null() {
            return Err(bad(format!("column '{name}' has children or a dictionary")));
        }
        formats.push(*known);
    }
    Ok(formats)
}

/// Checks the array struct against the checked schema's formats: counts,
/// lengths, offsets and the pointers arrow-rs dereferences while importing.
unsafe fn check_c_array(array: &FFI_ArrowArray, formats: &[&str]) -> Result<()> {
    if array.release.is_none() {
        return Err(bad("the array was already released"));
    }
    check_shape(array, "the struct array", 1)?;
    if array.n_children != formats.len() as i64 {
        return Err(bad(format!(
            "the array has {} children but the schema {} columns",
            array.n_children,
            formats.len()
        )));
    }
    if !array.dictionary.is_null() {
        return Err(bad("the struct array has a dictionary"));
    }
    let rows = array.length + array.offset;
    for (i, format) in formats.iter().enumerate() {
        let c = child(array.children, array.n_children, i, "the array")?;
        let what = format!("column {i}");
        let offsets = matches!(*format, "u" | "U" | "z" | "Z");
        check_shape(c, &what, if offsets { 3 } else { 2 })?;
        if c.n_children != 0 || !c.dictionary.is_null() {
            return Err(bad(format!("{what} has children or a dictionary")));
        }
        if c.length < rows {
            return Err(bad(format!(
                "{what} has {} rows, the table {rows}",
                c.length
            )));
        }
        if offsets && c.length > 0 {
            // arrow-rs reads the last offset to size the data buffer.
            let buffer = *c.buffers.add(1);
            if buffer.is_null() {
                return Err(bad(format!("{what} has no offsets buffer")));
            }
            let (first, last) = match *format {
                "u" | "z" => {
                    let o = buffer as *const i32;
                    (
                        o.add(c.offset as usize).read_unaligned() as i64,
                        o.add((c.offset + c.length) as usize).read_unaligned() as i64,
                    )
                }
                _ => {
                    let o = buffer as *const i64;
                    (
                        o.add(c.offset as usize).read_unaligned(),
                        o.add((c.offset + c.length) as usize).read_unaligned(),
                    )
                }
            };
            if first < 0 || last < first {
                return Err(bad(format!("{what} has offsets {first}..{last}")));
            }
        }
    }
    Ok(())
}

/// Length, offset, null count and buffer count of one array struct.
fn check_shape(a: &FFI_ArrowArray, what: &str, n_buffers: i64) -> Result<()> {
    if a.length < 0 || a.offset < 0 || a.length.checked_add(a.offset).is_none() {
        return Err(bad(format!(
            "{what} has length {} and offset {}",
            a.length, a.offset
        )));
    }
    if a.null_count < -1 || a.null_count > a.length {
        return Err(bad(format!("{what} has null count {}", a.null_count)));
    }
    if a.n_buffers != n_buffers {
        return Err(bad(format!(
            "{what} has {} buffers, its type has {n_buffers}",
            a.n_buffers
        )));
    }
    if a.buffers.is_null() {
        return Err(bad(format!("{what} has no buffer pointers")));
    }
    if a.n_children < 0 || a.n_children > MAX_COLUMNS {
        return Err(bad(format!("{what} has {} children", a.n_children)));
    }
    Ok(())
}

/// Writes a record batch into caller-provided Arrow structs as a struct
/// array, without copying its buffers.
pub(crate) unsafe fn export_batch(
    batch: RecordBatch,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> Result<()> {
    let strukt = StructArray::from(batch);
    let (array, schema) = to_ffi(&strukt.into_data())
        .map_err(|e| Error::invalid(format!("exporting the chunk: {e}")))?;
    std::ptr::write(out_schema, schema);
    std::ptr::write(out_array, array);
    Ok(())
}
