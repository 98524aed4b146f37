//! Values and names that once changed silently or hit internal errors:
//! metadata numbers, view and column names that DuckDB would confuse.

use arrow::array::{ArrayRef, Int64Array, StringArray};
use scidb::metadata::{parse_metadata, parse_query};
use scidb::value::Table;
use scidb::{Array, DType, Database, ErrorKind, Value};
use std::sync::Arc;

fn keys() -> Vec<String> {
    vec!["subject".into(), "session".into()]
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

fn int_column(name: &str, xs: &[i64]) -> (String, ArrayRef) {
    (name.into(), Arc::new(Int64Array::from(xs.to_vec())))
}

fn text_column(name: &str, xs: &[&str]) -> (String, ArrayRef) {
    (name.into(), Arc::new(StringArray::from(xs.to_vec())))
}

fn table(rows: usize, columns: Vec<(String, ArrayRef)>) -> Table {
    Table::from_columns(rows, columns).unwrap()
}

/// Runs `f` on a database in a temp dir, then returns the file's path
/// (closed) for plain-SQL checks.
fn with_db(f: impl FnOnce(&Database)) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    let db = Database::open(path.to_str().unwrap(), &keys(), None).unwrap();
    f(&db);
    drop(db);
    (dir, path)
}

fn column_names(conn: &duckdb::Connection, view: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{view}\" LIMIT 0"))
        .unwrap();
    let _ = stmt.query([]).unwrap();
    stmt.column_names()
}

