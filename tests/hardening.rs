//! The core against hostile input: values nested past the limit, one file
//! opened twice by other names, paths that are not database files.

use scidb::metadata::{parse_metadata, parse_query};
use scidb::value::MAX_DEPTH;
use scidb::{Array, DType, Database, ErrorKind, Value};

fn keys() -> Vec<String> {
    vec!["subject".into()]
}

fn open_at(path: &std::path::Path) -> scidb::Result<Database> {
    Database::open(path.to_str().unwrap(), &keys(), None)
}

fn leaf() -> Value {
    Value::Array(Array::scalar(DType::Float64, &1.5f64.to_le_bytes()).unwrap())
}

/// `depth` lists around a number, built without recursion.
fn nested(depth: usize) -> Value {
    let mut v = leaf();
    for _ in 0..depth {
        v = Value::List(vec![v]);
    }
    v
}

/// Takes a deep value apart without recursion (dropping it would recurse).
fn dismantle(mut v: Value) {
    while let Value::List(mut items) = v {
        v = items.pop().unwrap_or(Value::Null);
    }
}

fn meta(subject: i64) -> scidb::metadata::Metadata {
    parse_metadata(&format!("{{\"subject\": {subject}}}")).unwrap()
}

#[test]
fn one_depth_limit_for_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_at(&dir.path().join("d.duckdb")).unwrap();
    // The deepest value allowed saves and loads back (300 deep used to save
    // and then never load).
    let deepest = nested(MAX_DEPTH);
    assert_eq!(deepest.depth().unwrap(), MAX_DEPTH);
    db.save("Deep", &meta(1), &deepest).unwrap();
    let back = db
        .load("Deep", &parse_query("{\"subject\": 1}").unwrap())
        .unwrap();
    assert_eq!(back[0].value.as_ref(), Some(&deepest));
    // One more level is refused before anything recurses, at any depth.
    for depth in [MAX_DEPTH + 1, 300, 100_000] {
        let v = nested(depth);
        let err = v.validate().unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.contains("128"), "{}", err.message);
        assert!(v.depth().is_err());
        let err = db.save("Deep", &meta(2), &v).unwrap_err();
        assert!(
            err.message.contains("nested more than 128"),
            "{}",
            err.message
        );
        dismantle(v);
    }
    // Maps count like lists.
    let mut v = leaf();
    for _ in 0..=MAX_DEPTH {
        v = Value::Map(vec![("k".into(), v)]);
    }
    assert!(v.validate().is_err());
    while let Value::Map(mut entries) = v {
        v = entries.pop().map(|(_, x)| x).unwrap_or(Value::Null);
    }
}

#[test]
fn decoding_holds_stored_bytes_to_the_same_limit() {
    // A list MAX_DEPTH + 1 deep, written by hand in the storage format.
    let mut blob = b"SDV1".to_vec();
    for _ in 0..=MAX_DEPTH {
        blob.push(b'L');
        blob.extend_from_slice(&1u64.to_le_bytes());
    }
    blob.push(b'N');
    let no_body = || Err(scidb::Error::corrupt("no body"));
    let err = scidb::codec::decode(&blob, no_body).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Corrupt);
    assert!(err.message.contains("128"), "{}", err.message);
    // One level less decodes.
    let ok = [&blob[..4], &blob[4 + 9..]].concat();
    let v = scidb::codec::decode(&ok, no_body).unwrap();
    assert_eq!(v.depth().unwrap(), MAX_DEPTH);
}

