//! The conversation list and the counters behind it. Triggers keep one row per user and
//! peer (last message id, messages, unread) and one per group (last message id, messages),
//! so the list is a read of my rows, newest first — not a grouping of every message I have.

use std::collections::HashMap;

use entity::{group_message, user_message};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::messages::StoredMessage;
use super::{Conversation, Store, StoreError};

/// Unread messages of a group are counted up to this many ("999+" in a client).
pub const GROUP_UNREAD_CAP: u64 = 1000;

/// The last message of one conversation, and how many the user has not read there.
#[derive(Clone, Debug)]
pub struct ConversationSummary {
    pub with: Conversation,
    pub last: StoredMessage,
    pub unread: u64,
}

/// Placeholder `n` (1-based) in the backend's style.
pub(super) fn ph(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

/// The counters' key for a tenant: the host tenant is the nil UUID.
fn tenant_key(tenant_id: Option<Uuid>) -> Uuid {
    tenant_id.unwrap_or_default()
}

#[derive(FromQueryResult)]
struct PeerRow {
    peer: Uuid,
    last: i64,
    unread: i64,
}

#[derive(FromQueryResult)]
struct GroupRow {
    grp: i64,
    last: i64,
}

#[derive(FromQueryResult)]
struct GroupCount {
    grp: i64,
    n: i64,
}

#[derive(FromQueryResult)]
struct UserSum {
    tenant: Uuid,
    who: Uuid,
    n: i64,
}

#[derive(FromQueryResult)]
struct Size {
    n: i64,
}

impl Store {
    fn statement(&self, sql: String, values: Vec<sea_orm::Value>) -> Statement {
        Statement::from_sql_and_values(self.backend(), sql, values)
    }

    /// How many messages the private conversation of `me` and `peer` holds.
    pub(super) async fn conversation_size(
        &self,
        db: &sea_orm::DatabaseConnection,
        tenant_id: Option<Uuid>,
        me: Uuid,
        peer: Uuid,
    ) -> Result<u64, StoreError> {
        let b = self.backend();
        let sql = format!(
            "SELECT \"MessageCount\" AS n FROM \"AppChatConversations\" WHERE \"TenantKey\" = {} AND \"UserId\" = {} AND \"PeerUserId\" = {}",
            ph(b, 1),
            ph(b, 2),
            ph(b, 3)
        );
        let values = vec![tenant_key(tenant_id).into(), me.into(), peer.into()];
        let row = Size::find_by_statement(self.statement(sql, values))
            .one(db)
            .await?;
        Ok(row.map_or(0, |r| r.n as u64))
    }

    /// How many messages a group holds.
    pub(super) async fn group_size(
        &self,
        db: &sea_orm::DatabaseConnection,
        group: i64,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT \"MessageCount\" AS n FROM \"AppChatGroupCounters\" WHERE \"GroupId\" = {}",
            ph(self.backend(), 1)
        );
        let row = Size::find_by_statement(self.statement(sql, vec![group.into()]))
            .one(db)
            .await?;
        Ok(row.map_or(0, |r| r.n as u64))
    }

    /// Per group of `groups`, how many messages of others lie after my read position, up to
    /// [`GROUP_UNREAD_CAP`]: each count reads at most that many index entries.
    async fn unread_groups(
        &self,
        db: &sea_orm::DatabaseConnection,
        tenant_id: Option<Uuid>,
        me: Uuid,
        groups: &[i64],
    ) -> Result<HashMap<i64, u64>, StoreError> {
        if groups.is_empty() {
            return Ok(HashMap::new());
        }
        let b = self.backend();
        let mut values: Vec<sea_orm::Value> = vec![me.into()];
        let tenant = |alias: &str, values: &mut Vec<sea_orm::Value>| match tenant_id {
            Some(t) => {
                values.push(t.into());
                format!("{alias}.\"TenantId\" = {}", ph(b, values.len()))
            }
            None => format!("{alias}.\"TenantId\" IS NULL"),
        };
        let (mt, rt) = (tenant("m", &mut values), tenant("r", &mut values));
        let parts: Vec<String> = groups
            .iter()
            .map(|g| {
                values.push((*g).into());
                let g = ph(b, values.len());
                format!(
                    "SELECT {g} AS grp, COUNT(*) AS n FROM (SELECT 1 AS one FROM \"AppGroupMessages\" m \
                     WHERE {mt} AND m.\"GroupId\" = {g} AND (m.\"CreatorId\" IS NULL OR m.\"CreatorId\" <> {me}) \
                     AND m.\"MessageId\" > COALESCE((SELECT MAX(r.\"MessageId\") FROM \"AppChatReadPositions\" r \
                     WHERE {rt} AND r.\"UserId\" = {me} AND r.\"GroupId\" = {g} AND r.\"PeerUserId\" IS NULL), 0) \
                     LIMIT {GROUP_UNREAD_CAP}) t",
                    me = ph(b, 1)
                )
            })
            .collect();
        let rows = GroupCount::find_by_statement(self.statement(parts.join(" UNION ALL "), values))
            .all(db)
            .await?;
        Ok(rows.into_iter().map(|r| (r.grp, r.n as u64)).collect())
    }

    /// How many messages I have not read in all my conversations: what a badge shows (each
    /// group counted up to [`GROUP_UNREAD_CAP`]).
    pub async fn unread_total(&self, tenant_id: Option<Uuid>, me: Uuid) -> Result<u64, StoreError> {
        let db = self.reader().await;
        let b = self.backend();
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(\"UnreadCount\"), 0) AS BIGINT) AS n FROM \"AppChatConversations\" \
             WHERE \"TenantKey\" = {} AND \"UserId\" = {} AND \"UnreadCount\" > 0",
            ph(b, 1),
            ph(b, 2)
        );
        let private = Size::find_by_statement(
            self.statement(sql, vec![tenant_key(tenant_id).into(), me.into()]),
        )
        .one(db)
        .await?
        .map_or(0, |r| r.n.max(0) as u64);
        let groups: Vec<i64> = self
            .groups_of(tenant_id, me)
            .await?
            .into_iter()
            .map(|g| g.group_id)
            .collect();
        let in_groups: u64 = self
            .unread_groups(db, tenant_id, me, &groups)
            .await?
            .values()
            .sum();
        Ok(private + in_groups)
    }

    /// [`Store::unread_total`] for many users at once: one read of the private counters and
    /// one of the memberships for all, then each member's groups counted.
    pub async fn unread_totals(
        &self,
        users: &[(Option<Uuid>, Uuid)],
    ) -> Result<HashMap<(Option<Uuid>, Uuid), u64>, StoreError> {
        let db = self.reader().await;
        let mut totals: HashMap<(Option<Uuid>, Uuid), u64> = HashMap::new();
        let b = self.backend();
        for batch in users.chunks(500) {
            let ids: Vec<Uuid> = batch.iter().map(|u| u.1).collect();
            let list: Vec<String> = (1..=ids.len()).map(|n| ph(b, n)).collect();
            let sql = format!(
                "SELECT \"TenantKey\" AS tenant, \"UserId\" AS who, CAST(SUM(\"UnreadCount\") AS BIGINT) AS n \
                 FROM \"AppChatConversations\" WHERE \"UserId\" IN ({}) AND \"UnreadCount\" > 0 \
                 GROUP BY \"TenantKey\", \"UserId\"",
                list.join(", ")
            );
            let values = ids.iter().map(|u| (*u).into()).collect();
            for row in UserSum::find_by_statement(self.statement(sql, values))
                .all(db)
                .await?
            {
                let tenant = (!row.tenant.is_nil()).then_some(row.tenant);
                totals.insert((tenant, row.who), row.n.max(0) as u64);
            }
            let memberships: Vec<(Option<Uuid>, Uuid, i64)> =
                entity::user_chat_group::Entity::find()
                    .select_only()
                    .columns([
                        entity::user_chat_group::Column::TenantId,
                        entity::user_chat_group::Column::UserId,
                        entity::user_chat_group::Column::GroupId,
                    ])
                    .filter(entity::user_chat_group::Column::UserId.is_in(ids))
                    .into_tuple()
                    .all(db)
                    .await?;
            let mut groups: HashMap<(Option<Uuid>, Uuid), Vec<i64>> = HashMap::new();
            for (tenant, user, group) in memberships {
                groups.entry((tenant, user)).or_default().push(group);
            }
            for (user, groups) in groups {
                let n: u64 = self
                    .unread_groups(db, user.0, user.1, &groups)
                    .await?
                    .values()
                    .sum();
                *totals.entry(user).or_default() += n;
            }
        }
        Ok(totals)
    }

    /// My conversations, newest first: each one's last message and my unread count.
    pub async fn conversations(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        groups: &[i64],
        max: u64,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let db = self.reader().await;
        let b = self.backend();
        let sql = format!(
            "SELECT \"PeerUserId\" AS peer, \"LastMessageId\" AS last, \"UnreadCount\" AS unread \
             FROM \"AppChatConversations\" WHERE \"TenantKey\" = {} AND \"UserId\" = {} \
             ORDER BY \"LastMessageId\" DESC LIMIT {max}",
            ph(b, 1),
            ph(b, 2)
        );
        let peers = PeerRow::find_by_statement(
            self.statement(sql, vec![tenant_key(tenant_id).into(), me.into()]),
        )
        .all(db)
        .await?;
        let group_rows = if groups.is_empty() {
            vec![]
        } else {
            let list: Vec<String> = (1..=groups.len()).map(|n| ph(b, n)).collect();
            let sql = format!(
                "SELECT \"GroupId\" AS grp, \"LastMessageId\" AS last FROM \"AppChatGroupCounters\" WHERE \"GroupId\" IN ({})",
                list.join(", ")
            );
            let values = groups.iter().map(|g| (*g).into()).collect();
            GroupRow::find_by_statement(self.statement(sql, values))
                .all(db)
                .await?
        };
        let mut entries: Vec<(i64, Conversation, u64)> = peers
            .iter()
            .map(|p| (p.last, Conversation::User(p.peer), p.unread.max(0) as u64))
            .chain(
                group_rows
                    .iter()
                    .map(|g| (g.last, Conversation::Group(g.grp), 0)),
            )
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        entries.truncate(max as usize);

        let (private_ids, group_ids): (Vec<&(i64, Conversation, u64)>, Vec<_>) = entries
            .iter()
            .partition(|e| matches!(e.1, Conversation::User(_)));
        let mut last: HashMap<i64, StoredMessage> = HashMap::new();
        if !private_ids.is_empty() {
            let ids: Vec<i64> = private_ids.iter().map(|e| e.0).collect();
            for m in user_message::Entity::find()
                .filter(user_message::Column::MessageId.is_in(ids))
                .all(db)
                .await?
            {
                last.insert(m.message_id, m.into());
            }
        }
        let listed_groups: Vec<i64> = group_ids
            .iter()
            .filter_map(|e| match e.1 {
                Conversation::Group(g) => Some(g),
                Conversation::User(_) => None,
            })
            .collect();
        if !group_ids.is_empty() {
            let ids: Vec<i64> = group_ids.iter().map(|e| e.0).collect();
            for m in group_message::Entity::find()
                .filter(group_message::Column::MessageId.is_in(ids))
                .all(db)
                .await?
            {
                last.insert(m.message_id, m.into());
            }
        }
        let unread_groups = self
            .unread_groups(db, tenant_id, me, &listed_groups)
            .await?;
        Ok(entries
            .into_iter()
            .filter_map(|(id, with, unread)| {
                let unread = match with {
                    Conversation::Group(g) => unread_groups.get(&g).copied().unwrap_or(0),
                    Conversation::User(_) => unread,
                };
                Some(ConversationSummary {
                    with,
                    last: last.remove(&id)?,
                    unread,
                })
            })
            .collect())
    }
}

