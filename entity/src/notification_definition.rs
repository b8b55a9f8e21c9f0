//! `AppNotificationDefinitions`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A kind of notification that may be published (ABP's `NotificationDefinitionRecord`): its
/// name, lifetime, type, content type, the providers that carry it, and whether users may
/// subscribe to it themselves.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "AppNotificationDefinitions", rename_all = "PascalCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub group_name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub display_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))", nullable)]
    pub description: Option<String>,
    /// ABP's `NotificationLifetime`: 0 persistent, 1 only once (gone from the inbox once read).
    pub notification_lifetime: i32,
    /// ABP's `NotificationType`: 0 application, 10 system, 20 user, 30 service callback.
    pub notification_type: i32,
    /// ABP's `NotificationContentType`: 0 text, 1 HTML, 2 Markdown, 3 JSON.
    pub content_type: i32,
    /// Comma-separated provider names (`SignalR`, …).
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub providers: Option<String>,
    pub allow_subscription_to_clients: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub extra_properties: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
