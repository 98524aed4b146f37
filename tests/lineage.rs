//! Lineage and caching against real DuckDB files in temporary directories.

mod common;

use scidb::lineage::{Call, FunctionId};
use scidb::metadata::{parse_metadata, parse_query, MetaValue, Metadata};
use scidb::store::lineage::{CallOutputs, OutputSave};
use scidb::{Array, DType, Database, ErrorKind, Value};

/// A fresh database on the catalog of the run (see tests/common).
fn open(dir: &tempfile::TempDir) -> Database {
    let keys = vec!["subject".to_string(), "session".to_string()];
    common::open_fresh(dir, "t.duckdb", &keys)
}

fn scalar(x: f64) -> Value {
    Value::Array(Array::scalar(DType::Float64, &x.to_le_bytes()).unwrap())
}

fn meta(json: &str) -> Metadata {
    parse_metadata(json).unwrap()
}

fn function(version: &str) -> FunctionId {
    FunctionId::new("c", "bandpass", None, Some(version)).unwrap()
}

/// bandpass(signal = record, low_hz = low) as a call.
fn call(db: &Database, version: &str, signal: &str, low: i64) -> Call {
    let mut c = Call::new(function(version), 1);
    c.add_input(
        "signal",
        &db.record_hash(signal).unwrap(),
        Some(signal),
        None,
    )
    .unwrap();
    c.add_constant("low_hz", MetaValue::Int(low)).unwrap();
    c
}

fn save_one(db: &Database, c: &Call, variable: &str, m: &str, v: Option<&Value>) -> String {
    let out = OutputSave {
        index: 0,
        variable,
        metadata: meta(m),
        value: v,
    };
    db.save_outputs(&[CallOutputs {
        call: c,
        outputs: vec![out],
    }])
    .unwrap()
    .remove(0)
    .remove(0)
}

fn hit(db: &Database, c: &Call) -> Option<Vec<String>> {
    db.lookup(&[c])
        .unwrap()
        .pop()
        .unwrap()
        .map(|outs| outs.into_iter().map(|o| o.record_id).collect())
}

const S1: &str = r#"{"subject": 1, "session": "a"}"#;

