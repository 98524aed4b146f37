//! Metadata: the keys a record is saved and found by.
//!
//! Metadata crosses the C ABI as a JSON object. Values are numbers, strings
//! or booleans; in a query a JSON array means "any of". Numbers are exact
//! and canonical: integers must fit int64, other numbers must be the
//! shortest text of a float64 (anything else is refused rather than
//! rounded), and a float with an integral value (MATLAB's `1`) equals the
//! integer (Python's `1`), so the two languages find each other's records.

use crate::error::{Error, ErrorKind, Result};
use crate::value::{Array, DType, Value};
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Metadata keys scidb uses itself; a user may not save under them.
pub const RESERVED_KEYS: &[&str] = &[
    "record_id",
    "version",
    "value",
    "data",
    "content_hash",
    "saved_at",
    "variable",
    "as_df",
    "metadata",
];

/// One metadata value, canonical.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// Saved metadata: key → value, sorted by key.
pub type Metadata = BTreeMap<String, MetaValue>;

/// A query: key → the values any of which matches.
pub type Query = BTreeMap<String, Vec<MetaValue>>;

/// Largest integer a float holds exactly; beyond it floats stay floats.
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0;

impl MetaValue {
    pub(crate) fn from_json(key: &str, v: &Json) -> Result<Self> {
        match v {
            Json::Bool(b) => Ok(MetaValue::Bool(*b)),
            Json::String(s) => Ok(MetaValue::Text(s.clone())),
            Json::Number(n) => number_from_text(key, &n.to_string()),
            other => Err(Error::invalid(format!(
                "metadata '{key}' must be a number, string or boolean, got {}",
                json_kind(other)
            ))),
        }
    }

    /// A float, canonicalized to an integer when it holds one exactly.
    pub fn from_f64(f: f64) -> Self {
        if f.fract() == 0.0 && f.abs() <= EXACT_INT_LIMIT && !(f == 0.0 && f.is_sign_negative()) {
            MetaValue::Int(f as i64)
        } else {
            MetaValue::Float(f)
        }
    }

    /// The canonical JSON text stored in the database and compared in SQL.
    pub fn canonical(&self) -> String {
        self.to_json().to_string()
    }

    pub fn to_json(&self) -> Json {
        match self {
            MetaValue::Bool(b) => Json::Bool(*b),
            MetaValue::Int(i) => Json::from(*i),
            MetaValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            MetaValue::Text(s) => Json::String(s.clone()),
        }
    }

    /// Parses canonical JSON text as stored in the database.
    pub fn parse_canonical(text: &str) -> Result<Self> {
        let v: Json = serde_json::from_str(text)
            .map_err(|e| Error::corrupt(format!("stored metadata '{text}' is not JSON: {e}")))?;
        Self::from_json("stored", &v)
    }

    /// Which SQL-facing kind the value is, for the variable's view.
    pub fn kind_name(&self) -> &'static str {
        match self {
            MetaValue::Bool(_) => "bool",
            MetaValue::Int(_) => "int",
            MetaValue::Float(_) => "float",
            MetaValue::Text(_) => "text",
        }
    }

    /// A total order for presenting results: booleans, then numbers by value,
    /// then text.
    pub fn sort_cmp(&self, other: &Self) -> Ordering {
        fn rank(v: &MetaValue) -> u8 {
            match v {
                MetaValue::Bool(_) => 0,
                MetaValue::Int(_) | MetaValue::Float(_) => 1,
                MetaValue::Text(_) => 2,
            }
        }
        fn num(v: &MetaValue) -> f64 {
            match v {
                MetaValue::Int(i) => *i as f64,
                MetaValue::Float(f) => *f,
                _ => 0.0,
            }
        }
        match (self, other) {
            (MetaValue::Bool(a), MetaValue::Bool(b)) => a.cmp(b),
            (MetaValue::Int(a), MetaValue::Int(b)) => a.cmp(b),
            (MetaValue::Text(a), MetaValue::Text(b)) => a.cmp(b),
            (a, b) if rank(a) == 1 && rank(b) == 1 => {
                num(a).partial_cmp(&num(b)).unwrap_or(Ordering::Equal)
            }
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

impl std::fmt::Display for MetaValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaValue::Text(s) => write!(f, "'{s}'"),
            other => f.write_str(&other.canonical()),
        }
    }
}

/// Significant digits that name any float64 (C's `%.17g`).
const FLOAT64_DIGITS: usize = 17;

