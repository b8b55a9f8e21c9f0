//! Devices' push tokens (`AppPushTokens`): registered by their users, read by the push
//! hand-off for the users it pushes to, and removed by their users or when the push service
//! reports them dead.

use std::collections::HashMap;

use entity::push_token as token;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{Store, StoreError};

/// A device's push token as the hand-off sends it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PushToken {
    pub platform: String,
    pub token: String,
}

impl Store {
    /// Registers `token` for a user's device; a token registered before (by anyone) moves
    /// to this user and device.
    pub async fn register_push_token(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        platform: &str,
        value: &str,
        device_id: Option<&str>,
    ) -> Result<(), StoreError> {
        use token::Column as C;
        let row = token::ActiveModel {
            tenant_id: Set(tenant_id),
            user_id: Set(user),
            platform: Set(platform.to_string()),
            token: Set(value.to_string()),
            device_id: Set(device_id.map(str::to_string)),
            creation_time: Set(crate::state::now_millis()),
            ..Default::default()
        };
        token::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::Token)
                    .update_columns([C::TenantId, C::UserId, C::Platform, C::DeviceId])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A user's push tokens, oldest first.
    pub async fn push_tokens_of_user(&self, user: Uuid) -> Result<Vec<token::Model>, StoreError> {
        Ok(token::Entity::find()
            .filter(token::Column::UserId.eq(user))
            .order_by_asc(token::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The push tokens of `users`, per user.
    pub async fn push_tokens(
        &self,
        users: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<PushToken>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<PushToken>> = HashMap::new();
        for batch in users.chunks(1000) {
            for row in token::Entity::find()
                .filter(token::Column::UserId.is_in(batch.to_vec()))
                .order_by_asc(token::Column::Id)
                .all(&self.db)
                .await?
            {
                out.entry(row.user_id).or_default().push(PushToken {
                    platform: row.platform,
                    token: row.token,
                });
            }
        }
        Ok(out)
    }

    /// Removes a user's `token`; whether it was theirs.
    pub async fn remove_push_token(&self, user: Uuid, value: &str) -> Result<bool, StoreError> {
        let gone = token::Entity::delete_many()
            .filter(token::Column::UserId.eq(user))
            .filter(token::Column::Token.eq(value))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Removes tokens the push service reported dead, whoever holds them; how many.
    pub async fn remove_dead_push_tokens(&self, values: &[String]) -> Result<u64, StoreError> {
        if values.is_empty() {
            return Ok(0);
        }
        let gone = token::Entity::delete_many()
            .filter(token::Column::Token.is_in(values.to_vec()))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected)
    }
}