/// The counter row of `me`'s side of the conversation with `peer`, locked for the rest of the
/// transaction (PostgreSQL; SQLite's writers take turns already). A message committing into
/// the conversation updates the same row, so it waits for this transaction, or this one for it:
/// a recount made under the lock and the message's +1 never overwrite each other.
pub(super) async fn lock_counter<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    me: Uuid,
    peer: Uuid,
) -> Result<(), StoreError> {
    let b = db.get_database_backend();
    if b != DbBackend::Postgres {
        return Ok(());
    }
    let sql =
        "SELECT 1 FROM \"AppChatConversations\" WHERE \"TenantKey\" = $1 AND \"UserId\" = $2 \
               AND \"PeerUserId\" = $3 FOR UPDATE";
    let values: Vec<sea_orm::Value> = vec![tenant_key(tenant_id).into(), me.into(), peer.into()];
    db.execute_raw(Statement::from_sql_and_values(b, sql, values))
        .await?;
    Ok(())
}

/// Sets `me`'s unread count with `peer` to the messages from `peer` after `read_to`.
pub(super) async fn recount_unread<C: ConnectionTrait>(
    db: &C,
    tenant_id: Option<Uuid>,
    me: Uuid,
    peer: Uuid,
    read_to: i64,
) -> Result<(), StoreError> {
    let b = db.get_database_backend();
    let (tenant, mut values) = match tenant_id {
        Some(t) => (format!("m.\"TenantId\" = {}", ph(b, 4)), vec![t.into()]),
        None => ("m.\"TenantId\" IS NULL".to_string(), vec![]),
    };
    values.splice(0..0, [me.into(), peer.into(), read_to.into()]);
    values.push(tenant_key(tenant_id).into());
    let key = ph(b, values.len());
    let sql = format!(
        "UPDATE \"AppChatConversations\" SET \"UnreadCount\" = (SELECT COUNT(*) FROM \"AppUserMessages\" m \
         WHERE {tenant} AND m.\"ReceiveUserId\" = {me} AND m.\"CreatorId\" = {peer} AND m.\"MessageId\" > {id}) \
         WHERE \"TenantKey\" = {key} AND \"UserId\" = {me} AND \"PeerUserId\" = {peer}",
        me = ph(b, 1),
        peer = ph(b, 2),
        id = ph(b, 3),
    );
    db.execute_raw(Statement::from_sql_and_values(b, sql, values))
        .await?;
    Ok(())
}
