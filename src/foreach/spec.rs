//! What a `for_each` run is asked to do, and its JSON form (the C ABI's).

use crate::error::{Error, Result};
use crate::lineage::{Call, FunctionId};
use crate::metadata::{self, MetaValue, Metadata};
use serde::Deserialize;
use serde_json::Value as Json;

/// Where an input's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The record of this variable type at the combination's metadata,
    /// with the `fixed` keys overriding the combination's values.
    Variable { variable: String, fixed: Metadata },
    /// The same value in every combination; it becomes a variant key of
    /// the saved outputs.
    Constant(MetaValue),
}

/// One named input of the function.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    pub name: String,
    pub source: Source,
}

/// A `for_each` run: the function, what to iterate over, its inputs and
/// the variable types its outputs are saved as.
#[derive(Debug, Clone)]
pub struct Spec {
    pub function: FunctionId,
    /// The output count of the cache key: 0 when the function decides (a
    /// Python thunk with `unpack_output=True`), else `outputs.len()`.
    pub n_outputs: u32,
    /// Iteration keys in order (the first varies slowest); an empty list
    /// means every value the inputs' records have for the key.
    pub iterate: Vec<(String, Vec<MetaValue>)>,
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<String>,
    /// Share the combinations with every process running the same
    /// description on the same (PostgreSQL) catalog (see `store::jobs`).
    pub reserve_jobs: bool,
    /// How long a claimed combination stays this process's without a
    /// renewal (renewed every third of it while the process lives).
    pub lease: std::time::Duration,
}

