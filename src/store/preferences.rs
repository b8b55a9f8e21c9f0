//! A user's chat preferences beyond ABP's settings: whether others see what the user has read
//! (`shareReadReceipts`, on unless turned off). A user without a row has the defaults.

use entity::user_preference;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::{Store, StoreError};

/// Whether `user` lets others see what they read.
pub(super) async fn shares_read_receipts<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> Result<bool, StoreError> {
    let row = user_preference::Entity::find_by_id(user).one(db).await?;
    Ok(row.is_none_or(|r| r.share_read_receipts))
}

impl Store {
    /// Whether `user` lets others see what they read.
    pub async fn shares_read_receipts(&self, user: Uuid) -> Result<bool, StoreError> {
        shares_read_receipts(&self.db, user).await
    }

    /// Sets whether `user` lets others see what they read.
    pub async fn set_share_read_receipts(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        share: bool,
    ) -> Result<(), StoreError> {
        use user_preference::Column as P;
        user_preference::Entity::insert(user_preference::ActiveModel {
            user_id: Set(user),
            tenant_id: Set(tenant_id),
            share_read_receipts: Set(share),
        })
        .on_conflict(
            OnConflict::column(P::UserId)
                .update_column(P::ShareReadReceipts)
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }
}
