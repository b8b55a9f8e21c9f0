//! `AppGroupJoinRequests`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A request to join a group, reviewed by its admins (upstream never implemented joining).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppGroupJoinRequests", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub group_id: i64,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub join_info: Option<String>,
    pub status: i16,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub reject_reason: Option<String>,
    pub creation_time: DateTimeUtc,
    pub last_modification_time: Option<DateTimeUtc>,
    pub last_modifier_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
