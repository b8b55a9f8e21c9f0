//! History pages and the conversation list, newest first.

use std::collections::HashMap;

use entity::{group_message, user_chat_group, user_message};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::filters::contains;
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

/// The other party of a private message, seen from `me`.
fn peer_of(m: &StoredMessage, me: Uuid) -> Option<Uuid> {
    match m.to {
        Conversation::User(to) if m.from == Some(me) => Some(to),
        Conversation::User(_) => m.from,
        Conversation::Group(_) => None,
    }
}

/// Placeholder `n` (1-based) in the backend's style.
fn ph(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

/// `"<alias>"."TenantId"` matching the tenant (NULL for the host), and its value if any.
fn tenant_sql(
    alias: &str,
    tenant_id: Option<Uuid>,
    backend: DbBackend,
    n: usize,
) -> (String, Vec<sea_orm::Value>) {
    match tenant_id {
        Some(t) => (
            format!("{alias}.\"TenantId\" = {}", ph(backend, n)),
            vec![t.into()],
        ),
        None => (format!("{alias}.\"TenantId\" IS NULL"), vec![]),
    }
}

#[derive(FromQueryResult)]
struct PeerCount {
    peer: Uuid,
    n: i64,
}

#[derive(FromQueryResult)]
struct GroupCount {
    grp: i64,
    n: i64,
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
        // One query per direction, each an index range in id order (ReceiveUserId, CreatorId,
        // MessageId), merged here: an OR of both would sort the whole conversation.
        let direction = |from: Uuid, to: Uuid| {
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
            if let Some(before) = filter.before {
                query = query.filter(U::MessageId.lt(before));
            }
            query
        };
        let (mine, theirs) = (direction(me, peer), direction(peer, me));
        let total = mine.clone().count(&self.db).await?
            + if me == peer {
                0
            } else {
                theirs.clone().count(&self.db).await?
            };
        let mut rows = mine
            .order_by_desc(U::MessageId)
            .limit(skip + take)
            .all(&self.db)
            .await?;
        if me != peer {
            rows.extend(
                theirs
                    .order_by_desc(U::MessageId)
                    .limit(skip + take)
                    .all(&self.db)
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

    /// Per peer, how many of their messages to `me` lie after my read position: one grouped
    /// query, not one per conversation.
    async fn unread_private(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![me.into()];
        let (mt, tv) = tenant_sql("m", tenant_id, b, 2);
        values.extend(tv);
        let (rt, tv) = tenant_sql("r", tenant_id, b, values.len() + 1);
        values.extend(tv);
        let sql = format!(
            "SELECT m.\"CreatorId\" AS peer, COUNT(*) AS n FROM \"AppUserMessages\" m \
             LEFT JOIN \"AppChatReadPositions\" r ON r.\"UserId\" = m.\"ReceiveUserId\" AND r.\"PeerUserId\" = m.\"CreatorId\" \
             AND r.\"GroupId\" IS NULL AND {rt} \
             WHERE m.\"ReceiveUserId\" = {} AND {mt} AND m.\"CreatorId\" IS NOT NULL AND m.\"MessageId\" > COALESCE(r.\"MessageId\", 0) \
             GROUP BY m.\"CreatorId\"",
            ph(b, 1)
        );
        let rows =
            PeerCount::find_by_statement(sea_orm::Statement::from_sql_and_values(b, sql, values))
                .all(&self.db)
                .await?;
        Ok(rows.into_iter().map(|r| (r.peer, r.n as u64)).collect())
    }

    /// Per group of `groups`, how many messages of others lie after my read position.
    async fn unread_groups(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        groups: &[i64],
    ) -> Result<HashMap<i64, u64>, StoreError> {
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![me.into()];
        let (mt, tv) = tenant_sql("m", tenant_id, b, 2);
        values.extend(tv);
        let (rt, tv) = tenant_sql("r", tenant_id, b, values.len() + 1);
        values.extend(tv);
        let list: Vec<String> = groups
            .iter()
            .map(|g| {
                values.push((*g).into());
                ph(b, values.len())
            })
            .collect();
        let sql = format!(
            "SELECT m.\"GroupId\" AS grp, COUNT(*) AS n FROM \"AppGroupMessages\" m \
             LEFT JOIN \"AppChatReadPositions\" r ON r.\"UserId\" = {me} AND r.\"GroupId\" = m.\"GroupId\" AND r.\"PeerUserId\" IS NULL AND {rt} \
             WHERE m.\"GroupId\" IN ({}) AND {mt} AND (m.\"CreatorId\" IS NULL OR m.\"CreatorId\" <> {me}) \
             AND m.\"MessageId\" > COALESCE(r.\"MessageId\", 0) GROUP BY m.\"GroupId\"",
            list.join(", "),
            me = ph(b, 1)
        );
        let rows =
            GroupCount::find_by_statement(sea_orm::Statement::from_sql_and_values(b, sql, values))
                .all(&self.db)
                .await?;
        Ok(rows.into_iter().map(|r| (r.grp, r.n as u64)).collect())
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
        let peers: Vec<Uuid> = last.iter().filter_map(|m| peer_of(m, me)).collect();
        let unread_private = if peers.is_empty() {
            HashMap::new()
        } else {
            self.unread_private(tenant_id, me).await?
        };
        let unread_groups = if groups.is_empty() {
            HashMap::new()
        } else {
            self.unread_groups(tenant_id, me, groups).await?
        };
        let mut out = Vec::with_capacity(last.len());
        for m in last {
            let (with, unread) = match m.to {
                Conversation::User(_) => {
                    let peer = peer_of(&m, me).unwrap_or_default();
                    (
                        Conversation::User(peer),
                        unread_private.get(&peer).copied().unwrap_or(0),
                    )
                }
                Conversation::Group(group) => (
                    Conversation::Group(group),
                    unread_groups.get(&group).copied().unwrap_or(0),
                ),
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
