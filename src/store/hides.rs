//! "Delete for me": a message hidden from one user's history, sync and conversation list, on
//! all their devices, and left as it is for everyone else.

use chrono::Utc;
use entity::message_hide;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::message_changes::{self, ChangeKind};
use super::messages::StoredMessage;
use super::{Store, StoreError};

impl Store {
    /// Hides `message` from `user`; false when it was hidden already. The change feed records
    /// it (for the user alone) in the same transaction.
    pub async fn hide_message(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        message: &StoredMessage,
    ) -> Result<bool, StoreError> {
        use message_hide::Column as H;
        let txn = self.write_txn().await?;
        let insert = Query::insert()
            .into_table(message_hide::Entity)
            .columns([H::TenantId, H::UserId, H::MessageId, H::CreationTime])
            .values_panic([
                tenant_id.into(),
                user.into(),
                message.message_id.into(),
                Utc::now().into(),
            ])
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .to_owned();
        let backend = txn.get_database_backend();
        let inserted = txn
            .execute_raw(backend.build(&insert))
            .await?
            .rows_affected()
            == 1;
        if inserted {
            let change = message_changes::row(
                tenant_id,
                message.message_id,
                message.from,
                message.to,
                ChangeKind::Hidden,
                Some(user),
            );
            message_changes::record(&txn, vec![change]).await?;
        }
        txn.commit().await?;
        Ok(inserted)
    }
}

/// The ids of the messages `user` hid: a sub-query for `NOT IN` (on the unique
/// (UserId, MessageId) index).
pub(super) fn hidden_by(user: Uuid) -> SelectStatement {
    Query::select()
        .column(message_hide::Column::MessageId)
        .from(message_hide::Entity)
        .and_where(Expr::col(message_hide::Column::UserId).eq(user))
        .to_owned()
}
