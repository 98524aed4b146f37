//! `vars`: what each variable type holds.

use super::scan;
use crate::codec::{self, Elsewhere};
use crate::error::Result;
use crate::store::payload::Format;
use crate::store::Database;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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
        let (records, made) = super::snapshot(conn, || {
            Ok((
                scan::records(conn, &self.schema_keys, true)?,
                scan::lineage(conn)?,
            ))
        })?;
        #[derive(Default)]
        struct Acc<'a> {
            records: u64,
            locations: HashSet<&'a [Option<String>]>,
            variants: HashSet<&'a str>,
            bytes: u64,
            /// Payload files by content hash and format code, each once.
            files: HashMap<(&'a str, u8), Format>,
            computed: u64,
        }
        let mut acc: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
        for r in &records.all {
            let a = acc.entry(r.variable.as_str()).or_default();
            a.records += 1;
            a.locations.insert(&r.location);
            a.variants.insert(&r.variant);
            a.bytes += r.blob_len.max(0) as u64;
            if made.contains_key(&r.id) {
                a.computed += 1;
            }
            let file = r
                .short_blob
                .as_deref()
                .and_then(|b| codec::stored_elsewhere(b).ok());
            match file {
                Some(Elsewhere::Npy { .. }) => {
                    a.files
                        .insert((&r.content_hash, Format::Npy.code()), Format::Npy);
                }
                Some(Elsewhere::File(format)) => {
                    a.files.insert((&r.content_hash, format.code()), format);
                }
                _ => {}
            }
        }
        Ok(acc
            .into_iter()
            .map(|(name, a)| {
                let file_bytes: u64 = a
                    .files
                    .iter()
                    .filter_map(|((hash, _), format)| {
                        std::fs::metadata(self.payloads.path(hash, *format)).ok()
                    })
                    .map(|m| m.len())
                    .sum();
                VariableSummary {
                    variable: name.to_string(),
                    records: a.records,
                    locations: a.locations.len() as u64,
                    variants: a.variants.len() as u64,
                    kinds: inner
                        .signatures
                        .get(name)
                        .map(|s| s.values.iter().cloned().collect())
                        .unwrap_or_default(),
                    bytes: a.bytes + file_bytes,
                    computed: a.computed,
                }
            })
            .collect())
    }
}
