//! `AppAuthSessions`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One signed-in device: what a login starts and a refresh keeps alive. Its id is the `sid`
/// of every access token issued for it, so ending the session (deleting the row and revoking
/// the `sid`) ends its tokens, its refresh tokens and its sockets together.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppAuthSessions", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub id: String,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub platform: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub device_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub device_name: Option<String>,
    pub creation_time: DateTimeUtc,
    pub last_seen_time: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub last_ip: String,
    /// The refresh tokens of the session stop working after this (disuse); a refresh moves it.
    pub refresh_expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
