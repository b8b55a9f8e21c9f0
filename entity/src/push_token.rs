//! `AppPushTokens`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A device's token for its platform's push service (APNs, FCM, …): where the push hand-off
/// sends a user who has no session in the foreground. A token belongs to one device, so
/// registering it again moves it to the registering user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppPushTokens", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub platform: String,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub token: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub device_id: Option<String>,
    pub creation_time: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
