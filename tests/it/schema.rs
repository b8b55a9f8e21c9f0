//! The schema on both databases is the one `spec/SCHEMA.md` describes: every table, column
//! (type, length, nullability) and named index, and migrations run down and up again.

use std::collections::{BTreeMap, BTreeSet};

use imcluster::store::Store;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::helpers::TestDb;
use crate::on_both_databases;

/// (table, [(column, type, not null)]) from `spec/SCHEMA.md`; `Id bigint` is implied.
/// Types: uuid, text, ts (timestamptz), bigint, int, smallint, bool, varchar(N).
/// A column of the spec: name, type, not null.
type SpecColumn = (&'static str, &'static str, bool);

const ABP_TABLES: &[(&str, &[SpecColumn])] = &[
    (
        "AppUserMessages",
        &[
            ("ReceiveUserId", "uuid", true),
            ("ExtraProperties", "text", true),
            ("ConcurrencyStamp", "varchar(40)", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
            ("TenantId", "uuid", false),
            ("MessageId", "bigint", true),
            ("SendUserName", "varchar(64)", true),
            ("Content", "varchar(1048576)", true),
            ("Type", "int", true),
            ("Source", "int", true),
            ("State", "smallint", true),
        ],
    ),
    (
        "AppGroupMessages",
        &[
            ("GroupId", "bigint", true),
            ("ExtraProperties", "text", true),
            ("ConcurrencyStamp", "varchar(40)", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
            ("TenantId", "uuid", false),
            ("MessageId", "bigint", true),
            ("SendUserName", "varchar(64)", true),
            ("Content", "varchar(1048576)", true),
            ("Type", "int", true),
            ("Source", "int", true),
            ("State", "smallint", true),
        ],
    ),
    (
        "AppChatGroups",
        &[
            ("TenantId", "uuid", false),
            ("AdminUserId", "uuid", true),
            ("GroupId", "bigint", true),
            ("Name", "varchar(20)", true),
            ("Tag", "varchar(512)", false),
            ("Address", "varchar(256)", false),
            ("Notice", "varchar(64)", false),
            ("MaxUserCount", "int", true),
            ("AllowAnonymous", "bool", true),
            ("AllowSendMessage", "bool", true),
            ("Description", "varchar(128)", false),
            ("AvatarUrl", "varchar(128)", false),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
            ("LastModificationTime", "ts", false),
            ("LastModifierId", "uuid", false),
        ],
    ),
    (
        "AppGroupChatBlacks",
        &[
            ("TenantId", "uuid", false),
            ("GroupId", "bigint", true),
            ("ShieldUserId", "uuid", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
        ],
    ),
    (
        "AppUserChatFriends",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("FrientId", "uuid", true),
            ("IsStatic", "bool", false),
            ("Black", "bool", false),
            ("DontDisturb", "bool", false),
            ("SpecialFocus", "bool", false),
            ("RemarkName", "varchar(256)", false),
            ("Description", "varchar(50)", false),
            ("Status", "smallint", true),
            ("ExtraProperties", "text", true),
            ("ConcurrencyStamp", "varchar(40)", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
        ],
    ),
    (
        "AppUserChatCards",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("UserName", "varchar(256)", true),
            ("Sex", "int", true),
            ("Sign", "varchar(30)", false),
            ("NickName", "varchar(256)", false),
            ("Description", "varchar(50)", false),
            ("AvatarUrl", "varchar(512)", false),
            ("Birthday", "ts", false),
            ("Age", "int", true),
            ("LastOnlineTime", "ts", false),
            ("State", "int", true),
            ("ExtraProperties", "text", true),
            ("ConcurrencyStamp", "varchar(40)", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
            ("LastModificationTime", "ts", false),
            ("LastModifierId", "uuid", false),
        ],
    ),
    (
        "AppUserChatSettings",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("AllowAnonymous", "bool", true),
            ("AllowAddFriend", "bool", true),
            ("RequireAddFriendValition", "bool", true),
            ("AllowReceiveMessage", "bool", true),
            ("AllowSendMessage", "bool", true),
        ],
    ),
    (
        "AppUserChatGroups",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("GroupId", "bigint", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
        ],
    ),
    (
        "AppUserGroupCards",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("GroupId", "bigint", false),
            ("NickName", "varchar(256)", false),
            ("IsAdmin", "bool", true),
            ("SilenceEnd", "ts", false),
            ("ExtraProperties", "text", true),
            ("ConcurrencyStamp", "varchar(40)", true),
            ("CreationTime", "ts", true),
            ("CreatorId", "uuid", false),
            ("LastModificationTime", "ts", false),
            ("LastModifierId", "uuid", false),
        ],
    ),
    (
        "AppNotificationDefinitionGroups",
        &[
            ("Name", "varchar(64)", true),
            ("DisplayName", "varchar(255)", false),
            ("Description", "varchar(255)", false),
            ("AllowSubscriptionToClients", "bool", true),
            ("ExtraProperties", "text", false),
        ],
    ),
    (
        "AppNotificationDefinitions",
        &[
            ("Name", "varchar(64)", true),
            ("GroupName", "varchar(64)", true),
            ("DisplayName", "varchar(255)", false),
            ("Description", "varchar(255)", false),
            ("NotificationLifetime", "int", true),
            ("NotificationType", "int", true),
            ("ContentType", "int", true),
            ("Providers", "varchar(200)", false),
            ("AllowSubscriptionToClients", "bool", true),
            ("ExtraProperties", "text", false),
        ],
    ),
    (
        "AppNotifications",
        &[
            ("TenantId", "uuid", false),
            ("Severity", "smallint", true),
            ("Type", "int", true),
            ("ContentType", "int", true),
            ("NotificationId", "bigint", true),
            ("NotificationName", "varchar(100)", true),
            ("NotificationTypeName", "varchar(512)", true),
            ("ExpirationTime", "ts", false),
            ("CreationTime", "ts", true),
            ("ExtraProperties", "text", false),
        ],
    ),
    (
        "AppUserNotifications",
        &[
            ("TenantId", "uuid", false),
            ("UserId", "uuid", true),
            ("NotificationId", "bigint", true),
            ("ReadStatus", "int", true),
        ],
    ),
    (
        "AppUserSubscribes",
        &[
            ("UserId", "uuid", true),
            ("UserName", "varchar(128)", true),
            ("TenantId", "uuid", false),
            ("CreationTime", "ts", true),
            ("NotificationName", "varchar(100)", true),
        ],
    ),
];

/// ABP's definition tables are keyed by a GUID, the others by a `bigint` identity.
const UUID_KEYED: &[&str] = &[
    "AppNotificationDefinitionGroups",
    "AppNotificationDefinitions",
];

const NAMED_INDEXES: &[&str] = &[
    "IX_AppUserMessages_TenantId_ReceiveUserId",
    "IX_AppGroupMessages_TenantId_GroupId",
    "IX_AppChatGroups_TenantId_Name",
    "IX_AppGroupChatBlacks_TenantId_GroupId",
    "IX_AppUserChatFriends_TenantId_UserId_FrientId",
    "IX_AppUserChatCards_TenantId_UserId",
    "IX_AppUserChatSettings_TenantId_UserId",
    "IX_AppUserChatGroups_TenantId_GroupId_UserId",
    "IX_AppUserGroupCards_TenantId_UserId",
    "IX_AppNotifications_TenantId_NotificationName",
    "IX_Tenant_User_Notification_Id",
    "IX_Tenant_User_Notification_Name",
];

/// The product's own tables and the unique keys that make duplicates impossible.
const OWN_TABLES: &[&str] = &[
    "AppUserCredentials",
    "AppGroupJoinRequests",
    "AppChatReadPositions",
    "AppClientMessageIds",
    "AppRevokedTokens",
    "AppMessageEdits",
    "AppMessageReactions",
    "AppMessageHides",
    "AppMessageChanges",
    "AppMessageMentions",
    "AppChatGroupSettings",
    "AppUserChatPreferences",
    "AppAuthSessions",
    "AppRefreshTokens",
    "AppPasswordResets",
    "AppEventOutbox",
    "AppEventDeadLetters",
    "AppOutboxLeases",
    "AppPushTokens",
    "AppConversationSettings",
    "AppMedia",
    "AppMessageMedia",
    "AppMediaUploads",
];
const UNIQUE_INDEXES: &[&str] = &[
    "UX_AppUserChatFriends_Pair",
    "UX_AppUserChatGroups_Member",
    "UX_AppGroupJoinRequests_Pending",
    "UX_AppUserCredentials_UserName",
    "UX_AppClientMessageIds_Key",
    "UX_AppChatReadPositions_Conversation",
    "UX_AppUserMessages_MessageId",
    "UX_AppGroupMessages_MessageId",
    "UX_AppMessageEdits_Version",
    "UX_AppMessageReactions_Key",
    "UX_AppMessageHides_Key",
    "UX_AppNotifications_NotificationId",
    "UX_AppPushTokens_Token",
    "UX_AppConversationSettings_Conversation",
    "UX_AppMedia_MediaId",
    "UX_AppMedia_Content",
    "UX_AppMessageMedia_Key",
    "UX_AppMediaUploads_UploadId",
];

/// A column as the database describes it, normalized to the spec's words.
#[derive(Debug, PartialEq, Eq)]
struct Col {
    ty: String,
    not_null: bool,
}

async fn columns(
    db: &sea_orm::DatabaseConnection,
    schema: &str,
    table: &str,
) -> BTreeMap<String, Col> {
    let mut out = BTreeMap::new();
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let sql = "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns \
                       WHERE table_schema = $1 AND table_name = $2";
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    [schema.into(), table.into()],
                ))
                .await
                .unwrap();
            for r in rows {
                let name: String = r.try_get("", "column_name").unwrap();
                let data_type: String = r.try_get("", "data_type").unwrap();
                let len: Option<i32> = r.try_get("", "character_maximum_length").unwrap();
                let ty = match data_type.as_str() {
                    "uuid" => "uuid".to_string(),
                    "text" => "text".to_string(),
                    "timestamp with time zone" => "ts".to_string(),
                    "bigint" => "bigint".to_string(),
                    "integer" => "int".to_string(),
                    "smallint" => "smallint".to_string(),
                    "boolean" => "bool".to_string(),
                    "character varying" => format!("varchar({})", len.unwrap()),
                    other => other.to_string(),
                };
                let nullable: String = r.try_get("", "is_nullable").unwrap();
                out.insert(
                    name,
                    Col {
                        ty,
                        not_null: nullable == "NO",
                    },
                );
            }
        }
        _ => {
            let rows = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("PRAGMA table_info(\"{table}\")"),
                ))
                .await
                .unwrap();
            for r in rows {
                let name: String = r.try_get("", "name").unwrap();
                let declared: String = r.try_get("", "type").unwrap();
                let ty = match declared.to_lowercase().as_str() {
                    "uuid_text" => "uuid".to_string(),
                    "text" => "text".to_string(),
                    "timestamp_with_timezone_text" => "ts".to_string(),
                    // SQLite has one 64-bit INTEGER type; sea-query declares both as `integer`.
                    "bigint" | "integer" => "integer".to_string(),
                    "smallint" => "smallint".to_string(),
                    "boolean" => "bool".to_string(),
                    v if v.starts_with("varchar(") => v.to_string(),
                    other => other.to_string(),
                };
                let not_null: i32 = r.try_get("", "notnull").unwrap();
                let pk: i32 = r.try_get("", "pk").unwrap();
                out.insert(
                    name,
                    Col {
                        ty,
                        not_null: not_null == 1 || pk == 1,
                    },
                );
            }
        }
    }
    out
}

