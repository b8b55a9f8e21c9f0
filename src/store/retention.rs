//! Retention: messages older than a cutoff are deleted a small batch per transaction, with what
//! hangs on them (`message_dependents`), and the conversation counters they were counted in are lowered
//! (messages, and unread ones past the reader's position). On PostgreSQL a batch locks its rows
//! and skips rows another pod's batch holds, so two pods never count one row twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{group_message, user_message};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::conversations::ph;
use super::{Store, StoreError};

#[derive(FromQueryResult)]
struct Old {
    id: i64,
    message_id: i64,
    tenant_id: Option<Uuid>,
    creator_id: Option<Uuid>,
    /// The receiver of a private message.
    receiver: Option<Uuid>,
    /// The group of a group message.
    group_id: Option<i64>,
}

impl Store {
    /// Deletes up to `batch` private messages and up to `batch` group messages written before
    /// `cutoff`, past the row ids in `after` (private, group: where the last batch of this
    /// sweep ended, so a batch seeks past the rows the earlier ones deleted instead of walking
    /// their dead index entries again); how many went.
    pub async fn expire_messages(
        &self,
        cutoff: DateTime<Utc>,
        batch: u64,
        after: &mut [i64; 2],
    ) -> Result<u64, StoreError> {
        let mut gone = 0;
        for (i, private) in [true, false].into_iter().enumerate() {
            let txn = self.db.begin().await?;
            let rows = oldest(&txn, self.backend(), private, cutoff, batch, after[i]).await?;
            if let Some(last) = rows.iter().map(|r| r.id).max() {
                after[i] = last;
            }
            if !rows.is_empty() {
                forget(&txn, private, &rows).await?;
                lower_counters(&txn, self.backend(), private, &rows).await?;
                gone += rows.len() as u64;
            }
            txn.commit().await?;
        }
        Ok(gone)
    }
}

/// Those of the `batch` first messages past row `after` that were written before `cutoff`,
/// locked (PostgreSQL).
async fn oldest<C: ConnectionTrait>(
    db: &C,
    backend: DbBackend,
    private: bool,
    cutoff: DateTime<Utc>,
    batch: u64,
    after: i64,
) -> Result<Vec<Old>, StoreError> {
    let (table, target) = if private {
        (
            "AppUserMessages",
            "\"ReceiveUserId\" AS receiver, NULL AS group_id",
        )
    } else {
        (
            "AppGroupMessages",
            "NULL AS receiver, \"GroupId\" AS group_id",
        )
    };
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    // Among the `batch` first rows only (row ids follow time closely): there is no index on
    // the time, and a filter alone would walk the whole table once nothing old is left.
    let sql = format!(
        "SELECT \"Id\" AS id, \"MessageId\" AS message_id, \"TenantId\" AS tenant_id, \
         \"CreatorId\" AS creator_id, {target} FROM \"{table}\" \
         WHERE \"Id\" IN (SELECT \"Id\" FROM \"{table}\" WHERE \"Id\" > {after} ORDER BY \"Id\" LIMIT {batch}) \
         AND \"CreationTime\" < {} ORDER BY \"Id\"{lock}",
        ph(backend, 1)
    );
    Ok(Old::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [cutoff.into()],
    ))
    .all(db)
    .await?)
}

