//! Lineage and computation caching: what identifies a function, what
//! identifies one call of it, and what is recorded beside a saved result.
//!
//! - A function's identity is its language, its name, and either the hash
//!   of its normalized source or an explicit version, which overrides it.
//! - A call's cache key is the function's identity hash, the number of
//!   outputs asked for, each input's content hash by parameter name and
//!   each constant's canonical content hash by name. Two calls with equal
//!   keys compute the same thing; any difference gives another key.
//! - Constants are scalars (numbers, text, booleans): they become variant
//!   keys of the saved results, so `load(smoothing=0.2)` selects them.
//!
//! The store (`store::lineage`) looks keys up and records lineage in the
//! same transaction as the save of the result; the byte recipes are in
//! `docs/lineage.md`.

mod ordered;
pub mod source;

use crate::error::{Error, Result};
use crate::hash::content_hash;
use crate::metadata::{self, MetaValue};
use crate::value::{Array, DType, Value};

use ordered::parse_ordered_object;

/// Domain-separation prefixes of the hashes defined here.
const FUNCTION_DOMAIN: &[u8] = b"scidb:function:v1\0";
const CALL_DOMAIN: &[u8] = b"scidb:call:v1\0";

/// What identifies a function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionId {
    /// "python", "matlab", "c", ...: lower-case letters and digits.
    pub language: String,
    /// The name users see in provenance ("bandpass_filter").
    pub name: String,
    /// 64 hex digits: the hash of the normalized source (`source_hash`).
    pub source_hash: Option<String>,
    /// An explicit version; when given it identifies the function instead
    /// of the source hash (the source may then change freely).
    pub version: Option<String>,
}

impl FunctionId {
    /// Checks and builds an identity; a source hash or a version is required.
    pub fn new(
        language: &str,
        name: &str,
        source_hash: Option<&str>,
        version: Option<&str>,
    ) -> Result<Self> {
        let lang_ok = !language.is_empty()
            && language.len() <= 32
            && language
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !lang_ok {
            return Err(Error::invalid(format!(
                "language '{language}' is not valid: use lower-case letters, digits or '_' \
                 (e.g. \"python\", \"matlab\", \"c\")"
            )));
        }
        if name.trim().is_empty() || name.len() > 256 {
            return Err(Error::invalid(
                "a function name must be 1 to 256 characters and not blank",
            ));
        }
        if let Some(h) = source_hash {
            check_hash(h, "source hash")?;
        }
        if version.is_some_and(|v| v.is_empty()) {
            return Err(Error::invalid(
                "an explicit function version must not be empty",
            ));
        }
        if source_hash.is_none() && version.is_none() {
            return Err(Error::invalid(format!(
                "function '{name}' needs a source hash or an explicit version to be identified"
            )));
        }
        Ok(FunctionId {
            language: language.to_string(),
            name: name.to_string(),
            source_hash: source_hash.map(str::to_string),
            version: version.map(str::to_string),
        })
    }

    /// The identity hash (64 hex digits): language, name, and the version
    /// when one is given, else the source hash.
    pub fn hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(FUNCTION_DOMAIN);
        feed_str(&mut h, &self.language);
        feed_str(&mut h, &self.name);
        match (&self.version, &self.source_hash) {
            (Some(v), _) => {
                h.update(b"V");
                feed_str(&mut h, v);
            }
            (None, Some(s)) => {
                h.update(b"S");
                feed_str(&mut h, s);
            }
            // `new` requires one of the two.
            (None, None) => {
                h.update(b"-");
            }
        }
        h.finalize().to_hex().to_string()
    }
}

/// One input of a call: known by its content hash, and by the record it
/// was loaded from when it was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The parameter name.
    pub name: String,
    pub content_hash: String,
    /// The saved record the input is, when it is one.
    pub record_id: Option<String>,
    /// The value, when the caller handed it over (for the callback path).
    pub value: Option<Value>,
}

/// One call of a function: identity, inputs by name and constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub function: FunctionId,
    /// Outputs asked for; 0 when the function decides (a Python tuple
    /// unpacked), in which case `set_output_count` gives the count to save.
    pub n_outputs: u32,
    output_count: Option<u32>,
    inputs: Vec<Input>,
    /// Constants in the order given (parameter order, for display).
    constants: Vec<(String, MetaValue)>,
}

