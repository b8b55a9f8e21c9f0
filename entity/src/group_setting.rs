//! `AppChatGroupSettings`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A group's settings that ABP's `AppChatGroups` has no column for: who may mention everyone.
/// A group without a row has the defaults.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppChatGroupSettings", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i64,
    pub tenant_id: Option<Uuid>,
    /// `owner`, `admins` or `members`.
    pub mention_all: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