/// A JSON number, exactly as written (serde_json keeps the text: feature
/// `arbitrary_precision`). Integers must fit int64. Any other number is a
/// float64: its text must have at most 17 significant digits (what every
/// language prints for a float64) or be the float64's exact value. A
/// longer text would be rounded, so numbers that differ beyond float64
/// precision (2^63 + 1 written as 9223372036854775809.0) would silently
/// become one metadata value.
fn number_from_text(key: &str, text: &str) -> Result<MetaValue> {
    if !text.contains(['.', 'e', 'E']) {
        return text.parse::<i64>().map(MetaValue::Int).map_err(|_| {
            Error::invalid(format!(
                "metadata '{key}': the integer {text} is outside the int64 range ({} to {}); \
                 metadata integers are kept exactly as int64, so give a larger number as text \
                 or as a float",
                i64::MIN,
                i64::MAX
            ))
        });
    }
    // Rust's float parsing rounds correctly (serde_json's default does not).
    let f: f64 = text
        .parse()
        .map_err(|_| Error::invalid(format!("metadata '{key}': {text} is not a number")))?;
    if !f.is_finite() {
        return Err(Error::invalid(format!(
            "metadata '{key}': {text} is beyond the float64 range"
        )));
    }
    let held = match decimal(text) {
        Some((_, digits, _)) if digits.is_empty() => true,
        // Underflow to zero.
        Some(_) if f == 0.0 => false,
        Some((_, digits, _)) if digits.len() <= FLOAT64_DIGITS => true,
        // Longer: only the exact value (a float64 has at most 767 digits).
        given => given.is_some() && decimal(&format!("{f:.800e}")) == given,
    };
    if held {
        return Ok(MetaValue::from_f64(f));
    }
    Err(Error::invalid(format!(
        "metadata '{key}': {text} has more significant digits than a float64 holds (17), so \
         numbers that differ beyond them would be stored as one value; give {} (the float64 \
         it rounds to) or give the number as text",
        MetaValue::from_f64(f).canonical()
    )))
}

/// The decimal value of a JSON number's text, normalized: (negative,
/// significant digits, exponent) meaning 0.digits x 10^exponent; zero has
/// no digits. None when the exponent does not fit.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int_part}{frac_part}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return Some((negative, String::new(), 0));
    }
    let point = exp
        .checked_add(int_part.len() as i64)?
        .checked_sub(leading as i64)?;
    Some((negative, digits.to_string(), point))
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// Checks a name that will reach SQL as an identifier (a variable type or a
/// metadata key): a letter, then letters, digits or underscores.
pub fn validate_identifier(what: &str, name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let ok_rest = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_first || !ok_rest || name.len() > 63 {
        return Err(Error::invalid(format!(
            "{what} '{name}' is not a valid name: use a letter followed by letters, digits or \
             underscores (at most 63 characters)"
        )));
    }
    Ok(())
}

/// Checks a metadata key: a valid identifier that scidb does not reserve.
pub fn validate_key(key: &str) -> Result<()> {
    if RESERVED_KEYS.contains(&key) {
        return Err(Error::new(
            ErrorKind::ReservedKey,
            format!(
                "metadata key '{key}' is reserved by scidb (reserved: {})",
                RESERVED_KEYS.join(", ")
            ),
        ));
    }
    validate_identifier("metadata key", key)
}

fn parse_object(json: &str, what: &str) -> Result<serde_json::Map<String, Json>> {
    match serde_json::from_str::<Json>(json) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(other) => Err(Error::invalid(format!(
            "{what} must be a JSON object, got {}",
            json_kind(&other)
        ))),
        Err(e) => Err(Error::invalid(format!("{what} is not valid JSON: {e}"))),
    }
}

/// Parses the metadata of a save: an object of scalar values.
pub fn parse_metadata(json: &str) -> Result<Metadata> {
    let mut out = Metadata::new();
    for (k, v) in parse_object(json, "metadata")? {
        validate_key(&k)?;
        if v.is_array() {
            return Err(Error::invalid(format!(
                "metadata '{k}': a saved record has one value per key, got a list"
            )));
        }
        out.insert(k.clone(), MetaValue::from_json(&k, &v)?);
    }
    Ok(out)
}

/// Parses a query: an object whose values are scalars or lists of scalars.
/// What a load asks for: records matching a query, or exactly one record
/// by id (`{"version": "<record id>"}`, the seed's `load(version=...)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Matching(Query),
    Record(String),
}

