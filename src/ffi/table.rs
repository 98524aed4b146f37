//! Tables column by column, for C callers (the MATLAB gateway) that would
//! rather not build Arrow C Data Interface structs. Arrow remains the way
//! to move whole tables (`scidb_value_new_table_from_arrow`).

use super::*;
use crate::value::{ColumnType, DType, Table, Value};
use ::arrow::array::{Array, ArrayData, ArrayRef, AsArray, BinaryArray, StringArray};
use ::arrow::buffer::{Buffer, NullBuffer, OffsetBuffer};
use std::sync::Arc;

/// A numeric or bool column (`scidb_column_view.is_text`).
pub const SCIDB_COLUMN_NUMERIC: u32 = 0;
/// A column of UTF-8 text cells.
pub const SCIDB_COLUMN_TEXT: u32 = 1;
/// A column of binary (raw bytes) cells.
pub const SCIDB_COLUMN_BINARY: u32 = 2;

/// A borrowed view of one table column: valid while the value lives and is
/// not changed.
#[repr(C)]
pub struct scidb_column_view {
    /// The column name, UTF-8, `name_len` bytes, not NUL-terminated.
    pub name: *const c_char,
    pub name_len: usize,
    /// `SCIDB_COLUMN_NUMERIC` (0) for a numeric or bool column,
    /// `SCIDB_COLUMN_TEXT` (1) for text and `SCIDB_COLUMN_BINARY` (2) for
    /// binary (read the cells of both with `scidb_value_table_text`).
    pub is_text: u32,
    /// The dtype code of a numeric column (unused for text and binary).
    pub dtype: u32,
    /// A numeric column's little-endian elements (`nbytes` bytes; bool is
    /// one byte 0/1); NULL for text or when there are no rows.
    pub data: *const std::ffi::c_void,
    pub nbytes: usize,
    /// One byte per row, 1 = present and 0 = missing; NULL when the column
    /// has no missing cells.
    pub validity: *const u8,
}

/// Creates an empty table of `nrows` rows; add columns with
/// `scidb_value_table_add_numeric` and `scidb_value_table_add_text`. Free
/// with `scidb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_new_table(
    nrows: usize,
    out: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| value::into_handle(Value::Table(Table::empty(nrows)), out))
}

fn table_mut<'a>(v: &'a mut scidb_value, what: &str) -> Result<&'a mut Table> {
    match &mut v.0 {
        Value::Table(t) => Ok(t),
        other => Err(Error::type_mismatch(format!(
            "{what} needs a table, got a {}",
            other.kind_name()
        ))),
    }
}

/// The validity of a new column: `nrows` bytes 0/1, or NULL for none.
unsafe fn validity_arg(validity: *const u8, rows: usize) -> Result<Option<NullBuffer>> {
    if validity.is_null() {
        return Ok(None);
    }
    let flags = std::slice::from_raw_parts(validity, rows);
    if flags.iter().any(|&b| b > 1) {
        return Err(Error::invalid("validity flags must be 0 or 1"));
    }
    Ok(Some(NullBuffer::from_iter(flags.iter().map(|&b| b == 1))))
}

/// Appends a column to a table; the table is unchanged on failure.
fn push_column(table: &mut Table, name: &str, array: ArrayRef) -> Result<()> {
    *table = table.with_column(name, array)?;
    Ok(())
}

/// Adds a numeric or bool column named `name`: `nbytes` bytes of
/// little-endian elements of dtype code `dtype`, exactly one per row (no
/// complex dtypes). `validity` is NULL or one byte per row (1 present, 0
/// missing). Everything is copied; the caller keeps its buffers.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_add_numeric(
    table: *mut scidb_value,
    name: *const c_char,
    dtype: u32,
    data: *const std::ffi::c_void,
    nbytes: usize,
    validity: *const u8,
) -> scidb_status {
    guard(|| {
        let table = table_mut(arg_out(table, "table")?, "scidb_value_table_add_numeric")?;
        let name = arg_str(name, "name")?;
        let dtype = DType::from_code(dtype)?;
        let rows = table.rows() as usize;
        let bytes: &[u8] = if nbytes == 0 {
            &[]
        } else if data.is_null() {
            return Err(null_arg("data"));
        } else {
            std::slice::from_raw_parts(data as *const u8, nbytes)
        };
        if dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(Error::invalid("bool column elements must be 0 or 1"));
        }
        let needed = rows.checked_mul(dtype.size());
        if needed != Some(nbytes) {
            return Err(Error::invalid(format!(
                "column '{name}': {rows} rows of {} need {} bytes, got {nbytes}",
                dtype.name(),
                needed.map_or("more than addressable".to_string(), |n| n.to_string())
            )));
        }
        let ty = ColumnType::numeric(dtype, name)?;
        let values = if dtype == DType::Bool {
            let bits: ::arrow::buffer::BooleanBuffer = bytes.iter().map(|&b| b == 1).collect();
            bits.into_inner()
        } else {
            // Copied into an aligned Arrow buffer.
            Buffer::from(bytes)
        };
        let data = ArrayData::builder(ty.arrow())
            .len(rows)
            .add_buffer(values)
            .nulls(validity_arg(validity, rows)?)
            .build()
            .map_err(|e| Error::invalid(format!("column '{name}': {e}")))?;
        push_column(table, name, ::arrow::array::make_array(data))
    })
}

