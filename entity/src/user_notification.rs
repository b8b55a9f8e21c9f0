//! `AppUserNotifications`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A notification in one user's inbox, with its read state (ABP's `NotificationReadState`:
/// 0 read, 1 unread).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserNotifications", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub notification_id: i64,
    pub read_status: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
