//! Message and group ids on the wire: 64-bit integers written as decimal strings, because
//! JavaScript cannot hold them as numbers. Numbers are accepted on input too.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every decimal from 1 to `i64::MAX`, the ids a client may send, as a JSON Schema pattern.
pub const ID_PATTERN: &str = "^([1-9][0-9]{0,17}|[1-8][0-9]{18}|9[0-1][0-9]{17}|92[0-1][0-9]{16}|922[0-2][0-9]{15}|9223[0-2][0-9]{14}|92233[0-6][0-9]{13}|922337[0-1][0-9]{12}|92233720[0-2][0-9]{10}|922337203[0-5][0-9]{9}|9223372036[0-7][0-9]{8}|92233720368[0-4][0-9]{7}|922337203685[0-3][0-9]{6}|9223372036854[0-6][0-9]{5}|92233720368547[0-6][0-9]{4}|922337203685477[0-4][0-9]{3}|9223372036854775[0-7][0-9]{2}|922337203685477580[0-6]|9223372036854775807)$";

/// A Snowflake id as it travels in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub i64);

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a positive 64-bit id as a decimal string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Id)
                    .ok_or_else(|| E::custom("not a positive 64-bit id"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Id)
                    .ok_or_else(|| E::custom("not a positive 64-bit id"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                (v > 0)
                    .then_some(Id(v))
                    .ok_or_else(|| E::custom("not a positive 64-bit id"))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("a 64-bit id as a decimal string"))
            .pattern(Some(ID_PATTERN))
            .examples([serde_json::json!("7301234567890123456")])
            .into()
    }
}

impl utoipa::ToSchema for Id {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_pattern_is_what_deserializes() {
        let pattern = regex_lite::Regex::new(ID_PATTERN).unwrap();
        for text in [
            "1",
            "42",
            "7301234567890123456",
            "9223372036854775807",
            "0",
            "-1",
            "9223372036854775808",
            "99999999999999999999",
            "1.5",
            "",
        ] {
            let parsed = serde_json::from_value::<Id>(serde_json::json!(text)).is_ok();
            assert_eq!(pattern.is_match(text), parsed, "{text}");
        }
    }
}
