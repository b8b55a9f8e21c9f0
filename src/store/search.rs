//! Full-text search over the messages a user may see, through the search indexes (FTS5 on
//! SQLite, `tsvector` GIN on PostgreSQL), never a scan with LIKE.
//!
//! PostgreSQL first asks the planner whether the words are rare (fewer than [`RARE`] expected
//! matches anywhere): then it reads just those matches through the GIN index and filters them;
//! otherwise it walks the caller's messages newest first, where matches are dense enough to
//! fill a page soon.

use entity::{group_message, user_message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::{StoredMessage, STATE_RECALLED};
use super::{Store, StoreError};

/// Fewer expected matches than this in the whole table make the words "rare" on PostgreSQL.
pub const RARE: i64 = 20_000;

/// Where to look.
pub struct SearchScope {
    /// Only the conversation with this user.
    pub peer: Option<Uuid>,
    /// Only these groups (the caller's, or one of them).
    pub groups: Vec<i64>,
    /// Whether private conversations are searched at all.
    pub private: bool,
}

impl Store {
    /// PostgreSQL: the condition "matches `query`", through the GIN index first when the
    /// words are `rare`.
    fn matches(table: &str, query: &str, rare: bool) -> sea_orm::sea_query::Expr {
        if rare {
            Expr::cust_with_values(
                format!("\"Id\" IN (SELECT h.\"Id\" FROM (SELECT \"Id\" FROM \"{table}\" WHERE to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1) OFFSET 0) h)"),
                [query.to_string()],
            )
        } else {
            Expr::cust_with_values(
                "to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1)",
                [query.to_string()],
            )
        }
    }

    /// PostgreSQL: whether the planner expects `query` to match fewer than [`RARE`] messages
    /// of `table` (its estimate from the index statistics: no rows are read to decide).
    async fn is_rare(
        &self,
        db: &sea_orm::DatabaseConnection,
        table: &str,
        query: &str,
    ) -> Result<bool, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(false);
        }
        let sql = format!(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM \"{table}\" WHERE to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1)"
        );
        let row = db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [query.into()],
            ))
            .await?;
        let plan: Option<serde_json::Value> = row.and_then(|r| r.try_get("", "QUERY PLAN").ok());
        let rows = plan
            .as_ref()
            .and_then(|p| p[0]["Plan"]["Plan Rows"].as_f64())
            .unwrap_or(f64::MAX);
        Ok(rows < RARE as f64)
    }

    /// SQLite: the FTS5 matches newest row first, joined to their messages and filtered by
    /// `scope_sql`, stopping at `limit`. `CROSS JOIN` keeps the index the outer loop (the
    /// planner would otherwise walk the user's messages and probe the index for each). `values` hold the scope's parameters (`?2` on).
    async fn sqlite_matches<E>(
        &self,
        table: &str,
        query: &str,
        scope_sql: &str,
        mut values: Vec<sea_orm::Value>,
        limit: u64,
    ) -> Result<Vec<E::Model>, StoreError>
    where
        E: EntityTrait,
    {
        let phrase = format!("\"{}\"", query.replace('"', "\"\""));
        values.insert(0, phrase.into());
        let sql = format!(
            "SELECT m.* FROM \"{table}Search\" s CROSS JOIN \"{table}\" m ON m.\"Id\" = s.rowid \
             WHERE \"{table}Search\" MATCH ?1 AND m.\"State\" <> {STATE_RECALLED} AND {scope_sql} \
             ORDER BY s.rowid DESC LIMIT {limit}"
        );
        Ok(E::find()
            .from_raw_sql(sea_orm::Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                values,
            ))
            .all(&self.db)
            .await?)
    }

    /// Messages containing `query` that `me` may see under `scope`, newest first.
    pub async fn search_messages(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        query: &str,
        scope: &SearchScope,
        skip: u64,
        take: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let db = self.reader().await;
        use group_message::Column as G;
        use user_message::Column as U;
        let wanted = skip + take;
        if self.backend() == DbBackend::Sqlite {
            return self
                .search_sqlite(tenant_id, me, query, scope, skip, take)
                .await;
        }
        let mut found: Vec<StoredMessage> = Vec::new();
        if scope.private {
            let mine = match scope.peer {
                Some(peer) => Condition::any()
                    .add(
                        Condition::all()
                            .add(U::CreatorId.eq(me))
                            .add(U::ReceiveUserId.eq(peer)),
                    )
                    .add(
                        Condition::all()
                            .add(U::CreatorId.eq(peer))
                            .add(U::ReceiveUserId.eq(me)),
                    ),
                None => Condition::any()
                    .add(U::CreatorId.eq(me))
                    .add(U::ReceiveUserId.eq(me)),
            };
            let rows = user_message::Entity::find()
                .filter(tenant_filter(U::TenantId, tenant_id))
                .filter(mine)
                .filter(U::State.ne(STATE_RECALLED))
                .filter(Self::matches(
                    "AppUserMessages",
                    query,
                    self.is_rare(db, "AppUserMessages", query).await?,
                ))
                .order_by_desc(U::MessageId)
                .limit(wanted)
                .all(db)
                .await?;
            found.extend(rows.into_iter().map(StoredMessage::from));
        }
        if !scope.groups.is_empty() {
            let rows = group_message::Entity::find()
                .filter(tenant_filter(G::TenantId, tenant_id))
                .filter(G::GroupId.is_in(scope.groups.clone()))
                .filter(G::State.ne(STATE_RECALLED))
                .filter(Self::matches(
                    "AppGroupMessages",
                    query,
                    self.is_rare(db, "AppGroupMessages", query).await?,
                ))
                .order_by_desc(G::MessageId)
                .limit(wanted)
                .all(db)
                .await?;
            found.extend(rows.into_iter().map(StoredMessage::from));
        }
        found.sort_by_key(|m| std::cmp::Reverse(m.message_id));
        Ok(found
            .into_iter()
            .skip(skip as usize)
            .take(take as usize)
            .collect())
    }

    async fn search_sqlite(
        &self,
        tenant_id: Option<Uuid>,
        me: Uuid,
        query: &str,
        scope: &SearchScope,
        skip: u64,
        take: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let wanted = skip + take;
        let tenant = |values: &mut Vec<sea_orm::Value>| match tenant_id {
            Some(t) => {
                values.push(t.into());
                format!("m.\"TenantId\" = ?{}", values.len() + 1)
            }
            None => "m.\"TenantId\" IS NULL".to_string(),
        };
        let mut found: Vec<StoredMessage> = Vec::new();
        if scope.private {
            let mut values: Vec<sea_orm::Value> = vec![me.into()];
            let who = match scope.peer {
                Some(peer) => {
                    values.push(peer.into());
                    "((m.\"CreatorId\" = ?2 AND m.\"ReceiveUserId\" = ?3) OR (m.\"CreatorId\" = ?3 AND m.\"ReceiveUserId\" = ?2))"
                }
                None => "(m.\"CreatorId\" = ?2 OR m.\"ReceiveUserId\" = ?2)",
            };
            let scope_sql = format!("{} AND {who}", tenant(&mut values));
            let rows = self
                .sqlite_matches::<user_message::Entity>(
                    "AppUserMessages",
                    query,
                    &scope_sql,
                    values,
                    wanted,
                )
                .await?;
            found.extend(rows.into_iter().map(StoredMessage::from));
        }
        if !scope.groups.is_empty() {
            let mut values: Vec<sea_orm::Value> = Vec::new();
            let tenant_sql = tenant(&mut values);
            let list: Vec<String> = scope
                .groups
                .iter()
                .map(|g| {
                    values.push((*g).into());
                    format!("?{}", values.len() + 1)
                })
                .collect();
            let scope_sql = format!("{tenant_sql} AND m.\"GroupId\" IN ({})", list.join(", "));
            let rows = self
                .sqlite_matches::<group_message::Entity>(
                    "AppGroupMessages",
                    query,
                    &scope_sql,
                    values,
                    wanted,
                )
                .await?;
            found.extend(rows.into_iter().map(StoredMessage::from));
        }
        found.sort_by_key(|m| std::cmp::Reverse(m.message_id));
        Ok(found
            .into_iter()
            .skip(skip as usize)
            .take(take as usize)
            .collect())
    }
}
