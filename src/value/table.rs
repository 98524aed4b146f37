//! Tables (pandas DataFrames, MATLAB tables): named, equal-length columns.

use super::DType;
use crate::error::{Error, Result};

/// The cells of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Fixed-width elements, little-endian; bool is one byte 0/1. Complex
    /// dtypes are not allowed in tables (Arrow has no complex type).
    Numeric { dtype: DType, data: Vec<u8> },
    /// UTF-8 text; a null cell holds an empty string.
    Utf8(Vec<String>),
}

/// One named column. `validity[i] == false` marks cell i as null (missing);
/// `None` means the column has no nulls and is not nullable.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
    pub validity: Option<Vec<bool>>,
}

/// Columns in order, all `rows` long.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub rows: u64,
    pub columns: Vec<Column>,
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric { dtype, data } => data.len() / dtype.size(),
            ColumnData::Utf8(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The type name used by the hash and in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ColumnData::Numeric { dtype, .. } => dtype.name(),
            ColumnData::Utf8(_) => "string",
        }
    }
}

impl Table {
    /// Checks column lengths, unique names and element types.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !seen.insert(c.name.as_str()) {
                return Err(Error::invalid(format!(
                    "table column '{}' appears twice",
                    c.name
                )));
            }
            if let ColumnData::Numeric { dtype, data } = &c.data {
                if matches!(dtype, DType::Complex64 | DType::Complex128) {
                    return Err(Error::type_mismatch(format!(
                        "table column '{}' is {}; tables hold no complex columns",
                        c.name,
                        dtype.name()
                    )));
                }
                if data.len() % dtype.size() != 0 {
                    return Err(Error::invalid(format!(
                        "table column '{}' has a partial element",
                        c.name
                    )));
                }
            }
            if c.data.len() as u64 != self.rows {
                return Err(Error::invalid(format!(
                    "table column '{}' has {} rows, the table has {}",
                    c.name,
                    c.data.len(),
                    self.rows
                )));
            }
            if let Some(v) = &c.validity {
                if v.len() as u64 != self.rows {
                    return Err(Error::invalid(format!(
                        "table column '{}' has {} validity flags for {} rows",
                        c.name,
                        v.len(),
                        self.rows
                    )));
                }
            }
        }
        Ok(())
    }
}