#[test]
fn a_saved_result_is_found_and_every_change_misses() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
    let c = call(&db, "1", &raw, 20);
    assert_eq!(hit(&db, &c), None);
    let out = save_one(&db, &c, "Filtered", S1, Some(&scalar(10.0)));
    assert_eq!(hit(&db, &c), Some(vec![out.clone()]));

    // Another constant, version or input content: a miss.
    assert_eq!(hit(&db, &call(&db, "1", &raw, 30)), None);
    assert_eq!(hit(&db, &call(&db, "2", &raw, 20)), None);
    let raw2 = db.save("Raw", &meta(S1), &scalar(2.0)).unwrap();
    assert_eq!(hit(&db, &call(&db, "1", &raw2, 20)), None);
    // The same content saved elsewhere is the same input.
    let raw_copy = db
        .save(
            "Raw",
            &meta(r#"{"subject": 2, "session": "a"}"#),
            &scalar(1.0),
        )
        .unwrap();
    assert_eq!(
        hit(&db, &call(&db, "1", &raw_copy, 20)),
        Some(vec![out.clone()])
    );

    // A re-run with another constant keeps the first result loadable.
    let out30 = save_one(
        &db,
        &call(&db, "1", &raw, 30),
        "Filtered",
        S1,
        Some(&scalar(30.0)),
    );
    let q = |json: &str| db.load("Filtered", &parse_query(json).unwrap()).unwrap();
    assert_eq!(q(r#"{"low_hz": 20}"#)[0].info.record_id, out);
    assert_eq!(q(r#"{"low_hz": 30}"#)[0].info.record_id, out30);
    let err = db.load("Filtered", &parse_query(S1).unwrap()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Ambiguous);
}

#[test]
fn saving_a_hit_again_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
    let c = call(&db, "1", &raw, 20);
    let out = save_one(&db, &c, "Filtered", S1, Some(&scalar(10.0)));
    let versions = |db: &Database| -> Vec<(String, i64)> {
        db.list_versions("Filtered", &parse_query("{}").unwrap())
            .unwrap()
            .into_iter()
            .map(|r| (r.info.record_id, r.info.version))
            .collect()
    };
    let before = versions(&db);
    // Without the value (a hit saved as it was found) and with it.
    assert_eq!(save_one(&db, &c, "Filtered", S1, None), out);
    assert_eq!(save_one(&db, &c, "Filtered", S1, Some(&scalar(10.0))), out);
    assert_eq!(versions(&db), before);
    let steps = db.upstream_provenance(&out).unwrap();
    assert_eq!(steps.len(), 1);

    // Saved from the hit under another type: the value is copied over.
    let other = save_one(&db, &c, "Copy", S1, None);
    let rec = db.load_record(Some("Copy"), &other).unwrap();
    assert_eq!(rec.value, Some(scalar(10.0)));
    assert_eq!(
        db.provenance(&other).unwrap().unwrap().function_name,
        "bandpass"
    );
}

#[test]
fn an_older_result_becomes_newest_again_when_it_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
    let v1 = call(&db, "1", &raw, 20);
    let first = save_one(&db, &v1, "Filtered", S1, Some(&scalar(10.0)));
    let v2 = call(&db, "2", &raw, 20);
    save_one(&db, &v2, "Filtered", S1, Some(&scalar(11.0)));
    // Back to version 1: a hit, and its result is what load returns again.
    assert_eq!(hit(&db, &v1), Some(vec![first.clone()]));
    save_one(&db, &v1, "Filtered", S1, None);
    let loaded = db.load("Filtered", &parse_query(S1).unwrap()).unwrap();
    assert_eq!(loaded[0].info.record_id, first);
}

#[test]
fn constants_are_metadata_and_must_agree_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
    let c = call(&db, "1", &raw, 20);
    let out = OutputSave {
        index: 0,
        variable: "Filtered",
        metadata: meta(r#"{"subject": 1, "session": "a", "low_hz": 25}"#),
        value: Some(&scalar(1.0)),
    };
    let err = db
        .save_outputs(&[CallOutputs {
            call: &c,
            outputs: vec![out],
        }])
        .unwrap_err();
    assert!(err.message.contains("contradicts"), "{}", err.message);
    let id = save_one(
        &db,
        &c,
        "Filtered",
        r#"{"subject": 1, "session": "a", "low_hz": 20}"#,
        Some(&scalar(1.0)),
    );
    let rec = db.load_record(None, &id).unwrap();
    assert_eq!(rec.metadata["low_hz"], MetaValue::Int(20));
}

#[test]
fn several_outputs_save_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
    let mut c = Call::new(function("1"), 0);
    c.add_input("x", &db.record_hash(&raw).unwrap(), Some(&raw), None)
        .unwrap();
    let (a, b) = (scalar(1.5), scalar(2.5));
    let outputs = |second: &'static str| {
        vec![
            OutputSave {
                index: 0,
                variable: "Mean",
                metadata: meta(S1),
                value: Some(&a),
            },
            OutputSave {
                index: 1,
                variable: second,
                metadata: meta(S1),
                value: Some(&b),
            },
        ]
    };
    // The count is unknown until the function has run.
    let err = db
        .save_outputs(&[CallOutputs {
            call: &c,
            outputs: outputs("Std"),
        }])
        .unwrap_err();
    assert!(err.message.contains("not known"), "{}", err.message);
    c.set_output_count(2).unwrap();
    // A bad second output: nothing of the call is saved.
    let err = db
        .save_outputs(&[CallOutputs {
            call: &c,
            outputs: outputs("bad name"),
        }])
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert_eq!(db.variables().unwrap(), vec!["Raw".to_string()]);
    assert_eq!(hit(&db, &c), None);

    // Only the first output saved: still a miss (the second is missing).
    db.save_outputs(&[CallOutputs {
        call: &c,
        outputs: outputs("Std").into_iter().take(1).collect(),
    }])
    .unwrap();
    assert_eq!(hit(&db, &c), None);
    let ids = db
        .save_outputs(&[CallOutputs {
            call: &c,
            outputs: outputs("Std"),
        }])
        .unwrap()
        .remove(0);
    assert_eq!(hit(&db, &c), Some(ids.clone()));
    let p = db.provenance(&ids[1]).unwrap().unwrap();
    assert_eq!((p.output_index, p.n_outputs), (1, 2));

    // A different count for the same call is refused.
    let mut again = Call::new(function("1"), 0);
    again
        .add_input("x", &db.record_hash(&raw).unwrap(), Some(&raw), None)
        .unwrap();
    again.set_output_count(3).unwrap();
    let err = db
        .save_outputs(&[CallOutputs {
            call: &again,
            outputs: outputs("Std"),
        }])
        .unwrap_err();
    assert!(err.message.contains("2 outputs"), "{}", err.message);
}

