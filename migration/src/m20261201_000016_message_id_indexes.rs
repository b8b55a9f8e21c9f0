//! Indexes that lead with `MessageId` on the tables that hang on messages but were keyed
//! otherwise (the change feed, hides, mentions), so that deleting a batch of messages
//! (retention, account erasure) finds their rows without reading whole tables.

use sea_orm_migration::prelude::*;

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(manager, Vec::new(), &indexes()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &[], &indexes()).await
    }
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::plain("AppMessageChanges", &["MessageId"]),
        Idx::plain("AppMessageHides", &["MessageId"]),
        Idx::plain("AppMessageMentions", &["MessageId"]),
    ]
}
