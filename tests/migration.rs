//! A database written in storage layout 1 (by scidb before payload files;
//! `tests/fixtures/make_layout1.py` made it) opens under today's code and
//! every record loads bit-exactly: small values, large bodies kept in
//! `_scidb_chunks`, chunked values kept in `_scidb_words`, lineage.

use scidb::chunked::Chunk;
use scidb::hash::content_hash;
use scidb::metadata::{parse_metadata, parse_query};
use scidb::{Array, DType, Database, Value};
use std::sync::Arc;

fn open_copy(dir: &tempfile::TempDir) -> Arc<Database> {
    let path = dir.path().join("layout1.duckdb");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/layout1.duckdb"),
        &path,
    )
    .unwrap();
    let keys = ["subject".to_string(), "session".to_string()];
    Arc::new(Database::open(path.to_str().unwrap(), &keys, None).unwrap())
}

fn f64_array(values: impl Iterator<Item = f64>, shape: Vec<u64>) -> Value {
    let data: Vec<u8> = values.flat_map(f64::to_le_bytes).collect();
    Value::Array(Array::new(DType::Float64, shape, data, false).unwrap())
}

#[test]
fn every_record_of_a_layout_1_database_loads_with_its_content_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_copy(&dir);
    let mut variables = db.variables().unwrap();
    variables.sort();
    assert_eq!(
        variables,
        ["Big", "Doubled", "Frame", "Rows", "Signal", "Small"]
    );
    let mut records = 0;
    for variable in &variables {
        for r in db
            .list_versions(variable, &parse_query("{}").unwrap())
            .unwrap()
        {
            let loaded = db.load_record(Some(variable), &r.info.record_id).unwrap();
            let value = loaded.value.unwrap();
            let mut chunks = db.chunk_reader_for_record(Some(variable), &r.info.record_id);
            match chunks.as_mut() {
                // Chunked: read every chunk (the reader checks the hash).
                Ok(reader) => while reader.next_chunk().unwrap().is_some() {},
                Err(_) => assert_eq!(
                    content_hash(&value),
                    r.info.content_hash,
                    "{variable} {}",
                    r.info.record_id
                ),
            }
            records += 1;
        }
    }
    assert_eq!(records, 11);
}

#[test]
fn layout_1_values_come_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_copy(&dir);
    let q = |json: &str| parse_query(json).unwrap();
    let big = f64_array((0..140_000).map(|i| i as f64 * 0.5), vec![140_000]);
    for subject in [1, 2] {
        let r = db
            .load(
                "Big",
                &q(&format!(r#"{{"subject": {subject}, "session": "a"}}"#)),
            )
            .unwrap();
        assert!(r[0].value.as_ref().unwrap() == &big);
    }
    let signal = db
        .load("Signal", &q(r#"{"subject": 1, "session": "a"}"#))
        .unwrap();
    let Some(Value::Array(a)) = &signal[0].value else {
        panic!("Signal is not an array")
    };
    assert_eq!(a.shape, [1_200_000]);
    assert_eq!(a.dtype, DType::Int8);
    assert!(a
        .data
        .iter()
        .enumerate()
        .all(|(i, &b)| b as usize == i % 100));
    let mut reader = db
        .chunk_reader("Rows", &q(r#"{"subject": 1, "session": "a"}"#))
        .unwrap();
    let Some(Chunk::Table(batch)) = reader.next_chunk().unwrap() else {
        panic!("Rows is not a table")
    };
    assert_eq!(batch.num_rows(), 1000);
    let doubled = db
        .load("Doubled", &q(r#"{"subject": 1, "session": "a"}"#))
        .unwrap();
    let twice = f64_array((0..140_000).map(|i| i as f64), vec![140_000]);
    assert!(doubled[0].value.as_ref().unwrap() == &twice);
}

#[test]
fn a_layout_1_database_takes_new_values_as_payload_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_copy(&dir);
    let big = f64_array((0..400_000).map(f64::from), vec![400_000]);
    let meta = parse_metadata(r#"{"subject": 9, "session": "a"}"#).unwrap();
    let id = db.save("Big", &meta, &big).unwrap();
    assert!(db.load_record(None, &id).unwrap().value.unwrap() == big);
    assert!(db.data_path().exists());
    drop(db);
    let conn = duckdb::Connection::open(dir.path().join("layout1.duckdb")).unwrap();
    let layout: String = conn
        .query_row(
            "SELECT value FROM _scidb_info WHERE key = 'layout_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(layout, "2");
}
