//! The tables this product adds beside ABP's (credentials, join requests, read positions,
//! idempotency keys, revoked tokens), and the unique indexes that make duplicates impossible
//! in ABP's tables too: a friend pair per direction, a membership, a pending request.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates imcluster's own tables and every unique index.
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

pub(crate) fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("AppUserCredentials")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(string_len("UserName", 64))
            .col(string_len("NormalizedUserName", 64))
            .col(string_len("PasswordHash", 256))
            .col(string_len("Roles", 256))
            .col(boolean("IsBanned"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(timestamp_with_time_zone_null("LastModificationTime"))
            .to_owned(),
        Table::create()
            .table("AppGroupJoinRequests")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(big_integer("GroupId"))
            .col(uuid("UserId"))
            .col(string_len_null("JoinInfo", 256))
            .col(small_integer("Status"))
            .col(string_len_null("RejectReason", 256))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(timestamp_with_time_zone_null("LastModificationTime"))
            .col(uuid_null("LastModifierId"))
            .to_owned(),
        Table::create()
            .table("AppChatReadPositions")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(uuid_null("PeerUserId"))
            .col(big_integer_null("GroupId"))
            .col(big_integer("MessageId"))
            .col(timestamp_with_time_zone("LastModificationTime"))
            .to_owned(),
        Table::create()
            .table("AppClientMessageIds")
            .col(big_pk_auto("Id"))
            .col(uuid_null("TenantId"))
            .col(uuid("UserId"))
            .col(string_len("ClientMsgId", 64))
            .col(big_integer("MessageId"))
            .col(timestamp_with_time_zone("SendTime"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppRevokedTokens")
            .col(big_pk_auto("Id"))
            .col(string_len("Jti", 64))
            .col(timestamp_with_time_zone("ExpiresAt"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
    ]
}

/// Unique keys. `TenantId` (and other nullable key columns) compare NULL as equal, so the host
/// tenant gets the same protection as any other.
fn indexes() -> Vec<Idx> {
    vec![
        Idx::unique("AppUserMessages", "MessageId", &["MessageId"]),
        Idx::unique("AppGroupMessages", "MessageId", &["MessageId"]),
        Idx::unique("AppChatGroups", "GroupId", &["GroupId"]),
        Idx::unique(
            "AppUserChatFriends",
            "Pair",
            &["TenantId", "UserId", "FrientId"],
        ),
        Idx::unique("AppUserChatCards", "User", &["TenantId", "UserId"]),
        Idx::unique("AppUserChatSettings", "User", &["TenantId", "UserId"]),
        Idx::unique(
            "AppUserChatGroups",
            "Member",
            &["TenantId", "GroupId", "UserId"],
        ),
        Idx::unique(
            "AppUserGroupCards",
            "Member",
            &["TenantId", "GroupId", "UserId"],
        )
        .only_where(r#""GroupId" IS NOT NULL"#),
        Idx::unique(
            "AppGroupChatBlacks",
            "Member",
            &["TenantId", "GroupId", "ShieldUserId"],
        ),
        Idx::unique(
            "AppUserCredentials",
            "UserName",
            &["TenantId", "NormalizedUserName"],
        ),
        Idx::unique("AppUserCredentials", "UserId", &["UserId"]),
        Idx::unique(
            "AppGroupJoinRequests",
            "Pending",
            &["TenantId", "GroupId", "UserId"],
        )
        .only_where(r#""Status" = 0"#),
        Idx::unique(
            "AppChatReadPositions",
            "Conversation",
            &["TenantId", "UserId", "PeerUserId", "GroupId"],
        ),
        Idx::unique(
            "AppClientMessageIds",
            "Key",
            &["TenantId", "UserId", "ClientMsgId"],
        ),
        Idx::unique("AppRevokedTokens", "Jti", &["Jti"]),
    ]
}
