//! for_each against real DuckDB files in temporary directories.

mod common;

use scidb::foreach::{parallel, ForEach, Spec, Status, WorkItem};
use scidb::metadata::{parse_metadata, parse_query};
use scidb::{Array, DType, Database, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh database on the catalog of the run (see tests/common).
fn open(dir: &tempfile::TempDir, name: &str) -> Database {
    let keys = vec!["subject".to_string(), "session".to_string()];
    common::open_fresh(dir, name, &keys)
}

fn scalar(x: f64) -> Value {
    Value::Array(Array::scalar(DType::Float64, &x.to_le_bytes()).unwrap())
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Array(a) => f64::from_le_bytes(a.data[..8].try_into().unwrap()),
        other => panic!("not an array: {other:?}"),
    }
}

/// RawEMG at subjects 1..=3 × baseline/post, value 10*subject (+1 post);
/// subject 3 has no "post".
fn seed(db: &Database) {
    for s in 1..=3 {
        for (sess, add) in [("baseline", 0.0), ("post", 1.0)] {
            if s == 3 && sess == "post" {
                continue;
            }
            let m = parse_metadata(&format!(r#"{{"subject": {s}, "session": "{sess}"}}"#)).unwrap();
            db.save("RawEMG", &m, &scalar(10.0 * s as f64 + add))
                .unwrap();
        }
    }
}

fn spec(version: &str, inputs: &str, outputs: &str, subjects: &str) -> Spec {
    Spec::from_json(&format!(
        r#"{{"function": {{"language": "c", "name": "double_it", "version": "{version}"}},
            "iterate": [["subject", {subjects}], ["session", ["baseline", "post"]]],
            "inputs": {inputs}, "outputs": {outputs}}}"#
    ))
    .unwrap()
}

const SIGNAL: &str = r#"[{"name": "signal", "variable": "RawEMG"}]"#;

fn double_it(item: &WorkItem) -> parallel::Outcome {
    Ok(vec![scalar(2.0 * as_f64(&item.inputs[0]))])
}

#[test]
fn runs_skips_missing_and_caches_the_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "a.duckdb");
    seed(&db);
    let calls = AtomicUsize::new(0);
    let f = |item: &WorkItem| {
        calls.fetch_add(1, Ordering::SeqCst);
        double_it(item)
    };
    let mut fe = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[1, 2, 3]")).unwrap();
    let s = parallel::run(&mut fe, &db, 1, f).unwrap();
    assert_eq!((s.ran, s.skipped, s.cached, s.failed), (5, 1, 0, 0));
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let (status, msg, _) = fe.outcome(5).unwrap();
    assert_eq!(status, Status::Skipped);
    assert!(
        msg.unwrap()
            .contains("no RawEMG record at subject=3, session=\"post\""),
        "{msg:?}"
    );
    let q = parse_query(r#"{"subject": 2, "session": "post"}"#).unwrap();
    assert_eq!(
        as_f64(db.load("Doubled", &q).unwrap()[0].value.as_ref().unwrap()),
        42.0
    );
    let prov = db
        .provenance(&fe.outcome(3).unwrap().2[0])
        .unwrap()
        .unwrap();
    assert_eq!(prov.function_name, "double_it");
    assert_eq!(prov.inputs[0].variable.as_deref(), Some("RawEMG"));

    let mut again = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[1, 2, 3]")).unwrap();
    let s = parallel::run(&mut again, &db, 1, f).unwrap();
    assert_eq!((s.ran, s.cached, s.skipped), (0, 5, 1));
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    assert_eq!(again.outcome(3).unwrap().2, fe.outcome(3).unwrap().2);

    // The run log holds every iteration of the latest run.
    let log: serde_json::Value = serde_json::from_str(&db.run_log_json(0).unwrap()).unwrap();
    let rows = log.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["status"], "cached");
    assert_eq!(rows[5]["status"], "skipped");
    assert_eq!(rows[0]["run_id"], 2);

    // Re-saving one input re-runs only its combination.
    let m = parse_metadata(r#"{"subject": 1, "session": "post"}"#).unwrap();
    db.save("RawEMG", &m, &scalar(100.0)).unwrap();
    let mut third = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[1, 2, 3]")).unwrap();
    let s = parallel::run(&mut third, &db, 1, f).unwrap();
    assert_eq!((s.ran, s.cached), (1, 4));
    assert_eq!(third.outcome(1).unwrap().0, Status::Ran);
}