impl Call {
    /// A call of `function` asking for `n_outputs` outputs (0: the
    /// function decides), with no inputs or constants yet.
    pub fn new(function: FunctionId, n_outputs: u32) -> Self {
        Call {
            function,
            n_outputs,
            output_count: (n_outputs > 0).then_some(n_outputs),
            inputs: Vec::new(),
            constants: Vec::new(),
        }
    }

    /// The inputs, in the order they were added.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The constants, in the order they were added.
    pub fn constants(&self) -> &[(String, MetaValue)] {
        &self.constants
    }

    /// Checks that `name` is not empty and not taken by an input or constant.
    pub fn check_new_name(&self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid(
                "an input or constant name must not be empty",
            ));
        }
        let taken = self.inputs.iter().any(|i| i.name == name)
            || self.constants.iter().any(|(k, _)| k == name);
        if taken {
            return Err(Error::invalid(format!(
                "'{name}' is given twice (each input and constant needs its own name)"
            )));
        }
        Ok(())
    }

    /// Adds an input known by its content hash (and record id, when saved).
    pub fn add_input(
        &mut self,
        name: &str,
        content_hash: &str,
        record_id: Option<&str>,
        value: Option<Value>,
    ) -> Result<()> {
        self.check_new_name(name)?;
        check_hash(content_hash, &format!("content hash of input '{name}'"))?;
        self.inputs.push(Input {
            name: name.to_string(),
            content_hash: content_hash.to_string(),
            record_id: record_id.map(str::to_string),
            value,
        });
        Ok(())
    }

    /// Adds an input given as a value (hashed here).
    pub fn add_input_value(&mut self, name: &str, value: Value) -> Result<()> {
        value
            .validate()
            .map_err(|e| e.context(format!("input '{name}'")))?;
        let hash = content_hash(&value);
        self.add_input(name, &hash, None, Some(value))
    }

    /// Adds a constant. Its name becomes a metadata key of the saved
    /// results, so it must be a valid, unreserved metadata key.
    pub fn add_constant(&mut self, name: &str, value: MetaValue) -> Result<()> {
        self.check_new_name(name)?;
        metadata::validate_key(name).map_err(|e| {
            e.context(format!(
                "constant '{name}' becomes a metadata key of the saved result"
            ))
        })?;
        self.constants.push((name.to_string(), value));
        Ok(())
    }

    /// Sets the number of outputs of a call made with `n_outputs` 0, once
    /// the function has run and the count is known.
    pub fn set_output_count(&mut self, count: u32) -> Result<()> {
        if count == 0 {
            return Err(Error::invalid("a call has at least one output"));
        }
        if self.n_outputs > 0 && self.n_outputs != count {
            return Err(Error::invalid(format!(
                "the call was described with {} outputs, not {count}",
                self.n_outputs
            )));
        }
        self.output_count = Some(count);
        Ok(())
    }

    /// The number of outputs, when known.
    pub fn output_count(&self) -> Option<u32> {
        self.output_count
    }

    /// The cache key (64 hex digits). Inputs and constants are fed sorted
    /// by name, so the order they were given in does not matter.
    pub fn key(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(CALL_DOMAIN);
        feed_str(&mut h, &self.function.hash());
        h.update(&self.n_outputs.to_le_bytes());
        let mut inputs: Vec<&Input> = self.inputs.iter().collect();
        inputs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        h.update(&(inputs.len() as u64).to_le_bytes());
        for i in inputs {
            feed_str(&mut h, &i.name);
            feed_str(&mut h, &i.content_hash);
        }
        let mut constants: Vec<&(String, MetaValue)> = self.constants.iter().collect();
        constants.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        h.update(&(constants.len() as u64).to_le_bytes());
        for (name, value) in constants {
            feed_str(&mut h, name);
            feed_str(&mut h, &content_hash(&constant_value(value)));
        }
        h.finalize().to_hex().to_string()
    }
}

/// Parses constants given as a JSON object of numbers, text and booleans,
/// keeping their order.
pub fn parse_constants(json: &str) -> Result<Vec<(String, MetaValue)>> {
    parse_ordered_object(json, "constants")?
        .into_iter()
        .map(|(k, v)| Ok((k.clone(), MetaValue::from_json(&k, &v)?)))
        .collect()
}

