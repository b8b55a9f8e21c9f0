//! `sync`: a page of everything a user may see after a cursor, private and group messages in
//! one order, and what changed since (edits, recalls, reactions: the changed messages as they
//! are now; hides: their ids). A client syncs after every (re)connect; a reconnect storm
//! queues at the gate instead of exhausting the database pool.

use std::sync::Arc;
use std::time::Duration;

use super::{Invalid, Origin};
use crate::actors::user::MyGroups;
use crate::chat::wire::served;
use std::collections::BTreeSet;

use uuid::Uuid;

use crate::protocol::{Code, Id, Message, ServerFrame};
use crate::state::AppState;
use crate::store::{StoreError, StoredMessage, SyncCursor};

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
    match page(
        &state,
        origin.request_id.clone(),
        (tenant, user),
        &groups,
        cursor,
        limit,
    )
    .await
    {
        Ok(frame) => origin.reply(frame),
        Err(_) => origin.fail(Code::Unavailable),
    }
}

/// The `sync` frame of the page after `cursor`, answering request `id`: new messages and
/// changed ones as `user` may see them now (none the user hid), and the ids hidden since.
async fn page(
    state: &AppState,
    id: Option<String>,
    (tenant, user): (Option<Uuid>, Uuid),
    groups: &[(i64, i64)],
    cursor: SyncCursor,
    limit: u64,
) -> Result<ServerFrame, StoreError> {
    let page = state
        .store
        .sync(tenant, user, groups, cursor, limit)
        .await?;
    let mut hidden: BTreeSet<i64> = BTreeSet::new();
    let mut changed: Vec<i64> = Vec::new();
    for change in &page.changes {
        if change.hidden {
            hidden.insert(change.message_id);
        } else {
            changed.push(change.message_id);
        }
    }
    let mut changed = state.store.find_messages(tenant, &changed).await?;
    changed.sort_by_key(|m| m.message_id);
    let all: Vec<&StoredMessage> = page.messages.iter().chain(&changed).collect();
    let notes = state.store.annotations(tenant, user, &all).await?;
    let shown = |list: &[StoredMessage]| -> Vec<Message> {
        list.iter()
            .filter(|m| !notes.hidden.contains(&m.message_id))
            .map(|m| served(m, user, &notes))
            .collect()
    };
    Ok(ServerFrame::Sync {
        id,
        messages: shown(&page.messages),
        changes: shown(&changed),
        hidden: hidden.into_iter().map(Id).collect(),
        next: page.next.encode(),
        more: page.more,
    })
}
