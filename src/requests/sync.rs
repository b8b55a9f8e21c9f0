//! `sync`: a page of everything a user may see after a cursor, private and group messages in
//! one order. A client syncs after every (re)connect; a reconnect storm queues at the gate
//! instead of exhausting the database pool.

use std::sync::Arc;
use std::time::Duration;

use super::{Invalid, Origin};
use crate::actors::user::MyGroups;
use crate::chat::wire::served;
use crate::protocol::{Code, ServerFrame};
use crate::state::AppState;
use crate::store::SyncCursor;

/// The default and the largest page.
pub const DEFAULT_LIMIT: u32 = 200;
pub const MAX_LIMIT: u32 = 1000;

/// How long a sync waits for its turn before it answers `IM:Unavailable`.
const TURN_WAIT: Duration = Duration::from_secs(30);

/// The cursor and page size a request names: no cursor (or an empty one) is the beginning; a
/// limit is clamped to 1..=1000.
pub fn check(after: Option<&str>, limit: Option<u32>) -> Result<(SyncCursor, u64), Invalid> {
    let cursor = match after {
        None | Some("") => SyncCursor::default(),
        Some(text) => SyncCursor::decode(text)
            .ok_or_else(|| Invalid::bad("after", "`after` is not a cursor this server gave"))?,
    };
    let limit = u64::from(limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT));
    Ok((cursor, limit))
}

/// Answers `origin` with the page after `cursor`.
pub async fn run(state: Arc<AppState>, origin: Origin, cursor: SyncCursor, limit: u64) {
    let Ok(Ok(_turn)) = tokio::time::timeout(TURN_WAIT, state.sync_gate.acquire()).await else {
        return origin.fail(Code::Unavailable);
    };
    let (tenant, user) = (origin.tenant_id, origin.user_id);
    let Ok(Some(groups)) = state
        .delivery
        .supervisor
        .user(&state, (tenant, user))
        .send(MyGroups)
        .await
    else {
        return origin.fail(Code::Unavailable);
    };
    match state.store.sync(tenant, user, &groups, cursor, limit).await {
        Ok(page) => origin.reply(ServerFrame::Sync {
            id: origin.request_id.clone(),
            messages: page.messages.iter().map(|m| served(m, user)).collect(),
            next: page.next.encode(),
            more: page.more,
        }),
        Err(_) => origin.fail(Code::Unavailable),
    }
}
