//! Finding records: filtering by metadata, then choosing versions.
//!
//! A record's *location* is its schema-key values; its *variant* is its
//! other metadata (version keys such as `smoothing`). At each location,
//! every variant has a newest record. `load` wants one variant per location
//! and reports the keys that would choose when there are several.

use super::schema::key_column;
use super::sql::{args, Arg, Conn};
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::metadata::{self, MetaValue, Metadata, Query};
use std::collections::BTreeMap;

/// A record without its value.
#[derive(Debug, Clone)]
pub struct RecordInfo {
    pub record_id: String,
    pub variable: String,
    pub version: i64,
    pub content_hash: String,
    pub saved_at: String,
    /// Schema-key values the record has, in schema order.
    pub location: Vec<Option<MetaValue>>,
    /// Canonical JSON of the version keys.
    pub variant_json: String,
    pub variant: Metadata,
    /// The stored value blob, when the query asked for it.
    pub(crate) blob: Option<Vec<u8>>,
}

impl RecordInfo {
    /// All metadata: schema keys and version keys.
    pub fn metadata(&self, schema_keys: &[String]) -> Metadata {
        let mut m = self.variant.clone();
        for (k, v) in schema_keys.iter().zip(&self.location) {
            if let Some(v) = v {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }

    fn location_key(&self) -> Vec<Option<String>> {
        self.location
            .iter()
            .map(|v| v.as_ref().map(MetaValue::canonical))
            .collect()
    }
}

/// Records of a variable matching a query, every version, ordered by
/// location then version; with their value blobs when `with_blobs`.
pub fn matching(
    conn: &Conn,
    schema_keys: &[String],
    variable: &str,
    query: &Query,
    with_blobs: bool,
) -> Result<Vec<RecordInfo>> {
    fetch(conn, schema_keys, variable, query, None, with_blobs)
}

fn fetch(
    conn: &Conn,
    schema_keys: &[String],
    variable: &str,
    query: &Query,
    record_id: Option<&str>,
    with_blobs: bool,
) -> Result<Vec<RecordInfo>> {
    let key_cols: Vec<String> = schema_keys.iter().map(|k| key_column(k)).collect();
    let mut sql = format!(
        "SELECT record_id, version, content_hash, CAST(saved_at AS VARCHAR), variant, {}{}{} \
         FROM _scidb_records WHERE variable = ?",
        if with_blobs { "value" } else { "NULL" },
        if key_cols.is_empty() { "" } else { ", " },
        key_cols.join(", ")
    );
    let mut args: Vec<Arg<'_>> = vec![Arg::from(variable)];
    if let Some(id) = record_id {
        sql.push_str(" AND record_id = ?");
        args.push(Arg::from(id));
    }
    for (k, col) in schema_keys.iter().zip(&key_cols) {
        if let Some(values) = query.get(k) {
            let marks = vec!["?"; values.len()].join(", ");
            sql.push_str(&format!(" AND {col} IN ({marks})"));
            args.extend(values.iter().map(|v| Arg::from(v.canonical())));
        }
    }
    let rows = conn.query(&sql, &args)?;
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        let variant_json: String = row.get(4)?;
        let mut location = Vec::with_capacity(schema_keys.len());
        for i in 0..schema_keys.len() {
            let text: Option<String> = row.get(6 + i)?;
            location.push(
                text.as_deref()
                    .map(MetaValue::parse_canonical)
                    .transpose()?,
            );
        }
        out.push(RecordInfo {
            record_id: row.get(0)?,
            variable: variable.to_string(),
            version: row.get(1)?,
            content_hash: row.get(2)?,
            saved_at: row.get(3)?,
            location,
            variant: metadata::from_json_object(&variant_json)?,
            variant_json,
            blob: row.take(5)?,
        });
    }
    // Version keys are matched here; schema keys were matched in SQL.
    out.retain(|r| {
        query
            .iter()
            .filter(|(k, _)| !schema_keys.contains(k))
            .all(|(k, wanted)| r.variant.get(k).is_some_and(|v| wanted.contains(v)))
    });
    sort_records(&mut out);
    Ok(out)
}

/// Orders by location (numbers numerically), then variant, then version.
fn sort_records(records: &mut [RecordInfo]) {
    records.sort_by(|a, b| {
        for (x, y) in a.location.iter().zip(&b.location) {
            let ord = match (x, y) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => x.sort_cmp(y),
            };
            if ord.is_ne() {
                return ord;
            }
        }
        a.variant_json
            .cmp(&b.variant_json)
            .then(a.version.cmp(&b.version))
    });
}

