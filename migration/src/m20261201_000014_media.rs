//! Media: every uploaded file (`AppMedia`: its owner, type, size, content hash, an image's
//! dimensions and thumbnail, where the bytes are), and which messages reference which media
//! (`AppMessageMedia`), so that access follows the messages and unreferenced uploads can go.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the media tables and their indexes.
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
            .table("AppMedia")
            .col(big_pk_auto("Id"))
            .col(big_integer("MediaId"))
            .col(uuid_null("TenantId"))
            .col(uuid("OwnerId"))
            .col(string_len("Kind", 16))
            .col(string_len("Mime", 128))
            .col(big_integer("Size"))
            .col(string_len("Sha256", 64))
            .col(string_len_null("Name", 256))
            .col(integer_null("Width"))
            .col(integer_null("Height"))
            .col(integer_null("ThumbWidth"))
            .col(integer_null("ThumbHeight"))
            .col(string_len("StoreKey", 256))
            .col(string_len_null("ThumbKey", 256))
            .col(boolean("Referenced"))
            .col(timestamp_with_time_zone("CreationTime"))
            .to_owned(),
        Table::create()
            .table("AppMessageMedia")
            .col(big_pk_auto("Id"))
            .col(big_integer("MessageId"))
            .col(big_integer("MediaId"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::unique("AppMedia", "MediaId", &["MediaId"]),
        Idx::unique("AppMedia", "Content", &["OwnerId", "Sha256"]),
        Idx::plain("AppMedia", &["Referenced", "CreationTime"]),
        Idx::unique("AppMessageMedia", "Key", &["MessageId", "MediaId"]),
        Idx::plain("AppMessageMedia", &["MediaId"]),
    ]
}
