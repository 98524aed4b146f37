//! Tables across the C ABI through the Arrow C Data Interface: a struct
//! array whose children are the columns.

use crate::error::{Error, Result};
use crate::ffi::null_arg;
use crate::value::{batch_from_table, table_from_batch, Table};
use arrow::array::{Array, AsArray, RecordBatch, StructArray};
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};

/// `struct ArrowSchema` of the Arrow C Data Interface.
pub type ArrowSchema = FFI_ArrowSchema;
/// `struct ArrowArray` of the Arrow C Data Interface.
pub type ArrowArray = FFI_ArrowArray;

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
    table_from_batch(&import_batch(schema, array)?)
}

/// Writes a table into caller-provided Arrow structs.
pub(crate) unsafe fn export_table(
    t: &Table,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> Result<()> {
    export_batch(batch_from_table(t)?, out_schema, out_array)
}

/// Moves a struct array in from C as a record batch, keeping every column
/// as it is (zero-copy). Both structs are released whatever happens.
pub(crate) unsafe fn import_batch(
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> Result<RecordBatch> {
    // Take ownership first so that both are released on every path.
    let owned_schema = (!schema.is_null()).then(|| FFI_ArrowSchema::from_raw(schema));
    let owned_array = (!array.is_null()).then(|| FFI_ArrowArray::from_raw(array));
    let schema = owned_schema.ok_or_else(|| null_arg("schema"))?;
    let array = owned_array.ok_or_else(|| null_arg("array"))?;
    let data = from_ffi(array, &schema)
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
