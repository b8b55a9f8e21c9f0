//! Counters per conversation, kept by triggers so that rows written by anyone (this server,
//! or ABP itself on a shared database) count: for each user and peer the last message id,
//! the number of messages and the number unread; for each group its last message id and
//! number of messages. The conversation list and history's `totalCount` read these rows
//! instead of grouping or counting a million messages. The host tenant (a NULL `TenantId`)
//! is the nil UUID in `TenantKey`, so plain primary keys hold.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Creates the counter tables, their triggers, and fills them from the messages stored.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "CREATE TABLE \"AppChatConversations\" (\
    \"TenantKey\" uuid NOT NULL, \"UserId\" uuid NOT NULL, \"PeerUserId\" uuid NOT NULL, \
    \"LastMessageId\" bigint NOT NULL, \"MessageCount\" bigint NOT NULL, \"UnreadCount\" bigint NOT NULL, \
    PRIMARY KEY (\"TenantKey\", \"UserId\", \"PeerUserId\"))";
const GROUPS: &str = "CREATE TABLE \"AppChatGroupCounters\" (\
    \"GroupId\" bigint NOT NULL PRIMARY KEY, \"TenantKey\" uuid NOT NULL, \
    \"LastMessageId\" bigint NOT NULL, \"MessageCount\" bigint NOT NULL)";
const RECENT: &str = "CREATE INDEX \"IX_AppChatConversations_Recent\" ON \"AppChatConversations\" \
    (\"TenantKey\", \"UserId\", \"LastMessageId\")";

/// The upsert of one side of a private conversation; `{nil}` is the backend's nil UUID,
/// `{max}` its two-argument maximum.
fn upsert_side(user: &str, peer: &str, unread: &str, nil: &str, max: &str) -> String {
    format!(
        "INSERT INTO \"AppChatConversations\" (\"TenantKey\", \"UserId\", \"PeerUserId\", \"LastMessageId\", \"MessageCount\", \"UnreadCount\") \
         VALUES (COALESCE(NEW.\"TenantId\", {nil}), NEW.\"{user}\", NEW.\"{peer}\", NEW.\"MessageId\", 1, {unread}) \
         ON CONFLICT (\"TenantKey\", \"UserId\", \"PeerUserId\") DO UPDATE SET \
         \"LastMessageId\" = {max}(\"AppChatConversations\".\"LastMessageId\", excluded.\"LastMessageId\"), \
         \"MessageCount\" = \"AppChatConversations\".\"MessageCount\" + 1, \
         \"UnreadCount\" = \"AppChatConversations\".\"UnreadCount\" + excluded.\"UnreadCount\""
    )
}

fn upsert_group(nil: &str, max: &str) -> String {
    format!(
        "INSERT INTO \"AppChatGroupCounters\" (\"GroupId\", \"TenantKey\", \"LastMessageId\", \"MessageCount\") \
         VALUES (NEW.\"GroupId\", COALESCE(NEW.\"TenantId\", {nil}), NEW.\"MessageId\", 1) \
         ON CONFLICT (\"GroupId\") DO UPDATE SET \
         \"LastMessageId\" = {max}(\"AppChatGroupCounters\".\"LastMessageId\", excluded.\"LastMessageId\"), \
         \"MessageCount\" = \"AppChatGroupCounters\".\"MessageCount\" + 1"
    )
}

