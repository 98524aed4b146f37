//! The `scidb` command on the seed's full pipeline database, built by
//! `examples/pipeline.py` (three for_each steps, a changed setting) with
//! this build's library: every subcommand's rows, staleness after a new
//! input version, the integrity check on damaged databases, the picture.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const EXE: &str = env!("CARGO_BIN_EXE_scidb");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed pipeline's database, built once per test run.
fn seed() -> &'static Path {
    static SEED: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = SEED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gait_study.duckdb");
        let lib = Path::new(EXE).with_file_name("libscidb.so");
        assert!(
            lib.exists(),
            "{} is missing: cargo build --release",
            lib.display()
        );
        let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
            .arg(repo().join("examples/pipeline.py"))
            .arg(&path)
            .env("PYTHONPATH", repo().join("python"))
            .env("SCIDB_LIBRARY", &lib)
            .output()
            .expect("running python3 examples/pipeline.py");
        assert!(
            out.status.success(),
            "examples/pipeline.py failed (make python-deps installs numpy and pandas):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, path)
    });
    path
}

/// A copy of the seed database (file and payload folder) a test may change.
fn seed_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gait_study.duckdb");
    std::fs::copy(seed(), &path).unwrap();
    let wal = seed().with_file_name("gait_study.duckdb.wal");
    if wal.exists() {
        std::fs::copy(&wal, dir.path().join("gait_study.duckdb.wal")).unwrap();
    }
    let data = seed().with_file_name("gait_study.duckdb.data");
    if data.is_dir() {
        let to = dir.path().join("gait_study.duckdb.data");
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&data).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    (dir, path)
}

fn scidb(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .output()
        .expect("running scidb")
}

/// Stdout of a command that must succeed.
fn ok(args: &[&str]) -> String {
    let out = scidb(args);
    assert!(
        out.status.success(),
        "scidb {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(&all)).expect("JSON output")
}

/// An array of float64 values.
fn f64s(xs: &[f64]) -> scidb::Value {
    let data: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
    let shape = vec![xs.len() as u64];
    scidb::Value::Array(scidb::Array::new(scidb::DType::Float64, shape, data, false).unwrap())
}

/// Lines of a table, each checked to fit 80 columns.
fn lines(text: &str) -> Vec<String> {
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "wider than 80 columns: {l:?}");
    }
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn vars_lists_every_type_with_counts() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let rows = lines(&ok(&["vars", p]));
    assert_eq!(
        rows[0],
        "VARIABLE RECORDS LOCATIONS VARIANTS COMPUTED SIZE KINDS"
    );
    let names: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "FilteredForce",
            "MeanStepLength",
            "RawForce",
            "RawKinematicData",
            "StepLength"
        ]
    );
    let v = json(&["vars", p]);
    let counts: Vec<(String, u64, u64, u64, u64, Vec<String>)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["variable"].as_str().unwrap().to_string(),
                x["records"].as_u64().unwrap(),
                x["locations"].as_u64().unwrap(),
                x["variants"].as_u64().unwrap(),
                x["computed"].as_u64().unwrap(),
                serde_json::from_value(x["kinds"].clone()).unwrap(),
            )
        })
        .collect();
    let s = |t: &str| t.to_string();
    assert_eq!(
        counts,
        vec![
            (s("FilteredForce"), 60, 30, 2, 60, vec![s("float_list")]),
            (s("MeanStepLength"), 30, 30, 1, 30, vec![s("float")]),
            (s("RawForce"), 30, 30, 1, 0, vec![s("float_list")]),
            (s("RawKinematicData"), 30, 30, 1, 0, vec![s("float_list")]),
            (s("StepLength"), 30, 30, 1, 30, vec![s("float_list")]),
        ]
    );
    // 200 float64 of each RawForce at least.
    let raw_force = &v[2];
    assert!(raw_force["bytes"].as_u64().unwrap() >= 30 * 200 * 8);
}

