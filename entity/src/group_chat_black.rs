//! `AppGroupChatBlacks`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user banned from a group (the group's blacklist).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppGroupChatBlacks", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub group_id: i64,
    pub shield_user_id: Uuid,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
