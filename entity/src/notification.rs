//! `AppNotifications`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One published notification, stored once however many users it reaches (each has an
/// `AppUserNotifications` row pointing at `NotificationId`). Its data is the JSON in
/// `ExtraProperties`; it is swept after `ExpirationTime`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppNotifications", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    /// ABP's `NotificationSeverity`: 0 success, 10 info, 20 warn, 30 error, 40 fatal.
    pub severity: i16,
    #[sea_orm(column_name = "Type")]
    pub r#type: i32,
    pub content_type: i32,
    /// A Snowflake id: what clients and inbox rows name it by.
    pub notification_id: i64,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub notification_name: String,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub notification_type_name: String,
    pub expiration_time: Option<DateTimeUtc>,
    pub creation_time: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub extra_properties: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