#[test]
fn show_lists_the_newest_records_at_matching_locations() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let out = ok(&[
        "show",
        p,
        "FilteredForce",
        "subject=2",
        "session=post",
        "trial=3",
    ]);
    let rows = lines(&out);
    assert_eq!(rows[0], "SUBJECT SESSION TRIAL VARIANT VALUE RECORD SAVED");
    assert_eq!(rows.len(), 3, "{out}");
    assert!(
        rows[1].starts_with("2 post 3 smoothing=0.2 ["),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].starts_with("2 post 3 smoothing=0.3 ["),
        "{}",
        rows[2]
    );
    let v = json(&["show", p, "MeanStepLength", "subject=1"]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 10);
    let first = &list[0];
    assert_eq!(
        first["keys"],
        serde_json::json!({"subject": 1, "session": "post", "trial": 1})
    );
    assert_eq!(first["variable"], "MeanStepLength");
    assert!(first["preview"].as_str().unwrap().parse::<f64>().is_ok());
    assert_eq!(first["record_id"].as_str().unwrap().len(), 32);
    // Repeated keys match either value.
    let both = json(&["show", p, "RawForce", "trial=1", "trial=2"]);
    assert_eq!(both.as_array().unwrap().len(), 12);
}

#[test]
fn versions_lists_every_version_at_a_location() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let meta = scidb::metadata::from_json_object(r#"{"subject": 1, "session": "pre", "trial": 1}"#)
        .unwrap();
    {
        let db = scidb::Database::open_existing(p, None).unwrap();
        db.save("RawForce", &meta, &f64s(&[1.0, 2.0, 3.0])).unwrap();
    }
    let out = ok(&[
        "versions",
        p,
        "RawForce",
        "subject=1",
        "session=pre",
        "trial=1",
    ]);
    let rows = lines(&out);
    assert_eq!(rows[0], "VERSION SUBJECT SESSION TRIAL VALUE RECORD SAVED");
    assert_eq!(rows.len(), 4, "{out}");
    assert!(!rows[1].split(' ').next().unwrap().ends_with('*'));
    assert!(rows[2].split(' ').next().unwrap().ends_with('*'));
    assert!(rows[2].contains(" 1 pre 1 [1.0, 2.0, 3.0] "), "{}", rows[2]);
    assert_eq!(rows[3], "* the newest version of its location and variant");
    let v = json(&[
        "versions",
        p,
        "RawForce",
        "subject=1",
        "session=pre",
        "trial=1",
    ]);
    let newest: Vec<bool> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["newest"].as_bool().unwrap())
        .collect();
    assert_eq!(newest, [false, true]);
}

#[test]
fn trace_shows_three_steps_with_languages_and_constants() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let v = json(&[
        "show",
        p,
        "MeanStepLength",
        "subject=2",
        "session=post",
        "trial=3",
    ]);
    let id = v[0]["record_id"].as_str().unwrap().to_string();
    let out = ok(&["trace", p, &id[..10]]);
    let rows: Vec<&str> = out.lines().collect();
    assert!(
        rows[0].starts_with(&format!("MeanStepLength {id}")),
        "{out}"
    );
    assert!(rows[0].contains("session=post") && rows[0].contains("subject=2"));
    assert_eq!(rows[1].trim(), "<- compute_mean (python)");
    assert!(rows[2].trim().starts_with("values: StepLength "));
    assert_eq!(rows[3].trim(), "<- extract_step_length (python)");
    assert!(rows[4]
        .trim()
        .starts_with("kinematic_data: RawKinematicData "));
    assert!(rows[4].ends_with("(raw)"));
    assert_eq!(rows.len(), 5, "{out}");
    // A step with a constant.
    let f = json(&[
        "show",
        p,
        "FilteredForce",
        "subject=1",
        "session=pre",
        "trial=2",
        "smoothing=0.3",
    ]);
    let fid = f[0]["record_id"].as_str().unwrap();
    let out = ok(&["trace", p, fid]);
    assert!(
        out.lines().nth(1).unwrap().trim() == "<- filter_data (python)  constants: smoothing=0.3",
        "{out}"
    );
    let steps = json(&["trace", p, fid]);
    assert_eq!(steps.as_array().unwrap().len(), 1);
    assert_eq!(steps[0]["constants"]["smoothing"], serde_json::json!(0.3));
    // The raw record has no lineage.
    let raw = json(&["show", p, "RawForce", "subject=1", "session=pre", "trial=2"]);
    let out = ok(&["trace", p, raw[0]["record_id"].as_str().unwrap()]);
    assert!(out.contains("saved without lineage (raw data)"), "{out}");
}

