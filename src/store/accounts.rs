//! Built-in accounts: credentials, the ABP chat card and settings every user starts with, and
//! revoked tokens.

use chrono::{DateTime, Utc};
use entity::{revoked_token, user_chat_card, user_chat_setting, user_credential};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Store, StoreError};

/// What registering creates.
pub struct NewAccount {
    pub tenant_id: Option<Uuid>,
    pub user_name: String,
    pub password_hash: String,
    pub roles: Vec<String>,
}

/// A stored login: enough to check a password and issue a token.
pub struct StoredCredential {
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub user_name: String,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub banned: bool,
}

impl From<user_credential::Model> for StoredCredential {
    fn from(c: user_credential::Model) -> Self {
        StoredCredential {
            user_id: c.user_id,
            tenant_id: c.tenant_id,
            user_name: c.user_name,
            password_hash: c.password_hash,
            roles: c
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            banned: c.is_banned,
        }
    }
}

/// The key user names are unique under (case-insensitive, as ABP normalizes them).
pub fn normalize_user_name(name: &str) -> String {
    name.to_uppercase()
}

/// A fresh `ConcurrencyStamp`, as ABP writes it (a GUID without dashes).
pub(crate) fn concurrency_stamp() -> String {
    Uuid::new_v4().simple().to_string()
}

pub(crate) fn tenant_filter<C: ColumnTrait>(
    column: C,
    tenant_id: Option<Uuid>,
) -> sea_orm::Condition {
    match tenant_id {
        Some(t) => sea_orm::Condition::all().add(column.eq(t)),
        None => sea_orm::Condition::all().add(column.is_null()),
    }
}

