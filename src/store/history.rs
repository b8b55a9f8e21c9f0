//! History pages, newest first. `totalCount` comes from the conversation's counter unless a
//! text or type filter narrows it; `before` is a cursor and leaves the total alone.

use entity::{group_message, user_chat_group, user_message};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::filters::contains;
use super::hides::hidden_by;
use super::messages::StoredMessage;
use super::{Store, StoreError};

/// What a history page may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// Text the content contains.
    pub text: Option<String>,
    pub message_type: Option<i32>,
    /// Only messages with a smaller id (a cursor for "older").
    pub before: Option<i64>,
    /// Leave out the messages this user hid ("delete for me"). The total from the
    /// conversation's counter still counts them.
    pub hidden_for: Option<Uuid>,
}

impl HistoryFilter {
    /// Whether the filter narrows what counts (text or type); `before` only pages.
    fn narrows(&self) -> bool {
        self.message_type.is_some() || self.text.as_deref().is_some_and(|t| !t.is_empty())
    }
}

impl Store {
    /// The conversation between `me` and `peer`, newest first, and its size under `filter`.
    pub async fn private_history(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        peer: Uuid,
        filter: &HistoryFilter,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<StoredMessage>), StoreError> {
        let db = self.reader().await;
        use user_message::Column as U;
        // One query per direction, each an index range in id order (ReceiveUserId, CreatorId,
        // MessageId), merged here: an OR of both would sort the whole conversation.
        let direction = |from: Uuid, to: Uuid, paged: bool| {
            let mut query = user_message::Entity::find()
                .filter(tenant_filter(U::TenantId, tenant_id))
                .filter(U::ReceiveUserId.eq(to))
                .filter(U::CreatorId.eq(from));
            if let Some(t) = filter.message_type {
                query = query.filter(U::MessageType.eq(t));
            }
            if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
                query = query.filter(contains(U::Content, text));
            }
            if let Some(before) = filter.before.filter(|_| paged) {
                query = query.filter(U::MessageId.lt(before));
            }
            if let Some(user) = filter.hidden_for {
                query = query.filter(U::MessageId.not_in_subquery(hidden_by(user)));
            }
            query
        };
        let total = if !filter.narrows() {
            self.conversation_size(db, tenant_id, me, peer).await?
        } else {
            direction(me, peer, false).count(db).await?
                + if me == peer {
                    0
                } else {
                    direction(peer, me, false).count(db).await?
                }
        };
        let (mine, theirs) = (direction(me, peer, true), direction(peer, me, true));
        let mut rows = mine
            .order_by_desc(U::MessageId)
            .limit(skip + take)
            .all(db)
            .await?;
        if me != peer {
            rows.extend(
                theirs
                    .order_by_desc(U::MessageId)
                    .limit(skip + take)
                    .all(db)
                    .await?,
            );
        }
        rows.sort_by_key(|m| std::cmp::Reverse(m.message_id));
        Ok((
            total,
            rows.into_iter()
                .skip(skip as usize)
                .take(take as usize)
                .map(Into::into)
                .collect(),
        ))
    }

    /// A group's messages, newest first, and their count under `filter`.
    pub async fn group_history(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        filter: &HistoryFilter,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<StoredMessage>), StoreError> {
        let db = self.reader().await;
        use group_message::Column as G;
        let mut query = group_message::Entity::find()
            .filter(tenant_filter(G::TenantId, tenant_id))
            .filter(G::GroupId.eq(group));
        if let Some(t) = filter.message_type {
            query = query.filter(G::MessageType.eq(t));
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            query = query.filter(contains(G::Content, text));
        }
        let total = if !filter.narrows() {
            self.group_size(db, group).await?
        } else {
            query.clone().count(db).await?
        };
        if let Some(before) = filter.before {
            query = query.filter(G::MessageId.lt(before));
        }
        if let Some(user) = filter.hidden_for {
            query = query.filter(G::MessageId.not_in_subquery(hidden_by(user)));
        }
        let rows = query
            .order_by_desc(G::MessageId)
            .offset(skip)
            .limit(take)
            .all(db)
            .await?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
    }

    /// Whether `user` is a member of `group`.
    pub async fn is_member(
        &self,
        tenant_id: Option<Uuid>,
        group: i64,
        user: Uuid,
    ) -> Result<bool, StoreError> {
        let db = self.reader().await;
        let row = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group))
            .filter(user_chat_group::Column::UserId.eq(user))
            .one(db)
            .await?;
        Ok(row.is_some())
    }
}