/// Fills the counters from the messages already stored.
fn backfill(nil: &str) -> Vec<String> {
    let side = |user: &str, peer: &str, unread: &str| {
        format!(
            "INSERT INTO \"AppChatConversations\" SELECT COALESCE(\"TenantId\", {nil}), \"{user}\", \"{peer}\", \
             MAX(\"MessageId\"), COUNT(*), {unread} FROM \"AppUserMessages\" WHERE \"CreatorId\" IS NOT NULL \
             AND \"CreatorId\" <> \"ReceiveUserId\" GROUP BY COALESCE(\"TenantId\", {nil}), \"{user}\", \"{peer}\" \
             ON CONFLICT (\"TenantKey\", \"UserId\", \"PeerUserId\") DO UPDATE SET \
             \"LastMessageId\" = CASE WHEN excluded.\"LastMessageId\" > \"AppChatConversations\".\"LastMessageId\" \
             THEN excluded.\"LastMessageId\" ELSE \"AppChatConversations\".\"LastMessageId\" END, \
             \"MessageCount\" = \"AppChatConversations\".\"MessageCount\" + excluded.\"MessageCount\", \
             \"UnreadCount\" = \"AppChatConversations\".\"UnreadCount\" + excluded.\"UnreadCount\""
        )
    };
    vec![
        side("ReceiveUserId", "CreatorId", "COUNT(*)"),
        side("CreatorId", "ReceiveUserId", "0"),
        format!(
            "INSERT INTO \"AppChatConversations\" SELECT COALESCE(\"TenantId\", {nil}), \"CreatorId\", \"ReceiveUserId\", \
             MAX(\"MessageId\"), COUNT(*), 0 FROM \"AppUserMessages\" WHERE \"CreatorId\" = \"ReceiveUserId\" \
             GROUP BY COALESCE(\"TenantId\", {nil}), \"CreatorId\", \"ReceiveUserId\""
        ),
        format!(
            "INSERT INTO \"AppChatGroupCounters\" SELECT \"GroupId\", COALESCE(\"TenantId\", {nil}), \
             MAX(\"MessageId\"), COUNT(*) FROM \"AppGroupMessages\" GROUP BY \"GroupId\", COALESCE(\"TenantId\", {nil})"
        ),
        // Read positions already taken lower the unread counts they cover.
        format!(
            "UPDATE \"AppChatConversations\" SET \"UnreadCount\" = (SELECT COUNT(*) FROM \"AppUserMessages\" m \
             WHERE COALESCE(m.\"TenantId\", {nil}) = \"AppChatConversations\".\"TenantKey\" \
             AND m.\"ReceiveUserId\" = \"AppChatConversations\".\"UserId\" AND m.\"CreatorId\" = \"AppChatConversations\".\"PeerUserId\" \
             AND m.\"CreatorId\" <> m.\"ReceiveUserId\" AND m.\"MessageId\" > COALESCE((SELECT MAX(r.\"MessageId\") FROM \"AppChatReadPositions\" r \
             WHERE COALESCE(r.\"TenantId\", {nil}) = \"AppChatConversations\".\"TenantKey\" AND r.\"UserId\" = \"AppChatConversations\".\"UserId\" \
             AND r.\"PeerUserId\" = \"AppChatConversations\".\"PeerUserId\" AND r.\"GroupId\" IS NULL), 0))"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut statements = vec![TABLES.to_string(), GROUPS.to_string(), RECENT.to_string()];
        match db.get_database_backend() {
            DbBackend::Postgres => {
                // Statement-level triggers: a batch of messages becomes one upsert per
                // conversation, not one per message (repeated updates of one row in one
                // transaction would each leave a row version behind to walk past).
                let nil = "'00000000-0000-0000-0000-000000000000'::uuid";
                let side = |user: &str, peer: &str, unread: &str, filter: &str| {
                    format!(
                        "INSERT INTO \"AppChatConversations\" AS c (\"TenantKey\", \"UserId\", \"PeerUserId\", \"LastMessageId\", \"MessageCount\", \"UnreadCount\") \
                         SELECT COALESCE(\"TenantId\", {nil}), \"{user}\", \"{peer}\", MAX(\"MessageId\"), COUNT(*), {unread} \
                         FROM new_rows WHERE \"CreatorId\" IS NOT NULL {filter} GROUP BY 1, 2, 3 ORDER BY 2, 3 \
                         ON CONFLICT (\"TenantKey\", \"UserId\", \"PeerUserId\") DO UPDATE SET \
                         \"LastMessageId\" = GREATEST(c.\"LastMessageId\", excluded.\"LastMessageId\"), \
                         \"MessageCount\" = c.\"MessageCount\" + excluded.\"MessageCount\", \
                         \"UnreadCount\" = c.\"UnreadCount\" + excluded.\"UnreadCount\""
                    )
                };
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION \"AppChatCountPrivate\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {}; {}; RETURN NULL; END $$",
                    side(
                        "ReceiveUserId",
                        "CreatorId",
                        "COUNT(*) FILTER (WHERE \"CreatorId\" <> \"ReceiveUserId\")",
                        ""
                    ),
                    side(
                        "CreatorId",
                        "ReceiveUserId",
                        "0",
                        "AND \"CreatorId\" <> \"ReceiveUserId\""
                    ),
                ));
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION \"AppChatCountGroup\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     INSERT INTO \"AppChatGroupCounters\" AS g (\"GroupId\", \"TenantKey\", \"LastMessageId\", \"MessageCount\") \
                     SELECT \"GroupId\", COALESCE(\"TenantId\", {nil}), MAX(\"MessageId\"), COUNT(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1 \
                     ON CONFLICT (\"GroupId\") DO UPDATE SET \
                     \"LastMessageId\" = GREATEST(g.\"LastMessageId\", excluded.\"LastMessageId\"), \
                     \"MessageCount\" = g.\"MessageCount\" + excluded.\"MessageCount\"; RETURN NULL; END $$"
                ));
                statements.push("CREATE TRIGGER \"AppUserMessages_Count\" AFTER INSERT ON \"AppUserMessages\" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \"AppChatCountPrivate\"()".into());
                statements.push("CREATE TRIGGER \"AppGroupMessages_Count\" AFTER INSERT ON \"AppGroupMessages\" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \"AppChatCountGroup\"()".into());
                statements.extend(backfill(nil));
            }
            _ => {
                let (nil, max) = ("X'00000000000000000000000000000000'", "MAX");
                statements.push(format!(
                    "CREATE TRIGGER \"AppUserMessages_Count_Self\" AFTER INSERT ON \"AppUserMessages\" \
                     WHEN NEW.\"CreatorId\" IS NOT NULL AND NEW.\"CreatorId\" = NEW.\"ReceiveUserId\" BEGIN {}; END",
                    upsert_side("ReceiveUserId", "CreatorId", "0", nil, max)
                ));
                statements.push(format!(
                    "CREATE TRIGGER \"AppUserMessages_Count\" AFTER INSERT ON \"AppUserMessages\" \
                     WHEN NEW.\"CreatorId\" IS NOT NULL AND NEW.\"CreatorId\" <> NEW.\"ReceiveUserId\" BEGIN {}; {}; END",
                    upsert_side("CreatorId", "ReceiveUserId", "0", nil, max),
                    upsert_side("ReceiveUserId", "CreatorId", "1", nil, max)
                ));
                statements.push(format!(
                    "CREATE TRIGGER \"AppGroupMessages_Count\" AFTER INSERT ON \"AppGroupMessages\" BEGIN {}; END",
                    upsert_group(nil, max)
                ));
                statements.extend(backfill(nil));
            }
        }
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: Vec<&str> = match db.get_database_backend() {
            DbBackend::Postgres => vec![
                "DROP TRIGGER IF EXISTS \"AppUserMessages_Count\" ON \"AppUserMessages\"",
                "DROP TRIGGER IF EXISTS \"AppGroupMessages_Count\" ON \"AppGroupMessages\"",
                "DROP FUNCTION IF EXISTS \"AppChatCountPrivate\"()",
                "DROP FUNCTION IF EXISTS \"AppChatCountGroup\"()",
            ],
            _ => vec![
                "DROP TRIGGER IF EXISTS \"AppUserMessages_Count_Self\"",
                "DROP TRIGGER IF EXISTS \"AppUserMessages_Count\"",
                "DROP TRIGGER IF EXISTS \"AppGroupMessages_Count\"",
            ],
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS \"AppChatConversations\"")
            .await?;
        db.execute_unprepared("DROP TABLE IF EXISTS \"AppChatGroupCounters\"")
            .await?;
        Ok(())
    }
}
