//! `AppUserChatCards`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user's public chat profile and presence state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserChatCards", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub user_name: String,
    pub sex: i32,
    #[sea_orm(column_type = "String(StringLen::N(30))", nullable)]
    pub sign: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub nick_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(512))", nullable)]
    pub avatar_url: Option<String>,
    pub birthday: Option<DateTimeUtc>,
    pub age: i32,
    pub last_online_time: Option<DateTimeUtc>,
    pub state: i32,
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
