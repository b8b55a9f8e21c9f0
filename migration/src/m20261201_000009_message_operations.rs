//! What message operations keep beside ABP's tables, which keep their columns: the text a
//! message had before each edit, reactions, messages a user hid from themself, and the change
//! feed `sync` reads so a client that was away learns of edits, recalls, reactions and hides.
//! An edit's version and time, a reply's target and a forward's origin ride in the message's
//! own `ExtraProperties`.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_index, drop_index, drop_table, Idx};

/// Creates the message-operation tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        // The change feed is walked in commit order, as the message tables are (`TxId`).
        let db = manager.get_connection();
        let default = match db.get_database_backend() {
            DbBackend::Postgres => "(pg_current_xact_id()::text)::bigint",
            _ => "0",
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE \"AppMessageChanges\" ADD COLUMN \"TxId\" bigint NOT NULL DEFAULT {default}"
        ))
        .await?;
        for idx in indexes() {
            create_index(manager, &idx).await?;
        }
        // SQLite's search table holds a copy of each text: an edit replaces it there too.
        if db.get_database_backend() == DbBackend::Sqlite {
            for t in MESSAGE_TABLES {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER \"{t}_Search_Edit\" AFTER UPDATE OF \"Content\" ON \"{t}\" \
                     WHEN old.\"State\" <> 10 AND new.\"State\" <> 10 BEGIN \
                     INSERT INTO \"{t}Search\"(\"{t}Search\", rowid, \"Content\") VALUES ('delete', old.\"Id\", old.\"Content\"); \
                     INSERT INTO \"{t}Search\"(rowid, \"Content\") VALUES (new.\"Id\", new.\"Content\"); END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Sqlite {
            for t in MESSAGE_TABLES {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS \"{t}_Search_Edit\""))
                    .await?;
            }
        }
        for idx in indexes().iter().rev() {
            drop_index(manager, idx).await?;
        }
        for table in tables().iter().rev() {
            drop_table(manager, table).await?;
        }
        Ok(())
    }
}

/// ABP's message tables, whose text an edit changes.
const MESSAGE_TABLES: [&str; 2] = ["AppUserMessages", "AppGroupMessages"];

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("AppMessageEdits")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("MessageId"))
            .col(integer("Version"))
            .col(text("PreviousContent"))
            .col(uuid("EditorId"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppMessageReactions")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("MessageId"))
            .col(uuid("UserId"))
            .col(string_len("Emoji", 64))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppMessageHides")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(big_integer("MessageId"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppMessageChanges")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("MessageId"))
            .col(big_integer_null("GroupId"))
            .col(uuid_null("UserId"))
            .col(uuid_null("PeerUserId"))
            .col(small_integer("Kind"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::unique("AppMessageEdits", "Version", &["MessageId", "Version"]),
        Idx::unique(
            "AppMessageReactions",
            "Key",
            &["MessageId", "UserId", "Emoji"],
        ),
        Idx::plain("AppMessageReactions", &["MessageId", "Emoji", "Id"]),
        Idx::unique("AppMessageHides", "Key", &["UserId", "MessageId"]),
        Idx::plain("AppMessageChanges", &["UserId", "TxId", "Id"]),
        Idx::plain("AppMessageChanges", &["PeerUserId", "TxId", "Id"]),
        Idx::plain("AppMessageChanges", &["GroupId", "TxId", "Id"]),
    ]
}
