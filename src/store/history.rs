//! History pages and the conversation list, newest first.

use std::collections::HashMap;

use entity::{group_message, read_position, user_chat_group, user_message};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::StoredMessage;
use super::{Conversation, Store, StoreError};

/// What a history page may be narrowed by.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// Text the content contains.
    pub text: Option<String>,
    pub message_type: Option<i32>,
    /// Only messages with a smaller id (a cursor for "older").
    pub before: Option<i64>,
}

/// The last message of one conversation, and how many the user has not read there.
#[derive(Clone, Debug)]
pub struct ConversationSummary {
    pub with: Conversation,
    pub last: StoredMessage,
    pub unread: u64,
}

fn like(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[derive(FromQueryResult)]
struct LastId {
    last: i64,
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
        use user_message::Column as U;
        let pair = Condition::any()
            .add(
                Condition::all()
                    .add(U::CreatorId.eq(me))
                    .add(U::ReceiveUserId.eq(peer)),
            )
            .add(
                Condition::all()
                    .add(U::CreatorId.eq(peer))
                    .add(U::ReceiveUserId.eq(me)),
            );
        let mut query = user_message::Entity::find()
            .filter(tenant_filter(U::TenantId, tenant_id))
            .filter(pair);
        if let Some(t) = filter.message_type {
            query = query.filter(U::MessageType.eq(t));
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            query = query.filter(
                Expr::col(U::Content)
                    .like(sea_orm::sea_query::LikeExpr::new(like(text)).escape('\\')),
            );
        }
        if let Some(before) = filter.before {
            query = query.filter(U::MessageId.lt(before));
        }
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_desc(U::MessageId)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
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
        use group_message::Column as G;
        let mut query = group_message::Entity::find()
            .filter(tenant_filter(G::TenantId, tenant_id))
            .filter(G::GroupId.eq(group));
        if let Some(t) = filter.message_type {
            query = query.filter(G::MessageType.eq(t));
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            query = query.filter(
                Expr::col(G::Content)
                    .like(sea_orm::sea_query::LikeExpr::new(like(text)).escape('\\')),
            );
        }
        if let Some(before) = filter.before {
            query = query.filter(G::MessageId.lt(before));
        }
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_desc(G::MessageId)
            .offset(skip)
            .limit(take)
            .all(&self.db)
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
        let row = user_chat_group::Entity::find()
            .filter(tenant_filter(user_chat_group::Column::TenantId, tenant_id))
            .filter(user_chat_group::Column::GroupId.eq(group))
            .filter(user_chat_group::Column::UserId.eq(user))
            .one(&self.db)
            .await?;
        Ok(row.is_some())
    }

    /// My conversations, newest first: each one's last message and my unread count.
    pub async fn conversations(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        groups: &[i64],
        max: u64,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        use group_message::Column as G;
        use user_message::Column as U;
        let mine = Condition::any()
            .add(U::CreatorId.eq(me))
            .add(U::ReceiveUserId.eq(me));
        let peer = Expr::case(Expr::col(U::CreatorId).eq(me), Expr::col(U::ReceiveUserId))
            .finally(Expr::col(U::CreatorId));
        let private_last: Vec<LastId> = user_message::Entity::find()
            .select_only()
            .column_as(U::MessageId.max(), "last")
            .filter(tenant_filter(U::TenantId, tenant_id))
            .filter(mine)
            .group_by(Expr::Case(Box::new(peer)))
            .into_model()
            .all(&self.db)
            .await?;
        let group_last: Vec<LastId> = if groups.is_empty() {
            vec![]
        } else {
            group_message::Entity::find()
                .select_only()
                .column_as(G::MessageId.max(), "last")
                .filter(tenant_filter(G::TenantId, tenant_id))
                .filter(G::GroupId.is_in(groups.to_vec()))
                .group_by(G::GroupId)
                .into_model()
                .all(&self.db)
                .await?
        };
        let mut last: Vec<StoredMessage> = Vec::new();
        if !private_last.is_empty() {
            let ids: Vec<i64> = private_last.iter().map(|l| l.last).collect();
            last.extend(
                user_message::Entity::find()
                    .filter(U::MessageId.is_in(ids))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(StoredMessage::from),
            );
        }
        if !group_last.is_empty() {
            let ids: Vec<i64> = group_last.iter().map(|l| l.last).collect();
            last.extend(
                group_message::Entity::find()
                    .filter(G::MessageId.is_in(ids))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(StoredMessage::from),
            );
        }
        last.sort_by_key(|m| std::cmp::Reverse(m.message_id));
        last.truncate(max as usize);
        let positions: HashMap<(Option<Uuid>, Option<i64>), i64> = read_position::Entity::find()
            .filter(tenant_filter(read_position::Column::TenantId, tenant_id))
            .filter(read_position::Column::UserId.eq(me))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| ((p.peer_user_id, p.group_id), p.message_id))
            .collect();
        let mut out = Vec::with_capacity(last.len());
        for m in last {
            let (with, unread) = match m.to {
                Conversation::User(to) => {
                    let peer = if m.from == Some(me) {
                        to
                    } else {
                        m.from.unwrap_or_default()
                    };
                    let read = positions.get(&(Some(peer), None)).copied().unwrap_or(0);
                    let unread = user_message::Entity::find()
                        .filter(tenant_filter(U::TenantId, tenant_id))
                        .filter(U::CreatorId.eq(peer))
                        .filter(U::ReceiveUserId.eq(me))
                        .filter(U::MessageId.gt(read))
                        .count(&self.db)
                        .await?;
                    (Conversation::User(peer), unread)
                }
                Conversation::Group(group) => {
                    let read = positions.get(&(None, Some(group))).copied().unwrap_or(0);
                    let unread = group_message::Entity::find()
                        .filter(tenant_filter(G::TenantId, tenant_id))
                        .filter(G::GroupId.eq(group))
                        .filter(G::CreatorId.ne(me))
                        .filter(G::MessageId.gt(read))
                        .count(&self.db)
                        .await?;
                    (Conversation::Group(group), unread)
                }
            };
            out.push(ConversationSummary {
                with,
                last: m,
                unread,
            });
        }
        Ok(out)
    }
}
