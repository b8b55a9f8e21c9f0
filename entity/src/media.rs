//! `AppMedia`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One uploaded file: who uploaded it, what it is (sniffed from its bytes, not taken from the
/// client), its size and SHA-256 (the same bytes from the same user are one media), an image's
/// dimensions and thumbnail, and where its bytes are in the media store. `Referenced` is set
/// once a message carries it; unreferenced uploads are deleted after `media.orphan_hours`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppMedia", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A Snowflake id: what clients name it by.
    pub media_id: i64,
    pub tenant_id: Option<Uuid>,
    pub owner_id: Uuid,
    /// `image`, `video`, `audio` or `file`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub kind: String,
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub mime: String,
    pub size: i64,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub sha256: String,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub name: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumb_width: Option<i32>,
    pub thumb_height: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub store_key: String,
    #[sea_orm(column_type = "String(StringLen::N(256))", nullable)]
    pub thumb_key: Option<String>,
    pub referenced: bool,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
