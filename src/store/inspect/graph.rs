//! `graph`: the pipeline as a directed graph derived from lineage.
//! Variable types are nodes (with record counts); functions are nodes
//! between them (with language, the constants in use and how many of
//! their outputs are stale); an edge from a variable type to a function
//! is an input parameter (marked when it was a `Fixed` input: its record
//! came from other schema-key values than the output's), an edge from a
//! function to a variable type is one of its outputs.

use super::scan::{self, Made, Records};
use super::status::{self, StepStatus};
use crate::error::Result;
use crate::store::Database;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The pipeline graph.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Graph {
    pub variables: Vec<VariableNode>,
    pub functions: Vec<FunctionNode>,
}

/// A variable type.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VariableNode {
    pub name: String,
    /// Every record, all versions.
    pub records: u64,
    /// Whether some function produced its current records.
    pub computed: bool,
}

/// A function (by name and language) and the steps it makes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunctionNode {
    /// The node's id in the DOT text.
    pub id: String,
    pub name: String,
    pub language: String,
    /// Each constant in use and its values (JSON texts), sorted.
    pub constants: BTreeMap<String, Vec<String>>,
    pub inputs: Vec<GraphInput>,
    /// Output variable types, by output index.
    pub outputs: Vec<GraphOutput>,
    pub current: u64,
    pub stale: u64,
}

/// An input parameter of a function.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GraphInput {
    pub name: String,
    /// The variable type of its records; None for values passed unsaved.
    pub variable: Option<String>,
    /// Schema keys held fixed (a `Fixed` input) and the values they held.
    pub fixed: BTreeMap<String, Vec<String>>,
}

/// An output of a function.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GraphOutput {
    pub index: u32,
    pub variable: String,
}

/// What one (function, input parameter, variable) edge has seen.
#[derive(Default)]
struct EdgeAcc {
    /// Schema keys whose value differed from the output's at least once.
    differs: BTreeSet<usize>,
    /// The input's value of each schema key, over all outputs.
    values: BTreeMap<usize, BTreeSet<String>>,
}

#[derive(Default)]
struct FnAcc {
    constants: BTreeMap<String, BTreeSet<String>>,
    /// Parameter name and variable (None: an unsaved value), by position.
    inputs: Vec<((String, Option<String>), EdgeAcc)>,
    outputs: BTreeSet<(u32, String)>,
    n_outputs: u32,
}

impl Database {
    /// The pipeline graph of the current records.
    pub fn pipeline_graph(&self) -> Result<Graph> {
        let inner = self.fresh()?;
        let conn = &inner.conn;
        let (records, made) = super::snapshot(conn, || {
            Ok((
                scan::records(conn, &self.schema_keys)?,
                scan::lineage(conn)?,
            ))
        })?;
        let steps = status::steps(&records, &made, None, &self.schema_keys)?;
        Ok(build(&records, &made, &steps, &self.schema_keys))
    }
}

fn build(
    records: &Records,
    made: &HashMap<String, Made>,
    steps: &[StepStatus],
    schema_keys: &[String],
) -> Graph {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &records.all {
        *counts.entry(r.variable.as_str()).or_default() += 1;
    }
    let mut fns: BTreeMap<(&str, &str), FnAcc> = BTreeMap::new();
    for r in records.all.iter().filter(|r| r.newest) {
        let Some(m) = made.get(&r.id) else {
            continue;
        };
        let f = fns
            .entry((m.function_name.as_str(), m.language.as_str()))
            .or_default();
        f.n_outputs = f.n_outputs.max(m.n_outputs);
        f.outputs.insert((m.output_index, r.variable.clone()));
        for (k, v) in &m.constants {
            f.constants.entry(k.clone()).or_default().insert(v.clone());
        }
        for input in &m.inputs {
            let source = input.record_id.as_deref().and_then(|id| records.get(id));
            let key = (input.name.clone(), source.map(|s| s.variable.clone()));
            let at = match f.inputs.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    f.inputs.push((key, EdgeAcc::default()));
                    f.inputs.len() - 1
                }
            };
            let edge = &mut f.inputs[at].1;
            let Some(source) = source else {
                continue;
            };
            for (i, (theirs, ours)) in source.location.iter().zip(&r.location).enumerate() {
                if let Some(v) = theirs {
                    if ours.as_ref().is_some_and(|o| o != v) {
                        edge.differs.insert(i);
                    }
                    let seen = edge.values.entry(i).or_default();
                    if seen.len() < MAX_FIXED_VALUES {
                        seen.insert(v.clone());
                    }
                }
            }
        }
    }
    let produced: BTreeSet<&str> = fns
        .values()
        .flat_map(|f| f.outputs.iter().map(|(_, v)| v.as_str()))
        .collect();
    let variables = counts
        .iter()
        .map(|(name, n)| VariableNode {
            name: name.to_string(),
            records: *n,
            computed: produced.contains(name),
        })
        .collect();
    let functions = fns
        .into_iter()
        .enumerate()
        .map(|(n, ((name, language), f))| {
            let (current, stale) = steps
                .iter()
                .filter(|s| s.function == name && s.language == language)
                .fold((0, 0), |(c, s), st| (c + st.current, s + st.stale));
            FunctionNode {
                id: format!("f{n}"),
                name: name.to_string(),
                language: language.to_string(),
                constants: f
                    .constants
                    .into_iter()
                    .map(|(k, v)| (k, v.into_iter().collect()))
                    .collect(),
                inputs: f
                    .inputs
                    .into_iter()
                    .map(|((name, variable), e)| GraphInput {
                        name,
                        variable,
                        fixed: e
                            .differs
                            .iter()
                            .map(|i| {
                                let vals = e.values.get(i).cloned().unwrap_or_default();
                                (
                                    schema_keys.get(*i).cloned().unwrap_or_default(),
                                    vals.into_iter().collect(),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
                outputs: f
                    .outputs
                    .into_iter()
                    .map(|(index, variable)| GraphOutput { index, variable })
                    .collect(),
                current,
                stale,
            }
        })
        .collect();
    Graph {
        variables,
        functions,
    }
}

/// Values of a fixed key kept for the picture.
const MAX_FIXED_VALUES: usize = 4;
