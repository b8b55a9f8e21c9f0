//! `publish`: a client hands data to the backend services listening on a topic
//! (`im.client.<topic>`), with who sent it and from which connection.

use std::sync::Arc;

use super::{Invalid, Origin};
use crate::cluster::ClientPublish;
use crate::state::AppState;

/// The longest topic.
pub const MAX_TOPIC: usize = 64;

/// Whether `topic` is one services may listen on: `[a-z0-9._-]{1,64}`.
pub fn check_topic(topic: &str) -> Result<(), Invalid> {
    let valid = (1..=MAX_TOPIC).contains(&topic.len())
        && topic.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if valid {
        Ok(())
    } else {
        Err(Invalid::bad(
            "topic",
            "`topic` must match [a-z0-9._-]{1,64}",
        ))
    }
}

/// Publishes `data` on `topic` for `origin` and acknowledges it.
pub fn submit(
    state: &Arc<AppState>,
    origin: Origin,
    topic: String,
    data: serde_json::Value,
) -> Result<(), Invalid> {
    check_topic(&topic)?;
    state.delivery.bus.client_published(ClientPublish {
        topic,
        data,
        user_id: origin.user_id,
        tenant_id: origin.tenant_id,
        connection_id: origin
            .connection_id()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        node: state.node_name.clone(),
    });
    origin.done();
    Ok(())
}
