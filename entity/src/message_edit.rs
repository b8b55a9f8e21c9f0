//! `AppMessageEdits`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The text a message had before one of its edits: an edit updates the message in place and
/// keeps what it replaced here, numbered by the version the edit made.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMessageEdits", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub message_id: i64,
    pub version: i32,
    pub previous_content: String,
    pub editor_id: Uuid,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
