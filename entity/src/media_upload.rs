//! `AppMediaUploads`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A direct upload under way: a client was given a presigned URL to put `Size` bytes of type
/// `Mime` with SHA-256 `Sha256` into the S3-compatible store; completing it checks what
/// arrived and makes the media. Any pod may complete it, so it is kept here, not in memory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMediaUploads", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub upload_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub owner_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub name: Option<String>,
    pub size: i64,
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub mime: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub sha256: String,
    /// When the presigned URL stops working.
    pub expires_at: DateTimeUtc,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
