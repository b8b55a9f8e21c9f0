//! Chat cards (ABP's `AppUserChatCards`): a user's public profile.

use chrono::{DateTime, Utc};
use entity::user_chat_card;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::{concurrency_stamp, tenant_filter};
use super::filters::contains;
use super::{Store, StoreError};

/// The fields of my card I may change (`None` leaves a field as it is).
#[derive(Clone, Debug, Default)]
pub struct CardUpdate {
    pub nick_name: Option<String>,
    pub sex: Option<i32>,
    pub sign: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub birthday: Option<DateTime<Utc>>,
    pub age: Option<i32>,
}

impl Store {
    /// The cards of `users` (those that exist).
    pub async fn cards(
        &self,
        tenant_id: Option<Uuid>,
        users: Vec<Uuid>,
    ) -> Result<Vec<user_chat_card::Model>, StoreError> {
        if users.is_empty() {
            return Ok(vec![]);
        }
        Ok(user_chat_card::Entity::find()
            .filter(tenant_filter(user_chat_card::Column::TenantId, tenant_id))
            .filter(user_chat_card::Column::UserId.is_in(users))
            .all(&self.db)
            .await?)
    }

    /// One user's card.
    pub async fn card(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<Option<user_chat_card::Model>, StoreError> {
        Ok(self.cards(tenant_id, vec![user]).await?.into_iter().next())
    }

    /// Changes my card.
    pub async fn update_card(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        update: CardUpdate,
    ) -> Result<(), StoreError> {
        use user_chat_card::Column as C;
        let mut query = user_chat_card::Entity::update_many()
            .col_expr(C::ConcurrencyStamp, Expr::value(concurrency_stamp()))
            .col_expr(C::LastModificationTime, Expr::value(Utc::now()))
            .col_expr(C::LastModifierId, Expr::value(user));
        if let Some(v) = update.nick_name {
            query = query.col_expr(C::NickName, Expr::value(v));
        }
        if let Some(v) = update.sex {
            query = query.col_expr(C::Sex, Expr::value(v));
        }
        if let Some(v) = update.sign {
            query = query.col_expr(C::Sign, Expr::value(v));
        }
        if let Some(v) = update.description {
            query = query.col_expr(C::Description, Expr::value(v));
        }
        if let Some(v) = update.avatar_url {
            query = query.col_expr(C::AvatarUrl, Expr::value(v));
        }
        if let Some(v) = update.birthday {
            query = query.col_expr(C::Birthday, Expr::value(v));
        }
        if let Some(v) = update.age {
            query = query.col_expr(C::Age, Expr::value(v));
        }
        query
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::UserId.eq(user))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Users whose user name or nick name contains `filter`, by name.
    pub async fn search_cards(
        &self,
        tenant_id: Option<Uuid>,
        filter: &str,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<user_chat_card::Model>), StoreError> {
        use user_chat_card::Column as C;
        let query = user_chat_card::Entity::find()
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(contains(C::UserName, filter))
                    .add(contains(C::NickName, filter)),
            );
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_asc(C::UserName)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        Ok((total, rows))
    }
}
