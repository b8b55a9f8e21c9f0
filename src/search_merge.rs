//! On PostgreSQL, every pod merges the search indexes' pending lists into the indexes once a
//! second (migration 17). A send appends its words to a list; the merge, off the commit
//! path, sorts a second's worth of entries into the index at once. Several pods merging at
//! once take turns on the index; an insert does not wait for a merge to finish.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbBackend;

use crate::state::AppState;

/// How often a pod merges.
const EVERY: Duration = Duration::from_secs(1);

/// Starts merging on this pod (PostgreSQL only).
pub fn start(state: Arc<AppState>) {
    if state.store.backend() != DbBackend::Postgres {
        return;
    }
    actix_rt::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            if state.is_draining() {
                return;
            }
            if !state.schema_ready() {
                continue;
            }
            if let Err(e) = state.store.merge_search_pending().await {
                tracing::debug!(error = %e, "search index pending list not merged");
            }
        }
    });
}