#[test]
fn runs_lists_the_run_log_newest_first() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let out = ok(&["runs", p]);
    let rows = lines(&out);
    assert_eq!(rows[0], "RUN STEP LANG RAN CACHED SKIPPED FAILED STARTED");
    let starts: Vec<String> = rows[1..]
        .iter()
        .map(|r| r.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        starts,
        [
            "4 filter_data ->",
            "3 filter_data ->",
            "2 compute_mean ->",
            "1 extract_step_length ->"
        ]
    );
    let runs: Vec<String> = json(&["runs", p])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {} {} {}",
                r["run_id"],
                r["function"],
                r["language"],
                r["outputs"],
                r["ran"],
                r["cached"],
                r["skipped"],
                r["failed"]
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            r#"4 "filter_data" "python" ["FilteredForce"] 30 0 0 0"#,
            r#"3 "filter_data" "python" ["FilteredForce"] 30 0 0 0"#,
            r#"2 "compute_mean" "python" ["MeanStepLength"] 30 0 0 0"#,
            r#"1 "extract_step_length" "python" ["StepLength"] 30 0 0 0"#,
        ]
    );
    let v = json(&["runs", p]);
    assert_eq!(v[0]["failures"], serde_json::json!([]));
}

/// (step, outputs, current, stale) of `scidb status --json`.
fn status_counts(p: &str) -> Vec<(String, u64, u64, u64)> {
    json(&["status", p])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                format!(
                    "{} -> {}",
                    s["function"].as_str().unwrap(),
                    s["output"].as_str().unwrap()
                ),
                s["outputs"].as_u64().unwrap(),
                s["current"].as_u64().unwrap(),
                s["stale"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn step(name: &str, outputs: u64, current: u64, stale: u64) -> (String, u64, u64, u64) {
    (name.to_string(), outputs, current, stale)
}

#[test]
fn status_marks_exactly_the_outputs_downstream_of_a_new_input_version() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let healthy = vec![
        step("compute_mean -> MeanStepLength", 30, 30, 0),
        step("extract_step_length -> StepLength", 30, 30, 0),
        step("filter_data -> FilteredForce", 60, 60, 0),
    ];
    assert_eq!(status_counts(p), healthy);
    let rows = lines(&ok(&["status", p]));
    assert_eq!(rows[0], "STEP LANGUAGE OUTPUTS CURRENT STALE");
    assert_eq!(rows[3], "filter_data -> FilteredForce python 60 60 0");
    // A new version of one RawForce: its two filtered outputs (both smoothings).
    let force =
        scidb::metadata::from_json_object(r#"{"subject": 2, "session": "pre", "trial": 4}"#)
            .unwrap();
    let kin = scidb::metadata::from_json_object(r#"{"subject": 3, "session": "post", "trial": 5}"#)
        .unwrap();
    {
        let db = scidb::Database::open_existing(p, None).unwrap();
        db.save("RawForce", &force, &f64s(&[700.0, 701.0])).unwrap();
    }
    assert_eq!(
        status_counts(p),
        vec![
            step("compute_mean -> MeanStepLength", 30, 30, 0),
            step("extract_step_length -> StepLength", 30, 30, 0),
            step("filter_data -> FilteredForce", 60, 58, 2),
        ]
    );
    let v = json(&["status", p]);
    let stale = &v[2]["stale_outputs"];
    let metas: Vec<&serde_json::Value> = stale
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["metadata"])
        .collect();
    assert_eq!(
        metas,
        [
            &serde_json::json!({"subject": 2, "session": "pre", "trial": 4, "smoothing": 0.2}),
            &serde_json::json!({"subject": 2, "session": "pre", "trial": 4, "smoothing": 0.3}),
        ]
    );
    assert_eq!(stale[0]["reason"], "newer_input");
    assert_eq!(stale[0]["input"], "values");
    // A new version of one RawKinematicData: both downstream steps, one each.
    {
        let db = scidb::Database::open_existing(p, None).unwrap();
        db.save("RawKinematicData", &kin, &f64s(&[0.0, 0.7, 1.4]))
            .unwrap();
    }
    assert_eq!(
        status_counts(p),
        vec![
            step("compute_mean -> MeanStepLength", 30, 29, 1),
            step("extract_step_length -> StepLength", 30, 29, 1),
            step("filter_data -> FilteredForce", 60, 58, 2),
        ]
    );
    let v = json(&["status", p]);
    assert_eq!(v[0]["stale_outputs"][0]["reason"], "stale_input");
    assert_eq!(
        v[0]["stale_outputs"][0]["metadata"],
        serde_json::json!({"subject": 3, "session": "post", "trial": 5})
    );
    assert_eq!(v[1]["stale_outputs"][0]["reason"], "newer_input");
    let text = ok(&["status", p]);
    assert!(
        text.contains("stale extract_step_length -> StepLength:"),
        "{text}"
    );
    assert!(text.contains("(newer input kinematic_data)"), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "{l:?}");
    }
}

#[test]
fn status_with_a_changed_function_identity_marks_its_step() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let db = scidb::Database::open_existing(p, None).unwrap();
    let f = scidb::store::inspect::FunctionIdentity::parse(
        r#"{"language": "python", "name": "compute_mean", "version": "2"}"#,
    )
    .unwrap();
    let steps = db.pipeline_status(Some(&f)).unwrap();
    let counts: Vec<(&str, u64, u64)> = steps
        .iter()
        .map(|s| (s.function.as_str(), s.current, s.stale))
        .collect();
    assert_eq!(
        counts,
        [
            ("compute_mean", 0, 30),
            ("extract_step_length", 30, 0),
            ("filter_data", 60, 0)
        ]
    );
    assert_eq!(steps[0].stale_outputs[0].reason, "function_changed");
    assert!(scidb::store::inspect::FunctionIdentity::parse(r#"{"name": "f"}"#).is_err());
}

#[test]
fn check_passes_on_the_seed_and_names_a_corrupted_record() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let out = ok(&["check", p]);
    assert!(out.starts_with("checked 180 records (every version) and 120 lineage rows: 180 values verified, 0 problems"), "{out}");
    // One stored value changed behind scidb's back.
    let victim = json(&["show", p, "RawForce", "subject=3", "session=pre", "trial=2"])[0]
        ["record_id"]
        .as_str()
        .unwrap()
        .to_string();
    {
        let conn = duckdb::Connection::open(&path).unwrap();
        let mut blob: Vec<u8> = conn
            .query_row(
                "SELECT value FROM _scidb_records WHERE record_id = ?",
                [&victim],
                |r| r.get(0),
            )
            .unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 0x40;
        conn.execute(
            "UPDATE _scidb_records SET value = ? WHERE record_id = ?",
            duckdb::params![blob, victim],
        )
        .unwrap();
    }
    let out = scidb(&["check", p]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("record {victim}")), "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&scidb(&["check", p, "--json"]).stdout).unwrap();
    assert_eq!(report["problems"].as_array().unwrap().len(), 1);
    assert_eq!(report["problems"][0]["record_id"], victim.as_str());
    assert_eq!(report["problems"][0]["variable"], "RawForce");
}

#[test]
fn check_names_a_record_whose_payload_file_is_gone() {
    let (dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let big = f64s(&vec![0.5; 300_000]);
    let meta = scidb::metadata::from_json_object(r#"{"subject": 9}"#).unwrap();
    let id = {
        let db = scidb::Database::open_existing(p, None).unwrap();
        db.save("BigSignal", &meta, &big).unwrap()
    };
    ok(&["check", p]);
    // Its payload file counts in its size.
    let vars = json(&["vars", p]);
    let big = vars
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variable"] == "BigSignal")
        .unwrap();
    assert!(big["bytes"].as_u64().unwrap() >= 300_000 * 8, "{big}");
    let data = dir.path().join("gait_study.duckdb.data");
    let mut removed = 0;
    for e in walk(&data) {
        if e.extension().is_some_and(|x| x == "npy") {
            std::fs::remove_file(&e).unwrap();
            removed += 1;
        }
    }
    assert_eq!(removed, 1);
    let out = scidb(&["check", p]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("record {id}")) && err.contains("payload file"),
        "{err}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
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

#[test]
fn sql_prints_an_aligned_table_and_refuses_writes() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let out = ok(&[
        "sql",
        p,
        "SELECT variable, count(*) AS n FROM _scidb_records GROUP BY variable ORDER BY variable",
    ]);
    assert_eq!(
        lines(&out),
        [
            "variable n",
            "FilteredForce 60",
            "MeanStepLength 30",
            "RawForce 30",
            "RawKinematicData 30",
            "StepLength 30",
            "(5 rows)",
        ]
    );
    let v = json(&["sql", p, "SELECT 1 AS one, NULL AS nothing"]);
    assert_eq!(
        v,
        serde_json::json!({"columns": ["one", "nothing"], "rows": [["1", null]]})
    );
    for write in [
        "DELETE FROM _scidb_records",
        "SELECT 1; DELETE FROM _scidb_records",
        "SELECT nextval('_scidb_version_seq')",
        "CREATE TABLE x (a INTEGER)",
    ] {
        let out = scidb(&["sql", p, write]);
        assert!(!out.status.success(), "{write} was run");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
    assert_eq!(status_counts(p).len(), 3);
    let n = json(&["sql", p, "SELECT count(*) FROM _scidb_records"]);
    assert_eq!(n["rows"][0][0], "180");
}

#[test]
fn graph_dot_has_the_pipeline_structure() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let dot = ok(&["graph", p]);
    assert!(dot.starts_with("digraph pipeline {"));
    let nodes: Vec<&str> = dot.lines().filter(|l| l.contains("[shape=")).collect();
    assert_eq!(nodes.len(), 8, "{dot}");
    for (name, n) in [
        ("RawKinematicData", 30),
        ("StepLength", 30),
        ("MeanStepLength", 30),
        ("RawForce", 30),
        ("FilteredForce", 60),
    ] {
        assert!(
            dot.contains(&format!("\"v:{name}\" [shape=box"))
                && dot.contains(&format!("label=\"{name}\\n{n} records\"")),
            "{name}: {dot}"
        );
    }
    assert!(
        dot.contains("label=\"filter_data (python)\\nsmoothing=0.2, 0.3\\n60 current\""),
        "{dot}"
    );
    let edges: Vec<String> = dot
        .lines()
        .filter(|l| l.contains("->"))
        .map(|l| l.trim().to_string())
        .collect();
    let id_of = |name: &str| -> String {
        let line = dot
            .lines()
            .find(|l| l.contains(&format!("label=\"{name} (python)")))
            .unwrap();
        line.trim()
            .split(' ')
            .next()
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    let (f, m, s) = (
        id_of("filter_data"),
        id_of("compute_mean"),
        id_of("extract_step_length"),
    );
    let mut want = vec![
        format!("\"v:RawForce\" -> \"{f}\" [label=\"values\"];"),
        format!("\"{f}\" -> \"v:FilteredForce\";"),
        format!("\"v:RawKinematicData\" -> \"{s}\" [label=\"kinematic_data\"];"),
        format!("\"{s}\" -> \"v:StepLength\";"),
        format!("\"v:StepLength\" -> \"{m}\" [label=\"values\"];"),
        format!("\"{m}\" -> \"v:MeanStepLength\";"),
    ];
    let mut got = edges.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let g = json(&["graph", p]);
    assert_eq!(g["functions"].as_array().unwrap().len(), 3);
}

#[test]
fn graph_writes_svg_and_a_self_contained_html_page() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for ext in ["svg", "html", "dot"] {
        let file = dir.path().join(format!("pipeline.{ext}"));
        ok(&["graph", p, "-o", file.to_str().unwrap()]);
        let text = std::fs::read_to_string(&file).unwrap();
        for label in [
            "RawForce",
            "FilteredForce",
            "filter_data (python)",
            "smoothing=0.2, 0.3",
        ] {
            assert!(text.contains(label), "{ext} lacks {label}");
        }
        if ext == "html" {
            assert!(text.starts_with("<!DOCTYPE html>") && text.contains("<svg"));
            assert!(
                !text.contains("<script") && !text.contains("http://")
                    || text.contains("xmlns=\"http://www.w3.org/2000/svg\"")
            );
            assert!(!text.contains("src=\"http") && !text.contains("href=\"http"));
        }
    }
    let bad = scidb(&["graph", p, "-o", dir.path().join("x.png").to_str().unwrap()]);
    assert!(!bad.status.success());
}

#[test]
fn errors_are_one_line_and_every_subcommand_has_help() {
    let (_dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    for sub in [
        "vars", "show", "versions", "trace", "runs", "status", "graph", "sql", "check", "copy",
    ] {
        let out = ok(&[sub, "--help"]);
        assert!(out.contains("Usage: scidb"), "{sub}: {out}");
    }
    for args in [
        vec!["vars", "/no/such/file.duckdb"],
        vec!["show", p, "NoSuchType"],
        vec!["show", p, "RawForce", "subject"],
        vec!["trace", p, "ffffffffffff"],
        vec!["vars"],
        vec!["frobnicate"],
        vec!["status", p, "--no-such-flag"],
    ] {
        let out = scidb(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("scidb: "), "{err}");
    }
}

#[test]
fn the_same_facts_on_a_postgresql_catalog() {
    let Some((url, _schema)) = common::fresh_pg_catalog() else {
        return;
    };
    let (dir, path) = seed_copy();
    let p = path.to_str().unwrap();
    let data = dir.path().join("pg-data");
    ok(&["copy", p, &url, "--data-path", data.to_str().unwrap()]);
    for args in [vec!["vars"], vec!["status"], vec!["runs"], vec!["check"]] {
        let mut duck = args.clone();
        duck.push(p);
        let mut pg = args.clone();
        pg.push(&url);
        let (mut a, mut b) = (json(&duck), json(&pg));
        if args[0] == "runs" {
            // Times differ: the copy keeps them, but as the catalog prints them.
            for r in a
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .chain(b.as_array_mut().unwrap())
            {
                r["started_at"] = serde_json::Value::Null;
                r["finished_at"] = serde_json::Value::Null;
            }
        }
        assert_eq!(a, b, "{args:?}");
    }
    assert_eq!(ok(&["graph", p]), ok(&["graph", &url]));
    let q =
        "SELECT variable, count(*) AS n FROM _scidb_records GROUP BY variable ORDER BY variable";
    assert_eq!(json(&["sql", p, q]), json(&["sql", &url, q]));
    let out = scidb(&["sql", &url, "DELETE FROM _scidb_records"]);
    assert!(!out.status.success());
    let out = scidb(&[
        "sql",
        &url,
        "SELECT 1) AS q; DELETE FROM _scidb_records; SELECT (1",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        json(&["sql", &url, "SELECT count(*) AS n FROM _scidb_records"])["rows"][0][0],
        "180"
    );
}
