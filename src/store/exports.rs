//! What a user's data export reads, a page at a time in message id order, so the export is
//! streamed without holding everything in memory.

use entity::{group_message, user_message};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::StoredMessage;
use super::{Store, StoreError};

impl Store {
    /// The private messages `user` sent or received after message `after`, oldest first.
    pub async fn private_messages_after(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        use user_message::Column as U;
        let rows = user_message::Entity::find()
            .filter(tenant_filter(U::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(U::CreatorId.eq(user))
                    .add(U::ReceiveUserId.eq(user)),
            )
            .filter(U::MessageId.gt(after))
            .order_by_asc(U::MessageId)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The group messages `user` sent anywhere, or received in `groups`, after message
    /// `after`, oldest first.
    pub async fn group_messages_after(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        groups: &[i64],
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        use group_message::Column as G;
        let rows = group_message::Entity::find()
            .filter(tenant_filter(G::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(G::CreatorId.eq(user))
                    .add(G::GroupId.is_in(groups.iter().copied())),
            )
            .filter(G::MessageId.gt(after))
            .order_by_asc(G::MessageId)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
