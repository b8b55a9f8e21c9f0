//! `AppPasswordResets`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A one-time password reset code an administrator made for a user: only its hash is kept, it
/// works once, within its hour. A new code replaces the user's previous one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppPasswordResets", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    /// SHA-256 of the code, hex.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub code_hash: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
