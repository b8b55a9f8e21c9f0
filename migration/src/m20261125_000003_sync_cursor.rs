//! What `sync` needs to never skip a message: the writing transaction's id on every message row
//! (PostgreSQL fills it in; SQLite commits one writer at a time, so its row ids are already in
//! commit order and the column stays 0), and indexes that walk a user's or a group's messages
//! in that order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::indexes::{create_index, drop_index, Idx};

/// Adds `TxId` to the message tables and the sync and history indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["AppUserMessages", "AppGroupMessages"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            let default = match db.get_database_backend() {
                DbBackend::Postgres => "(pg_current_xact_id()::text)::bigint",
                _ => "0",
            };
            db.execute_unprepared(&format!(
                "ALTER TABLE \"{table}\" ADD COLUMN \"TxId\" bigint NOT NULL DEFAULT {default}"
            ))
            .await?;
        }
        for idx in indexes() {
            create_index(manager, &idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in indexes() {
            drop_index(manager, &idx).await?;
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("ALTER TABLE \"{table}\" DROP COLUMN \"TxId\""))
                .await?;
        }
        Ok(())
    }
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain("AppUserMessages", &["ReceiveUserId", "TxId", "Id"]),
        Idx::plain("AppUserMessages", &["CreatorId", "TxId", "Id"]),
        Idx::plain("AppGroupMessages", &["GroupId", "TxId", "Id"]),
    ]
}