async fn indexes(db: &sea_orm::DatabaseConnection, schema: &str) -> BTreeSet<String> {
    let stmt = match db.get_database_backend() {
        DbBackend::Postgres => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1",
            [schema.into()],
        ),
        _ => Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'index'",
        ),
    };
    db.query_all_raw(stmt)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

pub async fn connect(db: &TestDb) -> sea_orm::DatabaseConnection {
    let mut options = sea_orm::ConnectOptions::new(db.url.clone());
    if !db.schema.is_empty() {
        options.set_schema_search_path(db.schema.clone());
    }
    Database::connect(options).await.unwrap()
}

on_both_databases!(
    tables_columns_and_indexes_match_the_spec,
    |db: TestDb| async move {
        let store = Store::open(&db.config().database).await.unwrap();
        store.migrate_up().await.unwrap();
        let conn = connect(&db).await;
        for (table, spec) in ABP_TABLES {
            let actual = columns(&conn, &db.schema, table).await;
            let sqlite = db.schema.is_empty();
            let expect = |ty: &str| {
                if sqlite && (ty == "bigint" || ty == "int") {
                    "integer".to_string()
                } else {
                    ty.to_string()
                }
            };
            let id_type = if UUID_KEYED.contains(table) {
                "uuid"
            } else {
                "bigint"
            };
            assert_eq!(
                actual.get("Id"),
                Some(&Col {
                    ty: expect(id_type),
                    not_null: true
                }),
                "{table}.Id"
            );
            for (name, ty, not_null) in spec.iter() {
                let col = actual
                    .get(*name)
                    .unwrap_or_else(|| panic!("{table}.{name} exists"));
                assert_eq!(
                    col,
                    &Col {
                        ty: expect(ty),
                        not_null: *not_null
                    },
                    "{table}.{name}"
                );
            }
        }
        for table in OWN_TABLES {
            let actual = columns(&conn, &db.schema, table).await;
            assert!(
                !actual.is_empty()
                    && actual.contains_key("TenantId")
                        != [
                            "AppRevokedTokens",
                            "AppRefreshTokens",
                            "AppEventOutbox",
                            "AppEventDeadLetters",
                            "AppOutboxLeases",
                            "AppMessageMedia",
                        ]
                        .contains(table),
                "{table} exists"
            );
        }
        let have = indexes(&conn, &db.schema).await;
        for name in NAMED_INDEXES.iter().chain(UNIQUE_INDEXES) {
            assert!(have.contains(*name), "index {name} exists; have {have:?}");
        }
        if conn.get_database_backend() == DbBackend::Postgres {
            // The search indexes take entries at once: a pending list's merge stalled inserts.
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT c.relname AS name, array_to_string(c.reloptions, ',') AS options \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname LIKE '%Content_Search'",
                [db.schema.clone().into()],
            );
            let rows = conn.query_all_raw(stmt).await.unwrap();
            assert_eq!(rows.len(), 2, "two search indexes");
            for row in rows {
                let name: String = row.try_get("", "name").unwrap();
                let options: Option<String> = row.try_get("", "options").unwrap();
                assert_eq!(options.as_deref(), Some("fastupdate=off"), "{name}");
            }
        }
    }
);

on_both_databases!(migrations_run_down_and_up_again, |db: TestDb| async move {
    let store = Store::open(&db.config().database).await.unwrap();
    store.migrate_up().await.unwrap();
    assert!(store
        .migration_status()
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| *applied));
    store.migrate_down(None).await.unwrap();
    assert!(store
        .migration_status()
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| !*applied));
    let conn = connect(&db).await;
    for (table, _) in ABP_TABLES {
        assert!(
            columns(&conn, &db.schema, table).await.is_empty(),
            "{table} is gone after migrating down"
        );
    }
    store.migrate_up().await.unwrap();
    for (table, _) in ABP_TABLES {
        assert!(
            !columns(&conn, &db.schema, table).await.is_empty(),
            "{table} is back after migrating up"
        );
    }
    store.migrate_fresh().await.unwrap();
    assert!(store
        .migration_status()
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| *applied));
});
