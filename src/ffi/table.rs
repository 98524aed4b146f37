//! Tables column by column, for C callers (the MATLAB gateway) that would
//! rather not build Arrow C Data Interface structs. Arrow remains the way
//! to move whole tables (`scidb_value_new_table_from_arrow`).

use super::*;
use crate::value::{Column, ColumnData, DType, Table, Value};

/// A borrowed view of one table column: valid while the value lives and is
/// not changed.
#[repr(C)]
pub struct scidb_column_view {
    /// The column name, UTF-8, `name_len` bytes, not NUL-terminated.
    pub name: *const c_char,
    pub name_len: usize,
    /// 1 for a text column (read cells with `scidb_value_table_text`),
    /// 0 for a numeric or bool one.
    pub is_text: u32,
    /// The dtype code of a numeric column (unused for text).
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
    guard(|| {
        value::into_handle(
            Value::Table(Table {
                rows: nrows as u64,
                columns: Vec::new(),
            }),
            out,
        )
    })
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

/// The validity flags of a new column: `nrows` bytes 0/1, or NULL for none.
unsafe fn validity_arg(validity: *const u8, rows: usize) -> Result<Option<Vec<bool>>> {
    if validity.is_null() {
        return Ok(None);
    }
    let flags = std::slice::from_raw_parts(validity, rows);
    if flags.iter().any(|&b| b > 1) {
        return Err(Error::invalid("validity flags must be 0 or 1"));
    }
    Ok(Some(flags.iter().map(|&b| b == 1).collect()))
}

/// Appends a column to a table after checking its name and length.
fn push_column(table: &mut Table, column: Column) -> Result<()> {
    if table.columns.iter().any(|c| c.name == column.name) {
        return Err(Error::invalid(format!(
            "table column '{}' is already present",
            column.name
        )));
    }
    table.columns.push(column);
    // A column the table refuses must not stay in it.
    table.validate().inspect_err(|_| {
        table.columns.pop();
    })
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
        let rows = table.rows as usize;
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
        let column = Column {
            name: name.to_string(),
            data: ColumnData::Numeric {
                dtype,
                data: bytes.to_vec(),
            },
            validity: validity_arg(validity, rows)?,
        };
        push_column(table, column)
    })
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
        let rows = table.rows as usize;
        if rows > 0 && (cells.is_null() || lens.is_null()) {
            return Err(null_arg(if cells.is_null() { "cells" } else { "lens" }));
        }
        let valid = validity_arg(validity, rows)?;
        // Grown as cells are read: the table's row count is only a claim.
        let mut text = Vec::new();
        for row in 0..rows {
            let present = valid.as_ref().map_or(true, |v| v[row]);
            let (ptr, len) = (*cells.add(row), *lens.add(row));
            if !present || len == 0 {
                text.push(String::new());
                continue;
            }
            if ptr.is_null() {
                return Err(null_arg(&format!("cells[{row}]")));
            }
            let bytes = std::slice::from_raw_parts(ptr as *const u8, len);
            let cell = std::str::from_utf8(bytes).map_err(|e| {
                Error::invalid(format!("column '{name}' row {row} is not valid UTF-8: {e}"))
            })?;
            text.push(cell.to_string());
        }
        let column = Column {
            name: name.to_string(),
            data: ColumnData::Utf8(text),
            validity: valid,
        };
        push_column(table, column)
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

fn column_at(t: &Table, index: usize) -> Result<&Column> {
    t.columns.get(index).ok_or_else(|| {
        Error::invalid(format!(
            "column index {index} is past the table's {} columns",
            t.columns.len()
        ))
    })
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
        *arg_out(out_rows, "out_rows")? = t.rows as usize;
        *arg_out(out_columns, "out_columns")? = t.columns.len();
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
        let c = column_at(t, index)?;
        let (is_text, dtype, data, nbytes) = match &c.data {
            ColumnData::Numeric { dtype, data } => (0, *dtype as u32, data.as_ptr(), data.len()),
            ColumnData::Utf8(_) => (1, 0, std::ptr::null(), 0),
        };
        *arg_out(out, "out")? = scidb_column_view {
            name: c.name.as_ptr() as *const c_char,
            name_len: c.name.len(),
            is_text,
            dtype,
            data: data as *const std::ffi::c_void,
            nbytes,
            // bool has the size and values of a byte 0/1.
            validity: c
                .validity
                .as_ref()
                .map_or(std::ptr::null(), |v| v.as_ptr() as *const u8),
        };
        Ok(())
    })
}

/// A borrowed view of one cell of a text column: `*out_len` bytes of UTF-8
/// at `*out_utf8` (not NUL-terminated; a missing cell is empty, see the
/// column's validity).
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
        let c = column_at(t, column)?;
        let ColumnData::Utf8(cells) = &c.data else {
            return Err(Error::type_mismatch(format!(
                "column '{}' is {}, not text",
                c.name,
                c.data.type_name()
            )));
        };
        let cell = cells.get(row).ok_or_else(|| {
            Error::invalid(format!("row {row} is past the table's {} rows", t.rows))
        })?;
        *arg_out(out_utf8, "out_utf8")? = cell.as_ptr() as *const c_char;
        *arg_out(out_len, "out_len")? = cell.len();
        Ok(())
    })
}
