//! The content-hash test vectors published in docs/content-hash.md.

use crate::value::{Array, Column, ColumnData, DType, Table, Value};

fn arr(dtype: DType, shape: &[u64], data: Vec<u8>) -> Value {
    match Array::new(dtype, shape.to_vec(), data, false) {
        Ok(a) => Value::Array(a),
        Err(e) => panic!("bad test vector: {e}"),
    }
}

fn le_f64(xs: &[f64]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// (description, value, expected hash)
pub fn named_vectors() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("null", Value::Null, "HASH_NULL"),
        (
            "float64 scalar 1.5",
            arr(DType::Float64, &[], le_f64(&[1.5])),
            "HASH_F64",
        ),
        (
            "int32 [1, 2, 3]",
            arr(
                DType::Int32,
                &[3],
                [1i32, 2, 3].iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            "HASH_I32",
        ),
        (
            "float64 2x2 [[1, 2], [3, 4]]",
            arr(DType::Float64, &[2, 2], le_f64(&[1.0, 2.0, 3.0, 4.0])),
            "HASH_2X2",
        ),
        (
            "float64 empty 0x3",
            arr(DType::Float64, &[0, 3], vec![]),
            "HASH_EMPTY",
        ),
        (
            "bool [true, false]",
            arr(DType::Bool, &[2], vec![1, 0]),
            "HASH_BOOL",
        ),
        (
            "string \"héllo\"",
            Value::String("héllo".into()),
            "HASH_STR",
        ),
        (
            "list [null, \"a\"]",
            Value::List(vec![Value::Null, Value::String("a".into())]),
            "HASH_LIST",
        ),
        (
            "map {\"b\": \"x\", \"a\": null}",
            Value::Map(vec![
                ("b".into(), Value::String("x".into())),
                ("a".into(), Value::Null),
            ]),
            "HASH_MAP",
        ),
        (
            "table x:int64 [5, null]",
            Value::Table(Table {
                rows: 2,
                columns: vec![Column {
                    name: "x".into(),
                    data: ColumnData::Numeric {
                        dtype: DType::Int64,
                        data: [5i64.to_le_bytes(), [0u8; 8]].concat(),
                    },
                    validity: Some(vec![true, false]),
                }],
            }),
            "HASH_TABLE",
        ),
    ]
}

pub fn vectors() -> Vec<(Value, &'static str)> {
    named_vectors()
        .into_iter()
        .map(|(_, v, h)| (v, h))
        .collect()
}

/// Prints the vectors for the docs: `cargo test print_vectors -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_vectors() {
    for (name, v, _) in named_vectors() {
        println!("| {name} | `{}` |", crate::hash::content_hash(&v));
    }
}
