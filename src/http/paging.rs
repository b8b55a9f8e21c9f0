//! ABP paging: `skipCount` + `maxResultCount` (default 10, at most 1000), answered as
//! `{totalCount, items}`.

use serde::{Deserialize, Serialize};

/// The paging part of a query string.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    #[serde(default, deserialize_with = "number")]
    pub skip_count: u64,
    #[serde(default = "default_max", deserialize_with = "number")]
    pub max_result_count: u64,
}

/// A number from a query string. Query values are text, and inside a flattened struct serde
/// no longer converts them, so both forms are read here.
pub fn number<'de, D: serde::Deserializer<'de>, T: std::str::FromStr + serde::Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Text(String),
        Number(T),
    }
    match Either::<T>::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(s) => s
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a number"))),
    }
}

/// An optional number from a query string (see [`number`]).
pub fn optional_number<
    'de,
    D: serde::Deserializer<'de>,
    T: std::str::FromStr + serde::Deserialize<'de>,
>(
    d: D,
) -> Result<Option<T>, D::Error> {
    number(d).map(Some)
}

fn default_max() -> u64 {
    10
}

impl Paging {
    /// How many to skip and take, with the maximum enforced.
    pub fn window(&self) -> (u64, u64) {
        (self.skip_count, self.max_result_count.clamp(1, 1000))
    }
}

/// A page of results.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T: Serialize> {
    pub total_count: u64,
    pub items: Vec<T>,
}
