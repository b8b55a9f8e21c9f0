//! Message and group ids on the wire: 64-bit integers written as decimal strings, because
//! JavaScript cannot hold them as numbers. Numbers are accepted on input too.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
            .examples([serde_json::json!("7301234567890123456")])
            .into()
    }
}

impl utoipa::ToSchema for Id {}
