//! ABP's notification tables (definitions and their groups, notifications, each user's inbox
//! rows with their read state, and subscriptions), column for column as ABP's migration makes
//! them with its index names; and this product's push tokens and per-conversation settings
//! (muting), which the hand-off to mobile push reads.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the notification and push tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(manager, tables(), &indexes()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &tables(), &indexes()).await
    }
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("AppNotificationDefinitionGroups")
            .col(uuid("Id").primary_key())
            .col(string_len("Name", 64))
            .col(string_len_null("DisplayName", 255))
            .col(string_len_null("Description", 255))
            .col(boolean("AllowSubscriptionToClients"))
            .col(text_null("ExtraProperties"))
            .to_owned(),
        Table::create()
            .table("AppNotificationDefinitions")
            .col(uuid("Id").primary_key())
            .col(string_len("Name", 64))
            .col(string_len("GroupName", 64))
            .col(string_len_null("DisplayName", 255))
            .col(string_len_null("Description", 255))
            .col(integer("NotificationLifetime"))
            .col(integer("NotificationType"))
            .col(integer("ContentType").default(0))
            .col(string_len_null("Providers", 200))
            .col(boolean("AllowSubscriptionToClients"))
            .col(text_null("ExtraProperties"))
            .to_owned(),
        Table::create()
            .table("AppNotifications")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(small_integer("Severity"))
            .col(integer("Type"))
            .col(integer("ContentType").default(0))
            .col(big_integer("NotificationId"))
            .col(string_len("NotificationName", 100))
            .col(string_len("NotificationTypeName", 512))
            .col(timestamp_with_time_zone_null("ExpirationTime"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(text_null("ExtraProperties"))
            .to_owned(),
        Table::create()
            .table("AppUserNotifications")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(big_integer("NotificationId"))
            .col(integer("ReadStatus"))
            .to_owned(),
        Table::create()
            .table("AppUserSubscribes")
            .col(big_pk_auto("Id"))
            .col(uuid("UserId"))
            .col(string_len("UserName", 128).default("/"))
            .col(uuid_null("TenantId"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(string_len("NotificationName", 100))
            .to_owned(),
        Table::create()
            .table("AppPushTokens")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(string_len("Platform", 16))
            .col(string_len("Token", 512))
            .col(string_len_null("DeviceId", 64))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppConversationSettings")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(uuid_null("PeerUserId"))
            .col(big_integer_null("GroupId"))
            .col(boolean("Muted"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain("AppNotifications", &["TenantId", "NotificationName"]),
        Idx::named(
            "IX_Tenant_User_Notification_Id",
            "AppUserNotifications",
            &["TenantId", "UserId", "NotificationId"],
            false,
        ),
        Idx::named(
            "IX_Tenant_User_Notification_Name",
            "AppUserSubscribes",
            &["TenantId", "UserId", "NotificationName"],
            true,
        ),
        // This product's: a notification found by its id (inbox joins), expired ones swept,
        // definitions and groups found by name.
        Idx::unique("AppNotifications", "NotificationId", &["NotificationId"]),
        Idx::plain("AppNotifications", &["ExpirationTime"]),
        Idx::plain("AppUserNotifications", &["NotificationId"]),
        Idx::unique("AppNotificationDefinitions", "Name", &["Name"]),
        Idx::unique("AppNotificationDefinitionGroups", "Name", &["Name"]),
        Idx::unique("AppPushTokens", "Token", &["Token"]),
        Idx::plain("AppPushTokens", &["UserId"]),
        Idx::unique(
            "AppConversationSettings",
            "Conversation",
            &["TenantId", "UserId", "PeerUserId", "GroupId"],
        ),
    ]
}
