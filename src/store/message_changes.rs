//! The change feed: one row for each thing that happens to a stored message after it was
//! sent (an edit, a recall, a reaction, a hide), written in the transaction that makes the
//! change, and walked by `sync` in commit order after the client's cursor. A client that was
//! away learns what changed without reading its history again.

use chrono::Utc;
use entity::message_change;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::{after, Conversation};
use super::private_walk::PG_HORIZON;
use super::{Store, StoreError};

/// What happened to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i16)]
pub enum ChangeKind {
    Edited = 1,
    Recalled = 2,
    Reaction = 3,
    Hidden = 4,
}

/// A change as the feed holds it.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub message_id: i64,
    pub hidden: bool,
}

/// The row recording `kind` for a message of `to` sent by `from`: seen by the conversation's
/// parties, or (a hide) by `only` alone.
pub(super) fn row(
    tenant_id: Option<Uuid>,
    message_id: i64,
    from: Option<Uuid>,
    to: Conversation,
    kind: ChangeKind,
    only: Option<Uuid>,
) -> message_change::ActiveModel {
    let (group_id, user_id, peer_user_id) = match (only, to) {
        (Some(user), _) => (None, Some(user), None),
        (None, Conversation::Group(group)) => (Some(group), None, None),
        (None, Conversation::User(receiver)) => (None, from, Some(receiver)),
    };
    message_change::ActiveModel {
        tenant_id: Set(tenant_id),
        message_id: Set(message_id),
        group_id: Set(group_id),
        user_id: Set(user_id),
        peer_user_id: Set(peer_user_id),
        kind: Set(kind as i16),
        creation_time: Set(Utc::now()),
        ..Default::default()
    }
}

/// Writes `rows` in the caller's transaction.
pub(super) async fn record<C: ConnectionTrait>(
    db: &C,
    rows: Vec<message_change::ActiveModel>,
) -> Result<(), StoreError> {
    if !rows.is_empty() {
        message_change::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Up to `limit` changes `user` may see after `pos`, in commit order, and the position
    /// of the last: changes to the user's private messages, to messages of `groups` (each
    /// from the first id the user may see there), and the user's own hides.
    pub(super) async fn changes_after(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        groups: &[(i64, i64)],
        pos: (i64, i64),
        limit: u64,
    ) -> Result<(Vec<Change>, Option<(i64, i64)>), StoreError> {
        use message_change::Column as C;
        let mut whose = Condition::any()
            .add(C::UserId.eq(user))
            .add(C::PeerUserId.eq(user));
        for (group, first) in groups {
            whose = whose.add(
                Condition::all()
                    .add(C::GroupId.eq(*group))
                    .add(C::MessageId.gte(*first)),
            );
        }
        let mut query = message_change::Entity::find()
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(whose)
            .filter(after(C::TxId, C::Id, pos));
        if self.backend() == DbBackend::Postgres {
            query = query.filter(Expr::col(C::TxId).lt(Expr::cust(PG_HORIZON)));
        }
        let rows = query
            .order_by_asc(C::TxId)
            .order_by_asc(C::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let last = rows.last().map(|r| (r.tx_id, r.id));
        let changes = rows
            .into_iter()
            .map(|r| Change {
                message_id: r.message_id,
                hidden: r.kind == ChangeKind::Hidden as i16,
            })
            .collect();
        Ok((changes, last))
    }
}
