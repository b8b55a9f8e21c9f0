//! What keeps notifications in order on every pod: the built-in definitions saved once the
//! schema is ready, and expired notifications swept every half minute.

use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// How many expired notifications one sweep deletes at most.
const SWEEP_BATCH: u64 = 1000;

/// Starts the upkeep on this pod.
pub fn start(state: Arc<AppState>) {
    actix_rt::spawn(run(state));
}

async fn run(state: Arc<AppState>) {
    let mut wait = Duration::from_millis(100);
    loop {
        if state.schema_ready() {
            match super::builtin::ensure(&state.store).await {
                Ok(()) => break,
                Err(e) => tracing::warn!(error = %e, "built-in notifications not saved yet"),
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    loop {
        if state.is_draining() {
            return;
        }
        loop {
            match state
                .store
                .sweep_expired_notifications(crate::state::now_millis(), SWEEP_BATCH)
                .await
            {
                Ok(n) if n == SWEEP_BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "expired notifications not swept");
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
}
