//! Indexes for history pages: one conversation direction in id order, and a group in id
//! order, so "newest 50 before X" reads 50 index entries instead of sorting the conversation.

use sea_orm_migration::prelude::*;

use crate::indexes::{create_index, drop_index, Idx};

/// Adds the history indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain(
            "AppUserMessages",
            &["TenantId", "ReceiveUserId", "CreatorId", "MessageId"],
        ),
        Idx::plain("AppGroupMessages", &["TenantId", "GroupId", "MessageId"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in indexes() {
            create_index(manager, &idx).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in indexes() {
            drop_index(manager, &idx).await?;
        }
        Ok(())
    }
}
