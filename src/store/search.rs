//! Full-text search over the messages a user may see, through the search indexes (FTS5 on
//! SQLite, `tsvector` GIN on PostgreSQL), never a scan with LIKE.
//!
//! SQLite reads the FTS5 matches newest row first and stops at the page. PostgreSQL first asks
//! the GIN index whether the words are rare (fewer than [`RARE`] matches anywhere): then it
//! reads just those matches and filters them; otherwise it walks the caller's messages newest
//! first, where matches are dense enough to fill a page soon.

use entity::{group_message, user_message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::messages::{StoredMessage, STATE_RECALLED};
use super::{Store, StoreError};

/// Fewer matches than this in the whole table make the words "rare" on PostgreSQL.
pub const RARE: i64 = 2000;

#[derive(sea_orm::FromQueryResult)]
struct Hits {
    n: i64,
}

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
    fn matches(&self, table: &str, query: &str, rare: bool) -> sea_orm::sea_query::Expr {
        match self.backend() {
            // Rare words: the GIN index's matches, materialized first, then filtered.
            DbBackend::Postgres if rare => Expr::cust_with_values(
                format!("\"Id\" IN (SELECT h.\"Id\" FROM (SELECT \"Id\" FROM \"{table}\" WHERE to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1) OFFSET 0) h)"),
                [query.to_string()],
            ),
            DbBackend::Postgres => Expr::cust_with_values(
                "to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1)",
                [query.to_string()],
            ),
            _ => {
                let phrase = format!("\"{}\"", query.replace('"', "\"\""));
                Expr::cust_with_values(format!("\"Id\" IN (SELECT rowid FROM \"{table}Search\" WHERE \"{table}Search\" MATCH ?)"), [phrase])
            }
        }
    }

    /// PostgreSQL: whether `query` matches fewer than [`RARE`] messages of `table`.
    async fn is_rare(&self, table: &str, query: &str) -> Result<bool, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(false);
        }
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM \"{table}\" WHERE to_tsvector('simple', \"Content\") @@ plainto_tsquery('simple', $1) LIMIT {RARE}) x"
        );
        let hits = <Hits as sea_orm::FromQueryResult>::find_by_statement(
            sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, [query.into()]),
        )
        .one(&self.db)
        .await?;
        Ok(hits.is_some_and(|h| h.n < RARE))
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
        use group_message::Column as G;
        use user_message::Column as U;
        let wanted = skip + take;
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
                .filter(self.matches(
                    "AppUserMessages",
                    query,
                    self.is_rare("AppUserMessages", query).await?,
                ))
                .order_by_desc(U::MessageId)
                .limit(wanted)
                .all(&self.db)
                .await?;
            found.extend(rows.into_iter().map(StoredMessage::from));
        }
        if !scope.groups.is_empty() {
            let rows = group_message::Entity::find()
                .filter(tenant_filter(G::TenantId, tenant_id))
                .filter(G::GroupId.is_in(scope.groups.clone()))
                .filter(G::State.ne(STATE_RECALLED))
                .filter(self.matches(
                    "AppGroupMessages",
                    query,
                    self.is_rare("AppGroupMessages", query).await?,
                ))
                .order_by_desc(G::MessageId)
                .limit(wanted)
                .all(&self.db)
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
