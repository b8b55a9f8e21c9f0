//! One-time password reset codes (`AppPasswordResets`): an administrator makes one for a user,
//! the user spends it once within its hour. Only the code's hash is kept.

use chrono::{DateTime, Utc};
use entity::password_reset;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Store, StoreError};

impl Store {
    /// Stores the hash of a new code for `user`, replacing any earlier one.
    pub async fn put_reset_code(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        code_hash: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.write_txn().await?;
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(user))
            .exec(&txn)
            .await?;
        password_reset::Entity::insert(password_reset::ActiveModel {
            user_id: Set(user),
            tenant_id: Set(tenant_id),
            code_hash: Set(code_hash),
            expires_at: Set(expires_at),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Spends `user`'s code if `matches` accepts its stored hash and it has not expired:
    /// true once, then the code is gone.
    pub async fn spend_reset_code(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        matches: impl FnOnce(&str) -> bool,
    ) -> Result<bool, StoreError> {
        let txn = self.write_txn().await?;
        let Some(row) = password_reset::Entity::find_by_id(user).one(&txn).await? else {
            return Ok(false);
        };
        if row.tenant_id != tenant_id || row.expires_at <= Utc::now() || !matches(&row.code_hash) {
            return Ok(false);
        }
        let spent = password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(user))
            .filter(password_reset::Column::CodeHash.eq(row.code_hash))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(spent.rows_affected == 1)
    }
}
