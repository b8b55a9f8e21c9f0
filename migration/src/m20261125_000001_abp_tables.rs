//! The nine tables of the ABP `realtime-message` module, as its own migration creates them
//! (`spec/SCHEMA.md`), with their named indexes: a database made here can be read by ABP, and
//! one made by ABP can be served from here.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_index, drop_table, Idx};

/// Creates the ABP tables and the indexes ABP names.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for idx in indexes() {
            create_index(manager, &idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().iter().rev() {
            drop_table(manager, table).await?;
        }
        Ok(())
    }
}

pub(crate) fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("AppUserMessages")
            .col(big_pk_auto("Id"))
            .col(uuid("ReceiveUserId"))
            .col(text("ExtraProperties"))
            .col(string_len("ConcurrencyStamp", 40))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .col(uuid_null("TenantId"))
            .col(big_integer("MessageId"))
            .col(string_len("SendUserName", 64))
            .col(string_len("Content", 1048576))
            .col(integer("Type"))
            .col(integer("Source"))
            .col(small_integer("State"))
            .to_owned(),
        Table::create()
            .table("AppGroupMessages")
            .col(big_pk_auto("Id"))
            .col(big_integer("GroupId"))
            .col(text("ExtraProperties"))
            .col(string_len("ConcurrencyStamp", 40))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .col(uuid_null("TenantId"))
            .col(big_integer("MessageId"))
            .col(string_len("SendUserName", 64))
            .col(string_len("Content", 1048576))
            .col(integer("Type"))
            .col(integer("Source"))
            .col(small_integer("State"))
            .to_owned(),
        Table::create()
            .table("AppChatGroups")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("AdminUserId"))
            .col(big_integer("GroupId"))
            .col(string_len("Name", 20))
            .col(string_len_null("Tag", 512))
            .col(string_len_null("Address", 256))
            .col(string_len_null("Notice", 64))
            .col(integer("MaxUserCount"))
            .col(boolean("AllowAnonymous"))
            .col(boolean("AllowSendMessage"))
            .col(string_len_null("Description", 128))
            .col(string_len_null("AvatarUrl", 128))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .col(timestamp_with_time_zone_null("LastModificationTime"))
            .col(uuid_null("LastModifierId"))
            .to_owned(),
        Table::create()
            .table("AppGroupChatBlacks")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("GroupId"))
            .col(uuid("ShieldUserId"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .to_owned(),
        Table::create()
            .table("AppUserChatFriends")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(uuid("FrientId"))
            .col(boolean_null("IsStatic"))
            .col(boolean_null("Black"))
            .col(boolean_null("DontDisturb"))
            .col(boolean_null("SpecialFocus"))
            .col(string_len_null("RemarkName", 256))
            .col(string_len_null("Description", 50))
            .col(small_integer("Status"))
            .col(text("ExtraProperties"))
            .col(string_len("ConcurrencyStamp", 40))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .to_owned(),
        Table::create()
            .table("AppUserChatCards")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(string_len("UserName", 256))
            .col(integer("Sex"))
            .col(string_len_null("Sign", 30))
            .col(string_len_null("NickName", 256))
            .col(string_len_null("Description", 50))
            .col(string_len_null("AvatarUrl", 512))
            .col(timestamp_with_time_zone_null("Birthday"))
            .col(integer("Age"))
            .col(timestamp_with_time_zone_null("LastOnlineTime"))
            .col(integer("State"))
            .col(text("ExtraProperties"))
            .col(string_len("ConcurrencyStamp", 40))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .col(timestamp_with_time_zone_null("LastModificationTime"))
            .col(uuid_null("LastModifierId"))
            .to_owned(),
        Table::create()
            .table("AppUserChatSettings")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(boolean("AllowAnonymous"))
            .col(boolean("AllowAddFriend"))
            .col(boolean("RequireAddFriendValition"))
            .col(boolean("AllowReceiveMessage"))
            .col(boolean("AllowSendMessage"))
            .to_owned(),
        Table::create()
            .table("AppUserChatGroups")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(big_integer("GroupId"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .to_owned(),
        Table::create()
            .table("AppUserGroupCards")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(big_integer_null("GroupId"))
            .col(string_len_null("NickName", 256))
            .col(boolean("IsAdmin"))
            .col(timestamp_with_time_zone_null("SilenceEnd"))
            .col(text("ExtraProperties"))
            .col(string_len("ConcurrencyStamp", 40))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(uuid_null("CreatorId"))
            .col(timestamp_with_time_zone_null("LastModificationTime"))
            .col(uuid_null("LastModifierId"))
            .to_owned(),
    ]
}

/// The indexes ABP's migration names, non-unique as upstream has them.
fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain("AppUserMessages", &["TenantId", "ReceiveUserId"]),
        Idx::plain("AppGroupMessages", &["TenantId", "GroupId"]),
        Idx::plain("AppChatGroups", &["TenantId", "Name"]),
        Idx::plain("AppGroupChatBlacks", &["TenantId", "GroupId"]),
        Idx::plain("AppUserChatFriends", &["TenantId", "UserId", "FrientId"]),
        Idx::plain("AppUserChatCards", &["TenantId", "UserId"]),
        Idx::plain("AppUserChatSettings", &["TenantId", "UserId"]),
        Idx::plain("AppUserChatGroups", &["TenantId", "GroupId", "UserId"]),
        Idx::plain("AppUserGroupCards", &["TenantId", "UserId"]),
    ]
}
