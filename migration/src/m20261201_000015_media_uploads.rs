//! Direct uploads (`AppMediaUploads`): an upload a client was given a presigned URL for, to put
//! its bytes straight into an S3-compatible store, until it completes (and becomes a media) or
//! is swept with the orphans. Kept in the database so any pod may complete it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{create_all, drop_all, Idx};

/// Creates the direct-upload table and its index.
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
    vec![Table::create()
        .table("AppMediaUploads")
        .col(big_pk_auto("Id"))
        .col(uuid("UploadId"))
        .col(uuid_null("TenantId"))
        .col(uuid("OwnerId"))
        .col(string_len_null("Name", 256))
        .col(big_integer("Size"))
        .col(string_len("Mime", 128))
        .col(string_len("Sha256", 64))
        .col(timestamp_with_time_zone("ExpiresAt"))
        .col(timestamp_with_time_zone("CreationTime"))
        .to_owned()]
}

fn indexes() -> Vec<Idx> {
    vec![
        Idx::unique("AppMediaUploads", "UploadId", &["UploadId"]),
        Idx::plain("AppMediaUploads", &["CreationTime"]),
    ]
}
