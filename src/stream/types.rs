//! The type table of the stream protocol: which Arrow type SciDB sends for
//! each of its types, what a host (Python, MATLAB, C) receives, and what a
//! reply column is sent back as. Every binding gets its chunks through
//! [`to_host`] and sends its replies through [`to_scidb`], so the mapping
//! lives here once.
//!
//! Null promotion follows SciDB-Py (seed 003), decided per chunk as pyarrow
//! (and so scidb-strm) does: a column that holds nulls in this chunk and
//! whose type has no missing value of its own (bool, the integers) becomes
//! float64, and its null cells hold NaN. Float columns keep their type with
//! NaN in null cells; text and binary cells stay missing. The validity
//! bitmap is kept in every case, so a C caller still sees which cells were
//! null.

use crate::error::{Error, Result};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, RecordBatch,
};
use arrow::buffer::NullBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use std::sync::Arc;

/// What a null cell holds on the host side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullAs {
    /// The float value NaN (the validity bitmap still marks the cell).
    NaN,
    /// Nothing: a missing cell (None in Python, <missing> in MATLAB).
    Missing,
}

/// One row of the type table.
#[derive(Debug)]
pub struct TypeRule {
    /// The SciDB attribute type.
    pub scidb: &'static str,
    /// The Arrow type SciDB sends.
    pub wire: DataType,
    /// The Arrow type a host receives when the chunk's column has no nulls.
    pub host: DataType,
    /// The Arrow type a host receives when it has nulls.
    pub host_with_nulls: DataType,
    pub null_as: NullAs,
}

const fn rule(
    scidb: &'static str,
    wire: DataType,
    host: DataType,
    host_with_nulls: DataType,
    null_as: NullAs,
) -> TypeRule {
    TypeRule {
        scidb,
        wire,
        host,
        host_with_nulls,
        null_as,
    }
}

/// SciDB type → host type. The stream plugin sends int64, double, string
/// and binary; the other rows are SciDB-Py's, for arrays that reach a host
/// by other routes.
pub static TYPE_TABLE: [TypeRule; 13] = [
    rule(
        "int64",
        DataType::Int64,
        DataType::Int64,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "double",
        DataType::Float64,
        DataType::Float64,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "string",
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        NullAs::Missing,
    ),
    rule(
        "binary",
        DataType::Binary,
        DataType::Binary,
        DataType::Binary,
        NullAs::Missing,
    ),
    rule(
        "bool",
        DataType::Boolean,
        DataType::Boolean,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "int8",
        DataType::Int8,
        DataType::Int8,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "uint8",
        DataType::UInt8,
        DataType::UInt8,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "int16",
        DataType::Int16,
        DataType::Int16,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "uint16",
        DataType::UInt16,
        DataType::UInt16,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "int32",
        DataType::Int32,
        DataType::Int32,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "uint32",
        DataType::UInt32,
        DataType::UInt32,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "uint64",
        DataType::UInt64,
        DataType::UInt64,
        DataType::Float64,
        NullAs::NaN,
    ),
    rule(
        "float",
        DataType::Float32,
        DataType::Float32,
        DataType::Float32,
        NullAs::NaN,
    ),
];

/// Host type → the type a reply column is sent as. SciDB's stream operator
/// accepts int64, double, string and binary; narrower integers and float32
/// widen without loss. Anything else (bool, uint64, dates...) is refused
/// with a message that names the column.
pub static REPLY_TABLE: [(DataType, DataType); 12] = [
    (DataType::Int64, DataType::Int64),
    (DataType::Int32, DataType::Int64),
    (DataType::Int16, DataType::Int64),
    (DataType::Int8, DataType::Int64),
    (DataType::UInt32, DataType::Int64),
    (DataType::UInt16, DataType::Int64),
    (DataType::UInt8, DataType::Int64),
    (DataType::Float64, DataType::Float64),
    (DataType::Float32, DataType::Float64),
    (DataType::Utf8, DataType::Utf8),
    (DataType::LargeUtf8, DataType::Utf8),
    (DataType::Binary, DataType::Binary),
];

/// The rule for an Arrow type SciDB sent; large text and binary read as
/// their 32-bit-offset forms.
pub fn rule_for(wire: &DataType) -> Option<&'static TypeRule> {
    let wire = match wire {
        DataType::LargeUtf8 => &DataType::Utf8,
        DataType::LargeBinary => &DataType::Binary,
        other => other,
    };
    TYPE_TABLE.iter().find(|r| &r.wire == wire)
}

fn reply_type(host: &DataType) -> Option<&'static DataType> {
    if host == &DataType::LargeBinary {
        return Some(&DataType::Binary);
    }
    REPLY_TABLE.iter().find(|(h, _)| h == host).map(|(_, w)| w)
}

/// The supported SciDB types, for messages.
fn scidb_names() -> String {
    let names: Vec<&str> = TYPE_TABLE.iter().map(|r| r.scidb).collect();
    names.join(", ")
}

/// Applies the table to a chunk SciDB sent: null promotion and NaN in null
/// float cells. Text and binary columns are passed through untouched.
pub fn to_host(batch: RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let rule = rule_for(field.data_type()).ok_or_else(|| {
            Error::type_mismatch(format!(
                "column '{}' has Arrow type {}, which is not a SciDB stream type ({})",
                field.name(),
                field.data_type(),
                scidb_names()
            ))
        })?;
        let column = if column.null_count() == 0 || rule.null_as == NullAs::Missing {
            column.clone()
        } else {
            nan_filled(&cast(column, &rule.host_with_nulls).map_err(|e| {
                Error::type_mismatch(format!("promoting column '{}': {e}", field.name()))
            })?)
        };
        fields.push(Field::new(field.name(), column.data_type().clone(), true));
        columns.push(column);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::invalid(format!("building the host chunk: {e}")))
}

