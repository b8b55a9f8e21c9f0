//! Full-text search over message content. SQLite: an FTS5 index (trigram tokenizer, so any
//! substring of three or more characters matches, CJK text included) kept by triggers, which
//! also drop recalled messages from it. PostgreSQL: GIN indexes on `to_tsvector('simple', …)`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Creates the search indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["AppUserMessages", "AppGroupMessages"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in TABLES {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => vec![format!(
                    "CREATE INDEX \"IX_{t}_Content_Search\" ON \"{t}\" USING gin (to_tsvector('simple', \"Content\"))"
                )],
                _ => vec![
                    format!(
                        "CREATE VIRTUAL TABLE \"{t}Search\" USING fts5(\"Content\", content='{t}', content_rowid='Id', tokenize='trigram')"
                    ),
                    format!(
                        "CREATE TRIGGER \"{t}_Search_Insert\" AFTER INSERT ON \"{t}\" WHEN new.\"State\" <> 10 BEGIN \
                         INSERT INTO \"{t}Search\"(rowid, \"Content\") VALUES (new.\"Id\", new.\"Content\"); END"
                    ),
                    format!(
                        "CREATE TRIGGER \"{t}_Search_Recall\" AFTER UPDATE OF \"State\" ON \"{t}\" \
                         WHEN new.\"State\" = 10 AND old.\"State\" <> 10 BEGIN \
                         INSERT INTO \"{t}Search\"(\"{t}Search\", rowid, \"Content\") VALUES ('delete', old.\"Id\", old.\"Content\"); END"
                    ),
                    format!(
                        "CREATE TRIGGER \"{t}_Search_Delete\" AFTER DELETE ON \"{t}\" WHEN old.\"State\" <> 10 BEGIN \
                         INSERT INTO \"{t}Search\"(\"{t}Search\", rowid, \"Content\") VALUES ('delete', old.\"Id\", old.\"Content\"); END"
                    ),
                    format!("INSERT INTO \"{t}Search\"(rowid, \"Content\") SELECT \"Id\", \"Content\" FROM \"{t}\" WHERE \"State\" <> 10"),
                ],
            };
            for sql in statements {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in TABLES {
            let statements = match db.get_database_backend() {
                DbBackend::Postgres => {
                    vec![format!("DROP INDEX IF EXISTS \"IX_{t}_Content_Search\"")]
                }
                _ => vec![
                    format!("DROP TRIGGER IF EXISTS \"{t}_Search_Insert\""),
                    format!("DROP TRIGGER IF EXISTS \"{t}_Search_Recall\""),
                    format!("DROP TRIGGER IF EXISTS \"{t}_Search_Delete\""),
                    format!("DROP TABLE IF EXISTS \"{t}Search\""),
                ],
            };
            for sql in statements {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
