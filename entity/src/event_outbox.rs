//! `AppEventOutbox`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An event for backend services (`message.sent`, …), written in the same transaction as the
/// change it reports, and removed once delivered. Events of one conversation are delivered in
/// row order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppEventOutbox", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable across retries: receivers de-duplicate by it.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub event_id: String,
    #[sea_orm(column_type = "String(StringLen::N(48))")]
    pub kind: String,
    /// What orders events: `u:<lower id>:<higher id>` for a private conversation, `g:<id>`.
    #[sea_orm(column_type = "String(StringLen::N(96))")]
    pub conversation: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub creation_time: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
