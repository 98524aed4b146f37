//! Parsing a JSON object while keeping its key order (serde_json's own map
//! sorts keys). Constants are shown in the order the caller gave them.

use crate::error::{Error, Result};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value as Json;
use std::fmt;

struct Ordered(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Json>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The entries of a JSON object, in the order they appear.
pub fn parse_ordered_object(json: &str, what: &str) -> Result<Vec<(String, Json)>> {
    serde_json::from_str::<Ordered>(json)
        .map(|o| o.0)
        .map_err(|e| Error::invalid(format!("{what} must be a JSON object: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order() {
        let entries = parse_ordered_object(r#"{"b": 1, "a": "x"}"#, "c").unwrap();
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a"]);
        assert!(parse_ordered_object("[1]", "c").is_err());
        assert!(parse_ordered_object("{", "c").is_err());
    }
}
