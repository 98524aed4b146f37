//! Chunked values against real DuckDB files: saved from chunks of any
//! size, read back in stored chunks, versioned like other records.

use arrow::array::Array as _;
use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use scidb::chunked::{Chunk, ChunkRef, CHUNK_CELLS};
use scidb::metadata::{parse_metadata, parse_query};
use scidb::{Array, DType, Database, ErrorKind, Value};
use std::sync::Arc;

mod common;

/// A fresh database on the catalog of the run (see tests/common).
fn open(dir: &tempfile::TempDir) -> Arc<Database> {
    Arc::new(common::open_fresh(
        dir,
        "c.duckdb",
        &["subject".to_string()],
    ))
}

fn f64_rows(start: usize, n: usize, width: u64) -> Array {
    let data: Vec<u8> = (start * width as usize..(start + n) * width as usize)
        .flat_map(|i| (i as f64).to_le_bytes())
        .collect();
    let shape = if width == 1 {
        vec![n as u64]
    } else {
        vec![n as u64, width]
    };
    Array::new(DType::Float64, shape, data, false).unwrap()
}

/// Saves `sizes`-row chunks of a float64 array whose element i is i.
fn save_f64(db: &Arc<Database>, subject: i64, sizes: &[usize], width: u64) -> String {
    let meta = parse_metadata(&format!(r#"{{"subject": {subject}}}"#)).unwrap();
    let mut w = db.chunk_writer("Signal", &meta).unwrap();
    let mut start = 0;
    for &n in sizes {
        w.add(ChunkRef::Array(&f64_rows(start, n, width))).unwrap();
        start += n;
    }
    w.finish().unwrap()
}

fn read_all(db: &Arc<Database>, subject: i64) -> Vec<Chunk> {
    let q = parse_query(&format!(r#"{{"subject": {subject}}}"#)).unwrap();
    let mut r = db.chunk_reader("Signal", &q).unwrap();
    let mut out = Vec::new();
    while let Some(c) = r.next_chunk().unwrap() {
        out.push(c);
    }
    out
}

#[test]
fn arrays_are_stored_in_chunks_of_a_million_cells_whatever_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let n = 2_500_003usize;
    let a = save_f64(&db, 1, &[700_000, 1_300_000, 3, 500_000], 1);
    let b = save_f64(&db, 2, &[n], 1);
    let chunks = read_all(&db, 1);
    let rows: Vec<u64> = chunks
        .iter()
        .map(|c| match c {
            Chunk::Array(a) => a.shape[0],
            Chunk::Table(_) => panic!("a table chunk"),
        })
        .collect();
    assert_eq!(rows, vec![CHUNK_CELLS, CHUNK_CELLS, 500_003]);
    let mut next = 0.0;
    for c in &chunks {
        let Chunk::Array(a) = c else { unreachable!() };
        for x in a.data.chunks_exact(8) {
            assert_eq!(f64::from_le_bytes(x.try_into().unwrap()), next);
            next += 1.0;
        }
    }
    assert_eq!(next as usize, n);
    // The same content cut differently has the same hash and is stored once.
    let versions = db
        .list_versions("Signal", &parse_query("{}").unwrap())
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].info.content_hash, versions[1].info.content_hash);
    assert_ne!(a, b);
}

#[test]
fn two_dimensional_chunks_keep_their_rows_and_load_whole_when_small() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let id = save_f64(&db, 1, &[2, 5, 1], 3);
    let chunks = read_all(&db, 1);
    assert_eq!(chunks.len(), 1);
    let Chunk::Array(a) = &chunks[0] else {
        panic!()
    };
    assert_eq!(a.shape, vec![8, 3]);
    let whole = db.load_record(Some("Signal"), &id).unwrap();
    assert_eq!(whole.value, Some(Value::Array(f64_rows(0, 8, 3))));
}

#[test]
fn a_chunk_that_does_not_match_the_first_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let meta = parse_metadata(r#"{"subject": 1}"#).unwrap();
    let mut w = db.chunk_writer("Signal", &meta).unwrap();
    w.add(ChunkRef::Array(&f64_rows(0, 4, 2))).unwrap();
    let err = w.add(ChunkRef::Array(&f64_rows(0, 4, 3))).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TypeMismatch);
    assert!(err.message.contains("chunk 2"), "{}", err.message);
    let ints = Array::new(DType::Int64, vec![1, 2], vec![0; 16], false).unwrap();
    assert!(w.add(ChunkRef::Array(&ints)).is_err());
}

#[test]
fn an_unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let meta = parse_metadata(r#"{"subject": 1}"#).unwrap();
    let mut w = db.chunk_writer("Signal", &meta).unwrap();
    w.add(ChunkRef::Array(&f64_rows(0, 300_000, 1))).unwrap();
    drop(w);
    assert!(db.variables().unwrap().is_empty());
    let id = save_f64(&db, 1, &[10], 1);
    assert_eq!(read_all(&db, 1).len(), 1);
    // Only the finished value's payload file remains, and no temporary file.
    let data = db.data_path().to_path_buf();
    let files: Vec<_> = walk(&data);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "npy"));
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0);
    assert_eq!(id.len(), 32);
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn table_chunk(start: i64, n: i64) -> RecordBatch {
    let ints: Vec<Option<i64>> = (start..start + n)
        .map(|i| (i % 3 != 0).then_some(i))
        .collect();
    let text: Vec<Option<String>> = (start..start + n)
        .map(|i| (i % 5 != 0).then(|| format!("r{i}")))
        .collect();
    RecordBatch::try_from_iter([
        ("i", Arc::new(Int64Array::from(ints)) as ArrayRef),
        (
            "x",
            Arc::new(Float64Array::from_iter_values(
                (start..start + n).map(|i| i as f64 / 2.0),
            )) as ArrayRef,
        ),
        ("s", Arc::new(StringArray::from(text)) as ArrayRef),
    ])
    .unwrap()
}