#[test]
fn provenance_walks_upstream_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (raw, filtered, max) = {
        let db = open(&dir);
        let raw = db.save("Raw", &meta(S1), &scalar(1.0)).unwrap();
        let c = call(&db, "1", &raw, 20);
        let filtered = save_one(&db, &c, "Filtered", S1, Some(&scalar(10.0)));
        let mut m = Call::new(
            FunctionId::new("python", "compute_max", Some(&"e".repeat(64)), None).unwrap(),
            1,
        );
        m.add_input(
            "signal",
            &db.record_hash(&filtered).unwrap(),
            Some(&filtered),
            None,
        )
        .unwrap();
        // An input that is not a saved record.
        m.add_input_value("window", scalar(3.0)).unwrap();
        let max = save_one(&db, &m, "Max", S1, Some(&scalar(10.0)));
        (raw, filtered, max)
    };
    let db = open(&dir);
    assert!(db.provenance(&raw).unwrap().is_none());
    assert_eq!(db.provenance("nope").unwrap_err().kind, ErrorKind::NotFound);
    let p = db.provenance(&max).unwrap().unwrap();
    assert_eq!(p.function_name, "compute_max");
    assert_eq!(p.language, "python");
    assert_eq!(p.variable, "Max");
    assert_eq!(p.inputs.len(), 2);
    assert_eq!(p.inputs[0].record_id.as_deref(), Some(filtered.as_str()));
    assert_eq!(p.inputs[0].variable.as_deref(), Some("Filtered"));
    assert_eq!(p.inputs[1].record_id, None);
    let steps = db.upstream_provenance(&max).unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s.function_name.as_str()).collect();
    assert_eq!(names, ["compute_max", "bandpass"]);
    assert_eq!(steps[1].inputs[0].record_id.as_deref(), Some(raw.as_str()));
    assert_eq!(
        steps[1].constants.get("low_hz"),
        Some(&serde_json::json!(20))
    );
    assert!(steps[1].function_version.as_deref() == Some("1"));

    // The cache survives reopening.
    let c = call(&db, "1", &raw, 20);
    assert_eq!(hit(&db, &c), Some(vec![filtered]));
}

#[test]
fn bulk_lookup_and_batch_save() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let raws: Vec<String> = (0..5)
        .map(|i| {
            db.save(
                "Raw",
                &meta(&format!(r#"{{"subject": {i}}}"#)),
                &scalar(i as f64),
            )
            .unwrap()
        })
        .collect();
    let calls: Vec<Call> = raws.iter().map(|r| call(&db, "1", r, 20)).collect();
    let values: Vec<Value> = (0..5).map(|i| scalar(i as f64 * 2.0)).collect();
    let batch: Vec<CallOutputs<'_>> = calls
        .iter()
        .zip(&values)
        .enumerate()
        .take(3)
        .map(|(i, (c, v))| CallOutputs {
            call: c,
            outputs: vec![OutputSave {
                index: 0,
                variable: "Filtered",
                metadata: meta(&format!(r#"{{"subject": {i}}}"#)),
                value: Some(v),
            }],
        })
        .collect();
    db.save_outputs(&batch).unwrap();
    let refs: Vec<&Call> = calls.iter().collect();
    let found: Vec<bool> = db
        .lookup(&refs)
        .unwrap()
        .iter()
        .map(Option::is_some)
        .collect();
    assert_eq!(found, [true, true, true, false, false]);
}
