//! The value model: one Rust type holds anything a user may save.
//!
//! Arrays are stored row-major ("C order") little-endian, whatever order the
//! saving language used; bindings convert at the boundary through
//! [`Array::from_column_major`] and [`Array::to_column_major`].

mod dtype;
mod elements;
mod layout;
mod table;

pub use dtype::DType;
pub use elements::{Elements, Mapped};
pub(crate) use layout::{column_major_rows, convert_order};
pub(crate) use table::{bool_bytes_into, validity_bytes_into};
pub use table::{ColumnRef, ColumnType, Table};

use crate::error::{Error, Result};

/// The deepest nesting of lists and maps a value may have: a list of
/// numbers has depth 1, a list of such lists depth 2. Building (C ABI
/// pushes, Python and MATLAB conversion), validating, hashing, encoding,
/// decoding, saving and loading all use this one limit, so no path recurses
/// without bound and whatever saves also loads.
pub const MAX_DEPTH: usize = 128;

/// An N-dimensional array of one element type, row-major, little-endian.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub dtype: DType,
    pub shape: Vec<u64>,
    /// Row-major element bytes: exactly `element count * dtype.size()`
    /// bytes, owned or (a loaded payload file) privately memory-mapped.
    pub data: Elements,
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
    pub fn new(
        dtype: DType,
        shape: Vec<u64>,
        data: impl Into<Elements>,
        scalar: bool,
    ) -> Result<Self> {
        let data = data.into();
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
            Value::Table(t) => format!("table {} rows x {} columns", t.rows(), t.num_columns()),
        }
    }

    /// Checks map keys are unique (tables are consistent by construction),
    /// and refuses values
    /// nested deeper than [`MAX_DEPTH`] before anything recurses further.
    pub fn validate(&self) -> Result<()> {
        self.validate_at(0)
    }

    /// `level` counts the lists and maps around this value.
    fn validate_at(&self, level: usize) -> Result<()> {
        match self {
            Value::List(_) | Value::Map(_) if level >= MAX_DEPTH => Err(too_deep()),
            Value::List(items) => items.iter().try_for_each(|v| v.validate_at(level + 1)),
            Value::Map(entries) => {
                let mut seen = std::collections::HashSet::new();
                for (k, v) in entries {
                    if !seen.insert(k.as_str()) {
                        return Err(Error::invalid(format!("map key '{k}' appears twice")));
                    }
                    v.validate_at(level + 1)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The nesting depth (lists and maps on the longest path down); an
    /// error, found without recursing past the limit, when it exceeds
    /// [`MAX_DEPTH`].
    pub fn depth(&self) -> Result<usize> {
        self.depth_at(0)
    }

    fn depth_at(&self, level: usize) -> Result<usize> {
        let children: Box<dyn Iterator<Item = &Value>> = match self {
            Value::List(items) => Box::new(items.iter()),
            Value::Map(entries) => Box::new(entries.iter().map(|(_, v)| v)),
            _ => return Ok(0),
        };
        if level >= MAX_DEPTH {
            return Err(too_deep());
        }
        let mut deepest = 0;
        for child in children {
            deepest = deepest.max(child.depth_at(level + 1)?);
        }
        Ok(deepest + 1)
    }

    /// Whether `node` is this value or sits anywhere inside it.
    pub fn contains_node(&self, node: *const Value) -> bool {
        if std::ptr::eq(self, node) {
            return true;
        }
        match self {
            Value::List(items) => items.iter().any(|v| v.contains_node(node)),
            Value::Map(entries) => entries.iter().any(|(_, v)| v.contains_node(node)),
            _ => false,
        }
    }
}

/// The error for a value nested deeper than [`MAX_DEPTH`].
pub fn too_deep() -> Error {
    Error::invalid(format!(
        "the value is nested more than {MAX_DEPTH} lists or maps deep (or contains itself); \
         scidb stores at most {MAX_DEPTH} levels"
    ))
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