/// The cells of a new text or binary column, `rows` of them: cell i is
/// `lens[i]` bytes at `cells[i]` (NULL allowed when empty or missing),
/// UTF-8 when `text` (a failure names column `name` and the row). Missing
/// cells are stored empty. Everything is copied.
unsafe fn cells_arg(
    name: &str,
    text: bool,
    cells: *const *const c_char,
    lens: *const usize,
    rows: usize,
    valid: Option<&NullBuffer>,
) -> Result<(OffsetBuffer<i32>, Buffer)> {
    if rows > 0 && (cells.is_null() || lens.is_null()) {
        return Err(null_arg(if cells.is_null() { "cells" } else { "lens" }));
    }
    // Grown as cells are read: the table's row count is only a claim.
    let mut values = Vec::new();
    let mut sizes = Vec::new();
    for row in 0..rows {
        let present = valid.map_or(true, |v| v.is_valid(row));
        let (ptr, len) = (*cells.add(row), *lens.add(row));
        if !present || len == 0 {
            sizes.push(0);
            continue;
        }
        if ptr.is_null() {
            return Err(null_arg(&format!("cells[{row}]")));
        }
        if len > i32::MAX as usize - values.len() {
            return Err(Error::invalid(format!(
                "column '{name}' holds more than 2 GiB of cells (row {row}); save it in chunks"
            )));
        }
        let cell = std::slice::from_raw_parts(ptr as *const u8, len);
        if text {
            std::str::from_utf8(cell).map_err(|e| {
                Error::invalid(format!("column '{name}' row {row} is not valid UTF-8: {e}"))
            })?;
        }
        values.extend_from_slice(cell);
        sizes.push(len);
    }
    Ok((OffsetBuffer::from_lengths(sizes), Buffer::from_vec(values)))
}

/// Adds a text column named `name`: one UTF-8 cell per row, cell i being
/// `lens[i]` bytes at `cells[i]` (a cell may be NULL when its length is 0
/// or it is missing). `validity` is NULL or one byte per row (1 present,
/// 0 missing). Everything is copied.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_add_text(
    table: *mut scidb_value,
    name: *const c_char,
    cells: *const *const c_char,
    lens: *const usize,
    validity: *const u8,
) -> scidb_status {
    guard(|| {
        let table = table_mut(arg_out(table, "table")?, "scidb_value_table_add_text")?;
        let name = arg_str(name, "name")?;
        let rows = table.rows() as usize;
        let valid = validity_arg(validity, rows)?;
        let (offsets, values) = cells_arg(name, true, cells, lens, rows, valid.as_ref())?;
        let text = StringArray::try_new(offsets, values, valid)
            .map_err(|e| Error::invalid(format!("column '{name}': {e}")))?;
        push_column(table, name, Arc::new(text))
    })
}

/// Adds a binary column named `name`: one cell of raw bytes per row, cell
/// i being `lens[i]` bytes at `cells[i]` (a cell may be NULL when its
/// length is 0 or it is missing). `validity` is NULL or one byte per row
/// (1 present, 0 missing). Everything is copied.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_add_binary(
    table: *mut scidb_value,
    name: *const c_char,
    cells: *const *const c_char,
    lens: *const usize,
    validity: *const u8,
) -> scidb_status {
    guard(|| {
        let table = table_mut(arg_out(table, "table")?, "scidb_value_table_add_binary")?;
        let name = arg_str(name, "name")?;
        let rows = table.rows() as usize;
        let valid = validity_arg(validity, rows)?;
        let (offsets, values) = cells_arg(name, false, cells, lens, rows, valid.as_ref())?;
        let bytes = BinaryArray::try_new(offsets, values, valid)
            .map_err(|e| Error::invalid(format!("column '{name}': {e}")))?;
        push_column(table, name, Arc::new(bytes))
    })
}

