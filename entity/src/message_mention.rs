//! `AppMessageMentions`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A member a group message mentions, or (no user) everyone: one row for `@all`, so that a
/// mention of a large group costs one row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMessageMentions", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub group_id: i64,
    pub message_id: i64,
    pub user_id: Option<Uuid>,
    pub creator_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