/// Parses a load's JSON object into a [`Selection`]: a `version` key (a
/// record id, alone) selects that record; anything else is a query. The
/// one place every binding's `version=` is decided.
pub fn parse_selection(json: &str) -> Result<Selection> {
    let map = parse_object(json, "query")?;
    let Some(version) = map.get("version") else {
        return parse_query(json).map(Selection::Matching);
    };
    if map.len() != 1 {
        return Err(Error::invalid(
            "version (a record id) selects one record and takes no other metadata",
        ));
    }
    match version {
        Json::String(id) if id.contains('\0') => Err(Error::invalid(
            "version (a record id) holds a NUL character, which no record id has",
        )),
        Json::String(id) => Ok(Selection::Record(id.clone())),
        other => Err(Error::invalid(format!(
            "version must be a record id (text), got {}",
            json_kind(other)
        ))),
    }
}

pub fn parse_query(json: &str) -> Result<Query> {
    let mut out = Query::new();
    for (k, v) in parse_object(json, "query")? {
        validate_key(&k)?;
        let values = match &v {
            Json::Array(items) => {
                if items.is_empty() {
                    return Err(Error::invalid(format!(
                        "query '{k}': an empty list matches nothing"
                    )));
                }
                items
                    .iter()
                    .map(|i| MetaValue::from_json(&k, i))
                    .collect::<Result<Vec<_>>>()?
            }
            scalar => vec![MetaValue::from_json(&k, scalar)?],
        };
        out.insert(k, values);
    }
    Ok(out)
}

/// The canonical JSON object of some metadata (keys sorted).
pub fn to_json_object(meta: &Metadata) -> String {
    let map: serde_json::Map<String, Json> =
        meta.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    Json::Object(map).to_string()
}

/// Parses a canonical JSON object written by [`to_json_object`].
pub fn from_json_object(json: &str) -> Result<Metadata> {
    let mut out = Metadata::new();
    for (k, v) in parse_object(json, "stored metadata")? {
        let mv = MetaValue::from_json(&k, &v)?;
        out.insert(k, mv);
    }
    Ok(out)
}

/// The JSON object text of metadata (or of a query) given as a map value,
/// the form bindings that build values rather than JSON hold it in (MATLAB's
/// name-value pairs). One-element arrays are numbers or booleans, strings
/// are text; longer arrays and lists become JSON lists, which a query reads
/// as "any of" and a save refuses. The text is then parsed and checked by
/// [`parse_metadata`] or [`parse_query`] like any other.
pub fn json_from_map_value(value: &Value) -> Result<String> {
    let Value::Map(entries) = value else {
        return Err(Error::type_mismatch(format!(
            "metadata must be a map of names to values, got a {}",
            value.kind_name()
        )));
    };
    let mut object = serde_json::Map::new();
    for (key, v) in entries {
        let json = match v {
            Value::Array(a) if a.element_count() == 1 => scalar_json(key, a, 0)?,
            Value::Array(a) => Json::Array(
                (0..a.element_count() as usize)
                    .map(|i| scalar_json(key, a, i))
                    .collect::<Result<_>>()?,
            ),
            Value::List(items) => Json::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Array(a) if a.element_count() == 1 => scalar_json(key, a, 0),
                        Value::String(s) => Ok(Json::String(s.clone())),
                        other => Err(not_scalar(key, other)),
                    })
                    .collect::<Result<_>>()?,
            ),
            Value::String(s) => Json::String(s.clone()),
            other => return Err(not_scalar(key, other)),
        };
        if object.insert(key.clone(), json).is_some() {
            return Err(Error::invalid(format!("metadata '{key}' is given twice")));
        }
    }
    Ok(Json::Object(object).to_string())
}

fn not_scalar(key: &str, v: &Value) -> Error {
    Error::invalid(format!(
        "metadata '{key}' must be a number, text or logical value, got {}",
        v.describe()
    ))
}

