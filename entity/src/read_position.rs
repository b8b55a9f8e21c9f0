//! `AppChatReadPositions`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How far a user has read one conversation (a peer or a group): unread counts and receipts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppChatReadPositions", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub peer_user_id: Option<Uuid>,
    pub group_id: Option<i64>,
    pub message_id: i64,
    pub last_modification_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
