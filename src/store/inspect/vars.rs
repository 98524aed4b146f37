//! `vars`: what each variable type holds.

use super::scan;
use crate::error::{Result, ResultExt};
use crate::store::payload::Format;
use crate::store::Database;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// One variable type: how many records, locations and variants it has,
/// the kinds of its values and the bytes they take.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VariableSummary {
    pub variable: String,
    /// Every record, all versions.
    pub records: u64,
    /// Distinct schema-key combinations.
    pub locations: u64,
    /// Distinct variants (other metadata, such as constants).
    pub variants: u64,
    /// Preview kinds of its values ("float", "float_list", "table", ...).
    pub kinds: Vec<String>,
    /// Bytes of its values: in the catalog, plus payload files (each once).
    pub bytes: u64,
    /// Records that came from a function (have lineage).
    pub computed: u64,
}

impl Database {
    /// Every variable type that has records, by name.
    pub fn variable_summaries(&self) -> Result<Vec<VariableSummary>> {
        let inner = self.fresh()?;
        let conn = &inner.conn;
        let (records, computed) = super::snapshot(conn, || {
            let computed: HashSet<String> = conn
                .query("SELECT DISTINCT record_id FROM _scidb_lineage", &[])
                .context("reading the lineage")?
                .iter()
                .map(|r| r.get(0))
                .collect::<Result<_>>()?;
            Ok((scan::records(conn, &self.schema_keys)?, computed))
        })?;
        // Payload file sizes by content hash, from one walk of the folder
        // (a record's value is in a file exactly when its hash names one).
        let files = payload_sizes(self.payloads.dir());
        #[derive(Default)]
        struct Acc<'a> {
            records: u64,
            locations: HashSet<&'a [Option<String>]>,
            variants: HashSet<&'a str>,
            bytes: u64,
            files: HashSet<&'a str>,
            computed: u64,
        }
        let mut acc: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
        for r in &records.all {
            let a = acc.entry(r.variable.as_str()).or_default();
            a.records += 1;
            a.locations.insert(&r.location);
            a.variants.insert(&r.variant);
            a.bytes += r.blob_len.max(0) as u64;
            if computed.contains(&r.id) {
                a.computed += 1;
            }
            if let Some(len) = files.get(&r.content_hash) {
                if a.files.insert(&r.content_hash) {
                    a.bytes += len;
                }
            }
        }
        Ok(acc
            .into_iter()
            .map(|(name, a)| VariableSummary {
                variable: name.to_string(),
                records: a.records,
                locations: a.locations.len() as u64,
                variants: a.variants.len() as u64,
                kinds: inner
                    .signatures
                    .get(name)
                    .map(|s| s.values.iter().cloned().collect())
                    .unwrap_or_default(),
                bytes: a.bytes,
                computed: a.computed,
            })
            .collect())
    }
}

/// The payload file formats.
const FORMATS: [Format; 3] = [Format::Npy, Format::Sdv, Format::Arrow];

/// The payload files under `dir` (`<2 hex>/<hash>.<ext>`): size by hash.
/// A folder that cannot be read counts as empty (sizes are informative).
fn payload_sizes(dir: &Path) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Ok(fans) = std::fs::read_dir(dir) else {
        return out;
    };
    for fan in fans.flatten() {
        if fan.file_name().len() != 2 {
            continue; // tmp/ and what is not ours
        }
        let Ok(entries) = std::fs::read_dir(fan.path()) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let stem = path.file_stem().and_then(|s| s.to_str());
            let ext = path.extension().and_then(|s| s.to_str());
            if let (Some(stem), Some(ext)) = (stem, ext) {
                if FORMATS.iter().any(|f| f.extension() == ext) {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    *out.entry(stem.to_string()).or_default() += len;
                }
            }
        }
    }
    out
}
