//! `AppUserChatFriends`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One direction of a friendship (or a pending request while `Status` is 0). `FrientId` keeps ABP's spelling.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserChatFriends", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub frient_id: Uuid,
    pub is_static: Option<bool>,
    pub black: Option<bool>,
    pub dont_disturb: Option<bool>,
    pub special_focus: Option<bool>,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub remark_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub description: Option<String>,
    pub status: i16,
    #[sea_orm(column_type = "Text")]
    pub extra_properties: String,
    #[sea_orm(column_type = "String(StringLen::N(40))")]
    pub concurrency_stamp: String,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