/// The lease of claimed jobs unless the description sets `lease_seconds`.
pub const DEFAULT_LEASE_SECONDS: f64 = 60.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecJson {
    function: FunctionJson,
    n_outputs: Option<u32>,
    iterate: Vec<(String, Vec<Json>)>,
    inputs: Vec<InputJson>,
    outputs: Vec<String>,
    #[serde(default)]
    reserve_jobs: bool,
    lease_seconds: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionJson {
    language: String,
    name: String,
    source_hash: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputJson {
    name: String,
    variable: Option<String>,
    #[serde(default)]
    fixed: serde_json::Map<String, Json>,
    constant: Option<Json>,
}

impl Spec {
    /// Parses and checks the JSON form:
    /// `{"function": {"language", "name", "source_hash"?, "version"?},
    ///   "n_outputs"?: 0 | len(outputs),
    ///   "iterate": [["subject", [1, 2]], ["session", []]],
    ///   "inputs": [{"name": "signal", "variable": "RawEMG", "fixed"?: {...}},
    ///              {"name": "smoothing", "constant": 0.2}],
    ///   "outputs": ["FilteredEMG"],
    ///   "reserve_jobs"?: false, "lease_seconds"?: 60}`.
    pub fn from_json(text: &str) -> Result<Spec> {
        let s: SpecJson = serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("for_each description: {e}")))?;
        let f = &s.function;
        let function = FunctionId::new(
            &f.language,
            &f.name,
            f.source_hash.as_deref(),
            f.version.as_deref(),
        )?;
        let mut iterate = Vec::new();
        for (key, values) in s.iterate {
            let values = values
                .iter()
                .map(|v| MetaValue::from_json(&key, v))
                .collect::<Result<Vec<_>>>()?;
            iterate.push((key, values));
        }
        let mut inputs = Vec::new();
        for i in s.inputs {
            let source = match (i.variable, i.constant) {
                (Some(variable), None) => {
                    let fixed = metadata::parse_metadata(&Json::Object(i.fixed).to_string())
                        .map_err(|e| e.context(format!("Fixed of input '{}'", i.name)))?;
                    Source::Variable { variable, fixed }
                }
                (None, Some(c)) if i.fixed.is_empty() => {
                    Source::Constant(MetaValue::from_json(&i.name, &c).map_err(|_| {
                        Error::invalid(format!(
                            "constant '{}' must be a number, text or a boolean",
                            i.name
                        ))
                    })?)
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "input '{}' needs either a variable (with optional fixed keys) or a \
                         constant",
                        i.name
                    )))
                }
            };
            inputs.push(InputSpec {
                name: i.name,
                source,
            });
        }
        let n_outputs = s.n_outputs.unwrap_or(s.outputs.len() as u32);
        let lease_seconds = s.lease_seconds.unwrap_or(DEFAULT_LEASE_SECONDS);
        if !(lease_seconds.is_finite() && (0.1..=86_400.0).contains(&lease_seconds)) {
            return Err(Error::invalid(format!(
                "lease_seconds must be between 0.1 and 86400, not {lease_seconds}"
            )));
        }
        let spec = Spec {
            function,
            n_outputs,
            iterate,
            inputs,
            outputs: s.outputs,
            reserve_jobs: s.reserve_jobs,
            lease: std::time::Duration::from_secs_f64(lease_seconds),
        };
        spec.check()?;
        Ok(spec)
    }

    /// Checks names and counts, and that a call can be described.
    pub fn check(&self) -> Result<()> {
        let name = &self.function.name;
        if self.outputs.is_empty() {
            return Err(Error::invalid(format!(
                "for_each of {name} needs at least one output type"
            )));
        }
        if self.n_outputs != 0 && self.n_outputs as usize != self.outputs.len() {
            return Err(Error::invalid(format!(
                "n_outputs is {} but {} output types are given",
                self.n_outputs,
                self.outputs.len()
            )));
        }
        for o in &self.outputs {
            metadata::validate_identifier("output variable type", o)?;
        }
        for (i, (k, _)) in self.iterate.iter().enumerate() {
            metadata::validate_key(k).map_err(|e| e.context("iteration key"))?;
            if self.iterate[..i].iter().any(|(other, _)| other == k) {
                return Err(Error::invalid(format!(
                    "iteration key '{k}' is given twice"
                )));
            }
        }
        for (n, i) in self.inputs.iter().enumerate() {
            if self.inputs[..n].iter().any(|o| o.name == i.name) {
                return Err(Error::invalid(format!(
                    "input '{}' is given twice (each input needs its own name)",
                    i.name
                )));
            }
            if let Source::Variable { variable, .. } = &i.source {
                metadata::validate_identifier("input variable type", variable)
                    .map_err(|e| e.context(format!("input '{}'", i.name)))?;
            }
            if let Source::Constant(_) = &i.source {
                if self.iterate.iter().any(|(k, _)| k == &i.name) {
                    return Err(Error::invalid(format!(
                        "constant '{}' is also an iteration key",
                        i.name
                    )));
                }
            }
        }
        // Names, constants and output counts are checked as a call's.
        self.template_call().map(|_| ())
    }

    /// What names the run in the jobs table: the same for every process
    /// running this description (function, iteration, inputs, outputs),
    /// whenever it starts.
    pub fn run_key(&self) -> String {
        let iterate: Vec<Json> = self
            .iterate
            .iter()
            .map(|(k, vs)| {
                serde_json::json!([k, vs.iter().map(MetaValue::canonical).collect::<Vec<_>>()])
            })
            .collect();
        let inputs: Vec<Json> = self
            .inputs
            .iter()
            .map(|i| match &i.source {
                Source::Variable { variable, fixed } => serde_json::json!([
                    i.name,
                    "variable",
                    variable,
                    metadata::to_json_object(fixed)
                ]),
                Source::Constant(c) => serde_json::json!([i.name, "constant", c.canonical()]),
            })
            .collect();
        let text = serde_json::json!({
            "function": self.function.hash(),
            "n_outputs": self.n_outputs,
            "iterate": iterate,
            "inputs": inputs,
            "outputs": self.outputs,
        })
        .to_string();
        let mut h = blake3::Hasher::new();
        h.update(b"scidb:run:v1\0");
        h.update(text.as_bytes());
        h.finalize().to_hex()[..32].to_string()
    }

    /// A call with the constants but no inputs yet: each combination's
    /// call is a copy with its input records added.
    pub(crate) fn template_call(&self) -> Result<Call> {
        let mut call = Call::new(self.function.clone(), self.n_outputs);
        for i in &self.inputs {
            match &i.source {
                Source::Variable { .. } => {}
                Source::Constant(v) => call.add_constant(&i.name, v.clone())?,
            }
        }
        if self.n_outputs == 0 {
            call.set_output_count(self.outputs.len() as u32)?;
        }
        Ok(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"function": {"language": "c", "name": "f", "version": "1"},
        "iterate": [["subject", [1, 2]], ["session", []]],
        "inputs": [{"name": "signal", "variable": "RawEMG", "fixed": {"session": "a"}},
                   {"name": "smoothing", "constant": 0.2}],
        "outputs": ["Out"]}"#;

    #[test]
    fn parses_the_json_form() {
        let s = Spec::from_json(OK).unwrap();
        assert_eq!(s.n_outputs, 1);
        assert_eq!(s.iterate[0].1, vec![MetaValue::Int(1), MetaValue::Int(2)]);
        assert!(s.iterate[1].1.is_empty());
        assert!(matches!(&s.inputs[0].source, Source::Variable { fixed, .. } if fixed.len() == 1));
        assert_eq!(s.inputs[1].source, Source::Constant(MetaValue::Float(0.2)));
    }

    #[test]
    fn refuses_bad_descriptions() {
        let bad = [
            OK.replace("\"outputs\": [\"Out\"]", "\"outputs\": []"),
            OK.replace("\"smoothing\"", "\"signal\""),
            OK.replace(
                "\"smoothing\", \"constant\": 0.2",
                "\"version\", \"constant\": 1",
            ),
            OK.replace("\"constant\": 0.2", "\"constant\": [1]"),
            OK.replace("\"Out\"", "\"bad name\""),
            OK.replace("[\"session\", []]", "[\"subject\", []]"),
            OK.replace("\"iterate\"", "\"iterates\""),
        ];
        for b in bad {
            assert!(Spec::from_json(&b).is_err(), "{b}");
        }
    }
}
