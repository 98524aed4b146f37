//! The core against real DuckDB files in temporary directories (and, with
//! `SCIDB_TEST_CATALOG=postgres`, the tests that use `open` against fresh
//! PostgreSQL catalogs).

mod common;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use scidb::metadata::{parse_metadata, parse_query};
use scidb::value::Table;
use scidb::{Array, DType, Database, ErrorKind, Value};
use std::sync::Arc;

fn keys() -> Vec<String> {
    vec!["subject".into(), "session".into()]
}

fn open(dir: &tempfile::TempDir) -> Database {
    common::open_fresh(dir, "t.duckdb", &keys())
}

fn f64s(xs: &[f64]) -> Value {
    let data: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
    Value::Array(Array::new(DType::Float64, vec![xs.len() as u64], data, false).unwrap())
}

fn scalar(x: f64) -> Value {
    Value::Array(Array::scalar(DType::Float64, &x.to_le_bytes()).unwrap())
}

fn meta(json: &str) -> scidb::metadata::Metadata {
    parse_metadata(json).unwrap()
}

fn query(json: &str) -> scidb::metadata::Query {
    parse_query(json).unwrap()
}

#[test]
fn newest_version_wins_and_old_ones_stay_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = meta(r#"{"subject": 1, "session": "a"}"#);
    let first = db.save("Raw", &m, &scalar(1.0)).unwrap();
    let second = db.save("Raw", &m, &scalar(2.0)).unwrap();
    assert_ne!(first, second);
    let loaded = db
        .load("Raw", &query(r#"{"subject": 1, "session": "a"}"#))
        .unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].info.record_id, second);
    assert_eq!(loaded[0].value, Some(scalar(2.0)));
    let versions = db.list_versions("Raw", &query("{}")).unwrap();
    let ids: Vec<&str> = versions.iter().map(|r| r.info.record_id.as_str()).collect();
    assert_eq!(ids, vec![first.as_str(), second.as_str()]);
    let old = db.load_record(Some("Raw"), &first).unwrap();
    assert_eq!(old.value, Some(scalar(1.0)));
    // Saving the first content again makes it the newest, without a new record.
    assert_eq!(db.save("Raw", &m, &scalar(1.0)).unwrap(), first);
    let loaded = db.load("Raw", &query(r#"{"subject": 1}"#)).unwrap();
    assert_eq!(loaded[0].info.record_id, first);
    assert_eq!(db.list_versions("Raw", &query("{}")).unwrap().len(), 2);
}

#[test]
fn variants_are_ambiguous_until_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    db.save(
        "F",
        &meta(r#"{"subject": 1, "session": "a", "smoothing": 0.2}"#),
        &scalar(2.0),
    )
    .unwrap();
    db.save(
        "F",
        &meta(r#"{"subject": 1, "session": "a", "smoothing": 0.3}"#),
        &scalar(3.0),
    )
    .unwrap();
    let err = db
        .load("F", &query(r#"{"subject": 1, "session": "a"}"#))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Ambiguous);
    assert!(err.message.contains("smoothing"), "{}", err.message);
    assert!(
        err.message.contains("0.2") && err.message.contains("0.3"),
        "{}",
        err.message
    );
    let chosen = db.load("F", &query(r#"{"smoothing": 0.3}"#)).unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].value, Some(scalar(3.0)));
    assert_eq!(chosen[0].metadata["smoothing"].canonical(), "0.3");
    assert_eq!(db.load_all("F", &query("{}")).unwrap().len(), 2);
}

#[test]
fn partial_keys_and_lists_match_several_locations() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    for s in 1..=3 {
        for sess in ["a", "b"] {
            let m = meta(&format!(r#"{{"subject": {s}, "session": "{sess}"}}"#));
            db.save("X", &m, &scalar(s as f64)).unwrap();
        }
    }
    assert_eq!(db.load("X", &query(r#"{"subject": 2}"#)).unwrap().len(), 2);
    let some = db
        .load("X", &query(r#"{"subject": [1, 3], "session": "b"}"#))
        .unwrap();
    assert_eq!(some.len(), 2);
    // MATLAB sends 1.0 where Python sends 1; both find the same records.
    assert_eq!(
        db.load("X", &query(r#"{"subject": 1.0}"#)).unwrap().len(),
        2
    );
    let err = db.load("X", &query(r#"{"subject": 9}"#)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("subject=9"), "{}", err.message);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let m = meta(r#"{"subject": 1}"#);
    db.save("Ok", &m, &scalar(1.0)).unwrap();
    let err = db.load("Nope", &query("{}")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("Nope"));
    assert_eq!(
        parse_metadata(r#"{"version": 1}"#).unwrap_err().kind,
        ErrorKind::ReservedKey
    );
    let err = db.save("bad name", &m, &scalar(1.0)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    let dup = Value::Map(vec![("a".into(), Value::Null), ("a".into(), Value::Null)]);
    assert!(db.save("Ok", &m, &dup).is_err());
    assert_eq!(db.list_versions("Ok", &query("{}")).unwrap().len(), 1);
    assert_eq!(db.variables().unwrap(), vec!["Ok".to_string()]);
}

#[test]
fn reopening_with_other_keys_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    let path = path.to_str().unwrap();
    let db = Database::open(path, &keys(), None).unwrap();
    db.save("A", &meta(r#"{"subject": 1}"#), &scalar(1.0))
        .unwrap();
    drop(db);
    let err = Database::open(path, &["subject".to_string()], None)
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::SchemaMismatch);
    assert!(err.message.contains("subject"), "{}", err.message);
    let db = Database::open(path, &keys(), Some("lineage.db")).unwrap();
    assert_eq!(
        db.load("A", &query("{}")).unwrap()[0].value,
        Some(scalar(1.0))
    );
}

#[test]
fn large_arrays_are_chunked_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let n = 3 * (8 << 20) / 8 + 5; // a little over three chunks
    let xs: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let v = f64s(&xs);
    db.save("Big", &meta(r#"{"subject": 1}"#), &v).unwrap();
    let back = db.load("Big", &query("{}")).unwrap();
    assert_eq!(back[0].value.as_ref(), Some(&v));
}

#[test]
fn view_shows_keys_and_values_in_sql_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    {
        let db = Database::open(path.to_str().unwrap(), &keys(), None).unwrap();
        db.save(
            "Max",
            &meta(r#"{"subject": 1, "session": "pre"}"#),
            &scalar(0.5),
        )
        .unwrap();
        db.save(
            "Max",
            &meta(r#"{"subject": 2, "session": "pre"}"#),
            &scalar(0.75),
        )
        .unwrap();
        db.save(
            "Sig",
            &meta(r#"{"subject": 1, "session": "pre"}"#),
            &f64s(&[1.0, 2.5]),
        )
        .unwrap();
        let t: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let label: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
        let table = Table::from_columns(2, vec![("t".into(), t), ("label".into(), label)]).unwrap();
        db.save("Tab", &meta(r#"{"subject": 3}"#), &Value::Table(table))
            .unwrap();
    }
    let conn = duckdb::Connection::open(&path).unwrap();
    let rows: Vec<(i64, String, f64)> = conn
        .prepare("SELECT subject, session, value FROM \"Max\" ORDER BY subject")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, vec![(1, "pre".into(), 0.5), (2, "pre".into(), 0.75)]);
    let list: String = conn
        .query_row("SELECT CAST(value AS VARCHAR) FROM \"Sig\"", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(list, "[1.0, 2.5]");
    let tab: Vec<(i64, i64, Option<String>)> = conn
        .prepare("SELECT subject, t, label FROM \"Tab\"")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tab, vec![(3, 1, Some("x".into())), (3, 2, None)]);
}

#[test]
fn a_file_opens_once_per_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    let path = path.to_str().unwrap();
    let db = Database::open(path, &keys(), None).unwrap();
    let err = Database::open(path, &keys(), None).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Locked);
    drop(db);
    Database::open(path, &keys(), None).unwrap();
}
