//! Tables from Arrow record batches (the C Data Interface, chunked storage).

use super::{Column, ColumnData, DType, Table};
use crate::error::{Error, Result};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray, RecordBatch, RecordBatchOptions,
    StringArray,
};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::{self as adt, ArrowPrimitiveType, DataType, Field, Schema};
use std::sync::Arc;

/// A table holding a record batch's columns (copied). Binary and other
/// types the value model has no column for are refused by name.
pub fn table_from_batch(batch: &RecordBatch) -> Result<Table> {
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, child) in batch.schema().fields().iter().zip(batch.columns()) {
        columns.push(import_column(field.name(), child)?);
    }
    let table = Table {
        rows: batch.num_rows() as u64,
        columns,
    };
    table.validate()?;
    Ok(table)
}

/// A record batch holding a table's columns.
pub fn batch_from_table(t: &Table) -> Result<RecordBatch> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = t.columns.iter().map(export_column).unzip();
    let options = RecordBatchOptions::new().with_row_count(Some(t.rows as usize));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|e| Error::invalid(format!("exporting the table: {e}")))
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
    // One copy into an aligned Arrow buffer (`Buffer::from` a slice is
    // 64-byte aligned), not an element-by-element read.
    let buffer = arrow::buffer::Buffer::from(data);
    Arc::new(PrimitiveArray::<T>::new(
        ScalarBuffer::new(buffer, 0, data.len() / size),
        nulls,
    ))
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
