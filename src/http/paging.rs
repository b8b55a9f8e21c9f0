//! ABP paging: `skipCount` + `maxResultCount` (default 10, at most 1000), answered as
//! `{totalCount, items}`.

use serde::{Deserialize, Serialize};

/// The paging part of a query string.
#[derive(Clone, Copy, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    #[serde(default)]
    pub skip_count: u64,
    #[serde(default = "default_max")]
    pub max_result_count: u64,
}

fn default_max() -> u64 {
    10
}

impl Paging {
    /// How many to skip and take, with the maximum enforced. A skip past ABP's own limit (a
    /// .NET `int`) is an empty page, not a number the database driver cannot bind.
    pub fn window(&self) -> (u64, u64) {
        (
            self.skip_count.min(i32::MAX as u64),
            self.max_result_count.clamp(1, 1000),
        )
    }
}

/// A page of results.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T: Serialize> {
    pub total_count: u64,
    pub items: Vec<T>,
}