#[test]
fn tables_round_trip_with_nulls_and_load_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let meta = parse_metadata(r#"{"subject": 3}"#).unwrap();
    let mut w = db.chunk_writer("Rows", &meta).unwrap();
    // 3 columns: stored chunks hold 333,333 rows.
    w.add(ChunkRef::Table(&table_chunk(0, 200_000))).unwrap();
    w.add(ChunkRef::Table(&table_chunk(200_000, 300_000)))
        .unwrap();
    let id = w.finish().unwrap();
    let mut r = db.chunk_reader_for_record(None, &id).unwrap();
    assert_eq!(r.header().n_chunks(), 2);
    let mut seen = 0i64;
    while let Some(Chunk::Table(b)) = r.next_chunk().unwrap() {
        let expected = table_chunk(seen, b.num_rows() as i64);
        assert_eq!(b.columns(), expected.columns());
        seen += b.num_rows() as i64;
    }
    assert_eq!(seen, 500_000);
    let whole = db.load_record(None, &id).unwrap();
    let Some(Value::Table(t)) = whole.value else {
        panic!("not a table")
    };
    assert_eq!(t.rows(), 500_000);
    assert!(t.column(2).array.is_null(5));
}

#[test]
fn binary_tables_are_read_in_chunks_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let meta = parse_metadata(r#"{"subject": 4}"#).unwrap();
    let bin = RecordBatch::try_from_iter([(
        "b",
        Arc::new(BinaryArray::from(vec![Some(&b"\x00\xff"[..]), None])) as ArrayRef,
    )])
    .unwrap();
    let mut w = db.chunk_writer("Blobs", &meta).unwrap();
    w.add(ChunkRef::Table(&bin)).unwrap();
    let id = w.finish().unwrap();
    let mut r = db.chunk_reader_for_record(None, &id).unwrap();
    let Some(Chunk::Table(back)) = r.next_chunk().unwrap() else {
        panic!()
    };
    assert_eq!(back.column(0), bin.column(0));
    // Binary columns are table columns like any other: the value loads whole.
    let Some(Value::Table(t)) = db.load_record(None, &id).unwrap().value else {
        panic!("not a table")
    };
    assert_eq!(t.column(0).array, bin.column(0));
}

#[test]
fn reading_a_record_saved_whole_in_chunks_is_a_type_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let meta = parse_metadata(r#"{"subject": 1}"#).unwrap();
    db.save("Signal", &meta, &Value::Array(f64_rows(0, 3, 1)))
        .unwrap();
    let err = db
        .chunk_reader("Signal", &parse_query(r#"{"subject": 1}"#).unwrap())
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::TypeMismatch);
}

#[test]
fn a_chunked_array_is_one_npy_file_holding_its_whole_shape() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let id = save_f64(&db, 1, &[700_000, 700_000, 100_000], 1);
    let files = walk(db.data_path());
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    let header_len = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..header_len]).unwrap();
    assert!(header.contains("'shape': (1500000,)"), "{header}");
    assert_eq!(header_len % 64, 0);
    let body = &bytes[header_len..];
    assert_eq!(body.len(), 1_500_000 * 8);
    assert!(body
        .chunks(8)
        .enumerate()
        .all(|(i, b)| f64::from_le_bytes(b.try_into().unwrap()) == i as f64));
    let whole = db.load_record(None, &id).unwrap();
    let Some(Value::Array(a)) = whole.value else {
        panic!()
    };
    assert!(a.data[..] == body[..]);
}

#[test]
fn large_saves_succeed_while_chunk_writers_and_readers_are_open() {
    // Chunked reading and writing once lowered DuckDB's memory limit for the
    // whole connection, so a large save meanwhile failed.
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    save_f64(&db, 1, &[2_000_000], 1);
    let mut reader = db
        .chunk_reader("Signal", &parse_query(r#"{"subject": 1}"#).unwrap())
        .unwrap();
    reader.next_chunk().unwrap().unwrap();
    let meta = parse_metadata(r#"{"subject": 2}"#).unwrap();
    let mut writer = db.chunk_writer("Signal", &meta).unwrap();
    writer.add(ChunkRef::Array(&f64_rows(0, 1000, 1))).unwrap();
    for subject in 3..6 {
        let big = Value::Array(f64_rows(subject, 9_000_000, 1)); // 72 MB
        let meta = parse_metadata(&format!(r#"{{"subject": {subject}}}"#)).unwrap();
        db.save("Big", &meta, &big).unwrap();
        let back = db.load_record(Some("Big"), &db.save("Big", &meta, &big).unwrap());
        assert!(back.unwrap().value.unwrap() == big);
    }
    writer.finish().unwrap();
    while reader.next_chunk().unwrap().is_some() {}
}

#[test]
fn a_damaged_chunked_payload_fails_at_the_last_chunk_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let id = save_f64(&db, 1, &[1_500_000], 1);
    let file = walk(db.data_path()).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let mut r = db.chunk_reader_for_record(None, &id).unwrap();
    assert!(r.next_chunk().unwrap().is_some());
    let err = r.next_chunk().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Corrupt);
    assert!(err.message.contains(&id), "{}", err.message);
    let err = db.load_record(None, &id).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Corrupt);
}