#[test]
fn metadata_floats_load_back_and_big_integers_are_refused() {
    let (_dir, _) = with_db(|db| {
        // 2^70 as a float (json.dumps of 2.0**70): found again by the same float.
        let m = meta(r#"{"subject": 1, "big": 1.1805916207174113e+21}"#);
        let rid = db.save("Big", &m, &scalar(1.0)).unwrap();
        let found = db
            .load("Big", &query(r#"{"big": 1.1805916207174113e+21}"#))
            .unwrap();
        assert_eq!(found[0].info.record_id, rid);
        assert_eq!(found[0].metadata, m);
        // 2^63 and 2^63+1 were both rounded to one float: now refused.
        for big in ["9223372036854775808", "9223372036854775809"] {
            let e = parse_metadata(&format!(r#"{{"subject": 1, "big": {big}}}"#)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            assert!(e.message.contains("int64"), "{}", e.message);
        }
    });
}

#[test]
fn variable_types_differing_only_in_case_are_refused() {
    let (_dir, path) = with_db(|db| {
        db.save("CaseFoo", &meta(r#"{"subject": 1}"#), &scalar(1.0))
            .unwrap();
        let e = db
            .save("casefoo", &meta(r#"{"subject": 2}"#), &scalar(2.0))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.contains("'CaseFoo'"), "{}", e.message);
        assert_eq!(db.variables().unwrap(), vec!["CaseFoo".to_string()]);
        // The same name again is of course fine.
        db.save("CaseFoo", &meta(r#"{"subject": 2}"#), &scalar(2.0))
            .unwrap();
    });
    let conn = duckdb::Connection::open(&path).unwrap();
    let values: Vec<f64> = conn
        .prepare("SELECT value FROM \"CaseFoo\" ORDER BY subject")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(values, vec![1.0, 2.0]);
}

#[test]
fn keys_named_like_view_columns_do_not_replace_them() {
    let mut rid = String::new();
    let (_dir, path) = with_db(|db| {
        rid = db
            .save(
                "Odd",
                &meta(r#"{"subject": 1, "Value": 7, "RECORD_ID": "mine", "Saved_At": "then"}"#),
                &scalar(0.5),
            )
            .unwrap();
    });
    let conn = duckdb::Connection::open(&path).unwrap();
    let cols = column_names(&conn, "Odd");
    for wanted in [
        "value",
        "record_id",
        "saved_at",
        "Value_",
        "RECORD_ID_",
        "Saved_At_",
    ] {
        assert!(cols.iter().any(|c| c == wanted), "{wanted} not in {cols:?}");
    }
    let row: (f64, String, String, i64, String, String) = conn
        .query_row(
            "SELECT value, record_id, typeof(saved_at), \"Value_\", \"RECORD_ID_\", \"Saved_At_\" \
             FROM \"Odd\"",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            0.5,
            rid,
            "TIMESTAMP".into(),
            7,
            "mine".into(),
            "then".into()
        )
    );
}

/// subject, record_id_, A, a_ and _ of a view row.
type ViewRow = (i64, Option<i64>, Option<i64>, Option<String>, Option<i64>);

#[test]
fn dataframes_with_any_column_names_are_stored() {
    let tables = [
        // A column named like the rows table's own column.
        table(
            2,
            vec![int_column("record_id", &[10, 20]), int_column("x", &[1, 2])],
        ),
        // Names DuckDB cannot tell apart (it ignores case).
        table(
            2,
            vec![int_column("A", &[1, 2]), text_column("a", &["p", "q"])],
        ),
        // An empty name.
        table(1, vec![int_column("", &[5])]),
        // No columns at all (pandas: DataFrame(index=range(3))).
        Table::empty(3),
    ];
    let mut ids = Vec::new();
    let (_dir, path) = with_db(|db| {
        for (i, t) in tables.iter().enumerate() {
            let m = meta(&format!(r#"{{"subject": {i}}}"#));
            let value = Value::Table(t.clone());
            ids.push(db.save("Frames", &m, &value).unwrap());
            let back = db.load_record(Some("Frames"), &ids[i]).unwrap();
            assert_eq!(back.value, Some(value), "table {i}");
            // Each table on its own type too: a first save that creates the rows table.
            let own = format!("Frame{i}");
            db.save(&own, &m, &Value::Table(t.clone())).unwrap();
        }
    });
    let conn = duckdb::Connection::open(&path).unwrap();
    let cols = column_names(&conn, "Frames");
    assert_eq!(
        cols,
        [
            "subject",
            "session",
            "record_id_",
            "x",
            "A",
            "a_",
            "_",
            "record_id",
            "saved_at"
        ]
    );
    let rows: Vec<ViewRow> = conn
        .prepare("SELECT subject, record_id_, \"A\", a_, \"_\" FROM \"Frames\"")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (0, Some(10), None, None, None),
            (0, Some(20), None, None, None),
            (1, None, Some(1), Some("p".into()), None),
            (1, None, Some(2), Some("q".into()), None),
            (2, None, None, None, Some(5)),
            (3, None, None, None, None),
        ]
    );
    let n: i64 = conn
        .query_row("SELECT count(*) FROM \"Frame3\"", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "a table without columns is one view row");
}

#[test]
fn schema_keys_differing_only_in_case_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    let keys = ["Subject".to_string(), "subject".to_string()];
    let e = Database::open(path.to_str().unwrap(), &keys, None)
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message.contains("'Subject' and 'subject'"),
        "{}",
        e.message
    );
}

#[test]
fn the_c_abi_refuses_metadata_integers_beyond_int64() {
    use scidb::ffi::*;
    use std::ffi::CString;
    let dir = tempfile::tempdir().unwrap();
    let path = CString::new(dir.path().join("t.duckdb").to_str().unwrap()).unwrap();
    let key = CString::new("subject").unwrap();
    let keys = [key.as_ptr()];
    let mut db: *mut scidb_db = std::ptr::null_mut();
    let mut value: *mut scidb_value = std::ptr::null_mut();
    let variable = CString::new("Big").unwrap();
    let mut rid = [0 as std::ffi::c_char; SCIDB_RECORD_ID_SIZE];
    unsafe {
        assert_eq!(
            scidb_open(path.as_ptr(), keys.as_ptr(), 1, std::ptr::null(), &mut db),
            0
        );
        assert_eq!(scidb_value_new_null(&mut value), 0);
        for big in [
            "9223372036854775808",
            "9223372036854775809",
            "1180591620717411303424",
        ] {
            let json = CString::new(format!(r#"{{"subject": 1, "big": {big}}}"#)).unwrap();
            let st = scidb_save(
                db,
                variable.as_ptr(),
                json.as_ptr(),
                value,
                rid.as_mut_ptr(),
            );
            assert_eq!(st, SCIDB_INVALID_ARGUMENT, "{big}");
            let message = std::ffi::CStr::from_ptr(scidb_last_error()).to_string_lossy();
            assert!(message.contains("int64"), "{message}");
        }
        scidb_value_free(&mut value);
        scidb_db_free(&mut db);
    }
}
