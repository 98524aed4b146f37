//! Many processes on one catalog: concurrent saves on PostgreSQL, what a
//! reader sees while writers run, a lost connection, and the DuckDB file's
//! one-process rule. Workers are this test binary run again as child
//! processes (`child_process`, selected by `SCIDB_CHILD_ROLE`).

mod common;

use common::{fresh_pg_catalog, pg_client};
use scidb::lineage::{Call, FunctionId};
use scidb::metadata::{parse_metadata, parse_query, MetaValue};
use scidb::store::lineage::{CallOutputs, OutputSave};
use scidb::{Array, DType, Database, ErrorKind, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

fn keys() -> Vec<String> {
    vec!["subject".to_string(), "session".to_string()]
}

fn scalar(x: f64) -> Value {
    Value::Array(Array::scalar(DType::Float64, &x.to_le_bytes()).unwrap())
}

fn at(subject: i64, session: i64) -> scidb::metadata::Metadata {
    parse_metadata(&format!(
        r#"{{"subject": {subject}, "session": {session}}}"#
    ))
    .unwrap()
}

/// Starts this binary again as a worker with a role and its settings.
fn spawn(role: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child_process",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("SCIDB_CHILD_ROLE", role)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("starting a worker")
}

fn wait_all(children: Vec<Child>) {
    for mut c in children {
        let status = c.wait().unwrap();
        assert!(status.success(), "a worker failed: {status}");
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

/// What a worker does; `cargo test` lists it as ignored.
#[test]
#[ignore = "a worker the tests of this file start as a child process"]
fn child_process() {
    let role = env("SCIDB_CHILD_ROLE");
    if role == "hold_duckdb" {
        let _db = Database::open(&env("SCIDB_CHILD_PATH"), &keys(), None).unwrap();
        println!("ready");
        std::io::stdout().flush().unwrap();
        // Holds the file until the parent closes our stdin.
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        return;
    }
    let db = Database::open_with_data_path(
        &env("SCIDB_CHILD_URL"),
        &keys(),
        None,
        Some(&env("SCIDB_CHILD_DATA")),
    )
    .unwrap();
    let worker: i64 = env("SCIDB_CHILD_WORKER").parse().unwrap();
    match role.as_str() {
        // 500 records of its own.
        "save_distinct" => {
            for i in 0..500 {
                db.save("Trial", &at(worker, i), &scalar((worker * 1000 + i) as f64))
                    .unwrap();
            }
        }
        // The same 100 records as every other worker.
        "save_same" => {
            for i in 0..100 {
                db.save("Shared", &at(i, 0), &scalar(i as f64)).unwrap();
            }
        }
        // Versions of one location, different from every other worker's.
        "save_versions" => {
            for i in 0..50 {
                db.save("Tuned", &at(0, 0), &scalar((worker * 1000 + i) as f64))
                    .unwrap();
            }
        }
        // Calls with two outputs, each call saved in one transaction.
        "save_pairs" => {
            let f = FunctionId::new("rust", "split", None, Some("1")).unwrap();
            for i in 0..150 {
                let mut call = Call::new(f.clone(), 2);
                call.add_constant("i", MetaValue::Int(worker * 1000 + i))
                    .unwrap();
                let (a, b) = (scalar(i as f64), scalar(-(i as f64)));
                let meta = at(worker, i);
                db.save_outputs(&[CallOutputs {
                    call: &call,
                    outputs: vec![
                        OutputSave {
                            index: 0,
                            variable: "Left",
                            metadata: meta.clone(),
                            value: Some(&a),
                        },
                        OutputSave {
                            index: 1,
                            variable: "Right",
                            metadata: meta,
                            value: Some(&b),
                        },
                    ],
                }])
                .unwrap();
            }
        }
        other => panic!("unknown role {other}"),
    }
}

fn workers(role: &str, n: i64, url: &str, data: &std::path::Path) -> Vec<Child> {
    (0..n)
        .map(|w| {
            spawn(
                role,
                &[
                    ("SCIDB_CHILD_URL", url.to_string()),
                    ("SCIDB_CHILD_DATA", data.display().to_string()),
                    ("SCIDB_CHILD_WORKER", w.to_string()),
                ],
            )
        })
        .collect()
}

fn count(db: &Database, variable: &str) -> usize {
    db.list_versions(variable, &parse_query("{}").unwrap())
        .unwrap()
        .len()
}

#[test]
fn eight_processes_saving_500_records_each_lose_and_duplicate_nothing() {
    let Some((url, _)) = fresh_pg_catalog() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    wait_all(workers("save_distinct", 8, &url, dir.path()));
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    let all = db.load_all("Trial", &parse_query("{}").unwrap()).unwrap();
    assert_eq!(all.len(), 4000);
    let ids: BTreeSet<&str> = all.iter().map(|r| r.info.record_id.as_str()).collect();
    assert_eq!(ids.len(), 4000);
    assert_eq!(count(&db, "Trial"), 4000);
    // Versions are distinct: the catalog's sequence numbers every save.
    let versions: BTreeSet<i64> = all.iter().map(|r| r.info.version).collect();
    assert_eq!(versions.len(), 4000);
}

#[test]
fn eight_processes_racing_to_save_the_same_100_records_make_100() {
    let Some((url, _)) = fresh_pg_catalog() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    wait_all(workers("save_same", 8, &url, dir.path()));
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    assert_eq!(count(&db, "Shared"), 100);
    for i in 0..100 {
        let r = db
            .load(
                "Shared",
                &parse_query(&format!(r#"{{"subject": {i}, "session": 0}}"#)).unwrap(),
            )
            .unwrap();
        assert_eq!(r.len(), 1);
    }
}

#[test]
fn processes_saving_versions_of_one_location_keep_them_all_newest_by_the_sequence() {
    let Some((url, _)) = fresh_pg_catalog() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    wait_all(workers("save_versions", 8, &url, dir.path()));
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    let here = parse_query(r#"{"subject": 0, "session": 0}"#).unwrap();
    let versions = db.list_versions("Tuned", &here).unwrap();
    assert_eq!(versions.len(), 400);
    let newest = versions.iter().max_by_key(|r| r.info.version).unwrap();
    let loaded = db.load("Tuned", &here).unwrap();
    assert_eq!(loaded[0].info.record_id, newest.info.record_id);
}

#[test]
fn a_reader_never_sees_half_of_a_two_output_save() {
    let Some((url, schema)) = fresh_pg_catalog() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut children = workers("save_pairs", 4, &url, dir.path());
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    let mut sql = pg_client(Some(&schema));
    let everything = parse_query("{}").unwrap();
    let mut polls = 0;
    let mut seen_max = 0;
    loop {
        let done = children.iter_mut().all(|c| c.try_wait().unwrap().is_some());
        // Left first, then Right: a Left without its Right would be half
        // of a transaction (what is committed only grows).
        let left: BTreeSet<_> = db
            .load_all("Left", &everything)
            .unwrap()
            .into_iter()
            .map(|r| format!("{:?}", r.info.location))
            .collect();
        let right: BTreeSet<_> = db
            .load_all("Right", &everything)
            .unwrap()
            .into_iter()
            .map(|r| format!("{:?}", r.info.location))
            .collect();
        assert!(
            left.is_subset(&right),
            "a Left was visible without its Right"
        );
        // And in one snapshot: every call has both lineage rows.
        if sql
            .query_one("SELECT count(*) FROM _scidb_calls", &[])
            .is_ok()
        {
            let halves: i64 = sql
                .query_one(
                    "SELECT count(*) FROM (SELECT call_key FROM _scidb_lineage \
                     GROUP BY call_key HAVING count(*) <> 2) q",
                    &[],
                )
                .unwrap()
                .get(0);
            assert_eq!(halves, 0, "a call had one of its two outputs recorded");
        }
        seen_max = seen_max.max(left.len());
        polls += 1;
        if done {
            break;
        }
    }
    wait_all(children);
    assert_eq!(db.load_all("Left", &everything).unwrap().len(), 600);
    assert_eq!(db.load_all("Right", &everything).unwrap().len(), 600);
    eprintln!("{polls} polls while writing; up to {seen_max} pairs seen");
    assert!(polls > 1, "the reader never polled while writers ran");
}

#[test]
fn a_lost_connection_is_a_clear_error_and_loses_no_acknowledged_save() {
    let Some((url, _)) = fresh_pg_catalog() else {
        return;
    };
    let url = format!("{url}&application_name=scidb_lost_connection");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    let id = db.save("Kept", &at(1, 1), &scalar(1.5)).unwrap();
    let killed: i64 = pg_client(None)
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = 'scidb_lost_connection'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    let err = db.save("Kept", &at(1, 2), &scalar(2.5)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io, "{}", err.message);
    assert!(err.message.contains("lost"), "{}", err.message);
    drop(db);
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    assert_eq!(
        db.load_record(Some("Kept"), &id).unwrap().info.record_id,
        id
    );
    assert_eq!(count(&db, "Kept"), 1);
}

#[test]
fn the_password_never_appears_in_errors_or_the_name() {
    let Some((url, _)) = fresh_pg_catalog() else {
        return;
    };
    let (_, password) = common::pg_server().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with_data_path(&url, &keys(), None, dir.path().to_str()).unwrap();
    assert!(!db.path().contains(&password), "{}", db.path());
    let wrong = url.replace(&password, "not-the-password-123");
    let err = Database::open_with_data_path(&wrong, &keys(), None, dir.path().to_str())
        .err()
        .unwrap();
    assert!(
        !err.message.contains("not-the-password-123"),
        "{}",
        err.message
    );
    // A new catalog needs one (an existing one remembers it).
    let (fresh, _) = fresh_pg_catalog().unwrap();
    let err = Database::open_with_data_path(&fresh, &keys(), None, None)
        .err()
        .unwrap();
    assert!(err.message.contains("data_path"), "{}", err.message);
    assert!(!err.message.contains(&password), "{}", err.message);
}

#[test]
fn a_second_process_opening_a_duckdb_file_learns_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held.duckdb");
    let mut holder = spawn(
        "hold_duckdb",
        &[("SCIDB_CHILD_PATH", path.display().to_string())],
    );
    let mut out = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the holder ended early"
        );
    }
    let err = Database::open(path.to_str().unwrap(), &keys(), None)
        .err()
        .expect("a second process must not open the file");
    assert_eq!(err.kind, ErrorKind::Locked);
    assert!(
        err.message.contains(&holder.id().to_string()),
        "{}",
        err.message
    );
    assert!(err.message.contains("PostgreSQL"), "{}", err.message);
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    Database::open(path.to_str().unwrap(), &keys(), None).unwrap();
}

/// A database with what a copy must carry: versions, variants, a large
/// array (payload file), a DataFrame (rows in its view), a chunked value,
/// lineage and a run log.
fn populate(db: &std::sync::Arc<Database>) {
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use scidb::chunked::ChunkRef;
    use scidb::value::Table;
    use std::sync::Arc;
    db.save("Trial", &at(1, 1), &scalar(1.0)).unwrap();
    db.save("Trial", &at(1, 1), &scalar(2.0)).unwrap();
    db.save("Trial", &at(1, 1), &scalar(1.0)).unwrap(); // the first again: newest
    let mut variant = at(1, 1);
    variant.insert("smoothing".into(), MetaValue::Float(0.5));
    db.save("Trial", &variant, &scalar(9.0)).unwrap();
    let big: Vec<u8> = (0..300_000u32)
        .flat_map(|i| (i as f64).to_le_bytes())
        .collect();
    db.save(
        "Big",
        &at(2, 1),
        &Value::Array(Array::new(DType::Float64, vec![300_000], big, false).unwrap()),
    )
    .unwrap();
    let t: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let label: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
    let table = Table::from_columns(2, vec![("t".into(), t), ("label".into(), label)]).unwrap();
    db.save("Tab", &at(3, 1), &Value::Table(table)).unwrap();
    let mut w = db.chunk_writer("Stream", &at(4, 1)).unwrap();
    for c in 0..3 {
        let rows: Vec<u8> = (0..1000u32)
            .flat_map(|i| ((c * 1000 + i) as f64).to_le_bytes())
            .collect();
        w.add(ChunkRef::Array(
            &Array::new(DType::Float64, vec![1000], rows, false).unwrap(),
        ))
        .unwrap();
    }
    w.finish().unwrap();
    let f = FunctionId::new("rust", "double", None, Some("1")).unwrap();
    let raw = db.load_all("Trial", &parse_query("{}").unwrap()).unwrap();
    for r in raw {
        let mut call = Call::new(f.clone(), 1);
        call.add_input("x", &r.info.content_hash, Some(&r.info.record_id), None)
            .unwrap();
        let v = scalar(42.0);
        db.save_outputs(&[CallOutputs {
            call: &call,
            outputs: vec![OutputSave {
                index: 0,
                variable: "Doubled",
                metadata: r.metadata.clone(),
                value: Some(&v),
            }],
        }])
        .unwrap();
    }
}

#[test]
fn a_copy_to_postgresql_and_back_keeps_records_versions_views_and_lineage() {
    let Some((url, schema)) = fresh_pg_catalog() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("laptop.duckdb");
    let src = std::sync::Arc::new(Database::open(file.to_str().unwrap(), &keys(), None).unwrap());
    populate(&src);
    let lab = dir.path().join("lab");
    let dst = Database::open_with_data_path(&url, &keys(), None, lab.to_str()).unwrap();
    let report = src.copy_into(&dst).unwrap();
    assert_eq!(report.records, 8);
    assert_eq!(report.verified, 8);
    assert_eq!(report.payload_files, 2, "{report:?}"); // Big's .npy, Stream's .npy
    assert_eq!(dst.variables().unwrap(), src.variables().unwrap());
    // The view reads in plain SQL, DataFrame rows included.
    let mut sql = pg_client(Some(&schema));
    let rows = sql
        .query("SELECT t, label FROM tab ORDER BY t", &[])
        .unwrap();
    let got: Vec<(i64, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, vec![(1, Some("x".into())), (2, None)]);
    let newest: f64 = sql
        .query_one(
            "SELECT value FROM trial WHERE subject = 1 AND smoothing IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(newest, 1.0);
    // A second copy into the same catalog is refused.
    let err = src.copy_into(&dst).unwrap_err();
    assert!(
        err.message.contains("already has records"),
        "{}",
        err.message
    );
    // And back into a new DuckDB file.
    let back_path = dir.path().join("back.duckdb");
    let back = Database::open(back_path.to_str().unwrap(), &keys(), None).unwrap();
    let report = dst.copy_into(&back).unwrap();
    assert_eq!(report.verified, 8);
}
