//! Tables (pandas DataFrames, MATLAB tables): named, equal-length columns,
//! held as one Arrow record batch, so a table moves between the bindings,
//! the hash, the codec and its Arrow IPC payload file without conversion.
//!
//! [`ColumnType`] is the one map between the value model's column types
//! and Arrow's: every column of a [`Table`] has exactly the Arrow type
//! [`ColumnType::arrow`] names (text and binary with 32-bit offsets);
//! [`Table::new`] casts the other accepted types (large offsets) to it.

use super::DType;
use crate::error::{Error, Result};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema};
use std::sync::{Arc, OnceLock};

/// The type of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// bool, int8..int64, uint8..uint64, float32, float64 (no complex:
    /// Arrow has no complex type).
    Numeric(DType),
    /// UTF-8 text.
    Text,
    /// Raw bytes.
    Binary,
}

impl ColumnType {
    /// The column type of an Arrow type, or None for types tables do not
    /// hold (dictionaries, dates, nested types...).
    pub fn of(dt: &DataType) -> Option<ColumnType> {
        Some(match dt {
            DataType::Boolean => ColumnType::Numeric(DType::Bool),
            DataType::Int8 => ColumnType::Numeric(DType::Int8),
            DataType::Int16 => ColumnType::Numeric(DType::Int16),
            DataType::Int32 => ColumnType::Numeric(DType::Int32),
            DataType::Int64 => ColumnType::Numeric(DType::Int64),
            DataType::UInt8 => ColumnType::Numeric(DType::UInt8),
            DataType::UInt16 => ColumnType::Numeric(DType::UInt16),
            DataType::UInt32 => ColumnType::Numeric(DType::UInt32),
            DataType::UInt64 => ColumnType::Numeric(DType::UInt64),
            DataType::Float32 => ColumnType::Numeric(DType::Float32),
            DataType::Float64 => ColumnType::Numeric(DType::Float64),
            DataType::Utf8 | DataType::LargeUtf8 => ColumnType::Text,
            DataType::Binary | DataType::LargeBinary => ColumnType::Binary,
            _ => return None,
        })
    }

    /// The Arrow type columns of this type are held (and stored) with.
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Binary => DataType::Binary,
            ColumnType::Numeric(d) => match d {
                DType::Bool => DataType::Boolean,
                DType::Int8 => DataType::Int8,
                DType::Int16 => DataType::Int16,
                DType::Int32 => DataType::Int32,
                DType::Int64 => DataType::Int64,
                DType::UInt8 => DataType::UInt8,
                DType::UInt16 => DataType::UInt16,
                DType::UInt32 => DataType::UInt32,
                DType::UInt64 => DataType::UInt64,
                DType::Float32 => DataType::Float32,
                // Complex columns never get here (`of` has no such type,
                // `from_dtype` refuses them).
                DType::Float64 | DType::Complex64 | DType::Complex128 => DataType::Float64,
            },
        }
    }

    /// A numeric column type; complex dtypes are refused, naming `column`.
    pub fn numeric(dtype: DType, column: &str) -> Result<ColumnType> {
        if matches!(dtype, DType::Complex64 | DType::Complex128) {
            return Err(Error::type_mismatch(format!(
                "table column '{column}' is {}; tables hold no complex columns",
                dtype.name()
            )));
        }
        Ok(ColumnType::Numeric(dtype))
    }

    /// The type's name in messages and in the content hash.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Numeric(d) => d.name(),
            ColumnType::Text => "string",
            ColumnType::Binary => "binary",
        }
    }
}

/// The accepted Arrow types, for messages.
pub const SUPPORTED: &str = "bool, int8..int64, uint8..uint64, float32, float64, utf8 and binary";

/// Columns in order, all equally long: one Arrow record batch whose
/// columns have the types [`ColumnType::arrow`] names and unique names.
/// The one-byte-per-row forms the C ABI hands out (bool cells, validity)
/// are made on first request and kept with the table.
#[derive(Clone)]
pub struct Table {
    batch: RecordBatch,
    types: Arc<[ColumnType]>,
    bytes: Arc<[ByteForms]>,
}

/// A column's one-byte-per-row forms, made on request.
#[derive(Default)]
struct ByteForms {
    values: OnceLock<Vec<u8>>,
    validity: OnceLock<Option<Vec<u8>>>,
}

