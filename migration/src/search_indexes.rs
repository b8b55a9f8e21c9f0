//! The PostgreSQL search indexes (migration 4) and how their storage options are changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The GIN indexes behind full-text search on PostgreSQL.
const INDEXES: [&str; 2] = [
    "IX_AppUserMessages_Content_Search",
    "IX_AppGroupMessages_Content_Search",
];

/// Runs `ALTER INDEX … {clause}` on both search indexes (PostgreSQL; nothing on SQLite).
pub(crate) async fn alter(manager: &SchemaManager<'_>, clause: &str) -> Result<(), DbErr> {
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