/// Element `i` of an array as a JSON metadata scalar.
fn scalar_json(key: &str, a: &Array, i: usize) -> Result<Json> {
    let size = a.dtype.size();
    let bytes = &a.data[i * size..(i + 1) * size];
    let mut word = [0u8; 8];
    word[..size.min(8)].copy_from_slice(&bytes[..size.min(8)]);
    let json = match a.dtype {
        DType::Bool => Json::Bool(bytes[0] != 0),
        DType::Int8 => Json::from(bytes[0] as i8),
        DType::Int16 => Json::from(i16::from_le_bytes([bytes[0], bytes[1]])),
        DType::Int32 => Json::from(i32::from_le_bytes([word[0], word[1], word[2], word[3]])),
        DType::Int64 => Json::from(i64::from_le_bytes(word)),
        DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::UInt64 => {
            let v = u64::from_le_bytes(word);
            Json::from(i64::try_from(v).map_err(|_| {
                Error::invalid(format!(
                    "metadata '{key}': {v} is outside the int64 range; metadata \
                             integers are kept exactly as int64"
                ))
            })?)
        }
        DType::Float32 | DType::Float64 => {
            let f = if a.dtype == DType::Float32 {
                f32::from_le_bytes([word[0], word[1], word[2], word[3]]) as f64
            } else {
                f64::from_le_bytes(word)
            };
            if !f.is_finite() {
                return Err(Error::invalid(format!(
                    "metadata '{key}' = {f} is not a finite number"
                )));
            }
            MetaValue::from_f64(f).to_json()
        }
        DType::Complex64 | DType::Complex128 => {
            return Err(Error::invalid(format!(
                "metadata '{key}' is complex; metadata values are real numbers, text or logical"
            )))
        }
    };
    Ok(json)
}