/// One column of a table, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRef<'a> {
    pub name: &'a str,
    pub ty: ColumnType,
    pub array: &'a ArrayRef,
}

impl ColumnRef<'_> {
    /// Whether any cell is missing.
    pub fn has_nulls(&self) -> bool {
        self.array.null_count() > 0
    }
}

impl Table {
    /// A table holding a record batch's columns, without copying them
    /// (large text and binary offsets are narrowed, which copies the
    /// offsets). Refuses duplicate names and types tables do not hold,
    /// naming the column.
    pub fn new(batch: RecordBatch) -> Result<Table> {
        let schema = batch.schema();
        let mut seen = std::collections::HashSet::new();
        let mut fields = Vec::with_capacity(schema.fields().len());
        let mut arrays = Vec::with_capacity(schema.fields().len());
        let mut types = Vec::with_capacity(schema.fields().len());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name();
            if !seen.insert(name.as_str()) {
                return Err(Error::invalid(format!(
                    "table column '{name}' appears twice"
                )));
            }
            let ty = ColumnType::of(array.data_type()).ok_or_else(|| {
                Error::type_mismatch(format!(
                    "table column '{name}' has Arrow type {}; supported are {SUPPORTED}",
                    array.data_type()
                ))
            })?;
            let array = if *array.data_type() == ty.arrow() {
                Arc::clone(array)
            } else {
                arrow::compute::cast(array, &ty.arrow()).map_err(|e| {
                    Error::invalid(format!("table column '{name}' does not fit: {e}"))
                })?
            };
            fields.push(Field::new(
                name,
                ty.arrow(),
                field.is_nullable() || array.null_count() > 0,
            ));
            arrays.push(array);
            types.push(ty);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        let batch =
            RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
                .map_err(|e| Error::invalid(format!("the table is not consistent: {e}")))?;
        Ok(Self::checked(batch, types))
    }

    /// A table of `rows` rows from named columns; a column is nullable
    /// when its array has a validity buffer.
    pub fn from_columns(rows: usize, columns: Vec<(String, ArrayRef)>) -> Result<Table> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(n, a.data_type().clone(), a.nulls().is_some()))
            .collect();
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch =
            RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
                .map_err(|e| Error::invalid(format!("the table is not consistent: {e}")))?;
        Table::new(batch)
    }

    /// An empty table (no columns) of `rows` rows.
    pub fn empty(rows: usize) -> Table {
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options);
        match batch {
            Ok(b) => Self::checked(b, Vec::new()),
            // An empty schema with a row count is always a valid batch.
            Err(_) => unreachable!("an empty record batch is valid"),
        }
    }

    fn checked(batch: RecordBatch, types: Vec<ColumnType>) -> Table {
        let bytes = (0..types.len()).map(|_| ByteForms::default()).collect();
        Table {
            batch,
            types: types.into(),
            bytes,
        }
    }

    /// This table with one more column at the end (copies no cells).
    pub fn with_column(&self, name: &str, array: ArrayRef) -> Result<Table> {
        if self.names().any(|n| n == name) {
            return Err(Error::invalid(format!(
                "table column '{name}' is already present"
            )));
        }
        if array.len() != self.rows() as usize {
            return Err(Error::invalid(format!(
                "table column '{name}' has {} rows, the table has {}",
                array.len(),
                self.rows()
            )));
        }
        let mut columns: Vec<(String, ArrayRef)> = self
            .columns()
            .map(|c| (c.name.to_string(), Arc::clone(c.array)))
            .collect();
        columns.push((name.to_string(), array));
        let mut fields: Vec<Field> = self
            .batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let last = &columns[columns.len() - 1].1;
        fields.push(Field::new(
            name,
            last.data_type().clone(),
            last.nulls().is_some(),
        ));
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows() as usize));
        let batch =
            RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
                .map_err(|e| Error::invalid(format!("table column '{name}': {e}")))?;
        Table::new(batch)
    }

    pub fn rows(&self) -> u64 {
        self.batch.num_rows() as u64
    }

    pub fn num_columns(&self) -> usize {
        self.types.len()
    }

    /// The record batch holding the columns.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Column `i` (the caller checks `i < num_columns()`).
    pub fn column(&self, i: usize) -> ColumnRef<'_> {
        ColumnRef {
            name: self.batch.schema_ref().field(i).name(),
            ty: self.types[i],
            array: self.batch.column(i),
        }
    }

    /// The columns in order.
    pub fn columns(&self) -> impl Iterator<Item = ColumnRef<'_>> {
        (0..self.num_columns()).map(|i| self.column(i))
    }

    /// The column names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
    }

    /// A bool column's cells, one byte 0/1 per row (missing cells 0);
    /// None for other columns.
    pub fn bool_bytes(&self, i: usize) -> Option<&[u8]> {
        let a = self.batch.column(i).as_boolean_opt()?;
        Some(self.bytes[i].values.get_or_init(|| {
            let mut out = vec![0u8; a.len()];
            bool_bytes_into(a, 0, &mut out);
            out
        }))
    }

    /// Column `i`'s validity, one byte per row (1 present, 0 missing);
    /// None when no cell is missing.
    pub fn validity_bytes(&self, i: usize) -> Option<&[u8]> {
        self.bytes[i]
            .validity
            .get_or_init(|| {
                let a = self.batch.column(i);
                (a.null_count() > 0).then(|| {
                    let mut out = vec![0u8; a.len()];
                    validity_bytes_into(a.as_ref(), 0, &mut out);
                    out
                })
            })
            .as_deref()
    }
}

