//! The content-hash test vectors published in docs/content-hash.md.

use crate::value::{Array, DType, Table, Value};
use arrow::array::{ArrayRef, BinaryArray, Int64Array};
use std::sync::Arc;

fn arr(dtype: DType, shape: &[u64], data: Vec<u8>) -> Value {
    match Array::new(dtype, shape.to_vec(), data, false) {
        Ok(a) => Value::Array(a),
        Err(e) => panic!("bad test vector: {e}"),
    }
}

fn table(columns: Vec<(&str, ArrayRef)>) -> Value {
    let rows = columns.first().map_or(0, |(_, a)| a.len());
    let columns = columns
        .into_iter()
        .map(|(n, a)| (n.to_string(), a))
        .collect();
    match Table::from_columns(rows, columns) {
        Ok(t) => Value::Table(t),
        Err(e) => panic!("bad test vector: {e}"),
    }
}

fn le_f64(xs: &[f64]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// (description, value, expected hash)
pub fn named_vectors() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "null",
            Value::Null,
            "68bfaf5e7f2bfafbe20939af9e632ee35679b3a3871e45ec4481dc27acbf403f",
        ),
        (
            "float64 scalar 1.5",
            arr(DType::Float64, &[], le_f64(&[1.5])),
            "a59e56c9ad318e93df00231d58f737f055f175a016b96f877804202edb41be05",
        ),
        (
            "int32 [1, 2, 3]",
            arr(
                DType::Int32,
                &[3],
                [1i32, 2, 3].iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            "cbc8dce597f8984abeacbd011b08d2142cdb3ad25d8602350350fc390d98536c",
        ),
        (
            "float64 2x2 [[1, 2], [3, 4]]",
            arr(DType::Float64, &[2, 2], le_f64(&[1.0, 2.0, 3.0, 4.0])),
            "81ba276e3cedfc4ba0921945b67efdb0bcd60276106d3435f8094c5fd11b82fb",
        ),
        (
            "float64 empty 0x3",
            arr(DType::Float64, &[0, 3], vec![]),
            "606d629909e22f4d1fa252d06d0b365d52be2dfe55adc8d76e9b413acb14776b",
        ),
        (
            "bool [true, false]",
            arr(DType::Bool, &[2], vec![1, 0]),
            "9c48aba42b1fdbeb042275d6cfb328cd17fbaadf33e63741aede8d75fb97e813",
        ),
        (
            "string \"héllo\"",
            Value::String("héllo".into()),
            "eee776729cd8a1553c888c521590e7d7b1d2b55df1cf882b268717baed847e12",
        ),
        (
            "list [null, \"a\"]",
            Value::List(vec![Value::Null, Value::String("a".into())]),
            "ac8675417c1a6e569c8b97b5e087a10110c40ec50ce01c4e3c6309304e995c94",
        ),
        (
            "map {\"b\": \"x\", \"a\": null}",
            Value::Map(vec![
                ("b".into(), Value::String("x".into())),
                ("a".into(), Value::Null),
            ]),
            "a348423164439ad5a8c037d167b7fbe713b4b01315262838c0fac62fa8949528",
        ),
        (
            "table x:int64 [5, null]",
            table(vec![(
                "x",
                Arc::new(Int64Array::from(vec![Some(5), None])) as ArrayRef,
            )]),
            "c632db0db1175a69166fb6186a22fd654ae1be6538b0005271fa20ec7bc9d924",
        ),
        (
            "table b:binary [00 ff, null, empty]",
            table(vec![(
                "b",
                Arc::new(BinaryArray::from(vec![
                    Some(&[0x00u8, 0xff][..]),
                    None,
                    Some(&[][..]),
                ])) as ArrayRef,
            )]),
            "08bdca904d85af1890bffd45138c80e056108f4536474417d388a0e44031d4c8",
        ),
        (
            "table b:binary [\"hé\"] (no nulls)",
            table(vec![(
                "b",
                Arc::new(BinaryArray::from(vec![Some("hé".as_bytes())])) as ArrayRef,
            )]),
            "ccbd922582458eb7900ccc4ea99742d881a68dcbc6a40f00cf9af92aa9e96719",
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