impl Store {
    /// Creates the credential, chat card and chat settings of a new user in one transaction.
    /// A taken user name is [`StoreError::Conflict`].
    pub async fn create_account(&self, account: NewAccount) -> Result<Uuid, StoreError> {
        let user_id = Uuid::new_v4();
        let now = Utc::now();
        let txn = self.write_txn().await?;
        user_credential::Entity::insert(user_credential::ActiveModel {
            tenant_id: Set(account.tenant_id),
            user_id: Set(user_id),
            user_name: Set(account.user_name.clone()),
            normalized_user_name: Set(normalize_user_name(&account.user_name)),
            password_hash: Set(account.password_hash),
            roles: Set(account.roles.join(",")),
            is_banned: Set(false),
            creation_time: Set(now),
            last_modification_time: Set(None),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        user_chat_card::Entity::insert(user_chat_card::ActiveModel {
            tenant_id: Set(account.tenant_id),
            user_id: Set(user_id),
            user_name: Set(account.user_name.clone()),
            sex: Set(0),
            nick_name: Set(Some(account.user_name.clone())),
            age: Set(0),
            state: Set(1),
            extra_properties: Set("{}".into()),
            concurrency_stamp: Set(concurrency_stamp()),
            creation_time: Set(now),
            creator_id: Set(Some(user_id)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        user_chat_setting::Entity::insert(user_chat_setting::ActiveModel {
            tenant_id: Set(account.tenant_id),
            user_id: Set(user_id),
            allow_anonymous: Set(false),
            allow_add_friend: Set(true),
            require_add_friend_valition: Set(true),
            allow_receive_message: Set(true),
            allow_send_message: Set(true),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(user_id)
    }

    /// The credential of `user_name` in `tenant_id`, if there is one.
    pub async fn find_credential(
        &self,
        tenant_id: Option<Uuid>,
        user_name: &str,
    ) -> Result<Option<StoredCredential>, StoreError> {
        let row = user_credential::Entity::find()
            .filter(tenant_filter(user_credential::Column::TenantId, tenant_id))
            .filter(user_credential::Column::NormalizedUserName.eq(normalize_user_name(user_name)))
            .one(&self.db)
            .await?;
        Ok(row.map(StoredCredential::from))
    }

    /// The credential of the user with `user_id`, if they have a built-in account.
    pub async fn credential_of(
        &self,
        tenant_id: Option<Uuid>,
        user_id: Uuid,
    ) -> Result<Option<StoredCredential>, StoreError> {
        let row = user_credential::Entity::find()
            .filter(tenant_filter(user_credential::Column::TenantId, tenant_id))
            .filter(user_credential::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?;
        Ok(row.map(StoredCredential::from))
    }

    /// Replaces the user's password hash; false when they have no built-in account.
    pub async fn set_password(
        &self,
        tenant_id: Option<Uuid>,
        user_id: Uuid,
        password_hash: String,
    ) -> Result<bool, StoreError> {
        use sea_orm::sea_query::Expr;
        use user_credential::Column as C;
        let result = user_credential::Entity::update_many()
            .col_expr(C::PasswordHash, Expr::value(password_hash))
            .col_expr(C::LastModificationTime, Expr::value(Utc::now()))
            .filter(tenant_filter(C::TenantId, tenant_id))
            .filter(C::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Refuses the token with `key` from now until `expires_at`. Revoking twice is fine.
    pub async fn revoke_token(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let insert = revoked_token::Entity::insert(revoked_token::ActiveModel {
            jti: Set(key.to_string()),
            expires_at: Set(expires_at),
            creation_time: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await;
        match insert.map_err(StoreError::from) {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether a connection may open, in one statement (a reconnect storm pays every round
    /// trip once per user): was the token with `key` revoked or its session (`session_id`)
    /// ended, and is `user` banned? Users without a built-in account (external tokens) are
    /// not banned.
    pub async fn connect_standing(
        &self,
        key: &str,
        session_id: Option<&str>,
        tenant_id: Option<Uuid>,
        user: Uuid,
    ) -> Result<(bool, bool), StoreError> {
        use sea_orm::sea_query::{Expr, ExprTrait, Query};
        use sea_orm::ConnectionTrait;
        let mut revoked = Query::select()
            .expr(Expr::val(1))
            .from(revoked_token::Entity)
            .and_where(Expr::col(revoked_token::Column::Jti).eq(key))
            .to_owned();
        if let Some(session_id) = session_id {
            let live = Query::select()
                .expr(Expr::val(1))
                .from(entity::auth_session::Entity)
                .and_where(Expr::col(entity::auth_session::Column::Id).eq(session_id))
                .to_owned();
            // A token whose session is gone counts as revoked: one row answers either way.
            revoked = Query::select()
                .expr(Expr::val(1))
                .cond_where(
                    sea_orm::Condition::any()
                        .add(Expr::exists(revoked))
                        .add(Expr::exists(live).not()),
                )
                .to_owned();
        }
        let banned = Query::select()
            .column(user_credential::Column::IsBanned)
            .from(user_credential::Entity)
            .cond_where(tenant_filter(user_credential::Column::TenantId, tenant_id))
            .and_where(Expr::col(user_credential::Column::UserId).eq(user))
            .limit(1)
            .to_owned();
        let statement = Query::select()
            .expr_as(Expr::exists(revoked), "revoked")
            .expr_as(Expr::from(banned), "banned")
            .to_owned();
        let statement = self.backend().build(&statement);
        let db = self.primary_or_standby();
        let row = match db.query_one_raw(statement.clone()).await {
            Ok(row) => row,
            // With the primary down a replica answers (it has all the primary committed).
            Err(e) => match self.standby_after_failure() {
                Some(standby) if std::ptr::eq(db, &self.db) => {
                    standby.query_one_raw(statement).await?
                }
                _ => return Err(e.into()),
            },
        }
        .ok_or_else(|| StoreError::Unavailable("no answer".into()))?;
        let revoked: bool = row.try_get("", "revoked")?;
        let banned: Option<bool> = row.try_get("", "banned")?;
        Ok((revoked, banned.unwrap_or(false)))
    }
}
