//! Retention: with `retention.message_days` set, every pod deletes, once a minute (the first
//! time ten seconds after it starts), the messages older than that, a batch
//! (`retention.batch_size`) per transaction, pausing after each as long as it took, so sends are
//! never held up for long (`store::retention` says what goes with them).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::state::AppState;

/// Starts the sweep on this pod, if retention is on.
pub fn start(state: Arc<AppState>) {
    if state.config.retention.message_days == 0 {
        return;
    }
    actix_rt::spawn(async move {
        // The first sweep soon after the start, then one a minute.
        let mut wait = Duration::from_secs(10);
        loop {
            tokio::time::sleep(wait).await;
            wait = Duration::from_secs(60);
            if state.is_draining() {
                return;
            }
            if state.schema_ready() {
                let days = i64::from(state.config.retention.message_days);
                let cutoff = crate::state::now_millis() - chrono::Duration::days(days);
                let started = std::time::Instant::now();
                match sweep(&state, cutoff).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        deleted = n,
                        seconds = started.elapsed().as_secs_f64(),
                        "old messages deleted"
                    ),
                    Err(e) => tracing::warn!(error = %e, "old messages not deleted"),
                }
            }
        }
    });
}

/// Deletes every message written before `cutoff`, a batch at a time; how many went.
pub async fn sweep(state: &AppState, cutoff: DateTime<Utc>) -> Result<u64, String> {
    let batch = u64::from(state.config.retention.batch_size);
    let mut gone = 0;
    let mut after = [0i64; 2];
    loop {
        let started = std::time::Instant::now();
        let n = state
            .store
            .expire_messages(cutoff, batch, &mut after)
            .await
            .map_err(|e| e.to_string())?;
        gone += n;
        if n == 0 {
            return Ok(gone);
        }
        // As long a pause as the batch took: the sweep takes at most half of the database's
        // and the pod's time, whatever the backlog.
        tokio::time::sleep(started.elapsed()).await;
    }
}
