//! Planning: the combinations of the iteration values, the input records
//! of each (found in one query per input), and what each needs.

use super::spec::{Source, Spec};
use crate::error::{Error, Result};
use crate::lineage::Call;
use crate::metadata::{MetaValue, Metadata, Query};
use crate::store::{Database, RecordInfo};
use std::collections::HashMap;

/// What became of a combination (or will, before the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Planned to run; not run yet.
    ToRun,
    /// The function ran and its outputs were saved.
    Ran,
    /// An identical call's outputs were saved before: nothing ran.
    Cached,
    /// An input is missing (or ambiguous): nothing ran.
    Skipped,
    /// The function failed, or saving its outputs did.
    Failed,
}

impl Status {
    /// The name used in reports and the run log.
    pub fn name(self) -> &'static str {
        match self {
            Status::ToRun => "to_run",
            Status::Ran => "ran",
            Status::Cached => "cached",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// One combination of iteration values.
#[derive(Debug, Clone)]
pub(crate) struct Combo {
    pub metadata: Metadata,
    pub status: Status,
    /// Why it was skipped, or the error of a failure.
    pub message: Option<String>,
    /// The call, when every input was found.
    pub call: Option<Call>,
    pub record_ids: Vec<String>,
}

/// The records of one variable input, by the values of its match keys.
struct InputIndex<'a> {
    variable: &'a str,
    /// (key, the value fixed for it, if any), iteration keys first.
    keys: Vec<(&'a str, Option<&'a MetaValue>)>,
    by_values: HashMap<Vec<String>, Vec<RecordInfo>>,
}

/// Plans every combination: found inputs, cache hits, skips.
pub(crate) fn plan(db: &Database, spec: &Spec) -> Result<Vec<Combo>> {
    let template = spec.template_call()?;
    let indexes = load_inputs(db, spec)?;
    let iterate = resolve_values(db, spec, &indexes)?;
    let mut combos = Vec::new();
    for metadata in combinations(&iterate) {
        combos.push(combo(
            db.schema_keys(),
            spec,
            &template,
            &indexes,
            metadata,
        )?);
    }
    let calls: Vec<&Call> = combos.iter().filter_map(|c| c.call.as_ref()).collect();
    let hits = db.lookup(&calls)?;
    let mut hits = hits.into_iter();
    for c in combos.iter_mut().filter(|c| c.call.is_some()) {
        if let Some(Some(_)) = hits.next() {
            c.status = Status::Cached;
        }
    }
    Ok(combos)
}

fn load_inputs<'a>(db: &Database, spec: &'a Spec) -> Result<Vec<Option<InputIndex<'a>>>> {
    let schema_keys = db.schema_keys();
    spec.inputs
        .iter()
        .map(|input| {
            let Source::Variable { variable, fixed } = &input.source else {
                return Ok(None);
            };
            let mut query = Query::new();
            let mut keys = Vec::new();
            for (k, values) in &spec.iterate {
                if !fixed.contains_key(k) {
                    keys.push((k.as_str(), None));
                    if !values.is_empty() {
                        query.insert(k.clone(), values.clone());
                    }
                }
            }
            for (k, v) in fixed {
                keys.push((k.as_str(), Some(v)));
                query.insert(k.clone(), vec![v.clone()]);
            }
            let mut by_values: HashMap<Vec<String>, Vec<RecordInfo>> = HashMap::new();
            for r in db.candidates(variable, &query)? {
                let meta = r.metadata(schema_keys);
                let values: Option<Vec<String>> = keys
                    .iter()
                    .map(|(k, _)| meta.get(*k).map(MetaValue::canonical))
                    .collect();
                if let Some(values) = values {
                    by_values.entry(values).or_default().push(r);
                }
            }
            Ok(Some(InputIndex {
                variable,
                keys,
                by_values,
            }))
        })
        .collect()
}

