//! The value model: one Rust type holds anything a user may save.
//!
//! Arrays are stored row-major ("C order") little-endian, whatever order the
//! saving language used; bindings convert at the boundary through
//! [`Array::from_column_major`] and [`Array::to_column_major`].

mod arrow;
mod dtype;
mod layout;
mod table;

pub use arrow::{batch_from_table, table_from_batch};
pub use dtype::DType;
pub use table::{Column, ColumnData, Table};

use crate::error::{Error, Result};

/// An N-dimensional array of one element type, row-major, little-endian.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub dtype: DType,
    pub shape: Vec<u64>,
    /// Row-major element bytes: exactly `element count * dtype.size()` bytes.
    pub data: Vec<u8>,
    /// The saver had a scalar (a Python number, a MATLAB 1x1) rather than a
    /// 0-d array. It only guides how a binding returns the value; it is not
    /// part of the content hash.
    pub scalar: bool,
}

/// Anything a user may save.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Array(Array),
    String(String),
    List(Vec<Value>),
    /// An ordered map; keys are unique.
    Map(Vec<(String, Value)>),
    Table(Table),
}

/// The kind of a value, with stable numbers shared with the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub enum Kind {
    Null = 0,
    Array = 1,
    String = 2,
    List = 3,
    Map = 4,
    Table = 5,
}

/// Number of elements of a shape; an error when it overflows.
pub fn element_count(shape: &[u64]) -> Result<u64> {
    shape.iter().try_fold(1u64, |acc, &d| {
        acc.checked_mul(d)
            .ok_or_else(|| Error::invalid(format!("array shape {shape:?} is too large")))
    })
}

impl Array {
    /// An array from row-major bytes; checks the byte count against the shape.
    pub fn new(dtype: DType, shape: Vec<u64>, data: Vec<u8>, scalar: bool) -> Result<Self> {
        Self::check_len(dtype, &shape, data.len())?;
        if scalar && !shape.is_empty() {
            return Err(Error::invalid(format!(
                "a scalar must have an empty (0-d) shape, got {shape:?}"
            )));
        }
        Ok(Array {
            dtype,
            shape,
            data,
            scalar,
        })
    }

    /// Checks that `len` bytes hold exactly an array of this dtype and shape.
    fn check_len(dtype: DType, shape: &[u64], len: usize) -> Result<()> {
        let expected = Self::byte_len(dtype, shape)?;
        if len as u64 != expected {
            return Err(Error::invalid(format!(
                "a {} array of shape {shape:?} needs {expected} bytes, got {len}",
                dtype.name()
            )));
        }
        Ok(())
    }

    /// Bytes an array of this dtype and shape occupies.
    pub fn byte_len(dtype: DType, shape: &[u64]) -> Result<u64> {
        element_count(shape)?
            .checked_mul(dtype.size() as u64)
            .ok_or_else(|| Error::invalid(format!("array shape {shape:?} is too large")))
    }

    /// A 0-d scalar array holding one element's little-endian bytes.
    pub fn scalar(dtype: DType, le_bytes: &[u8]) -> Result<Self> {
        Self::new(dtype, Vec::new(), le_bytes.to_vec(), true)
    }

    pub fn element_count(&self) -> u64 {
        (self.data.len() / self.dtype.size()) as u64
    }

    /// Builds an array from column-major (Fortran order) element bytes, as
    /// MATLAB and Fortran-ordered numpy arrays hold them.
    pub fn from_column_major(
        dtype: DType,
        shape: Vec<u64>,
        data: &[u8],
        scalar: bool,
    ) -> Result<Self> {
        Self::check_len(dtype, &shape, data.len())?;
        let mut out = vec![0u8; data.len()];
        layout::convert_order(&shape, dtype.size(), data, &mut out, true);
        Self::new(dtype, shape, out, scalar)
    }

    /// The element bytes in column-major (Fortran) order.
    pub fn to_column_major(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.data.len()];
        self.write_column_major(&mut out);
        out
    }

    /// Writes the element bytes in column-major order into `dst`, which
    /// must hold exactly the array's bytes (callers check the length).
    pub fn write_column_major(&self, dst: &mut [u8]) {
        layout::convert_order(&self.shape, self.dtype.size(), &self.data, dst, false);
    }
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Array(_) => Kind::Array,
            Value::String(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Map(_) => Kind::Map,
            Value::Table(_) => Kind::Table,
        }
    }

    /// The kind's name, as stored beside each value.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Array(_) => "array",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Table(_) => "table",
        }
    }

    /// A short human description, e.g. "float64 array 3x4" or "map {a, b}".
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Array(a) if a.shape.is_empty() => format!("{} scalar", a.dtype.name()),
            Value::Array(a) => {
                let dims: Vec<String> = a.shape.iter().map(|d| d.to_string()).collect();
                format!("{} array {}", a.dtype.name(), dims.join("x"))
            }
            Value::String(s) => format!("string ({} bytes)", s.len()),
            Value::List(items) => format!("list of {}", items.len()),
            Value::Map(entries) => {
                let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
                format!("map {{{}}}", keys.join(", "))
            }
            Value::Table(t) => format!("table {} rows x {} columns", t.rows, t.columns.len()),
        }
    }

    /// Checks map keys are unique, recursively.
    pub fn validate(&self) -> Result<()> {
        match self {
            Value::List(items) => items.iter().try_for_each(Value::validate),
            Value::Map(entries) => {
                let mut seen = std::collections::HashSet::new();
                for (k, v) in entries {
                    if !seen.insert(k.as_str()) {
                        return Err(Error::invalid(format!("map key '{k}' appears twice")));
                    }
                    v.validate()?;
                }
                Ok(())
            }
            Value::Table(t) => t.validate(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_major_round_trip_3d() {
        let shape = vec![2u64, 3, 4];
        let col_major: Vec<u8> = (0u8..24).collect();
        let a = Array::from_column_major(DType::UInt8, shape.clone(), &col_major, false).unwrap();
        // Element (i,j,k) sits at i + 2j + 6k in column-major order.
        for i in 0..2usize {
            for j in 0..3usize {
                for k in 0..4usize {
                    assert_eq!(a.data[i * 12 + j * 4 + k] as usize, i + 2 * j + 6 * k);
                }
            }
        }
        assert_eq!(a.to_column_major(), col_major);
    }

    #[test]
    fn rejects_wrong_byte_count() {
        let err = Array::new(DType::Float64, vec![2, 2], vec![0; 31], false).unwrap_err();
        assert!(err.message.contains("needs 32 bytes"), "{}", err.message);
    }
}
