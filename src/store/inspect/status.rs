//! `status`: for every pipeline step (a function and an output type), how
//! many of its current outputs are up to date and how many are stale.
//!
//! A current output is the newest record of its location and variant that
//! a function produced. It is stale when one of its input records is no
//! longer the newest at its location and variant (a newer version was
//! saved), when an input is itself a stale output (re-running upstream
//! changes it), or, given the function as it is now, when its identity
//! (source hash or version) differs from the one that produced it.

use super::scan::{self, Made, Records};
use crate::error::{Error, Result};
use crate::lineage::FunctionId;
use crate::store::Database;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

/// A function as it is now, to compare with the one that produced the
/// saved outputs (JSON: `{"language", "name", "source_hash", "version"}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionIdentity {
    pub language: String,
    pub name: String,
    #[serde(default)]
    pub source_hash: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

impl FunctionIdentity {
    /// Parses the JSON form; checks it as a function identity.
    pub fn parse(json: &str) -> Result<Self> {
        let mut id: FunctionIdentity = serde_json::from_str(json).map_err(|e| {
            Error::invalid(format!(
                "a function identity is a JSON object with language, name and source_hash \
                 or version: {e}"
            ))
        })?;
        // "" is "none" (MATLAB's empty text).
        id.source_hash = id.source_hash.filter(|s| !s.is_empty());
        id.version = id.version.filter(|v| !v.is_empty());
        id.hash()?;
        Ok(id)
    }

    /// The identity hash the lineage records (`FunctionId::hash`).
    fn hash(&self) -> Result<String> {
        Ok(FunctionId::new(
            &self.language,
            &self.name,
            self.source_hash.as_deref(),
            self.version.as_deref(),
        )?
        .hash())
    }
}

/// One pipeline step: a function and the output type it writes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepStatus {
    pub function: String,
    pub language: String,
    pub output: String,
    /// Current outputs: the newest records of their location and variant.
    pub outputs: u64,
    pub current: u64,
    pub stale: u64,
    /// The stale outputs, each with why.
    pub stale_outputs: Vec<StaleOutput>,
}

/// A stale output and why it is stale.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StaleOutput {
    pub record_id: String,
    /// Its metadata (schema keys and variant), a JSON object.
    pub metadata: Json,
    /// "newer_input" (an input has a newer version), "stale_input" (an
    /// input is itself stale), "missing_input" or "function_changed".
    pub reason: String,
    /// The input concerned (none for "function_changed").
    pub input: Option<String>,
}

/// Why an output is stale (None: current).
#[derive(Clone)]
enum Why {
    Current,
    Stale(&'static str, Option<String>),
}

/// Decides staleness for every record with lineage, memoised; inputs are
/// followed upstream (a record on a cycle, which content addressing makes
/// impossible, counts as current).
struct Judge<'a> {
    records: &'a Records,
    made: &'a HashMap<String, Made>,
    changed: Option<(&'a FunctionIdentity, String)>,
    memo: HashMap<&'a str, Why>,
}

impl<'a> Judge<'a> {
    fn why(&mut self, id: &'a str) -> Why {
        if let Some(w) = self.memo.get(id) {
            return w.clone();
        }
        let (made, records) = (self.made, self.records);
        let Some(made) = made.get(id) else {
            return Why::Current;
        };
        // Marks the record while its inputs are judged (see the cycle note).
        self.memo.insert(id, Why::Current);
        let mut why = Why::Current;
        if let Some((f, hash)) = &self.changed {
            if made.function_name == f.name
                && made.language == f.language
                && &made.function_hash != hash
            {
                why = Why::Stale("function_changed", None);
            }
        }
        if matches!(why, Why::Current) {
            for input in &made.inputs {
                let Some(rid) = input.record_id.as_deref() else {
                    continue;
                };
                let found = match records.get(rid) {
                    None => Some("missing_input"),
                    Some(r) if !r.newest => Some("newer_input"),
                    Some(r) => match self.why(r.id.as_str()) {
                        Why::Stale(..) => Some("stale_input"),
                        Why::Current => None,
                    },
                };
                if let Some(reason) = found {
                    why = Why::Stale(reason, Some(input.name.clone()));
                    break;
                }
            }
        }
        self.memo.insert(id, why.clone());
        why
    }
}

impl Database {
    /// Every pipeline step's current and stale outputs, ordered by
    /// function then output type. Given `function` (as it is now), its
    /// outputs made by another identity are stale too.
    pub fn pipeline_status(&self, function: Option<&FunctionIdentity>) -> Result<Vec<StepStatus>> {
        let inner = self.fresh()?;
        let conn = &inner.conn;
        let (records, made) = super::snapshot(conn, || {
            Ok((
                scan::records(conn, &self.schema_keys)?,
                scan::lineage(conn)?,
            ))
        })?;
        steps(&records, &made, function, &self.schema_keys)
    }
}

/// The step statuses of a scan (shared with the graph).
pub(super) fn steps(
    records: &Records,
    made: &HashMap<String, Made>,
    function: Option<&FunctionIdentity>,
    schema_keys: &[String],
) -> Result<Vec<StepStatus>> {
    let changed = match function {
        Some(f) => Some((f, f.hash()?)),
        None => None,
    };
    let mut judge = Judge {
        records,
        made,
        changed,
        memo: HashMap::new(),
    };
    let mut steps: BTreeMap<(&str, &str, &str), StepStatus> = BTreeMap::new();
    for r in records.all.iter().filter(|r| r.newest) {
        let Some(m) = made.get(&r.id) else {
            continue;
        };
        let key = (
            m.function_name.as_str(),
            m.language.as_str(),
            r.variable.as_str(),
        );
        let step = steps.entry(key).or_insert_with(|| StepStatus {
            function: m.function_name.clone(),
            language: m.language.clone(),
            output: r.variable.clone(),
            outputs: 0,
            current: 0,
            stale: 0,
            stale_outputs: Vec::new(),
        });
        step.outputs += 1;
        match judge.why(&r.id) {
            Why::Current => step.current += 1,
            Why::Stale(reason, input) => {
                step.stale += 1;
                step.stale_outputs.push(StaleOutput {
                    record_id: r.id.clone(),
                    metadata: r.metadata_json(schema_keys)?,
                    reason: reason.to_string(),
                    input,
                });
            }
        }
    }
    let mut out: Vec<StepStatus> = steps.into_values().collect();
    for s in &mut out {
        s.stale_outputs.sort_by_key(|o| o.metadata.to_string());
    }
    Ok(out)
}
