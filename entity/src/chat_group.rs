//! `AppChatGroups`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A chat group. `GroupId` is the public Snowflake id; `AdminUserId` is the owner.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppChatGroups", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub admin_user_id: Uuid,
    pub group_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(512))", nullable)]
    pub tag: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub address: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub notice: Option<String>,
    pub max_user_count: i32,
    pub allow_anonymous: bool,
    pub allow_send_message: bool,
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub avatar_url: Option<String>,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
    pub last_modification_time: Option<DateTimeUtc>,
    pub last_modifier_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
