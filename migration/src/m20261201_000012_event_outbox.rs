//! The event outbox for backend services: events written with the changes they report
//! (`AppEventOutbox`), those that could not be delivered (`AppEventDeadLetters`), and the lease
//! that lets one pod at a time deliver them (`AppOutboxLeases`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the outbox tables and their indexes.
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

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("AppEventOutbox")
            .col(big_pk_auto("Id"))
            .col(string_len("EventId", 32))
            .col(string_len("Kind", 48))
            .col(string_len("Conversation", 96))
            .col(text("Payload"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(timestamp_with_time_zone("NextAttemptAt"))
            .col(integer("Attempts"))
            .to_owned(),
        Table::create()
            .table("AppEventDeadLetters")
            .col(big_pk_auto("Id"))
            .col(string_len("EventId", 32))
            .col(string_len("Kind", 48))
            .col(string_len("Conversation", 96))
            .col(text("Payload"))
            .col(timestamp_with_time_zone("CreationTime"))
            .col(integer("Attempts"))
            .col(string_len("LastError", 256))
            .col(timestamp_with_time_zone("DeadAt"))
            .to_owned(),
        Table::create()
            .table("AppOutboxLeases")
            .col(string_len("Name", 32).primary_key())
            .col(string_len("Holder", 64))
            .col(timestamp_with_time_zone("Until"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![Idx::plain("AppEventOutbox", &["NextAttemptAt"])]
}
