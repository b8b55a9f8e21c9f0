//! What only administrators read and change: bans, the roles and ban flag beside user cards,
//! and any user's messages.

use std::collections::HashMap;

use entity::{user_credential, user_message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::accounts::tenant_filter;
use super::filters::contains;
use super::messages::StoredMessage;
use super::{Store, StoreError};

/// A user's standing, as the admin console shows it.
#[derive(Clone, Debug)]
pub struct Standing {
    pub roles: Vec<String>,
    pub banned: bool,
}

impl Store {
    /// Bans or unbans `user`; false when the user has no built-in account.
    pub async fn set_banned(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        banned: bool,
    ) -> Result<bool, StoreError> {
        use user_credential::Column as C;
        let result = user_credential::Entity::update_many()
            .col_expr(C::IsBanned, Expr::value(banned))
            .col_expr(C::LastModificationTime, Expr::value(chrono::Utc::now()))
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::UserId.eq(user))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// The roles and ban flag of `users` that have a built-in account.
    pub async fn standings(
        &self,
        tenant_id: Option<Uuid>,
        users: &[Uuid],
    ) -> Result<HashMap<Uuid, Standing>, StoreError> {
        use user_credential::Column as C;
        let rows = user_credential::Entity::find()
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::UserId.is_in(users.to_vec()))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let roles = c
                    .roles
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect();
                (
                    c.user_id,
                    Standing {
                        roles,
                        banned: c.is_banned,
                    },
                )
            })
            .collect())
    }

    /// Every private message to or from `user`, newest first, optionally containing `text`.
    pub async fn messages_of_user(
        &self,
        tenant_id: Option<Uuid>,
        user: Uuid,
        text: Option<&str>,
        skip: u64,
        take: u64,
    ) -> Result<(u64, Vec<StoredMessage>), StoreError> {
        use user_message::Column as U;
        let mut query = user_message::Entity::find()
            .filter(tenant_filter(U::TenantId, tenant_id))
            .filter(
                Condition::any()
                    .add(U::CreatorId.eq(user))
                    .add(U::ReceiveUserId.eq(user)),
            );
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            query = query.filter(contains(U::Content, text));
        }
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_desc(U::MessageId)
            .offset(skip)
            .limit(take)
            .all(&self.db)
            .await?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
    }
}
