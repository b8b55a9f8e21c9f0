//! `AppUserMessages`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A private (1:1) message. `CreatorId` is the sender, `ReceiveUserId` the receiver; `MessageId` is the Snowflake id clients see.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppUserMessages", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub receive_user_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub extra_properties: String,
    #[sea_orm(column_type = "String(StringLen::N(40))")]
    pub concurrency_stamp: String,
    pub creation_time: DateTimeUtc,
    pub creator_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub send_user_name: String,
    #[sea_orm(column_type = "String(StringLen::N(1048576))")]
    pub content: String,
    #[sea_orm(column_name = "Type")]
    pub message_type: i32,
    pub source: i32,
    pub state: i16,
    /// This product's addition: the writing transaction's id on PostgreSQL (0 on SQLite), so
    /// that `sync` never skips a message committed late. Defaulted by the database.
    #[sea_orm(column_name = "TxId")]
    pub tx_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
