//! PostgreSQL's search indexes take each message as it is inserted. A GIN index by default
//! gathers new entries in a pending list and merges it into the index when it passes
//! `gin_pending_list_limit` (4 MB). The insert that passes the limit does the merge, which
//! held one batch of messages about 200–300 ms at 10,000 msg/s, every ~6 s: the stalls behind
//! p99 in BENCHMARKS.md (session 5). Without the list, each insert pays a little more; the
//! stall is gone. SQLite's FTS5 index is unchanged.

use crate::search_indexes::alter;
use sea_orm_migration::prelude::*;

/// Turns the search indexes' pending list off.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "SET (fastupdate = off)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "RESET (fastupdate)").await
    }
}
