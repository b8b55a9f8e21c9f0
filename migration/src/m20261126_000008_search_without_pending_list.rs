//! PostgreSQL's search indexes take each message as it is inserted. A GIN index by default
//! gathers new entries in a pending list and merges it into the index when it passes
//! `gin_pending_list_limit` (4 MB). The insert that passes the limit does the merge, which
//! held one batch of messages about 200–300 ms at 10,000 msg/s, every ~6 s: the stalls behind
//! p99 in BENCHMARKS.md (session 5). Without the list, each insert pays a little more; the
//! stall is gone. SQLite's FTS5 index is unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Turns the search indexes' pending list off.
#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [&str; 2] = [
    "IX_AppUserMessages_Content_Search",
    "IX_AppGroupMessages_Content_Search",
];

async fn set(manager: &SchemaManager<'_>, clause: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for index in INDEXES {
        db.execute_unprepared(&format!("ALTER INDEX \"{index}\" {clause}"))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, "SET (fastupdate = off)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, "RESET (fastupdate)").await
    }
}
