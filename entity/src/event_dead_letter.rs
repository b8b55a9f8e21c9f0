//! `AppEventDeadLetters`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An event that could not be delivered within `hooks.events.max_retry_seconds`: kept for an
/// administrator to look at and replay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppEventDeadLetters", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub event_id: String,
    #[sea_orm(column_type = "String(StringLen::N(48))")]
    pub kind: String,
    #[sea_orm(column_type = "String(StringLen::N(96))")]
    pub conversation: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub creation_time: DateTimeUtc,
    pub attempts: i32,
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub last_error: String,
    pub dead_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