#[test]
fn empty_lists_fixed_inputs_and_constants() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "b.duckdb");
    seed(&db);
    let inputs = r#"[{"name": "baseline", "variable": "RawEMG", "fixed": {"session": "baseline"}},
                     {"name": "current", "variable": "RawEMG"},
                     {"name": "gain", "constant": 3}]"#;
    let mut fe = ForEach::plan(&db, spec("1", inputs, r#"["Delta"]"#, "[]")).unwrap();
    assert_eq!(fe.len(), 6, "subjects 1..3 found in the database");
    let s = parallel::run(&mut fe, &db, 1, |item| {
        // An integer constant arrives as an int64 scalar.
        match &item.inputs[2] {
            Value::Array(a) => assert_eq!(
                (a.dtype, &a.data[..]),
                (DType::Int64, &3i64.to_le_bytes()[..])
            ),
            other => panic!("constant: {other:?}"),
        }
        Ok(vec![scalar(
            as_f64(&item.inputs[1]) - as_f64(&item.inputs[0]),
        )])
    })
    .unwrap();
    assert_eq!((s.ran, s.skipped), (5, 1));
    let q = parse_query(r#"{"subject": 2, "session": "post", "gain": 3}"#).unwrap();
    assert_eq!(
        as_f64(db.load("Delta", &q).unwrap()[0].value.as_ref().unwrap()),
        1.0
    );
}

#[test]
fn failures_are_logged_and_never_half_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "c.duckdb");
    seed(&db);
    let mut fe = ForEach::plan(&db, spec("1", SIGNAL, r#"["A", "B"]"#, "[1, 2]")).unwrap();
    let s = parallel::run(&mut fe, &db, 1, |item| {
        let x = as_f64(&item.inputs[0]);
        if x == 11.0 {
            return Err("boom on 11".into());
        }
        // Subject 2 baseline: the second output cannot be saved.
        let second = if x == 20.0 {
            Value::Map(vec![("k".into(), scalar(1.0)), ("k".into(), scalar(2.0))])
        } else {
            scalar(x)
        };
        Ok(vec![scalar(x), second])
    })
    .unwrap();
    assert_eq!((s.ran, s.failed), (2, 2));
    assert!(fe.outcome(1).unwrap().1.unwrap().contains("boom on 11"));
    assert!(fe
        .outcome(2)
        .unwrap()
        .1
        .unwrap()
        .contains("saving the outputs"));
    let q = parse_query(r#"{"subject": 2, "session": "baseline"}"#).unwrap();
    assert!(
        db.load("A", &q).is_err(),
        "the first output was not saved alone"
    );
    let q = parse_query(r#"{"subject": 2, "session": "post"}"#).unwrap();
    assert_eq!(db.load("B", &q).unwrap().len(), 1);
    let log: serde_json::Value = serde_json::from_str(&db.run_log_json(0).unwrap()).unwrap();
    assert_eq!(log[1]["status"], "failed");
    assert_eq!(log[1]["message"], "boom on 11");
}

#[test]
fn four_workers_save_what_one_saves() {
    let dir = tempfile::tempdir().unwrap();
    let saved: Vec<Vec<String>> = [1, 4]
        .iter()
        .map(|&workers| {
            let db = open(&dir, &format!("w{workers}.duckdb"));
            for s in 0..300 {
                for sess in ["baseline", "post"] {
                    let m = parse_metadata(&format!(r#"{{"subject": {s}, "session": "{sess}"}}"#))
                        .unwrap();
                    db.save("RawEMG", &m, &scalar(s as f64)).unwrap();
                }
            }
            let mut fe = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[]")).unwrap();
            let s = parallel::run(&mut fe, &db, workers, double_it).unwrap();
            assert_eq!(s.ran, 600);
            (0..fe.len())
                .flat_map(|i| fe.outcome(i).unwrap().2.to_vec())
                .collect()
        })
        .collect();
    assert_eq!(saved[0].len(), 600);
    assert_eq!(saved[0], saved[1]);
}

#[test]
fn a_changed_function_makes_the_newest_versions() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "v.duckdb");
    for s in 0..40 {
        let m = parse_metadata(&format!(r#"{{"subject": {s}, "session": "baseline"}}"#)).unwrap();
        db.save("RawEMG", &m, &scalar(s as f64)).unwrap();
    }
    // Enough combinations that records are appended in bulk.
    for (version, factor) in [("1", 2.0), ("2", 3.0)] {
        let mut fe = ForEach::plan(&db, spec(version, SIGNAL, r#"["Out"]"#, "[]")).unwrap();
        let s = parallel::run(&mut fe, &db, 1, |item| {
            Ok(vec![scalar(factor * as_f64(&item.inputs[0]))])
        })
        .unwrap();
        assert_eq!(s.ran, 40);
    }
    let q = parse_query(r#"{"subject": 7, "session": "baseline"}"#).unwrap();
    assert_eq!(
        as_f64(db.load("Out", &q).unwrap()[0].value.as_ref().unwrap()),
        21.0
    );
    assert_eq!(db.list_versions("Out", &q).unwrap().len(), 2);
}

#[test]
fn an_input_matching_several_records_is_skipped_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "amb.duckdb");
    seed(&db);
    // Iterating over subject only: RawEMG has two sessions per subject.
    let spec = Spec::from_json(
        r#"{"function": {"language": "c", "name": "f", "version": "1"},
            "iterate": [["subject", [1, 3]]],
            "inputs": [{"name": "signal", "variable": "RawEMG"}], "outputs": ["Out"]}"#,
    )
    .unwrap();
    let fe = ForEach::plan(&db, spec).unwrap();
    let (status, msg, _) = fe.outcome(0).unwrap();
    assert_eq!(status, Status::Skipped);
    assert!(
        msg.unwrap()
            .contains("2 RawEMG records at subject=1 differ in session"),
        "{msg:?}"
    );
    // Subject 3 has only a baseline: that one record is the input.
    assert_eq!(fe.outcome(1).unwrap().0, Status::ToRun);
}

#[test]
fn the_summary_text_is_the_same_for_every_binding() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "s.duckdb");
    seed(&db);
    let fe = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[1, 2, 3]")).unwrap();
    let dry = fe.summary_text();
    assert!(
        dry.starts_with(
            "for_each double_it (dry run): 6 combinations: 5 would run, 0 cached, 1 skipped"
        ),
        "{dry}"
    );
    assert!(
        dry.contains("\n  skipped session=\"post\", subject=3: "),
        "{dry}"
    );
    let mut fe = ForEach::plan(&db, spec("1", SIGNAL, r#"["Doubled"]"#, "[1, 2, 3]")).unwrap();
    parallel::run(&mut fe, &db, 1, double_it).unwrap();
    let ran = fe.summary_text();
    assert!(
        ran.starts_with(
            "for_each double_it: 6 combinations: 5 ran, 0 cached, 1 skipped, 0 failed (run "
        ),
        "{ran}"
    );
    assert!(ran.ends_with('\n'));
}
