//! `AppOutboxLeases`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Which pod delivers the event outbox, until when: one at a time, so events of a
/// conversation leave in order and none is sent by two pods at once. A pod that stops renewing
/// (killed) loses it to another when it expires.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppOutboxLeases", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub holder: String,
    pub until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