/// A float column whose null cells hold NaN, keeping its validity.
fn nan_filled(column: &ArrayRef) -> ArrayRef {
    let nulls = column.nulls().cloned();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    match column.data_type() {
        DataType::Float32 => {
            let a = column.as_primitive::<arrow::datatypes::Float32Type>();
            let values = a
                .values()
                .iter()
                .enumerate()
                .map(|(i, &v)| if is_null(i) { f32::NAN } else { v });
            Arc::new(Float32Array::new(values.collect(), nulls.clone()))
        }
        DataType::Float64 => {
            let a = column.as_primitive::<arrow::datatypes::Float64Type>();
            let values = a
                .values()
                .iter()
                .enumerate()
                .map(|(i, &v)| if is_null(i) { f64::NAN } else { v });
            Arc::new(Float64Array::new(values.collect(), nulls.clone()))
        }
        _ => column.clone(),
    }
}

/// Applies the table to a reply: each column becomes a type SciDB accepts.
/// With `nan_as_null`, NaN cells of float columns are sent as nulls, as
/// pandas (and so scidb-strm) treats NaN as missing.
pub fn to_scidb(batch: &RecordBatch, nan_as_null: bool) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let wire = reply_type(field.data_type()).ok_or_else(|| {
            Error::type_mismatch(format!(
                "reply column '{}' has type {}; SciDB's stream operator accepts int64, \
                 double, string and binary (narrower integers and float32 are widened)",
                field.name(),
                field.data_type()
            ))
        })?;
        let mut column = if column.data_type() == wire {
            column.clone()
        } else {
            cast(column, wire).map_err(|e| {
                Error::type_mismatch(format!("converting reply column '{}': {e}", field.name()))
            })?
        };
        if nan_as_null && wire == &DataType::Float64 {
            column = nan_to_null(&column);
        }
        fields.push(Field::new(field.name(), wire.clone(), true));
        columns.push(column);
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)
        .map_err(|e| Error::invalid(format!("building the reply: {e}")))
}

/// A float64 column whose NaN cells are null.
fn nan_to_null(column: &ArrayRef) -> ArrayRef {
    let a = column.as_primitive::<arrow::datatypes::Float64Type>();
    if !a.values().iter().any(|v| v.is_nan()) {
        return column.clone();
    }
    let not_nan: BooleanArray = a.values().iter().map(|v| Some(!v.is_nan())).collect();
    let not_nan = NullBuffer::new(not_nan.values().clone());
    let nulls = NullBuffer::union(a.nulls(), Some(&not_nan));
    Arc::new(Float64Array::new(a.values().clone(), nulls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BinaryArray, Int32Array, Int64Array, StringArray};

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn int64_with_nulls_becomes_float64_with_nan() {
        let b = batch(vec![
            (
                "a",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
            ),
            ("b", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        ]);
        let host = to_host(b).unwrap();
        let a = host
            .column(0)
            .as_primitive::<arrow::datatypes::Float64Type>();
        assert_eq!(a.value(0), 1.0);
        assert!(a.value(1).is_nan());
        assert!(a.is_null(1));
        assert_eq!(host.column(1).data_type(), &DataType::Int64);
    }

    #[test]
    fn double_nulls_hold_nan_and_strings_stay_missing() {
        let b = batch(vec![
            (
                "d",
                Arc::new(Float64Array::from(vec![Some(1.5), None])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("x"), None])) as ArrayRef,
            ),
            (
                "z",
                Arc::new(BinaryArray::from(vec![Some(&b"\0"[..]), None])) as ArrayRef,
            ),
        ]);
        let host = to_host(b).unwrap();
        let d = host
            .column(0)
            .as_primitive::<arrow::datatypes::Float64Type>();
        assert!(d.value(1).is_nan());
        assert!(host.column(1).is_null(1));
        assert_eq!(host.column(2).data_type(), &DataType::Binary);
    }

    #[test]
    fn unknown_wire_type_is_refused_by_name() {
        let b = batch(vec![(
            "t",
            Arc::new(arrow::array::Date32Array::from(vec![1])) as ArrayRef,
        )]);
        let err = to_host(b).unwrap_err();
        assert!(err.message.contains("column 't'"), "{}", err.message);
    }

    #[test]
    fn replies_widen_integers_and_can_send_nan_as_null() {
        let b = batch(vec![
            ("i", Arc::new(Int32Array::from(vec![7, 8])) as ArrayRef),
            (
                "f",
                Arc::new(Float64Array::from(vec![f64::NAN, 2.0])) as ArrayRef,
            ),
        ]);
        let kept = to_scidb(&b, false).unwrap();
        assert_eq!(kept.column(0).data_type(), &DataType::Int64);
        assert_eq!(kept.column(1).null_count(), 0);
        let nulled = to_scidb(&b, true).unwrap();
        assert!(nulled.column(1).is_null(0));
        assert!(nulled.column(1).is_valid(1));
    }

    #[test]
    fn reply_bool_is_refused() {
        let b = batch(vec![(
            "flag",
            Arc::new(BooleanArray::from(vec![true])) as ArrayRef,
        )]);
        let err = to_scidb(&b, false).unwrap_err();
        assert!(err.message.contains("'flag'"), "{}", err.message);
    }
}