/// The value a constant is hashed as: integers as int64 scalars, other
/// numbers as float64 scalars, booleans as bool scalars, text as strings.
/// Metadata numbers are canonical, so MATLAB's 20 (a double) and Python's
/// 20 (an int) are the same constant.
pub(crate) fn constant_value(v: &MetaValue) -> Value {
    let scalar = |dtype, bytes: &[u8]| {
        Value::Array(Array {
            dtype,
            shape: Vec::new(),
            data: bytes.to_vec().into(),
            scalar: true,
        })
    };
    match v {
        MetaValue::Int(i) => scalar(DType::Int64, &i.to_le_bytes()),
        MetaValue::Float(f) => scalar(DType::Float64, &f.to_le_bytes()),
        MetaValue::Bool(b) => scalar(DType::Bool, &[*b as u8]),
        MetaValue::Text(s) => Value::String(s.clone()),
    }
}

/// Checks a 64-hex-digit hash given by a caller.
fn check_hash(h: &str, what: &str) -> Result<()> {
    if h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what} '{h}' is not 64 lower-case hex digits"
        )))
    }
}

fn feed_str(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(version: Option<&str>) -> FunctionId {
        FunctionId::new("python", "filt", Some(&"a".repeat(64)), version).unwrap()
    }

    fn call() -> Call {
        let mut c = Call::new(f(None), 1);
        c.add_input("signal", &"1".repeat(64), Some("r1"), None)
            .unwrap();
        c.add_constant("low_hz", MetaValue::Int(20)).unwrap();
        c
    }

    #[test]
    fn version_overrides_source() {
        let a = FunctionId::new("c", "g", Some(&"a".repeat(64)), Some("1")).unwrap();
        let b = FunctionId::new("c", "g", Some(&"b".repeat(64)), Some("1")).unwrap();
        assert_eq!(a.hash(), b.hash());
        assert_ne!(f(None).hash(), f(Some("1")).hash());
        assert_ne!(f(Some("1")).hash(), f(Some("2")).hash());
        assert!(FunctionId::new("c", "g", None, None).is_err());
        assert!(FunctionId::new("C++", "g", None, Some("1")).is_err());
        assert!(FunctionId::new("c", "g", Some("xyz"), None).is_err());
    }

    #[test]
    fn key_depends_on_everything_but_order_and_record_ids() {
        let base = call().key();
        let mut reordered = Call::new(f(None), 1);
        reordered
            .add_constant("low_hz", MetaValue::Int(20))
            .unwrap();
        reordered
            .add_input("signal", &"1".repeat(64), Some("other"), None)
            .unwrap();
        assert_eq!(reordered.key(), base);

        let mut other_input = Call::new(f(None), 1);
        other_input
            .add_input("signal", &"2".repeat(64), None, None)
            .unwrap();
        other_input
            .add_constant("low_hz", MetaValue::Int(20))
            .unwrap();
        assert_ne!(other_input.key(), base);

        let mut renamed = Call::new(f(None), 1);
        renamed.add_input("x", &"1".repeat(64), None, None).unwrap();
        renamed.add_constant("low_hz", MetaValue::Int(20)).unwrap();
        assert_ne!(renamed.key(), base);

        let mut other_const = call();
        other_const.constants[0].1 = MetaValue::Float(20.5);
        assert_ne!(other_const.key(), base);

        let mut text_const = call();
        text_const.constants[0].1 = MetaValue::Text("20".into());
        assert_ne!(text_const.key(), base);

        let mut two_outputs = call();
        two_outputs.n_outputs = 2;
        assert_ne!(two_outputs.key(), base);

        let mut versioned = call();
        versioned.function = f(Some("2"));
        assert_ne!(versioned.key(), base);
    }

    #[test]
    fn names_are_checked() {
        let mut c = call();
        assert!(c.add_input("signal", &"1".repeat(64), None, None).is_err());
        assert!(c.add_constant("signal", MetaValue::Int(1)).is_err());
        let e = c.add_constant("version", MetaValue::Int(1)).unwrap_err();
        assert!(e.message.contains("reserved"), "{}", e.message);
        assert!(c.add_input("x", "nothex", None, None).is_err());
    }

    #[test]
    fn output_count() {
        let mut c = Call::new(f(None), 0);
        assert_eq!(c.output_count(), None);
        c.set_output_count(3).unwrap();
        assert_eq!(c.output_count(), Some(3));
        let mut fixed = Call::new(f(None), 2);
        assert!(fixed.set_output_count(3).is_err());
        assert!(fixed.set_output_count(0).is_err());
    }
}
