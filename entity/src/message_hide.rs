//! `AppMessageHides`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A message a user deleted for themself: gone from their history, sync and conversation
/// list, untouched for everyone else.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMessageHides", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub message_id: i64,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
