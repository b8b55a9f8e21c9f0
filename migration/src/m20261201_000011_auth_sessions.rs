//! Sessions and devices: one row per signed-in device (`AppAuthSessions`), its refresh tokens,
//! current and exchanged (`AppRefreshTokens`, hashes only), and administrators' one-time
//! password reset codes (`AppPasswordResets`, hashes only).

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the session tables and their indexes.
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
            .table("AppAuthSessions")
            .col(string_len("Id", 32).primary_key())
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(string_len("Platform", 16))
            .col(string_len_null("DeviceId", 64))
            .col(string_len_null("DeviceName", 64))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(timestamp_with_time_zone("LastSeenTime"))
            .col(string_len("LastIp", 64))
            .col(timestamp_with_time_zone("RefreshExpiresAt"))
            .to_owned(),
        Table::create()
            .table("AppRefreshTokens")
            .col(string_len("Selector", 32).primary_key())
            .col(string_len("SessionId", 32))
            .col(string_len("VerifierHash", 64))
            .col(timestamp_with_time_zone("IssuedAt"))
            .col(timestamp_with_time_zone_null("RetiredAt"))
            .to_owned(),
        Table::create()
            .table("AppPasswordResets")
            .col(uuid("UserId").primary_key())
            .col(uuid_null("TenantId"))
            .col(string_len("CodeHash", 64))
            .col(timestamp_with_time_zone("ExpiresAt"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain("AppAuthSessions", &["UserId", "TenantId"]),
        Idx::plain("AppRefreshTokens", &["SessionId"]),
    ]
}