#[test]
fn load_all_of_a_type_never_saved_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_at(&dir.path().join("e.duckdb")).unwrap();
    let all = parse_query("{}").unwrap();
    assert!(db.load_all("NeverSaved", &all).unwrap().is_empty());
    assert_eq!(
        db.load("NeverSaved", &all).unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        db.load_all("bad name!", &all).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn one_file_by_a_symlink_or_a_hard_link_is_open_once() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.duckdb");
    let db = open_at(&real).unwrap();
    db.save("Raw", &meta(1), &leaf()).unwrap();
    let sym = dir.path().join("sym.duckdb");
    let hard = dir.path().join("hard.duckdb");
    std::os::unix::fs::symlink(&real, &sym).unwrap();
    std::fs::hard_link(&real, &hard).unwrap();
    // A folder symlink and a relative path with ".." reach it too.
    let folder = dir.path().join("folder");
    std::os::unix::fs::symlink(dir.path(), &folder).unwrap();
    let by_folder = folder.join("real.duckdb");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let dotted = dir.path().join("sub/../real.duckdb");
    for other in [&sym, &hard, &by_folder, &dotted, &real] {
        let err = open_at(other).err().expect("a second open must fail");
        assert_eq!(err.kind, ErrorKind::Locked, "{other:?}: {}", err.message);
        assert!(err.message.contains("already open"), "{}", err.message);
    }
    drop(db);
    // Once closed, any of its names opens it, and nothing was lost.
    let db = open_at(&hard).unwrap();
    assert_eq!(
        db.load_all("Raw", &parse_query("{}").unwrap())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_new_file_reached_by_two_names_is_open_once() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.duckdb");
    let link = dir.path().join("link.duckdb");
    // A symlink to a file that does not exist yet: opening it creates the
    // target, which is then claimed by identity.
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let db = open_at(&link).unwrap();
    assert!(target.exists());
    let err = open_at(&target).err().expect("a second open must fail");
    assert_eq!(err.kind, ErrorKind::Locked, "{}", err.message);
    drop(db);
    open_at(&target).unwrap();
}

#[test]
fn a_fifo_or_a_folder_is_refused_before_duckdb_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.duckdb");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Used to block forever in DuckDB's open.
    let err = open_at(&fifo).err().expect("a FIFO must be refused");
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(
        err.message.contains("not a regular file"),
        "{}",
        err.message
    );
    let err = open_at(dir.path()).err().expect("a folder must be refused");
    assert!(
        err.message.contains("not a regular file"),
        "{}",
        err.message
    );
}

#[test]
fn foreign_files_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A SQLite file made DuckDB try to download its sqlite extension.
    let sqlite = dir.path().join("other.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.resize(4096, 0);
    std::fs::write(&sqlite, &bytes).unwrap();
    let err = open_at(&sqlite)
        .err()
        .expect("a SQLite file must be refused");
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(
        err.message.contains("not a DuckDB database"),
        "{}",
        err.message
    );
    assert!(err.message.contains("SQLite"), "{}", err.message);
    let text = dir.path().join("notes.duckdb");
    std::fs::write(&text, "just some text, long enough").unwrap();
    let err = open_at(&text).err().expect("a text file must be refused");
    assert!(
        err.message.contains("not a DuckDB database"),
        "{}",
        err.message
    );
    // Nothing was written to either.
    assert_eq!(std::fs::read(&sqlite).unwrap(), bytes);
    let empty = dir.path().join("empty.duckdb");
    std::fs::write(&empty, "").unwrap();
    let err = open_at(&empty)
        .err()
        .expect("an empty file must be refused");
    assert!(err.message.contains("empty file"), "{}", err.message);
}

#[test]
fn a_duckdb_file_of_someone_else_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.duckdb");
    {
        let conn = duckdb::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE measurements (x DOUBLE); INSERT INTO measurements VALUES (1.5);",
        )
        .unwrap();
    }
    let err = open_at(&path)
        .err()
        .expect("someone else's database must be refused");
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("not a scidb one"), "{}", err.message);
    assert!(err.message.contains("measurements"), "{}", err.message);
    let conn = duckdb::Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM information_schema.tables", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(tables, 1, "scidb added tables to a foreign database");
    drop(conn);
    // A DuckDB file with no tables at all is a new database.
    let blank = dir.path().join("blank.duckdb");
    drop(duckdb::Connection::open(&blank).unwrap());
    open_at(&blank).unwrap();
}
