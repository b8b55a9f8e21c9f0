//! What a session may have missed live while the other pods learned where it is: the
//! messages to a user committed since a point taken when the user's first session on this pod
//! opened. Read once per such session, through the sync indexes, with no horizon: everything
//! committed by the time of the read counts (what commits later is routed live).

use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::{after, visible_in};
use super::{Store, StoreError, StoredMessage, SyncCursor};
use entity::{group_message, user_message};

/// Not sent by `user` (a system message has no sender).
fn not_by(creator: impl ColumnTrait, user: Uuid) -> Condition {
    Condition::any()
        .add(creator.is_null())
        .add(creator.ne(user))
}

/// The most messages of each kind one catch-up reads.
const LIMIT: u64 = 500;

impl Store {
    /// Where the commit order stands now: every message committed from here on is after it.
    pub async fn commit_point(&self) -> Result<SyncCursor, StoreError> {
        if self.backend() == DbBackend::Postgres {
            // A transaction that commits later is still running now, so its id is at least
            // the oldest running one.
            let horizon = self.stable_horizon().await?;
            return Ok(SyncCursor {
                user: (horizon - 1, i64::MAX),
                group: (horizon - 1, i64::MAX),
                ..Default::default()
            });
        }
        // SQLite commits one writer at a time: the last row's place is where the order stands.
        let user = self
            .last_position::<user_message::Entity>(
                user_message::Column::TxId,
                user_message::Column::Id,
            )
            .await?;
        let group = self
            .last_position::<group_message::Entity>(
                group_message::Column::TxId,
                group_message::Column::Id,
            )
            .await?;
        Ok(SyncCursor {
            user,
            group,
            ..Default::default()
        })
    }

    /// The (TxId, Id) of a table's last row, or a place before every row when it is empty.
    async fn last_position<E: EntityTrait>(
        &self,
        tx: E::Column,
        id: E::Column,
    ) -> Result<(i64, i64), StoreError> {
        let last = E::find()
            .select_only()
            .column(tx)
            .column(id)
            .order_by_desc(id)
            .into_tuple::<(i64, i64)>()
            .one(&self.db)
            .await?;
        Ok(last.unwrap_or((i64::MIN, i64::MIN)))
    }

    /// The messages others sent `user` (privately, or to `groups`, each with the first id the
    /// user may see there) committed after `point`, with ids from `first_id` on, in id order.
    /// The id bound keeps a catch-up to recent messages even when a long transaction holds
    /// PostgreSQL's horizon (and so `point`) far back.
    pub async fn messages_after(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        groups: &[(i64, i64)],
        point: SyncCursor,
        first_id: i64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        use group_message::Column as G;
        use user_message::Column as U;
        let private = user_message::Entity::find()
            .filter(tenant_filter(U::TenantId, tenant_id))
            .filter(U::ReceiveUserId.eq(user))
            .filter(after(U::TxId, U::Id, point.user))
            .filter(U::MessageId.gte(first_id))
            .filter(not_by(U::CreatorId, user))
            .order_by_asc(U::TxId)
            .order_by_asc(U::Id)
            .limit(LIMIT)
            .all(&self.db)
            .await?;
        let mut messages: Vec<StoredMessage> =
            private.into_iter().map(StoredMessage::from).collect();
        if !groups.is_empty() {
            let rows = group_message::Entity::find()
                .filter(tenant_filter(G::TenantId, tenant_id))
                .filter(visible_in(groups))
                .filter(after(G::TxId, G::Id, point.group))
                .filter(G::MessageId.gte(first_id))
                .filter(not_by(G::CreatorId, user))
                .order_by_asc(G::TxId)
                .order_by_asc(G::Id)
                .limit(LIMIT)
                .all(&self.db)
                .await?;
            messages.extend(rows.into_iter().map(StoredMessage::from));
        }
        messages.sort_by_key(|m| m.message_id);
        Ok(messages)
    }
}
