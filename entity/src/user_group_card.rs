//! `AppUserGroupCards`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A member's card inside one group: nickname, admin flag, silence. `GroupId` is this product's addition (upstream has none).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserGroupCards", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub group_id: Option<i64>,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub nick_name: Option<String>,
    pub is_admin: bool,
    pub silence_end: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub extra_properties: String,
    #[sea_orm(column_type = "String(StringLen::N(40))")]
    pub concurrency_stamp: String,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
    pub last_modification_time: Option<DateTimeUtc>,
    pub last_modifier_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
