//! The private half of a `sync` page in one statement: the messages a user received and the
//! ones they sent, each walked on its own index in commit order, below the stable horizon.
//! Three round trips (the horizon, then each side) became one: at a reconnect storm each
//! round trip is paid by every user at once.

use entity::user_message;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Store, StoreError};

/// The oldest transaction still writing, in PostgreSQL: rows of younger transactions may yet
/// be joined by older ones, so a walk stops before them. SQLite commits in row-id order.
pub(super) const PG_HORIZON: &str = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint";

/// Up to `limit` rows of each side after `pos`, in commit order: received first, then sent.
pub struct PrivateWalk {
    pub received: Vec<user_message::Model>,
    pub sent: Vec<user_message::Model>,
}

impl Store {
    /// Both sides of `user`'s private walk after `pos`, in one statement.
    pub(super) async fn private_walk(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        pos: (i64, i64),
        limit: u64,
    ) -> Result<PrivateWalk, StoreError> {
        use user_message::Column as U;
        let backend = self.backend();
        // Each side is shaped for its own (ReceiveUserId | CreatorId, TxId, Id) index: one
        // query with an OR let PostgreSQL read the whole (TenantId, …) index for the sent side.
        let side = |column: U, tag: i32| -> SelectStatement {
            let mut q = user_message::Entity::find()
                .filter(tenant_filter(U::TenantId, tenant_id))
                .filter(column.eq(user))
                .filter(super::messages::after(U::TxId, U::Id, pos));
            if backend == DbBackend::Postgres {
                q = q.filter(Expr::col(U::TxId).lt(Expr::cust(PG_HORIZON)));
            }
            let inner = q
                .order_by_asc(U::TxId)
                .order_by_asc(U::Id)
                .limit(limit)
                .expr_as(Expr::val(tag), "walk_side")
                .into_query();
            Query::select()
                .column(Asterisk)
                .from_subquery(inner, Alias::new(if tag == 0 { "r" } else { "s" }))
                .to_owned()
        };
        let mut statement = side(U::ReceiveUserId, 0);
        statement.union(UnionType::All, side(U::CreatorId, 1));
        let rows = self.db.query_all_raw(backend.build(&statement)).await?;
        let mut walk = PrivateWalk {
            received: Vec::new(),
            sent: Vec::new(),
        };
        for row in rows {
            let model = user_message::Model::from_query_result(&row, "")?;
            match row.try_get::<i32>("", "walk_side")? {
                0 => walk.received.push(model),
                _ => walk.sent.push(model),
            }
        }
        // UNION ALL keeps each side's rows but not necessarily their order.
        walk.received.sort_by_key(|m| (m.tx_id, m.id));
        walk.sent.sort_by_key(|m| (m.tx_id, m.id));
        Ok(walk)
    }
}
