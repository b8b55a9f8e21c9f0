//! What mentions and read receipts keep beside ABP's tables, which keep their columns: who a
//! group message mentions (one row per named member, one row for `@all`, never a row per
//! member), a group's `mentionAll` setting, and a user's `shareReadReceipts` preference.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the mention and receipt tables and their indexes.
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
            .table("AppMessageMentions")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("GroupId"))
            .col(big_integer("MessageId"))
            // Null: `@all`.
            .col(uuid_null("UserId"))
            .col(uuid("CreatorId"))
            .to_owned(),
        Table::create()
            .table("AppChatGroupSettings")
            .col(big_integer("GroupId").primary_key())
            .col(uuid_null("TenantId"))
            .col(string_len("MentionAll", 16))
            .to_owned(),
        Table::create()
            .table("AppUserChatPreferences")
            .col(uuid("UserId").primary_key())
            .col(uuid_null("TenantId"))
            .col(boolean("ShareReadReceipts"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![Idx::plain(
        "AppMessageMentions",
        &["GroupId", "UserId", "MessageId"],
    )]
}
