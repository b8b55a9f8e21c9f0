//! `AppUserChatGroups`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A membership: `UserId` belongs to `GroupId`. `CreatorId` is the admin who accepted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserChatGroups", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub group_id: i64,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