/// Writes bool cells `start..start + out.len()` of `a` as bytes 0/1
/// (missing cells 0, as the hash and the codec hold them).
pub(crate) fn bool_bytes_into(a: &arrow::array::BooleanArray, start: usize, out: &mut [u8]) {
    let values = a.values().slice(start, out.len());
    for (o, v) in out.iter_mut().zip(values.iter()) {
        *o = v as u8;
    }
    if let Some(nulls) = a.nulls() {
        let nulls = nulls.slice(start, out.len());
        for (o, ok) in out.iter_mut().zip(nulls.iter()) {
            *o &= ok as u8;
        }
    }
}

/// Writes the validity of rows `start..start + out.len()` as bytes 0/1.
pub(crate) fn validity_bytes_into(a: &dyn Array, start: usize, out: &mut [u8]) {
    match a.nulls() {
        None => out.fill(1),
        Some(nulls) => {
            let nulls = nulls.slice(start, out.len());
            for (o, ok) in out.iter_mut().zip(nulls.iter()) {
                *o = ok as u8;
            }
        }
    }
}

/// Equal tables have equal names, types, nullability and cells (values
/// under missing cells are not compared).
impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.batch == other.batch
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("rows", &self.rows())
            .field("schema", &self.batch.schema())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BooleanArray, Int64Array, LargeStringArray, StringArray};

    #[test]
    fn large_text_is_narrowed_and_duplicates_refused() {
        let big: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("a"), None]));
        let t = Table::from_columns(2, vec![("s".into(), big)]).unwrap();
        assert_eq!(t.column(0).ty, ColumnType::Text);
        assert_eq!(t.column(0).array.data_type(), &DataType::Utf8);
        assert_eq!(t.validity_bytes(0), Some(&[1u8, 0][..]));
        let x: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let err =
            Table::from_columns(2, vec![("x".into(), x.clone()), ("x".into(), x)]).unwrap_err();
        assert!(err.message.contains("appears twice"), "{}", err.message);
    }

    #[test]
    fn byte_forms_of_a_sliced_bool_column() {
        let b = BooleanArray::from(vec![Some(true), None, Some(true), Some(false), Some(true)]);
        let sliced: ArrayRef = Arc::new(b.slice(1, 4));
        let t = Table::from_columns(4, vec![("b".into(), sliced)]).unwrap();
        assert_eq!(t.bool_bytes(0), Some(&[0u8, 1, 0, 1][..]));
        assert_eq!(t.validity_bytes(0), Some(&[0u8, 1, 1, 1][..]));
        let s: ArrayRef = Arc::new(StringArray::from(vec!["x"; 4]));
        let t = t.with_column("s", s).unwrap();
        assert_eq!(t.validity_bytes(1), None);
        assert_eq!(t.bool_bytes(1), None);
        assert!(t
            .with_column("s", Arc::new(Int64Array::from(vec![1; 4])))
            .is_err());
    }
}
