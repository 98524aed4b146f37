//! Tables across the C ABI through the Arrow C Data Interface: a struct
//! array whose children are the columns.

use crate::error::{Error, Result};
use crate::ffi::null_arg;
use crate::value::{Column, ColumnData, DType, Table};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray, StringArray, StructArray,
};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{self as adt, ArrowPrimitiveType, DataType, Field, Fields};
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use std::sync::Arc;

/// `struct ArrowSchema` of the Arrow C Data Interface.
pub type ArrowSchema = FFI_ArrowSchema;
/// `struct ArrowArray` of the Arrow C Data Interface.
pub type ArrowArray = FFI_ArrowArray;

/// Moves a struct array in from C and converts it to a table. Both structs
/// are released whatever happens, as the Arrow specification asks.
pub(crate) unsafe fn import_table(
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> Result<Table> {
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
    let mut columns = Vec::with_capacity(strukt.num_columns());
    for (field, child) in strukt.fields().iter().zip(strukt.columns()) {
        columns.push(import_column(field.name(), child)?);
    }
    let table = Table {
        rows: strukt.len() as u64,
        columns,
    };
    table.validate()?;
    Ok(table)
}

fn validity(a: &dyn Array) -> Option<Vec<bool>> {
    a.logical_nulls().map(|n| n.iter().collect())
}

fn primitive_bytes<T: ArrowPrimitiveType>(a: &ArrayRef) -> Vec<u8> {
    let values: &[T::Native] = a.as_primitive::<T>().values();
    // Safety: primitive Arrow natives are plain little-endian numbers.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr() as *const u8, std::mem::size_of_val(values))
    }
    .to_vec()
}

fn import_column(name: &str, a: &ArrayRef) -> Result<Column> {
    let numeric = |dtype: DType, data: Vec<u8>| ColumnData::Numeric { dtype, data };
    let data = match a.data_type() {
        DataType::Boolean => {
            let b = a.as_boolean();
            numeric(DType::Bool, b.values().iter().map(|x| x as u8).collect())
        }
        DataType::Int8 => numeric(DType::Int8, primitive_bytes::<adt::Int8Type>(a)),
        DataType::Int16 => numeric(DType::Int16, primitive_bytes::<adt::Int16Type>(a)),
        DataType::Int32 => numeric(DType::Int32, primitive_bytes::<adt::Int32Type>(a)),
        DataType::Int64 => numeric(DType::Int64, primitive_bytes::<adt::Int64Type>(a)),
        DataType::UInt8 => numeric(DType::UInt8, primitive_bytes::<adt::UInt8Type>(a)),
        DataType::UInt16 => numeric(DType::UInt16, primitive_bytes::<adt::UInt16Type>(a)),
        DataType::UInt32 => numeric(DType::UInt32, primitive_bytes::<adt::UInt32Type>(a)),
        DataType::UInt64 => numeric(DType::UInt64, primitive_bytes::<adt::UInt64Type>(a)),
        DataType::Float32 => numeric(DType::Float32, primitive_bytes::<adt::Float32Type>(a)),
        DataType::Float64 => numeric(DType::Float64, primitive_bytes::<adt::Float64Type>(a)),
        DataType::Utf8 => strings(a.as_string::<i32>().iter()),
        DataType::LargeUtf8 => strings(a.as_string::<i64>().iter()),
        other => {
            return Err(Error::type_mismatch(format!(
                "table column '{name}' has Arrow type {other}; supported are bool, int8..int64, \
                 uint8..uint64, float32, float64 and utf8"
            )))
        }
    };
    // Null slots of numeric columns are zeroed so equal tables store equal bytes.
    let validity = validity(a.as_ref());
    let data = match (data, &validity) {
        (ColumnData::Numeric { dtype, mut data }, Some(v)) => {
            let size = dtype.size();
            for (i, ok) in v.iter().enumerate() {
                if !ok {
                    data[i * size..(i + 1) * size].fill(0);
                }
            }
            ColumnData::Numeric { dtype, data }
        }
        (d, _) => d,
    };
    Ok(Column {
        name: name.to_string(),
        data,
        validity,
    })
}

fn strings<'a>(cells: impl Iterator<Item = Option<&'a str>>) -> ColumnData {
    ColumnData::Utf8(cells.map(|c| c.unwrap_or("").to_string()).collect())
}

fn typed<T: ArrowPrimitiveType>(data: &[u8], nulls: Option<NullBuffer>) -> ArrayRef {
    let size = std::mem::size_of::<T::Native>();
    let values: Vec<T::Native> = data
        .chunks_exact(size)
        // Safety: `chunk` holds exactly one little-endian native value.
        .map(|chunk| unsafe { std::ptr::read_unaligned(chunk.as_ptr() as *const T::Native) })
        .collect();
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(values), nulls))
}

fn export_column(c: &Column) -> (Field, ArrayRef) {
    let nulls = c.validity.clone().map(NullBuffer::from);
    let array: ArrayRef = match &c.data {
        ColumnData::Utf8(cells) => Arc::new(StringArray::new(
            arrow::buffer::OffsetBuffer::from_lengths(cells.iter().map(String::len)),
            arrow::buffer::Buffer::from(cells.concat().into_bytes()),
            nulls,
        )),
        ColumnData::Numeric { dtype, data } => match dtype {
            DType::Bool => Arc::new(BooleanArray::new(
                data.iter().map(|&b| b != 0).collect(),
                nulls,
            )),
            DType::Int8 => typed::<adt::Int8Type>(data, nulls),
            DType::Int16 => typed::<adt::Int16Type>(data, nulls),
            DType::Int32 => typed::<adt::Int32Type>(data, nulls),
            DType::Int64 => typed::<adt::Int64Type>(data, nulls),
            DType::UInt8 => typed::<adt::UInt8Type>(data, nulls),
            DType::UInt16 => typed::<adt::UInt16Type>(data, nulls),
            DType::UInt32 => typed::<adt::UInt32Type>(data, nulls),
            DType::UInt64 => typed::<adt::UInt64Type>(data, nulls),
            DType::Float32 => typed::<adt::Float32Type>(data, nulls),
            // Tables never hold complex columns (Table::validate refuses them).
            DType::Float64 | DType::Complex64 | DType::Complex128 => {
                typed::<adt::Float64Type>(data, nulls)
            }
        },
    };
    let field = Field::new(&c.name, array.data_type().clone(), c.validity.is_some());
    (field, array)
}

/// Writes a table into caller-provided Arrow structs.
pub(crate) unsafe fn export_table(
    t: &Table,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
) -> Result<()> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = t.columns.iter().map(export_column).unzip();
    let strukt = if fields.is_empty() {
        StructArray::new_empty_fields(t.rows as usize, None)
    } else {
        StructArray::try_new(Fields::from(fields), arrays, None)
            .map_err(|e| Error::invalid(format!("exporting the table: {e}")))?
    };
    let (array, schema) = to_ffi(&strukt.into_data())
        .map_err(|e| Error::invalid(format!("exporting the table: {e}")))?;
    std::ptr::write(out_schema, schema);
    std::ptr::write(out_array, array);
    Ok(())
}
