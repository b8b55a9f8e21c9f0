//! `AppUserCredentials`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Login credentials for the built-in accounts (ABP keeps users in its identity module; this product needs its own).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserCredentials", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub user_name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub normalized_user_name: String,
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub password_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub roles: String,
    pub is_banned: bool,
    pub creation_time: DateTimeUtc,
    pub last_modification_time: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
