//! Schema migrations for imcluster. They run up and down on SQLite and PostgreSQL, and the
//! `imcluster migrate` command drives them.

pub use sea_orm_migration::prelude::*;

mod indexes;
mod m20261125_000001_abp_tables;
mod m20261125_000002_imcluster_tables;
mod m20261125_000003_sync_cursor;
mod m20261125_000004_message_search;
mod m20261125_000005_history_indexes;
mod m20261125_000006_conversation_counters;
mod m20261126_000007_counter_lock_order;
mod m20261126_000008_search_without_pending_list;
mod m20261201_000009_message_operations;
mod m20261201_000010_mentions_and_receipts;
mod m20261201_000011_auth_sessions;
mod m20261201_000012_event_outbox;
mod m20261201_000013_notifications;
mod m20261201_000014_media;
mod m20261201_000015_media_uploads;
mod m20261201_000016_message_id_indexes;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_abp_tables::Migration),
            Box::new(m20261125_000002_imcluster_tables::Migration),
            Box::new(m20261125_000003_sync_cursor::Migration),
            Box::new(m20261125_000004_message_search::Migration),
            Box::new(m20261125_000005_history_indexes::Migration),
            Box::new(m20261125_000006_conversation_counters::Migration),
            Box::new(m20261126_000007_counter_lock_order::Migration),
            Box::new(m20261126_000008_search_without_pending_list::Migration),
            Box::new(m20261201_000009_message_operations::Migration),
            Box::new(m20261201_000010_mentions_and_receipts::Migration),
            Box::new(m20261201_000011_auth_sessions::Migration),
            Box::new(m20261201_000012_event_outbox::Migration),
            Box::new(m20261201_000013_notifications::Migration),
            Box::new(m20261201_000014_media::Migration),
            Box::new(m20261201_000015_media_uploads::Migration),
            Box::new(m20261201_000016_message_id_indexes::Migration),
        ]
    }
}