/// Metadata as a map value for bindings that read values rather than JSON:
/// schema keys first in schema order, then the other keys by name. Numbers
/// become float64 scalars (integers beyond 2^53 stay int64 so they are not
/// rounded), booleans bool scalars, text strings.
pub fn to_map_value(meta: &Metadata, schema_keys: &[String]) -> Value {
    let ordered = schema_keys
        .iter()
        .filter_map(|k| meta.get_key_value(k))
        .chain(meta.iter().filter(|(k, _)| !schema_keys.contains(k)));
    let scalar = |dtype, bytes: &[u8]| {
        Value::Array(Array {
            dtype,
            shape: Vec::new(),
            data: bytes.to_vec().into(),
            scalar: true,
        })
    };
    Value::Map(
        ordered
            .map(|(k, v)| {
                let value = match v {
                    MetaValue::Bool(b) => scalar(DType::Bool, &[*b as u8]),
                    MetaValue::Int(i) if (*i as f64).abs() <= EXACT_INT_LIMIT => {
                        scalar(DType::Float64, &(*i as f64).to_le_bytes())
                    }
                    MetaValue::Int(i) => scalar(DType::Int64, &i.to_le_bytes()),
                    MetaValue::Float(f) => scalar(DType::Float64, &f.to_le_bytes()),
                    MetaValue::Text(s) => Value::String(s.clone()),
                };
                (k.clone(), value)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_equal_integers() {
        let a = parse_metadata(r#"{"subject": 1.0, "s": 0.2}"#).unwrap();
        let b = parse_metadata(r#"{"subject": 1, "s": 0.2}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a["subject"].canonical(), "1");
        assert_eq!(a["s"].canonical(), "0.2");
    }

    #[test]
    fn numbers_are_exact_or_refused() {
        // Integers beyond int64 were rounded to floats: 2^63 and 2^63+1 collided.
        for big in [
            "9223372036854775808",
            "9223372036854775809",
            "1180591620717411303424",
        ] {
            let e = parse_metadata(&format!(r#"{{"big": {big}}}"#)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            assert!(
                e.message.contains("int64") && e.message.contains(big),
                "{}",
                e.message
            );
            assert!(parse_query(&format!(r#"{{"big": [1, {big}]}}"#)).is_err());
        }
        let edge = parse_metadata(r#"{"a": 9223372036854775807, "b": -9223372036854775808}"#);
        assert_eq!(edge.unwrap()["b"], MetaValue::Int(i64::MIN));
        // More digits than a float64 holds: two numbers would become one.
        for text in ["0.100000000000000001", "9223372036854775809.0", "1e-400"] {
            let e = parse_metadata(&format!(r#"{{"x": {text}}}"#)).unwrap_err();
            assert!(
                e.message.contains("more significant digits"),
                "{text}: {}",
                e.message
            );
        }
        // 17 digits (C's and MATLAB's %.17g) name a float64; so does its exact value.
        let two63 = MetaValue::Float(2f64.powi(63));
        for text in ["9223372036854775808.0", "9.2233720368547758e18"] {
            assert_eq!(
                parse_metadata(&format!(r#"{{"x": {text}}}"#)).unwrap()["x"],
                two63
            );
        }
        let exact = "0.1000000000000000055511151231257827021181583404541015625";
        assert_eq!(
            parse_metadata(&format!(r#"{{"x": {exact}}}"#)).unwrap()["x"],
            MetaValue::Float(0.1)
        );
        assert!(parse_metadata(r#"{"x": 1e400}"#).is_err());
        // Shortest float64 texts (what json.dumps writes) are kept exactly,
        // also those serde_json's default parser rounds wrongly.
        for f in [
            2f64.powi(70),
            0.1,
            5e-324,
            1.7976931348623157e308,
            2.2250738585072014e-308,
        ] {
            let text = format!(r#"{{"x": {}}}"#, MetaValue::Float(f).canonical());
            let m = parse_metadata(&text).unwrap();
            assert_eq!(m["x"], MetaValue::Float(f), "{text}");
            assert_eq!(
                MetaValue::parse_canonical(&m["x"].canonical()).unwrap(),
                m["x"]
            );
        }
        let same = |a: &str, b: &str| {
            let p = |t: &str| parse_metadata(&format!(r#"{{"x": {t}}}"#)).unwrap();
            assert_eq!(p(a), p(b), "{a} vs {b}");
        };
        same("0.2", "2e-1");
        same("0.2", "0.20000000000000001");
        same("0.20", "0.2");
        same("1e21", "1000000000000000000000.0");
        same("-0.0", "-0e0");
        assert_eq!(
            parse_metadata(r#"{"x": 1.5E+3}"#).unwrap()["x"],
            MetaValue::Int(1500)
        );
    }

    #[test]
    fn version_selects_one_record_alone() {
        let id = "0123456789abcdef0123456789abcdef";
        let sel = parse_selection(&format!(r#"{{"version": "{id}"}}"#)).unwrap();
        assert_eq!(sel, Selection::Record(id.to_string()));
        assert!(matches!(
            parse_selection(r#"{"subject": 1}"#).unwrap(),
            Selection::Matching(_)
        ));
        let e = parse_selection(&format!(r#"{{"version": "{id}", "subject": 1}}"#)).unwrap_err();
        assert!(e.message.contains("no other metadata"), "{}", e.message);
        assert!(parse_selection(r#"{"version": 3}"#).is_err());
        assert!(parse_selection(r#"{"version": "a\u0000b"}"#).is_err());
    }

    #[test]
    fn reserved_and_bad_keys_rejected() {
        let e = parse_metadata(r#"{"record_id": 1}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ReservedKey);
        let e = parse_metadata(r#"{"bad key": 1}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        let e = parse_metadata(r#"{"a": {"b": 1}}"#).unwrap_err();
        assert!(e.message.contains("an object"), "{}", e.message);
        assert!(parse_metadata("[1]").is_err());
        assert!(parse_metadata("{").is_err());
    }

    #[test]
    fn query_lists_mean_any_of() {
        let q = parse_query(r#"{"subject": [1, 2], "session": "a"}"#).unwrap();
        assert_eq!(q["subject"], vec![MetaValue::Int(1), MetaValue::Int(2)]);
        assert!(parse_query(r#"{"subject": []}"#).is_err());
    }

    #[test]
    fn map_values_become_metadata_json() {
        let num = |f: f64| Value::Array(Array::scalar(DType::Float64, &f.to_le_bytes()).unwrap());
        let map = Value::Map(vec![
            ("subject".into(), num(1.0)),
            ("session".into(), Value::String("baseline".into())),
            ("smoothing".into(), num(0.2)),
        ]);
        let meta = parse_metadata(&json_from_map_value(&map).unwrap()).unwrap();
        assert_eq!(meta["subject"], MetaValue::Int(1));
        assert_eq!(meta["smoothing"], MetaValue::Float(0.2));
        // Schema keys first, then the others by name.
        assert_eq!(to_map_value(&meta, &["subject".into()]), map);
        let Value::Map(entries) = to_map_value(&meta, &["smoothing".into()]) else {
            unreachable!()
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["smoothing", "session", "subject"]);
        let list = Value::Map(vec![(
            "subject".into(),
            Value::Array(
                Array::new(
                    DType::Int32,
                    vec![1, 2],
                    vec![1, 0, 0, 0, 2, 0, 0, 0],
                    false,
                )
                .unwrap(),
            ),
        )]);
        let q = parse_query(&json_from_map_value(&list).unwrap()).unwrap();
        assert_eq!(q["subject"], vec![MetaValue::Int(1), MetaValue::Int(2)]);
        assert!(parse_metadata(&json_from_map_value(&list).unwrap()).is_err());
        let nan = Value::Map(vec![("x".into(), num(f64::NAN))]);
        assert!(json_from_map_value(&nan)
            .unwrap_err()
            .message
            .contains("finite"));
        let nested = Value::Map(vec![("x".into(), Value::Null)]);
        assert!(json_from_map_value(&nested)
            .unwrap_err()
            .message
            .contains("'x'"));
    }
}
