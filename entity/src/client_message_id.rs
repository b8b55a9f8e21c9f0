//! `AppClientMessageIds`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The idempotency key of a send: a retried `clientMsgId` finds the first message instead of storing a second.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppClientMessageIds", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub client_msg_id: String,
    pub message_id: i64,
    pub send_time: DateTimeUtc,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
