//! PostgreSQL's search indexes gather new entries in a pending list again, and every pod
//! merges the list into the index once a second (`search_merge`), off the commit path. An
//! insert then appends its entries instead of updating the posting trees of common words
//! in place, which cost PostgreSQL about 15 % of its throughput on the send path
//! (BENCHMARKS.md, "Where a 1:1 message's time goes"). The limit is 16 MB, so that an insert
//! only merges the list itself (the stall migration 8 removed) if no pod has merged it for
//! over ten seconds at full load. Searches read the list too: nothing is missing from them
//! meanwhile. SQLite's FTS5 index is unchanged.

use crate::search_indexes::alter;
use sea_orm_migration::prelude::*;

/// Turns the pending list back on, with a larger limit.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(
            manager,
            "SET (fastupdate = on, gin_pending_list_limit = 16384)",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "SET (fastupdate = off)").await?;
        alter(manager, "RESET (gin_pending_list_limit)").await
    }
}
