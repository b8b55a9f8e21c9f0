//! `AppRevokedTokens`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A token ended by logout before its expiry; refused on every pod until it would have expired anyway.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppRevokedTokens", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub jti: String,
    pub expires_at: DateTimeUtc,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
