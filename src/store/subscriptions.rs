//! Users' subscriptions to notification definitions (`AppUserSubscribes`).

use entity::user_subscribe as sub;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::{Store, StoreError};

impl Store {
    /// A page of the names a user is subscribed to, by name, and how many in all.
    pub async fn subscriptions(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<String>), StoreError> {
        let find = || {
            sub::Entity::find()
                .filter(tenant_filter(sub::Column::TenantId, tenant_id))
                .filter(sub::Column::UserId.eq(user))
        };
        let total = find().count(&self.db).await?;
        let names = find()
            .select_only()
            .column(sub::Column::NotificationName)
            .order_by_asc(sub::Column::NotificationName)
            .offset(skip)
            .limit(take)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok((total, names))
    }

    /// Whether a user is subscribed to `name`.
    pub async fn is_subscribed(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        Ok(sub::Entity::find()
            .filter(tenant_filter(sub::Column::TenantId, tenant_id))
            .filter(sub::Column::UserId.eq(user))
            .filter(sub::Column::NotificationName.eq(name))
            .count(&self.db)
            .await?
            > 0)
    }

    /// Subscribes a user to `name` (already subscribed is no change).
    pub async fn subscribe(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        user_name: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        let row = sub::ActiveModel {
            user_id: Set(user),
            user_name: Set(user_name.chars().take(128).collect()),
            tenant_id: Set(tenant_id),
            creation_time: Set(crate::state::now_millis()),
            notification_name: Set(name.to_string()),
            ..Default::default()
        };
        match sub::Entity::insert(row).exec(&self.db).await {
            Ok(_) => Ok(()),
            Err(e) => match StoreError::from(e) {
                StoreError::Conflict => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Unsubscribes a user from `name`; whether it was subscribed.
    pub async fn unsubscribe(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        let gone = sub::Entity::delete_many()
            .filter(tenant_filter(sub::Column::TenantId, tenant_id))
            .filter(sub::Column::UserId.eq(user))
            .filter(sub::Column::NotificationName.eq(name))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }
}
