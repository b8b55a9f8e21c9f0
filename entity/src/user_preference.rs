//! `AppUserChatPreferences`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user's chat preferences that ABP's `AppUserChatSettings` has no column for: whether
/// others see what the user has read. A user without a row has the defaults.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserChatPreferences", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub share_read_receipts: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