/// The newest record of each (location, variant), in location order.
pub fn newest_per_variant(records: Vec<RecordInfo>) -> Vec<RecordInfo> {
    let mut newest: BTreeMap<(Vec<Option<String>>, String), usize> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        let key = (r.location_key(), r.variant_json.clone());
        match newest.get(&key) {
            Some(&j) if records[j].version >= r.version => {}
            _ => {
                newest.insert(key, i);
            }
        }
    }
    let mut keep: Vec<usize> = newest.into_values().collect();
    keep.sort_unstable();
    let mut records: Vec<Option<RecordInfo>> = records.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| records[i].take()).collect()
}

/// One record per location; an `Ambiguous` error naming the version keys
/// that differ when a location holds several variants.
pub fn one_per_location(
    records: Vec<RecordInfo>,
    schema_keys: &[String],
) -> Result<Vec<RecordInfo>> {
    let newest = newest_per_variant(records);
    // Records of one location are adjacent (sorted by location).
    let mut out: Vec<RecordInfo> = Vec::with_capacity(newest.len());
    let mut group: Vec<RecordInfo> = Vec::new();
    for r in newest {
        if group
            .first()
            .is_some_and(|g| g.location_key() != r.location_key())
        {
            out.push(single(std::mem::take(&mut group), schema_keys)?);
        }
        group.push(r);
    }
    if !group.is_empty() {
        out.push(single(group, schema_keys)?);
    }
    Ok(out)
}

/// The one variant of a location, or the ambiguity error.
fn single(mut group: Vec<RecordInfo>, schema_keys: &[String]) -> Result<RecordInfo> {
    if group.len() > 1 {
        return Err(ambiguity(&group, schema_keys));
    }
    group
        .pop()
        .ok_or_else(|| Error::corrupt("an empty group of records"))
}

fn ambiguity(variants: &[RecordInfo], schema_keys: &[String]) -> Error {
    let mut keys: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in variants {
        for k in r.variant.keys() {
            keys.entry(k).or_default();
        }
    }
    for (k, values) in keys.iter_mut() {
        for r in variants {
            let shown = r
                .variant
                .get(*k)
                .map_or_else(|| "(none)".to_string(), |v| v.to_string());
            if !values.contains(&shown) {
                values.push(shown);
            }
        }
    }
    keys.retain(|_, values| values.len() > 1);
    let location: Vec<String> = schema_keys
        .iter()
        .zip(&variants[0].location)
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    let differing: Vec<String> = keys
        .iter()
        .map(|(k, vals)| format!("{k} ({})", vals.join(", ")))
        .collect();
    let names: Vec<&str> = keys.keys().copied().collect();
    Error::new(
        ErrorKind::Ambiguous,
        format!(
            "{} variants of {} at {} differ in {}; pass {} to choose one",
            variants.len(),
            variants[0].variable,
            if location.is_empty() {
                "the same location".to_string()
            } else {
                location.join(", ")
            },
            differing.join(", "),
            names
                .iter()
                .map(|k| format!("{k}=..."))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    )
}

/// A record by its id, checking its variable type when one is given; with
/// its value blob when `with_blob`.
pub fn by_id(
    conn: &Conn,
    schema_keys: &[String],
    variable: Option<&str>,
    record_id: &str,
    with_blob: bool,
) -> Result<RecordInfo> {
    let name: Option<String> = conn
        .query_opt(
            "SELECT variable FROM _scidb_records WHERE record_id = ?",
            args![record_id],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    let name = name.ok_or_else(|| Error::not_found(format!("no record has id '{record_id}'")))?;
    if let Some(v) = variable {
        if v != name {
            return Err(Error::not_found(format!(
                "record '{record_id}' is a {name}, not a {v}"
            )));
        }
    }
    fetch(
        conn,
        schema_keys,
        &name,
        &Query::new(),
        Some(record_id),
        with_blob,
    )
    .context(format!("loading record {record_id}"))?
    .into_iter()
    .find(|r| r.record_id == record_id)
    .ok_or_else(|| Error::not_found(format!("no record has id '{record_id}'")))
}