/// Deletes `rows` and everything that hangs on them.
async fn forget<C: ConnectionTrait>(db: &C, private: bool, rows: &[Old]) -> Result<(), StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.message_id).collect();
    let messages = if private {
        Query::select()
            .column(user_message::Column::MessageId)
            .from(user_message::Entity)
            .and_where(Expr::col(user_message::Column::MessageId).is_in(ids))
            .to_owned()
    } else {
        Query::select()
            .column(group_message::Column::MessageId)
            .from(group_message::Entity)
            .and_where(Expr::col(group_message::Column::MessageId).is_in(ids))
            .to_owned()
    };
    super::message_dependents::forget_dependents(db, messages).await?;
    let row_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if private {
        user_message::Entity::delete_many()
            .filter(user_message::Column::Id.is_in(row_ids))
            .exec(db)
            .await?;
    } else {
        group_message::Entity::delete_many()
            .filter(group_message::Column::Id.is_in(row_ids))
            .exec(db)
            .await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct Position {
    user_id: Uuid,
    peer: Option<Uuid>,
    message_id: i64,
}

/// Lowers the counters `rows` were counted in, and drops a conversation's row once nothing of
/// it is left.
async fn lower_counters<C: ConnectionTrait>(
    db: &C,
    backend: DbBackend,
    private: bool,
    rows: &[Old],
) -> Result<(), StoreError> {
    let key = |t: Option<Uuid>| t.unwrap_or_default();
    if !private {
        let mut per_group: HashMap<i64, i64> = HashMap::new();
        for group in rows.iter().filter_map(|r| r.group_id) {
            *per_group.entry(group).or_default() += 1;
        }
        for (group, n) in per_group {
            let (a, b) = (ph(backend, 1), ph(backend, 2));
            let update = format!(
                "UPDATE \"AppChatGroupCounters\" SET \"MessageCount\" = \"MessageCount\" - {a} WHERE \"GroupId\" = {b}"
            );
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [n.into(), group.into()],
            ))
            .await?;
            let drop = format!(
                "DELETE FROM \"AppChatGroupCounters\" WHERE \"GroupId\" = {a} AND \"MessageCount\" <= 0"
            );
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                drop,
                [group.into()],
            ))
            .await?;
        }
        return Ok(());
    }
    // Where each receiver has read to, in each conversation these rows belong to.
    let mut receivers: Vec<Uuid> = rows.iter().filter_map(|r| r.receiver).collect();
    receivers.sort();
    receivers.dedup();
    let sql = format!(
        "SELECT \"UserId\" AS user_id, \"PeerUserId\" AS peer, \"MessageId\" AS message_id \
         FROM \"AppChatReadPositions\" WHERE \"GroupId\" IS NULL AND \"UserId\" IN ({})",
        (1..=receivers.len())
            .map(|n| ph(backend, n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let values: Vec<sea_orm::Value> = receivers.iter().map(|u| (*u).into()).collect();
    let positions =
        Position::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(db)
            .await?;
    let read_to = |user: Uuid, peer: Uuid| {
        positions
            .iter()
            .filter(|p| p.user_id == user && p.peer == Some(peer))
            .map(|p| p.message_id)
            .max()
            .unwrap_or(0)
    };
    // (tenant key, user, peer) → (messages, unread) to take off.
    let mut lower: HashMap<(Uuid, Uuid, Uuid), (i64, i64)> = HashMap::new();
    for r in rows {
        let (Some(creator), Some(receiver)) = (r.creator_id, r.receiver) else {
            continue;
        };
        let unread = i64::from(creator != receiver && r.message_id > read_to(receiver, creator));
        let side = lower
            .entry((key(r.tenant_id), receiver, creator))
            .or_default();
        side.0 += 1;
        side.1 += unread;
        if creator != receiver {
            lower
                .entry((key(r.tenant_id), creator, receiver))
                .or_default()
                .0 += 1;
        }
    }
    if lower.is_empty() {
        return Ok(());
    }
    // One statement for every conversation of the batch (a batch of 500 may touch 1,000 rows):
    // the amounts ride in a VALUES list, whose columns both databases call column1…column5.
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(lower.len() * 5);
    let mut tuples = Vec::with_capacity(lower.len());
    for ((tenant, user, peer), (messages, unread)) in &lower {
        let n = values.len();
        tuples.push(format!(
            "({}, {}, {}, {}, {})",
            ph(backend, n + 1),
            ph(backend, n + 2),
            ph(backend, n + 3),
            ph(backend, n + 4),
            ph(backend, n + 5)
        ));
        values.extend([
            (*tenant).into(),
            (*user).into(),
            (*peer).into(),
            (*messages).into(),
            (*unread).into(),
        ]);
    }
    let update = format!(
        "UPDATE \"AppChatConversations\" AS c SET \"MessageCount\" = c.\"MessageCount\" - v.column4, \
         \"UnreadCount\" = CASE WHEN c.\"UnreadCount\" > v.column5 THEN c.\"UnreadCount\" - v.column5 ELSE 0 END \
         FROM (VALUES {}) AS v WHERE c.\"TenantKey\" = v.column1 AND c.\"UserId\" = v.column2 \
         AND c.\"PeerUserId\" = v.column3",
        tuples.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(backend, update, values))
        .await?;
    // What is left empty goes (any row of these users at zero is empty).
    let mut users: Vec<(Uuid, Uuid)> = lower.keys().map(|(t, u, _)| (*t, *u)).collect();
    users.sort();
    users.dedup();
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(users.len() * 2);
    let mut pairs = Vec::with_capacity(users.len());
    for (tenant, user) in users {
        let n = values.len();
        pairs.push(format!(
            "(\"TenantKey\" = {} AND \"UserId\" = {})",
            ph(backend, n + 1),
            ph(backend, n + 2)
        ));
        values.extend([tenant.into(), user.into()]);
    }
    let drop = format!(
        "DELETE FROM \"AppChatConversations\" WHERE \"MessageCount\" <= 0 AND ({})",
        pairs.join(" OR ")
    );
    db.execute_raw(Statement::from_sql_and_values(backend, drop, values))
        .await?;
    Ok(())
}
