//! A full disk, on a small tmpfs: saves that do not fit fail with a clear
//! error and leave nothing behind, every acknowledged save survives, the
//! handle keeps answering loads, and once space is back the database works
//! as before. Skipped, with the reason printed, where no tmpfs can be
//! mounted (mounting needs root).

use scidb::metadata::{parse_metadata, parse_query};
use scidb::{Array, DType, Database, ErrorKind, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of a few MiB, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(mib: u32) -> std::result::Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?.keep();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Ok(Tmpfs(dir)),
            Ok(s) => Err(format!("mount -t tmpfs failed ({s}); it needs root")),
            Err(e) => Err(format!("mount could not run: {e}")),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn open(path: &Path) -> Database {
    Database::open(path.to_str().unwrap(), &["subject".to_string()], None).unwrap()
}

fn bytes(n: usize, seed: u64) -> Value {
    let data: Vec<u8> = (0..n as u64)
        .map(|i| (i.wrapping_mul(2654435761) ^ seed) as u8)
        .collect();
    Value::Array(Array::new(DType::UInt8, vec![n as u64], data, false).unwrap())
}

#[test]
fn a_full_disk_loses_no_acknowledged_save() {
    let fs = match Tmpfs::mount(48) {
        Ok(fs) => fs,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let path = fs.0.join("full.duckdb");
    // Room to give back later, so the reopened database can checkpoint.
    let ballast = fs.0.join("ballast");
    std::fs::write(&ballast, vec![0u8; 6 << 20]).unwrap();
    let db = open(&path);
    let mut acknowledged = Vec::new();
    let mut failures = Vec::new();
    for i in 0..400u64 {
        let meta = parse_metadata(&format!(r#"{{"subject": {i}}}"#)).unwrap();
        // Small values in the catalog and 1.5 MiB ones in payload files.
        let value = if i % 3 == 0 {
            bytes(1_500_000, i)
        } else {
            bytes(20_000, i)
        };
        match db.save("V", &meta, &value) {
            Ok(id) => acknowledged.push((id, scidb::hash::content_hash(&value))),
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
                failures.push(e);
                if failures.len() >= 10 {
                    break;
                }
            }
        }
    }
    assert!(!failures.is_empty(), "the disk never filled");
    println!(
        "{} acknowledged saves, then: {}",
        acknowledged.len(),
        failures[0].message
    );
    // Then small values, which go to DuckDB's own files, until those fail too.
    let mut small_failures = 0;
    for i in 1000..20000u64 {
        let meta = parse_metadata(&format!(r#"{{"subject": {i}}}"#)).unwrap();
        let value = bytes(50_000, i);
        match db.save("V", &meta, &value) {
            Ok(id) => acknowledged.push((id, scidb::hash::content_hash(&value))),
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
                small_failures += 1;
                if small_failures >= 5 {
                    println!("then, for values in the catalog: {}", e.message);
                    break;
                }
            }
        }
    }
    // A for_each on the full disk reports its combinations; it does not fail.
    let spec = scidb::foreach::Spec::from_json(
        r#"{"function": {"language": "c", "name": "copy", "version": "1"},
            "iterate": [["subject", [1, 2, 4, 5, 7, 8]]],
            "inputs": [{"name": "x", "variable": "V"}], "outputs": ["W"]}"#,
    )
    .unwrap();
    let mut fe = scidb::foreach::ForEach::plan(&db, spec).unwrap();
    let summary = scidb::foreach::parallel::run(&mut fe, &db, 1, |item| Ok(item.inputs.clone()))
        .expect("for_each reports failures per combination");
    println!(
        "for_each on a full disk: {} ran, {} failed",
        summary.ran, summary.failed
    );
    let ran_ids: Vec<String> = (0..fe.len())
        .filter_map(|i| fe.outcome(i))
        .flat_map(|(_, _, ids)| ids.to_vec())
        .collect();
    // The handle still answers: every acknowledged save loads.
    for (id, hash) in &acknowledged {
        let r = db
            .load_record(None, id)
            .unwrap_or_else(|e| panic!("{id}: {}", e.message));
        assert_eq!(&r.info.content_hash, hash);
    }
    drop(db);
    std::fs::remove_file(&ballast).unwrap();
    let db = open(&path);
    let all = parse_query("{}").unwrap();
    let versions = db.list_versions("V", &all).unwrap();
    assert_eq!(
        versions.len(),
        acknowledged.len(),
        "a failed save left a record behind"
    );
    for (id, hash) in &acknowledged {
        let r = db
            .load_record(None, id)
            .unwrap_or_else(|e| panic!("{id}: {}", e.message));
        assert_eq!(&r.info.content_hash, hash);
        assert_eq!(&scidb::hash::content_hash(r.value.as_ref().unwrap()), hash);
    }
    for id in &ran_ids {
        db.load_record(Some("W"), id)
            .unwrap_or_else(|e| panic!("for_each reported {id} saved: {}", e.message));
    }
    // Space is back: saves work again and gc clears what failed saves left.
    db.gc().unwrap();
    let meta = parse_metadata(r#"{"subject": 100000}"#).unwrap();
    db.save("V", &meta, &bytes(1_500_000, 7)).unwrap();
}
