//! `AppMessageReactions`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One user's reaction to a message with one emoji: at most one row per (message, user,
/// emoji), so adding twice is adding once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMessageReactions", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub user_id: Uuid,
    pub emoji: String,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
