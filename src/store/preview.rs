//! The SQL-readable copy of a value that a variable's view shows: scalars
//! as typed columns, short 1-d arrays as lists, everything else as a
//! one-line description. The stored value itself is never changed by this.

use crate::value::{Array, DType, Value};

/// 1-d arrays longer than this get a description instead of a list, so a
/// long signal is not stored twice.
pub const MAX_LIST_PREVIEW: u64 = 100_000;

/// How a value appears in its variable's view.
#[derive(Debug, Default)]
pub struct Preview {
    /// The kind recorded in the variable's view signature.
    pub kind: &'static str,
    pub v_bool: Option<bool>,
    pub v_int: Option<i128>,
    pub v_float: Option<f64>,
    pub v_text: Option<String>,
    /// List literals (`[1, 2]`) that SQL casts to a typed list.
    pub v_bool_list: Option<String>,
    pub v_int_list: Option<String>,
    pub v_float_list: Option<String>,
    pub summary: String,
}

/// The preview kinds a view may combine; see `views::value_expression`.
pub const KIND_BOOL: &str = "bool";
pub const KIND_INT: &str = "int";
pub const KIND_UINT64: &str = "uint64";
pub const KIND_FLOAT: &str = "float";
pub const KIND_TEXT: &str = "text";
pub const KIND_BOOL_LIST: &str = "bool_list";
pub const KIND_INT_LIST: &str = "int_list";
pub const KIND_FLOAT_LIST: &str = "float_list";
pub const KIND_TABLE: &str = "table";
pub const KIND_NULL: &str = "null";
pub const KIND_OTHER: &str = "other";

pub fn preview(value: &Value) -> Preview {
    let summary = value.describe();
    let mut p = Preview {
        kind: KIND_OTHER,
        summary,
        ..Preview::default()
    };
    match value {
        Value::Null => p.kind = KIND_NULL,
        Value::String(s) => {
            p.kind = KIND_TEXT;
            p.v_text = Some(s.clone());
        }
        Value::Table(_) => p.kind = KIND_TABLE,
        Value::Array(a) if a.shape.is_empty() => scalar_preview(a, &mut p),
        Value::Array(a) if a.shape.len() == 1 && a.shape[0] <= MAX_LIST_PREVIEW => {
            list_preview(a, &mut p)
        }
        _ => {}
    }
    p
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

fn scalar_preview(a: &Array, p: &mut Preview) {
    match element(a, 0) {
        Some(Num::Bool(b)) => {
            p.kind = KIND_BOOL;
            p.v_bool = Some(b);
        }
        Some(Num::Int(i)) => {
            p.kind = if a.dtype == DType::UInt64 {
                KIND_UINT64
            } else {
                KIND_INT
            };
            p.v_int = Some(i);
        }
        Some(Num::Float(f)) => {
            p.kind = KIND_FLOAT;
            p.v_float = Some(f);
        }
        None => {}
    }
}

/// A float as DuckDB's list cast reads it, exactly (shortest round trip).
fn float_literal(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{f:?}")
    }
}

fn list_preview(a: &Array, p: &mut Preview) {
    if matches!(a.dtype, DType::Complex64 | DType::Complex128) {
        return;
    }
    let n = a.element_count() as usize;
    let items: Vec<String> = (0..n)
        .filter_map(|i| element(a, i))
        .map(|x| match x {
            Num::Bool(b) => b.to_string(),
            Num::Int(i) => i.to_string(),
            Num::Float(f) => float_literal(f),
        })
        .collect();
    let literal = format!("[{}]", items.join(", "));
    if a.dtype == DType::Bool {
        p.kind = KIND_BOOL_LIST;
        p.v_bool_list = Some(literal);
    } else if a.dtype.is_float() {
        p.kind = KIND_FLOAT_LIST;
        p.v_float_list = Some(literal);
    } else {
        p.kind = KIND_INT_LIST;
        p.v_int_list = Some(literal);
    }
}