/// The iteration values, with empty lists replaced by every value the
/// inputs' records have for the key, sorted.
fn resolve_values(
    db: &Database,
    spec: &Spec,
    indexes: &[Option<InputIndex<'_>>],
) -> Result<Vec<(String, Vec<MetaValue>)>> {
    let schema_keys = db.schema_keys();
    let mut out = Vec::new();
    for (k, values) in &spec.iterate {
        if !values.is_empty() {
            out.push((k.clone(), values.clone()));
            continue;
        }
        let mut found: Vec<MetaValue> = Vec::new();
        let mut any_input = false;
        for ix in indexes.iter().flatten() {
            if !ix
                .keys
                .iter()
                .any(|(key, fixed)| key == k && fixed.is_none())
            {
                continue;
            }
            any_input = true;
            for r in ix.by_values.values().flatten() {
                if let Some(v) = r.metadata(schema_keys).remove(k) {
                    if !found.contains(&v) {
                        found.push(v);
                    }
                }
            }
        }
        if !any_input {
            return Err(Error::invalid(format!(
                "iteration key '{k}' has no values and no input iterates over it to find them"
            )));
        }
        found.sort_by(|a, b| a.sort_cmp(b));
        out.push((k.clone(), found));
    }
    Ok(out)
}

/// Every combination, the first key varying slowest.
fn combinations(iterate: &[(String, Vec<MetaValue>)]) -> Vec<Metadata> {
    let mut out = vec![Metadata::new()];
    for (k, values) in iterate {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for m in &out {
            for v in values {
                let mut m = m.clone();
                m.insert(k.clone(), v.clone());
                next.push(m);
            }
        }
        out = next;
    }
    out
}

fn combo(
    schema_keys: &[String],
    spec: &Spec,
    template: &Call,
    indexes: &[Option<InputIndex<'_>>],
    metadata: Metadata,
) -> Result<Combo> {
    let mut call = template.clone();
    for (input, ix) in spec.inputs.iter().zip(indexes) {
        let Some(ix) = ix else { continue };
        let wanted: Vec<String> = ix
            .keys
            .iter()
            .map(|(k, fixed)| {
                fixed
                    .or_else(|| metadata.get(*k))
                    .map(MetaValue::canonical)
                    .unwrap_or_default()
            })
            .collect();
        let reason = match ix.by_values.get(&wanted).map(Vec::as_slice) {
            Some([r]) => {
                call.add_input(&input.name, &r.content_hash, Some(&r.record_id), None)?;
                continue;
            }
            None | Some([]) => format!(
                "input '{}': no {} record at {}",
                input.name,
                ix.variable,
                describe(ix, &wanted)
            ),
            Some(many) => format!(
                "input '{}': {} {} records at {} differ in {}; iterate over that key or \
                 choose with Fixed",
                input.name,
                many.len(),
                ix.variable,
                describe(ix, &wanted),
                differing_keys(many, schema_keys)
            ),
        };
        return Ok(Combo {
            metadata,
            status: Status::Skipped,
            message: Some(reason),
            call: None,
            record_ids: Vec::new(),
        });
    }
    Ok(Combo {
        metadata,
        status: Status::ToRun,
        message: None,
        call: Some(call),
        record_ids: Vec::new(),
    })
}

fn describe(ix: &InputIndex<'_>, wanted: &[String]) -> String {
    ix.keys
        .iter()
        .zip(wanted)
        .map(|((k, _), v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The metadata keys whose values differ between records (schema keys not
/// iterated over, or variant keys).
fn differing_keys(records: &[RecordInfo], schema_keys: &[String]) -> String {
    let mut keys: Vec<String> = Vec::new();
    for (i, k) in schema_keys.iter().enumerate() {
        if records
            .iter()
            .any(|r| r.location.get(i) != records[0].location.get(i))
        {
            keys.push(k.clone());
        }
    }
    for r in records {
        for k in r.variant.keys() {
            let varies = records.iter().any(|o| o.variant.get(k) != r.variant.get(k));
            if varies && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    if keys.is_empty() {
        "metadata".into()
    } else {
        keys.join(", ")
    }
}
