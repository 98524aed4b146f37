//! The SQL-readable copy of a value that a variable's view shows: scalars
//! as typed columns, short 1-d arrays as lists, everything else as a
//! one-line description. The stored value itself is never changed by this.

use crate::value::{Array, DType, Value};

/// 1-d arrays longer than this get a description instead of a list, so a
/// long signal is not stored twice.
pub(crate) const MAX_LIST_PREVIEW: u64 = 100_000;

/// How a value appears in its variable's view: a kind, recorded in the
/// variable's view signature, and a text the view casts to the SQL type
/// that the kinds seen so far share (`views::value_expression`).
#[derive(Debug)]
pub struct Preview {
    pub kind: &'static str,
    /// A number, a boolean, a list literal (`[1.5, 2.0]`), the string
    /// itself, or a description (`float64 array 3x4`). None for null.
    pub text: Option<String>,
}

/// The preview kinds a view may combine; see `views::value_expression`.
pub(crate) const KIND_BOOL: &str = "bool";
pub(crate) const KIND_INT: &str = "int";
pub(crate) const KIND_UINT64: &str = "uint64";
pub(crate) const KIND_FLOAT: &str = "float";
pub(crate) const KIND_TEXT: &str = "text";
pub(crate) const KIND_BOOL_LIST: &str = "bool_list";
pub(crate) const KIND_INT_LIST: &str = "int_list";
pub(crate) const KIND_UINT64_LIST: &str = "uint64_list";
pub(crate) const KIND_FLOAT_LIST: &str = "float_list";
pub(crate) const KIND_TABLE: &str = "table";
pub(crate) const KIND_NULL: &str = "null";
pub(crate) const KIND_OTHER: &str = "other";

pub fn preview(value: &Value) -> Preview {
    let (kind, text) = match value {
        Value::Null => (KIND_NULL, None),
        Value::String(s) => (KIND_TEXT, Some(s.clone())),
        Value::Table(_) => (KIND_TABLE, Some(value.describe())),
        Value::Array(a) if a.shape.is_empty() => match scalar_preview(a) {
            Some(p) => p,
            None => (KIND_OTHER, Some(value.describe())),
        },
        Value::Array(a) if a.shape.len() == 1 && a.shape[0] <= MAX_LIST_PREVIEW => {
            match list_preview(a) {
                Some(p) => p,
                None => (KIND_OTHER, Some(value.describe())),
            }
        }
        _ => (KIND_OTHER, Some(value.describe())),
    };
    Preview { kind, text }
}

/// Element i of an array as a number for the preview; None for complex.
enum Num {
    Bool(bool),
    Int(i128),
    Float(f64),
}

fn element(a: &Array, i: usize) -> Option<Num> {
    let size = a.dtype.size();
    let b = &a.data[i * size..(i + 1) * size];
    let mut buf = [0u8; 8];
    buf[..size.min(8)].copy_from_slice(&b[..size.min(8)]);
    let u = u64::from_le_bytes(buf);
    Some(match a.dtype {
        DType::Bool => Num::Bool(b[0] != 0),
        DType::Int8 => Num::Int(b[0] as i8 as i128),
        DType::Int16 => Num::Int(u as u16 as i16 as i128),
        DType::Int32 => Num::Int(u as u32 as i32 as i128),
        DType::Int64 => Num::Int(u as i64 as i128),
        DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::UInt64 => Num::Int(u as i128),
        DType::Float32 => Num::Float(f32::from_bits(u as u32) as f64),
        DType::Float64 => Num::Float(f64::from_bits(u)),
        DType::Complex64 | DType::Complex128 => return None,
    })
}

fn scalar_preview(a: &Array) -> Option<(&'static str, Option<String>)> {
    let (kind, text) = match element(a, 0)? {
        Num::Bool(b) => (KIND_BOOL, b.to_string()),
        Num::Int(i) if a.dtype == DType::UInt64 => (KIND_UINT64, i.to_string()),
        Num::Int(i) => (KIND_INT, i.to_string()),
        Num::Float(f) => (KIND_FLOAT, float_literal(f)),
    };
    Some((kind, Some(text)))
}

/// A float as DuckDB's casts read it, exactly (shortest round trip).
fn float_literal(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{f:?}")
    }
}

fn list_preview(a: &Array) -> Option<(&'static str, Option<String>)> {
    let n = a.element_count() as usize;
    let items = (0..n)
        .map(|i| {
            element(a, i).map(|x| match x {
                Num::Bool(b) => b.to_string(),
                Num::Int(i) => i.to_string(),
                Num::Float(f) => float_literal(f),
            })
        })
        .collect::<Option<Vec<String>>>()?;
    let kind = match a.dtype {
        DType::Bool => KIND_BOOL_LIST,
        DType::UInt64 => KIND_UINT64_LIST,
        d if d.is_float() => KIND_FLOAT_LIST,
        _ => KIND_INT_LIST,
    };
    Some((kind, Some(format!("[{}]", items.join(", ")))))
}