fn table_ref<'a>(v: &'a scidb_value, what: &str) -> Result<&'a Table> {
    match &v.0 {
        Value::Table(t) => Ok(t),
        other => Err(Error::type_mismatch(format!(
            "{what} needs a table, got a {}",
            other.kind_name()
        ))),
    }
}

fn check_column(t: &Table, index: usize) -> Result<()> {
    if index >= t.num_columns() {
        return Err(Error::invalid(format!(
            "column index {index} is past the table's {} columns",
            t.num_columns()
        )));
    }
    Ok(())
}

/// The number of rows and columns of a table value.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_shape(
    value: *const scidb_value,
    out_rows: *mut usize,
    out_columns: *mut usize,
) -> scidb_status {
    guard(|| {
        let t = table_ref(arg_ref(value, "value")?, "scidb_value_table_shape")?;
        *arg_out(out_rows, "out_rows")? = t.rows() as usize;
        *arg_out(out_columns, "out_columns")? = t.num_columns();
        Ok(())
    })
}

/// A borrowed view of column `index` of a table value.
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_column(
    value: *const scidb_value,
    index: usize,
    out: *mut scidb_column_view,
) -> scidb_status {
    guard(|| {
        let t = table_ref(arg_ref(value, "value")?, "scidb_value_table_column")?;
        check_column(t, index)?;
        let c = t.column(index);
        let (is_text, dtype, bytes): (u32, u32, &[u8]) = match c.ty {
            ColumnType::Numeric(DType::Bool) => (
                SCIDB_COLUMN_NUMERIC,
                DType::Bool as u32,
                t.bool_bytes(index).unwrap_or_default(),
            ),
            ColumnType::Numeric(d) => {
                let data = c.array.to_data();
                let start = data.offset() * d.size();
                let values = &data.buffers()[0].as_slice()[start..start + c.array.len() * d.size()];
                // SAFETY: the slice lies in a buffer the table's array
                // holds (shared, reference-counted), alive while the value is.
                let values = std::slice::from_raw_parts(values.as_ptr(), values.len());
                (SCIDB_COLUMN_NUMERIC, d as u32, values)
            }
            ColumnType::Text => (SCIDB_COLUMN_TEXT, 0, &[]),
            ColumnType::Binary => (SCIDB_COLUMN_BINARY, 0, &[]),
        };
        *arg_out(out, "out")? = scidb_column_view {
            name: c.name.as_ptr() as *const c_char,
            name_len: c.name.len(),
            is_text,
            dtype,
            data: if bytes.is_empty() {
                std::ptr::null()
            } else {
                bytes.as_ptr() as *const std::ffi::c_void
            },
            nbytes: bytes.len(),
            validity: t
                .validity_bytes(index)
                .map_or(std::ptr::null(), |v| v.as_ptr()),
        };
        Ok(())
    })
}

/// A borrowed view of one cell of a text or binary column: `*out_len`
/// bytes at `*out_utf8` (UTF-8 for text; not NUL-terminated; a missing
/// cell is empty, see the column's validity).
#[no_mangle]
pub unsafe extern "C" fn scidb_value_table_text(
    value: *const scidb_value,
    column: usize,
    row: usize,
    out_utf8: *mut *const c_char,
    out_len: *mut usize,
) -> scidb_status {
    guard(|| {
        let t = table_ref(arg_ref(value, "value")?, "scidb_value_table_text")?;
        check_column(t, column)?;
        let c = t.column(column);
        if row >= t.rows() as usize {
            return Err(Error::invalid(format!(
                "row {row} is past the table's {} rows",
                t.rows()
            )));
        }
        let cell: &[u8] = match c.ty {
            _ if c.array.is_null(row) => &[],
            ColumnType::Text => c.array.as_string::<i32>().value(row).as_bytes(),
            ColumnType::Binary => c.array.as_binary::<i32>().value(row),
            ColumnType::Numeric(_) => {
                return Err(Error::type_mismatch(format!(
                    "column '{}' is {}, not text or binary",
                    c.name,
                    c.ty.name()
                )))
            }
        };
        *arg_out(out_utf8, "out_utf8")? = cell.as_ptr() as *const c_char;
        *arg_out(out_len, "out_len")? = cell.len();
        Ok(())
    })
}
